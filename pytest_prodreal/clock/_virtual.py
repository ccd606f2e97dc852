"""A virtual clock: one fake time for wall clock, monotonic, perf_counter, datetime and sleeps.

Built on freezegun (``tick=False``), so ``time.time``, ``time.monotonic``, ``time.perf_counter``
(and their ``_ns`` twins), ``datetime.now()`` and ``date.today()`` all read the same frozen
instant, including ``from time import monotonic``-style aliases in already imported modules
(pybreaker, tenacity, backoff, the LLM SDKs). On top of freezegun, :class:`VirtualClock` makes
``time.sleep`` advance that instant instead of blocking, and
:class:`VirtualTimeEventLoop` makes asyncio and anyio sleeps, timeouts and
timers virtual too. So back-off that takes minutes in production takes milliseconds here, and
every figure read from the clock (elapsed seconds, deadlines) is exact.

Library layer: imports no pytest, and freezegun only when a clock starts::

    from pytest_prodreal.clock import VirtualClock

    with VirtualClock() as clock:
        time.sleep(3600)            # returns at once
        assert clock.elapsed == 3600.0

Resolution is one microsecond (freezegun keeps a ``datetime``): every advance is rounded *up* to
a whole microsecond, so a positive sleep always moves time forward.
"""

from __future__ import annotations

import calendar
import math
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument
from ._freeze import ClockError, _Freeze

if TYPE_CHECKING:  # asyncio is imported when a clock starts: the plugin loads this module early
    from ._loop import VirtualTimeEventLoop, run
    from ._scheduler import Scheduler

__all__ = ["ClockError", "VirtualClock", "VirtualTimeEventLoop", "current_clock", "run"]


def __getattr__(name: str) -> Any:
    # The event loop lives in ``_loop`` (it imports asyncio); it is loaded on first use.
    if name in ("VirtualTimeEventLoop", "run"):
        from . import _loop

        return getattr(_loop, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The running clock of this process (at most one: freezegun's patches are process-wide).
_active: VirtualClock | None = None
_active_lock = threading.Lock()


def current_clock() -> VirtualClock | None:
    """Return the :class:`VirtualClock` running in this process, or ``None``."""
    return _active


def _check_seconds(name: str, seconds: object) -> float:
    # bool is an int: ``sleep(True)`` is a bug, not one second.
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise InvalidArgument(
            f"{name} must be a number of seconds (int or float), got {type(seconds).__name__} "
            f"{seconds!r}"
        )
    value = float(seconds)
    if not math.isfinite(value) or value < 0:
        raise InvalidArgument(
            f"{name} must be a finite number of seconds >= 0, got {seconds!r}; "
            "time only moves forward (use a new VirtualClock(start=...) to begin elsewhere)"
        )
    return value


def _to_utc_naive(start: object) -> datetime:
    if not isinstance(start, datetime):
        raise InvalidArgument(
            f"start must be a datetime.datetime (naive means UTC) or None, got "
            f"{type(start).__name__} {start!r}"
        )
    if start.tzinfo is not None and start.utcoffset() is not None:
        start = start.astimezone(timezone.utc).replace(tzinfo=None)
    else:
        start = start.replace(tzinfo=None)
    # A plain datetime even if ``start`` is freezegun's FakeDatetime: the clock owns its readings.
    return datetime(
        start.year,
        start.month,
        start.day,
        start.hour,
        start.minute,
        start.second,
        start.microsecond,
    )


def _other_freeze() -> str | None:
    """Describe another fake clock already patching time in this process, if any."""
    freezegun_api = sys.modules.get("freezegun.api")
    if freezegun_api is not None and getattr(freezegun_api, "freeze_factories", None):
        frozen_at = freezegun_api.freeze_factories[-1]()
        return f"a freezegun freeze_time(...) (frozen at {frozen_at.isoformat()})"
    time_machine = sys.modules.get("time_machine")
    if time_machine is not None and (
        getattr(time_machine, "traveller_stack", None)
        or getattr(time_machine, "coordinates_stack", None)
    ):
        return "a time-machine travel(...)"
    return None


class VirtualClock:
    """One virtual time for ``time``, ``datetime``, ``time.sleep`` and (virtual loop) asyncio.

    ``start`` is the wall-clock instant the clock starts at: a ``datetime`` (naive means UTC) or
    ``None`` for the real current time, truncated to the whole second (so HTTP dates such as
    ``Retry-After: <date>`` convert to whole seconds exactly). Nothing is patched until
    :meth:`start` (or ``with``); :meth:`stop` puts the real clocks and ``time.sleep`` back.

    Create the objects whose timing you test (breakers, retryers, caches, clients) *after* the
    clock starts: the fake monotonic is epoch-sized, so a value read before the freeze is about
    1.7e9 seconds away from one read during it.

    One clock runs at a time per process; starting a second one, or starting while freezegun or
    time-machine already freezes time, raises :class:`ClockError`.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start_at: datetime | None = None if start is None else _to_utc_naive(start)
        self._freeze: _Freeze | None = None
        self._factory: Any = None
        self._origin: datetime | None = None  # the instant start() froze time at
        self._final: datetime | None = None  # the instant stop() left time at
        self._undo_asyncio: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self._scheduler: Scheduler | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> VirtualClock:
        """Freeze time at ``start`` and make ``time.sleep`` advance it; return the clock.

        Raises :class:`ClockError` when this clock already ran, another :class:`VirtualClock`
        runs, or freezegun/time-machine already freezes time in this process.
        """
        global _active
        with _active_lock:
            if self._origin is not None:
                raise ClockError(
                    f"{self!r} was already started; a VirtualClock runs once: create a new one"
                )
            if _active is not None:
                raise ClockError(
                    f"another VirtualClock is already running ({_active!r}); use "
                    "pytest_prodreal.clock.current_clock() to share it instead of starting a "
                    "second one"
                )
            other = _other_freeze()
            if other is not None:
                raise ClockError(
                    f"cannot start a VirtualClock: {other} is already active in this process. "
                    "Stop it first (or drop it: the virtual clock already freezes time, and "
                    "clock.advance(seconds) moves it)"
                )
            if self._start_at is None:
                self._start_at = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
            freeze = _Freeze(self._start_at, sleep=self.sleep)
            freeze.start()
            self._freeze = freeze
            self._factory = freeze.factory
            self._origin = freeze.factory()
            # Event loops created while the clock runs (asyncio.run, asyncio.Runner, the
            # pytest-asyncio and anyio runners) are virtual; other loops fall back to real
            # timers and virtual sleeps rather than hang (see _loop).
            from ._loop import _patch_asyncio
            from ._trio import patch_trio

            undo_asyncio = _patch_asyncio()
            undo_trio = patch_trio(self)

            def undo() -> None:
                undo_trio()
                undo_asyncio()

            self._undo_asyncio = undo
            _active = self
        return self

    def stop(self) -> None:
        """Put the real clocks and ``time.sleep`` back. Safe to call more than once."""
        global _active
        with _active_lock:
            freeze = self._freeze
            if freeze is None:
                return
            undo_asyncio, self._undo_asyncio = self._undo_asyncio, None
            if undo_asyncio is not None:
                undo_asyncio()
            self._final = self._factory()
            try:
                freeze.stop()
            finally:
                self._freeze = None
                self._factory = None
                if _active is self:
                    _active = None

    def __enter__(self) -> VirtualClock:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def active(self) -> bool:
        """Whether the clock is running (between :meth:`start` and :meth:`stop`)."""
        return self._freeze is not None

    # -- moving time ---------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move virtual time forward by ``seconds`` (rounded up to a whole microsecond).

        Raises ``InvalidArgument`` for a negative, infinite or NaN value, and
        :class:`ClockError` when the clock is not running.
        """
        value = _check_seconds("seconds", seconds)
        scheduler = self._scheduler
        if scheduler is not None and scheduler.wait(value):
            return  # a concurrent run's wait: the scheduler lets the others run meanwhile
        self._tick(math.ceil(value * 1_000_000))

    def _attach_scheduler(self, scheduler: Scheduler) -> None:
        if self._scheduler is not None:
            raise ClockError(
                f"{self!r} already has a Scheduler: run one set of concurrent runs at a time"
            )
        if not self.active:
            raise ClockError(f"{self!r} is not running: start the clock before a Scheduler")
        self._scheduler = scheduler

    def _detach_scheduler(self, scheduler: Scheduler) -> None:
        if self._scheduler is scheduler:
            self._scheduler = None

    def _tick(self, microseconds: int) -> None:
        # Threads may sleep at once; freezegun's ``time_to_freeze += delta`` is not atomic.
        with self._lock:
            factory = self._factory
            if factory is None:
                raise ClockError(
                    f"{self!r} is not running: call start() (or use it as a context manager) "
                    "before advancing it"
                )
            if microseconds > 0:
                try:
                    factory.tick(timedelta(microseconds=microseconds))
                except OverflowError:
                    raise ClockError(
                        f"{self!r} cannot advance {microseconds / 1e6:g}s: virtual time would pass "
                        "datetime.max (9999-12-31); start the clock earlier (start=...)"
                    ) from None

    def _tick_to_timer(self, seconds: float) -> None:
        """Advance to the nearest microsecond of a timer ``seconds`` away (at least 1 µs).

        The virtual loop declares a 1 µs clock resolution, so a timer within half a microsecond
        of the reading is due: timers fire on time, not a microsecond late.
        """
        self._tick(max(1, round(seconds * 1_000_000)))

    def sleep(self, seconds: float) -> None:
        """What ``time.sleep`` becomes while the clock runs: advance by ``seconds``, at once.

        In a thread running under a :class:`~pytest_prodreal.clock.Scheduler` (the concurrent
        runs of ``repeat``, ``prodreal_concurrent`` and the concurrent checks) the sleep is a
        switch point: the other runs proceed until they all wait, then the clock moves to the
        earliest wake-up. Elsewhere it does not yield (a real zero sleep costs tens of
        microseconds, more than the rest of a retry loop), and sleepers in several threads
        share the clock, so their sleeps add up.
        """
        value = _check_seconds("sleep length", seconds)
        scheduler = self._scheduler
        if scheduler is not None and scheduler.wait(value):
            return  # a concurrent run's wait: the scheduler lets the others run meanwhile
        self._tick(math.ceil(value * 1_000_000))

    async def async_sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of virtual time in a coroutine.

        On a :class:`VirtualTimeEventLoop` this is ``asyncio.sleep``: the
        loop moves the clock when nothing else can run, so concurrent sleeps overlap as in
        production. On any other loop it advances the clock and yields once (concurrent sleeps
        then add up).
        """
        value = _check_seconds("sleep length", seconds)
        import asyncio

        from ._loop import VirtualTimeEventLoop

        loop = asyncio.get_running_loop()
        if isinstance(loop, VirtualTimeEventLoop) and self.active and current_clock() is self:
            await asyncio.sleep(value)
            return
        self._tick(math.ceil(value * 1_000_000))
        await asyncio.sleep(0)

    # -- reading time -------------------------------------------------------------------------

    def _reading(self) -> datetime:
        factory = self._factory
        if factory is not None:
            instant: datetime = factory()
            return instant
        if self._final is not None:
            return self._final
        if self._start_at is not None:
            return self._start_at
        raise ClockError(f"{self!r} has no start time yet: start() it first")

    @property
    def elapsed(self) -> float:
        """Virtual seconds since :meth:`start` (0.0 before it; kept after :meth:`stop`)."""
        if self._origin is None:
            return 0.0
        return (self._reading() - self._origin).total_seconds()

    def time(self) -> float:
        """Virtual wall-clock time in seconds since the epoch: what ``time.time()`` returns."""
        instant = self._reading()
        return calendar.timegm(instant.timetuple()) + instant.microsecond / 1_000_000

    def monotonic(self) -> float:
        """Virtual monotonic time: what ``time.monotonic()`` and ``perf_counter()`` return.

        Epoch-sized (freezegun's choice), so it equals :meth:`time` while the clock runs.
        """
        return self.time()

    def now(self) -> datetime:
        """The virtual current instant as an aware UTC ``datetime``."""
        return self._reading().replace(tzinfo=timezone.utc)

    def __repr__(self) -> str:
        state = "running" if self.active else ("stopped" if self._final else "not started")
        at = self._start_at.isoformat() if self._start_at is not None else "now"
        return f"<VirtualClock start={at} elapsed={self.elapsed:g}s {state}>"
