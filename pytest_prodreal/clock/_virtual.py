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
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument, ProdrealError

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


# Module prefixes freezegun must leave alone. freezegun skips them when it rebinds
# ``from time import ...`` aliases, so their clocks stay real:
# - ``_pytest.timing``: pytest's own durations (``--durations``, junit times) must stay real.
# - ``threading``, ``queue``, ``multiprocessing``: their timed waits loop on a monotonic alias and
#   would spin forever on a frozen clock (freezegun's own default list has them for that reason).
# - ``trio``: its run loop asks a trio clock, not ``time``; ``_trio`` hands ``trio.run`` a virtual
#   one (trio's MockClock reading this clock). trio's own modules keep the real ``perf_counter``
#   that MockClock's autojump needs.
# - freezegun itself and this module, which keep the real clocks on purpose.
# Unlike freezegun's own ``ignore=``, this list is not matched against the call stack: every
# caller gets the same (fake) reading, deterministic and about half the cost of each call.
_IGNORE = (
    "_pytest.timing",
    "threading",
    "queue",
    "multiprocessing",
    "trio",
    "freezegun",
    __name__,
)

# The running clock of this process (at most one: freezegun's patches are process-wide).
_active: VirtualClock | None = None
_active_lock = threading.Lock()


class ClockError(ProdrealError, RuntimeError):
    """The clock cannot do that in its current state, or another fake clock is in the way."""


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


# freezegun rescans every attribute of every loaded module at each start (20-50 ms with the LLM
# SDKs loaded). We scan a module once: ``_scanned`` is sys.modules as of the last start, and
# ``_alias_sites`` maps each module name to the names that held a real clock when it was scanned
# (modules without any are left out). At the next start only modules that are new, or replaced
# under the same name (pytester re-imports test modules), are scanned again. A module that binds a
# new clock alias after its scan is missed: rare, and only for aliases (``time.time()``-style calls
# through the module always see the fake).
_scanned: dict[str, Any] = {}
_alias_sites: dict[str, tuple[str, ...]] = {}


def _alias_names(namespace: dict[str, Any], wanted: dict[int, Any]) -> tuple[str, ...]:
    try:
        return tuple(name for name, value in list(namespace.items()) if id(value) in wanted)
    except RuntimeError:  # pragma: no cover - the namespace changed under us (a thread imports)
        return ()


class _Freeze:
    """freezegun's ``freeze_time(start, tick=False)``, started and stopped faster.

    It drives freezegun's own machinery (its factory stack, fake functions, ``FakeDatetime``), so
    freezegun-aware code sees an ordinary freezegun freeze. What differs from
    ``freeze_time().start()``: the rebinding of ``from time import ...`` aliases in loaded modules
    is cached between clocks (see ``_alias_sites``), and the ignore list is module-based only
    (see ``_IGNORE``). Should a freezegun release move these internals, the clock falls back to
    freezegun's public ``freeze_time`` (slower, same behaviour).
    """

    def __init__(self, start: datetime, sleep: Callable[[float], None]) -> None:
        try:
            from freezegun import api
        except ImportError as exc:
            raise ClockError(
                "the virtual clock needs freezegun: pip install 'pytest-prodreal[chaos]' "
                "(or freezegun>=1.5)"
            ) from exc

        self.api = api
        self.factory = api.FrozenDateTimeFactory(start)
        self._public: Any = None
        self._undo: list[tuple[Any, str, Any]] = []
        self._modules_at_start: dict[str, Any] = {}
        pairs: list[tuple[str, Any, Any]] = [
            ("time", api.real_time, api.fake_time),
            ("monotonic", api.real_monotonic, api.fake_monotonic),
            ("perf_counter", api.real_perf_counter, api.fake_perf_counter),
            ("localtime", api.real_localtime, api.fake_localtime),
            ("gmtime", api.real_gmtime, api.fake_gmtime),
            ("strftime", api.real_strftime, api.fake_strftime),
        ]
        for name in ("time_ns", "monotonic_ns", "perf_counter_ns"):
            real = getattr(api, f"real_{name}", None)
            if real is not None:
                pairs.append((name, real, getattr(api, f"fake_{name}")))
        # ``time.sleep`` too, and ``from time import sleep`` aliases (common in application code).
        pairs.append(("sleep", time.sleep, sleep))
        self._time_pairs = pairs
        self._fakes: dict[int, Any] = {id(real): fake for _, real, fake in pairs}
        self._fakes[id(api.real_datetime)] = api.FakeDatetime
        self._fakes[id(api.real_date)] = api.FakeDate
        self._reals: dict[int, Any] = {id(fake): real for _, real, fake in pairs}
        self._reals[id(api.FakeDatetime)] = api.real_datetime
        self._reals[id(api.FakeDate)] = api.real_date

    def start(self) -> None:
        api = self.api
        try:
            stacks = (api.freeze_factories, api.tz_offsets, api.ignore_lists, api.tick_flags)
            uuid_attr = api.uuid_generate_time_attr
            pickles = (api.pickle_fake_datetime, api.pickle_fake_date)
        except AttributeError:  # pragma: no cover - a freezegun release reshaped its internals
            from freezegun import freeze_time

            self._public = freeze_time(self.factory(), tick=False)
            self._public.ignore = _IGNORE
            self.factory = self._public.start()
            return
        # Scan first: it only reads, so a failure leaves nothing half-patched.
        global _scanned
        current = dict(sys.modules)
        self._modules_at_start = current
        fakes = self._fakes
        for mod_name in _scanned.keys() - current.keys():
            _alias_sites.pop(mod_name, None)
        previous = _scanned
        for mod_name, module in current.items():
            if previous.get(mod_name) is module:
                continue
            names: tuple[str, ...] = ()
            try:
                namespace = getattr(module, "__dict__", None)
            except Exception:  # a lazy module object that fails on attribute access
                namespace = None
            if isinstance(namespace, dict) and not (
                mod_name.startswith(_IGNORE)
                or mod_name.endswith(".six.moves")
                or mod_name in ("datetime", "time")
            ):
                names = _alias_names(namespace, fakes)
            if names:
                _alias_sites[mod_name] = names
            else:
                _alias_sites.pop(mod_name, None)
        _scanned = current
        factories, offsets, ignores, ticks = stacks
        factories.append(self.factory)
        offsets.append(timedelta(0))
        ignores.append(())  # empty: no call-stack inspection on each fake call
        ticks.append(False)

        import copyreg
        import datetime as datetime_module
        import uuid

        datetime_module.datetime = api.FakeDatetime  # type: ignore[misc]
        datetime_module.date = api.FakeDate  # type: ignore[misc]
        for name, _real, fake in self._time_pairs:
            setattr(time, name, fake)
        if uuid_attr:
            setattr(uuid, uuid_attr, None)
        uuid._UuidCreate = None  # type: ignore[attr-defined]
        uuid._last_timestamp = None  # type: ignore[attr-defined]
        copyreg.dispatch_table[api.real_datetime] = pickles[0]
        copyreg.dispatch_table[api.real_date] = pickles[1]

        undo = self._undo
        for mod_name, names in _alias_sites.items():
            namespace = current[mod_name].__dict__
            for attr in names:
                value = namespace.get(attr)
                fake = fakes.get(id(value))
                if fake is not None:
                    namespace[attr] = fake
                    undo.append((namespace, attr, value))

    def stop(self) -> None:
        if self._public is not None:  # pragma: no cover - see start()
            self._public.stop()
            return
        import copyreg
        import datetime as datetime_module
        import uuid

        api = self.api
        api.freeze_factories.pop()
        api.tz_offsets.pop()
        api.ignore_lists.pop()
        api.tick_flags.pop()
        if api.freeze_factories:  # pragma: no cover - a freeze_time() started under ours
            return
        for namespace, attr, value in reversed(self._undo):
            namespace[attr] = value
        self._undo = []
        # Modules imported during the freeze bound the fakes: give them the real clocks.
        reals = self._reals
        new_modules = sys.modules.keys() - self._modules_at_start.keys()
        self._modules_at_start = {}  # let the modules go
        for mod_name in new_modules:
            try:
                namespace = getattr(sys.modules.get(mod_name), "__dict__", None)
            except Exception:  # a lazy module object that fails on attribute access
                continue
            if not isinstance(namespace, dict) or mod_name.startswith(_IGNORE):
                continue
            for attr in _alias_names(namespace, reals):
                namespace[attr] = reals[id(namespace[attr])]
        for name, real, _fake in self._time_pairs:
            setattr(time, name, real)
        datetime_module.datetime = api.real_datetime  # type: ignore[misc]
        datetime_module.date = api.real_date  # type: ignore[misc]
        copyreg.dispatch_table.pop(api.real_datetime, None)
        copyreg.dispatch_table.pop(api.real_date, None)
        if api.uuid_generate_time_attr:
            setattr(uuid, api.uuid_generate_time_attr, api.real_uuid_generate_time)
        uuid._UuidCreate = api.real_uuid_create  # type: ignore[attr-defined]
        uuid._last_timestamp = None  # type: ignore[attr-defined]


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
                if undo_trio is not None:
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
