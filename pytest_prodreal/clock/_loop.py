"""An asyncio event loop whose timers run on the :class:`~pytest_prodreal.clock.VirtualClock`.

With freezegun alone, every asyncio timer hangs: the loop waits for a frozen ``time.monotonic``
to reach the deadline. :class:`VirtualTimeEventLoop` reads the virtual clock instead, and when it
is idle (nothing ready, no real I/O in flight) with a timer pending, it moves the clock to that
timer instead of blocking. So ``asyncio.sleep``, ``anyio.sleep``, ``asyncio.wait_for``,
``asyncio.timeout``, ``anyio.fail_after``, ``call_later`` and everything built on them (the LLM
SDKs' back-off, tenacity, stamina and backoff async retries) take no wall time, concurrent sleeps
overlap exactly as in production (``gather`` of three 5 s sleeps is 5 virtual seconds), and sync
and async code read the same clock.

Real I/O still works: while sockets other than the loop's own wake-up pipe are registered, or
``run_in_executor`` futures are pending, the loop waits in real time and moves the clock by the
real time that passed, so a real read under ``wait_for(..., 5)`` does not time out spuriously.

While a clock runs, ``asyncio.new_event_loop`` makes these loops, so ``asyncio.run``,
``asyncio.Runner`` and the pytest-asyncio and anyio runners pick them up with no configuration.
It also works as an explicit loop factory: ``asyncio.Runner(loop_factory=VirtualTimeEventLoop)``
or anyio's ``anyio_backend = ("asyncio", {"loop_factory": VirtualTimeEventLoop})``. Without a
running clock it behaves as a plain ``SelectorEventLoop``.

Loops the clock did not make (one created before it started, or by an explicit factory) get the
fallback freezegun calls ``real_asyncio``: their timers run in real time, so they never hang on
the frozen clock, and ``asyncio.sleep``/``anyio.sleep`` on them advance the clock and yield once
(concurrent sleeps then add up instead of overlapping, and ``wait_for`` deadlines stay real).
"""

from __future__ import annotations

import asyncio
import math
import selectors
import sys
import time
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Executor
from typing import Any, TypeVar

from ._virtual import VirtualClock, current_clock

__all__ = ["VirtualTimeEventLoop", "run"]

_T = TypeVar("_T")


def _real_monotonic() -> float:
    # ``time.monotonic`` is freezegun's fake while a clock runs; its saved original is real.
    api = sys.modules.get("freezegun.api")
    if api is not None:
        real: float = api.real_monotonic()
        return real
    return time.monotonic()


class _VirtualSelector(selectors.BaseSelector):
    """Wraps the loop's real selector: an idle wait with a timer pending becomes a clock tick."""

    def __init__(self, inner: selectors.BaseSelector, loop: VirtualTimeEventLoop) -> None:
        self._inner = inner
        self._loop = loop

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def close(self) -> None:
        self._inner.close()

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.get_key(fileobj)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        clock = self._loop._clock()
        if clock is None or timeout is None:
            # No clock, or no timer pending: block on real I/O only (threads wake us up).
            return self._inner.select(timeout)
        ready = self._inner.select(0)
        if ready:
            return ready
        loop = self._loop
        if timeout <= 0:
            # The loop thinks a timer is due but did not pop it (float rounding at epoch-sized
            # times): nudge the clock one microsecond so the loop cannot spin.
            if not loop._ready and not loop._stopping and loop._scheduled:  # type: ignore[attr-defined]
                clock._tick(1)
            return ready
        if loop._real_work_pending():
            # Real sockets or threads are in flight: let real time flow, and keep the clock in
            # step with it, so a real read is not cut short by a virtual timeout.
            began = _real_monotonic()
            ready = self._inner.select(timeout)
            if ready:
                clock._tick(max(1, round((_real_monotonic() - began) * 1_000_000)))
                return ready
        clock._tick_to_timer(timeout)
        return ready


class VirtualTimeEventLoop(asyncio.SelectorEventLoop):
    """A ``SelectorEventLoop`` that runs timers on the virtual clock (see the module docs).

    ``clock`` binds the loop to one :class:`VirtualClock`; by default the loop follows
    :func:`~pytest_prodreal.clock.current_clock` (and runs in real time while none runs).
    Create it after the clock starts and use it for one test: a loop that scheduled timers in
    real time would see them all fall due when the epoch-sized virtual clock starts.
    """

    def __init__(self, clock: VirtualClock | None = None) -> None:
        super().__init__()
        self._bound_clock = clock
        self._executor_pending = 0
        # freezegun's clock moves in whole microseconds; asyncio's default 1e-9 tolerance is
        # smaller than a float's spacing at epoch-sized times (~2.4e-7), so a timer reached
        # exactly would never be considered due.
        self._clock_resolution = 1e-6
        self._selector: selectors.BaseSelector = _VirtualSelector(self._selector, self)

    def _clock(self) -> VirtualClock | None:
        clock = self._bound_clock if self._bound_clock is not None else current_clock()
        if clock is None or not clock.active:
            return None
        return clock

    def time(self) -> float:
        """The virtual monotonic time while the clock runs (what ``time.monotonic()`` says)."""
        clock = self._clock()
        if clock is None:
            return _real_monotonic()
        return clock.monotonic()

    def run_in_executor(  # type: ignore[override]
        self, executor: Executor | None, func: Callable[..., _T], *args: Any
    ) -> asyncio.Future[_T]:
        """Run ``func`` in a thread, as usual; while it runs, the loop lets real time flow."""
        future = super().run_in_executor(executor, func, *args)
        self._executor_pending += 1
        future.add_done_callback(self._executor_done)
        return future

    def _executor_done(self, _future: asyncio.Future[Any]) -> None:
        self._executor_pending -= 1

    async def shutdown_default_executor(self, *args: Any, **kwargs: Any) -> None:
        """Join the default executor's threads, as asyncio does, with real time flowing.

        Python 3.12+ bounds the join with a timeout (300 s in ``asyncio.run``): on the virtual
        clock an idle loop would jump straight to it and warn "The executor did not finishing
        joining its threads within 300 seconds" although the threads were ending.
        """
        self._executor_pending += 1
        try:
            await super().shutdown_default_executor(*args, **kwargs)
        finally:
            self._executor_pending -= 1

    def _real_work_pending(self) -> bool:
        if self._executor_pending:
            return True
        ssock = getattr(self, "_ssock", None)
        own = ssock.fileno() if ssock is not None else -1
        return any(key.fd != own for key in self._selector.get_map().values())


def _patch_asyncio() -> Callable[[], None]:
    """Make asyncio follow the running clock (see the module docs); return the undo function."""
    import asyncio.base_events
    import asyncio.events
    import asyncio.tasks

    real_sleep = asyncio.tasks.sleep
    real_new_event_loop = asyncio.events.new_event_loop
    real_loop_time = asyncio.base_events.BaseEventLoop.time

    def new_event_loop() -> asyncio.AbstractEventLoop:
        return VirtualTimeEventLoop()

    def real_time_for_foreign_loops(self: asyncio.AbstractEventLoop) -> float:
        return _real_monotonic()

    async def sleep(delay: float, result: Any = None) -> Any:
        clock = current_clock()
        if (
            clock is None
            or isinstance(asyncio.get_running_loop(), VirtualTimeEventLoop)
            or isinstance(delay, bool)
            or not isinstance(delay, (int, float))
            or not 0 < delay < math.inf
        ):
            return await real_sleep(delay, result)
        clock.advance(delay)
        return await real_sleep(0, result)

    # (owner, attribute, the value we replace, ours)
    patches: list[tuple[Any, str, Any, Any]] = [
        (asyncio.events, "new_event_loop", real_new_event_loop, new_event_loop),
        (asyncio, "new_event_loop", real_new_event_loop, new_event_loop),
        (asyncio.base_events.BaseEventLoop, "time", real_loop_time, real_time_for_foreign_loops),
        (asyncio.tasks, "sleep", real_sleep, sleep),
        (asyncio, "sleep", real_sleep, sleep),
    ]
    anyio_asyncio = sys.modules.get("anyio._backends._asyncio")
    if anyio_asyncio is not None:  # it did ``from asyncio import sleep``
        patches.append((anyio_asyncio, "sleep", real_sleep, sleep))
    applied = []
    for owner, name, real, ours in patches:
        if getattr(owner, name, None) is real:
            setattr(owner, name, ours)
            applied.append((owner, name, real))

    def undo() -> None:
        for owner, name, real in reversed(applied):
            setattr(owner, name, real)
        # Imported during the clock, anyio's backend bound our sleep: give it the real one.
        late = sys.modules.get("anyio._backends._asyncio")
        if late is not None and getattr(late, "sleep", None) is sleep:
            late.__dict__["sleep"] = real_sleep

    return undo


def run(main: Coroutine[Any, Any, _T], *, clock: VirtualClock | None = None) -> _T:
    """Run a coroutine on a fresh :class:`VirtualTimeEventLoop`, like ``asyncio.run``.

    Uses ``clock`` if given (starting it if needed), else the running clock, else a new
    :class:`VirtualClock` for the duration of the call.
    """
    own: VirtualClock | None = None
    if clock is None:
        clock = current_clock()
        if clock is None:
            clock = own = VirtualClock()
    if not clock.active:
        clock.start()
        own = clock
    try:
        loop = VirtualTimeEventLoop(clock)
        try:
            return loop.run_until_complete(main)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
    finally:
        if own is not None:
            own.stop()
