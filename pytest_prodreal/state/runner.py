"""Repeat-runners: one callable, N runs, sequentially or concurrently, never hanging.

``repeat`` runs a sync or async callable ``times`` times: ``"sequential"`` (one after another),
``"threads"`` (a pool of ``concurrency`` threads) or ``"asyncio"`` (``concurrency`` tasks on an
event loop of its own). ``arepeat`` is the same from inside a running event loop. A start barrier
holds the first wave until every worker is ready, so concurrent calls really overlap.

Every run has a wall-clock ``timeout``: a run that does not finish in time is reported as
``timed_out`` (a deadlock is reported, not suffered), and the runner returns. Worker threads are
daemons, so an abandoned call cannot keep the interpreter alive. Timeouts are measured on the real
clock, so a test's virtual clock (frozen or advanced) does not fire or postpone them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import itertools
import math
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from ..errors import InvalidArgument
from ._outcomes import Outcome, Outcomes, _Real

if TYPE_CHECKING:
    from ..clock import Scheduler

__all__ = ["Mode", "arepeat", "repeat", "run_concurrently"]

#: How :func:`repeat` runs the calls.
Mode = Literal["sequential", "threads", "asyncio"]
_MODES = ("sequential", "threads", "asyncio")
_DEFAULT_TIMEOUT = 30.0


def _validate(
    fn: object, times: object, concurrency: object, timeout: object, mode: object, where: str
) -> None:
    if not callable(fn):
        raise InvalidArgument(
            f"{where}: fn must be a callable (a function, method or async function), got "
            f"{type(fn).__name__} {fn!r}; pass the function itself, not its result"
        )
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise InvalidArgument(
            f"{where}: times must be a positive integer (how many runs), got {times!r}"
        )
    if concurrency is not None and (
        isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1
    ):
        raise InvalidArgument(
            f"{where}: concurrency must be a positive integer (how many runs at once) or None "
            f"for all of them, got {concurrency!r}"
        )
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise InvalidArgument(
            f"{where}: timeout must be a positive number of seconds per run, got {timeout!r}"
        )
    if mode not in _MODES:
        raise InvalidArgument(f"{where}: mode must be one of {', '.join(_MODES)}; got {mode!r}")


def _bind(
    fn: Callable[..., Any], args: Sequence[object], kwargs: Mapping[str, object] | None
) -> Callable[[], Any]:
    if not args and not kwargs:
        return fn
    kw = dict(kwargs or {})
    return lambda: fn(*args, **kw)


def _tick(timeout: float) -> float:
    # How often the watchdog looks for overdue runs: often enough to report a hang close to its
    # deadline, rarely enough to cost nothing next to the runs themselves.
    return max(0.001, min(0.05, timeout / 10))


async def _await(value: Awaitable[object]) -> object:
    return await value


def _call_sync(call: Callable[[], Any]) -> object:
    result = call()
    if inspect.isawaitable(result):
        # An async callable run from a thread: give it an event loop of its own.
        return asyncio.run(_await(result))
    return result


# ---------------------------------------------------------------------------------------------
# threads (and sequential: one thread, no barrier)


class _Overlap:
    """How many runs were in flight at once: the peak, and the mean over the runs' span.

    ``stamp`` reads the time base: the virtual clock under a scheduler (runs switch at their
    virtual waits), else the real clock. The mean is time-weighted; when no time passed (runs
    that switch at zero-length pauses) it is weighted by events instead.
    """

    def __init__(self, stamp: Callable[[], float]) -> None:
        self.stamp = stamp
        self.now = 0
        self.peak = 0
        self.steps: list[tuple[float, int]] = []  # (time, in flight after the event)

    def start(self) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)
        self.steps.append((self.stamp(), self.now))

    def end(self) -> None:
        self.now -= 1
        self.steps.append((self.stamp(), self.now))

    def mean(self) -> float:
        steps = self.steps
        if len(steps) < 2:
            return float(self.peak)
        span = steps[-1][0] - steps[0][0]
        if span > 0:
            area = sum((b[0] - a[0]) * a[1] for a, b in itertools.pairwise(steps))
            return area / span
        busy = [n for _, n in steps[:-1] if n > 0]
        return sum(busy) / len(busy) if busy else 0.0


def _real_stamp() -> float:
    return _Real.perf_counter()


class _ThreadRun:
    """Shared state of one threaded repeat: the next run to start, results, in-flight runs."""

    def __init__(
        self,
        call: Callable[[], Any],
        times: int,
        concurrency: int,
        barrier: bool,
        scheduler: Scheduler | None = None,
    ):
        self.call = call
        #: When set, run ``i`` calls ``indexed[i]`` instead of ``call`` (run_concurrently).
        self.indexed: Sequence[Callable[[], Any]] | None = None
        self.scheduler = scheduler
        self.overlap = _Overlap(
            _real_stamp if scheduler is None else (lambda: scheduler.clock.elapsed)
        )
        self.times = times
        self.lock = threading.Lock()
        self.results: list[Outcome | None] = [None] * times
        self.next_index = 0
        #: Under a scheduler, the seeded order in which runs start (run i stays outcome i).
        self.order: list[int] = []
        self.remaining = times
        self.done = threading.Event()
        # worker id -> (run index, start time) of the run it is in, for the watchdog
        self.in_flight: dict[int, tuple[int, float]] = {}
        self.abandoned: set[int] = set()
        # A scheduler aligns the start itself (in seeded order); the barrier would deadlock it.
        use_barrier = barrier and concurrency > 1 and scheduler is None
        self.barrier = threading.Barrier(concurrency) if use_barrier else None
        self.context = contextvars.copy_context()
        self.workers = 0

    def start_worker(self) -> None:
        worker_id = self.workers
        self.workers += 1
        # Each worker runs in a copy of the caller's context, so context variables set by the
        # test (a current clock, a request id) are seen by the calls.
        context = self.context.copy()
        thread = threading.Thread(
            target=context.run,
            args=(self._work, worker_id),
            name=f"prodreal-repeat-{worker_id}",
            daemon=True,  # a deadlocked call must not keep the interpreter alive
        )
        thread.start()

    def _work(self, worker_id: int) -> None:
        if self.scheduler is not None:
            with self.scheduler.participant(worker_id):
                self._runs(worker_id)
        else:
            self._runs(worker_id)

    def _runs(self, worker_id: int) -> None:
        if self.barrier is not None and worker_id < self.barrier.parties:
            # Broken by the watchdog when a run hung: go on unaligned.
            with contextlib.suppress(threading.BrokenBarrierError):
                self.barrier.wait()
        call = self.call
        perf = _Real.perf_counter
        lock = self.lock
        outcome: Outcome | None = None
        index = -1
        while True:
            with lock:
                if outcome is not None:
                    if worker_id in self.abandoned:
                        return  # the watchdog already reported this run as timed out
                    self.overlap.end()
                    self.results[index] = outcome
                    self.remaining -= 1
                    if self.remaining == 0:
                        self.done.set()
                if self.next_index >= self.times:
                    self.in_flight.pop(worker_id, None)
                    return
                index = self.order[self.next_index] if self.order else self.next_index
                self.next_index += 1
                start = perf()
                self.in_flight[worker_id] = (index, start)
                self.overlap.start()
            try:
                value = _call_sync(call if self.indexed is None else self.indexed[index])
            except BaseException as exc:
                # BaseException too: pytest.fail/skip raise BaseExceptions, and in a worker
                # thread an escaped exception would only kill the thread and look like a hang.
                outcome = Outcome(index, "raised", error=exc, duration_s=perf() - start)
            else:
                outcome = Outcome(index, "returned", value=value, duration_s=perf() - start)

    def watch(self, timeout: float) -> None:
        tick = _tick(timeout)
        while not self.done.wait(tick):
            now = _Real.perf_counter()
            with self.lock:
                overdue = [
                    (worker_id, index)
                    for worker_id, (index, start) in self.in_flight.items()
                    if now - start > timeout
                ]
                for worker_id, index in overdue:
                    del self.in_flight[worker_id]
                    self.abandoned.add(worker_id)
                    self.results[index] = Outcome(index, "timed_out")
                    self.remaining -= 1
                more_to_start = self.next_index < self.times
                if self.remaining == 0:
                    self.done.set()
            if overdue and self.barrier is not None:
                self.barrier.abort()
            for _ in overdue if more_to_start else ():
                self.start_worker()  # keep the concurrency level: the stuck worker is lost


def _run_threads(
    call: Callable[[], Any],
    times: int,
    concurrency: int,
    timeout: float,
    barrier: bool,
    seed: int | None = None,
    indexed: Sequence[Callable[[], Any]] | None = None,
) -> tuple[list[Outcome], _Overlap, Scheduler | None]:
    from ..clock import Scheduler, current_clock

    clock = current_clock() if concurrency > 1 else None
    if clock is not None and (not clock.active or clock._scheduler is not None):
        clock = None  # nested repeat inside a scheduled run: plain threads
    scheduler = None if clock is None else Scheduler(clock, parties=concurrency, seed=seed or 0)
    run = _ThreadRun(call, times, concurrency, barrier, scheduler)
    run.indexed = indexed
    if scheduler is not None:
        import random

        # The seed picks which run starts first (the scheduler then orders the rest).
        run.order = list(range(times))
        random.Random(seed or 0).shuffle(run.order)
    with scheduler if scheduler is not None else contextlib.nullcontext():
        for _ in range(concurrency):
            run.start_worker()
        run.watch(timeout)
    outcomes = [o if o is not None else Outcome(i, "not_run") for i, o in enumerate(run.results)]
    return outcomes, run.overlap, scheduler


# ---------------------------------------------------------------------------------------------
# asyncio


class _TaskRun:
    """Shared state of one asyncio repeat; a watchdog thread enforces the timeouts."""

    def __init__(self, times: int, timeout: float) -> None:
        self.lock = threading.Lock()
        self.results: list[Outcome | None] = [None] * times
        self.started: dict[int, float] = {}
        self.remaining = times
        self.timeout = timeout
        self.settled = threading.Event()
        self.last_progress = _Real.perf_counter()
        self.overlap = _Overlap(_real_stamp)

    def settle(self, outcome: Outcome) -> bool:
        with self.lock:
            if self.results[outcome.index] is not None:
                return False
            self.results[outcome.index] = outcome
            self.started.pop(outcome.index, None)
            self.remaining -= 1
            self.last_progress = _Real.perf_counter()
            if self.remaining == 0:
                self.settled.set()
            return True

    def outcomes(self) -> list[Outcome]:
        with self.lock:
            return [
                o if o is not None else Outcome(i, "not_run") for i, o in enumerate(self.results)
            ]

    def watch(
        self,
        loop: asyncio.AbstractEventLoop,
        tasks: list[asyncio.Task[None]],
        wake: asyncio.Future[None],
    ) -> None:
        tick = _tick(self.timeout)
        while not self.settled.wait(tick):
            now = _Real.perf_counter()
            with self.lock:
                overdue = [i for i, start in self.started.items() if now - start > self.timeout]
                stalled = now - self.last_progress > self.timeout + 10 * tick
            for index in overdue:
                if self.settle(Outcome(index, "timed_out")):
                    loop.call_soon_threadsafe(tasks[index].cancel)
            if stalled:
                # Nothing started or finished for a whole timeout: the loop itself is blocked
                # (a synchronous deadlock in a call). Report what is left and give up on it.
                with self.lock:
                    left = [i for i, o in enumerate(self.results) if o is None]
                for index in left:
                    kind: Literal["timed_out", "not_run"] = (
                        "timed_out" if index in self.started else "not_run"
                    )
                    self.settle(Outcome(index, kind))
        with contextlib.suppress(RuntimeError):  # the loop may be closed already
            loop.call_soon_threadsafe(_resolve, wake)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _run_tasks(
    call: Callable[[], Any],
    times: int,
    concurrency: int,
    timeout: float,
    barrier: bool,
    run: _TaskRun | None = None,
) -> tuple[list[Outcome], _Overlap]:
    loop = asyncio.get_running_loop()
    run = run or _TaskRun(times, timeout)
    run.overlap.stamp = loop.time  # the virtual loop's time when the loop is virtual
    semaphore = asyncio.Semaphore(concurrency)
    wave = min(concurrency, times)
    ready = asyncio.Event()
    arrived = 0
    perf = _Real.perf_counter

    async def one(index: int) -> None:
        nonlocal arrived
        async with semaphore:
            if barrier and not ready.is_set():
                arrived += 1
                if arrived >= wave:
                    ready.set()
                else:
                    await ready.wait()
            start = perf()
            with run.lock:
                run.started[index] = start
                run.last_progress = start
                run.overlap.start()
            try:
                value = call()
                if inspect.isawaitable(value):
                    value = await value
            except asyncio.CancelledError:
                if run.results[index] is None:
                    raise  # cancelled from outside, not by our watchdog
                return
            except BaseException as exc:  # pytest.fail/skip too (BaseExceptions)
                run.settle(Outcome(index, "raised", error=exc, duration_s=perf() - start))
            else:
                run.settle(Outcome(index, "returned", value=value, duration_s=perf() - start))
            finally:
                with run.lock:
                    run.overlap.end()

    wake: asyncio.Future[None] = loop.create_future()
    tasks = [loop.create_task(one(i)) for i in range(times)]
    watchdog = threading.Thread(
        target=run.watch, args=(loop, tasks, wake), name="prodreal-repeat-watchdog", daemon=True
    )
    watchdog.start()
    try:
        await wake
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        run.settled.set()
    return run.outcomes(), run.overlap


def _run_loop_in_thread(
    call: Callable[[], Any], times: int, concurrency: int, timeout: float, barrier: bool
) -> tuple[list[Outcome], _Overlap]:
    run = _TaskRun(times, timeout)
    finished = threading.Event()

    def main() -> None:
        try:
            asyncio.run(_run_tasks(call, times, concurrency, timeout, barrier, run))
        finally:
            run.settled.set()
            finished.set()

    context = contextvars.copy_context()
    thread = threading.Thread(
        target=context.run, args=(main,), name="prodreal-repeat-loop", daemon=True
    )
    thread.start()
    # The watchdog settles every run (timed out, or never run when the loop itself is blocked),
    # so this wait ends; then give the loop a moment to wind down before abandoning it.
    run.settled.wait()
    finished.wait(min(1.0, timeout))
    return run.outcomes(), run.overlap


# ---------------------------------------------------------------------------------------------
# public API


def repeat(
    fn: Callable[..., Any],
    times: int = 8,
    *,
    mode: Mode = "threads",
    concurrency: int | None = None,
    timeout: float = _DEFAULT_TIMEOUT,
    barrier: bool = True,
    args: Sequence[object] = (),
    kwargs: Mapping[str, object] | None = None,
    label: str = "",
    seed: int | None = None,
) -> Outcomes:
    """Run ``fn(*args, **kwargs)`` ``times`` times and return every run's :class:`Outcome`.

    ``fn`` may be sync or async. ``mode``:

    - ``"threads"`` (default): ``concurrency`` worker threads (default: ``times``, all at once);
      an async ``fn`` gets a fresh event loop per run.
    - ``"asyncio"``: ``concurrency`` tasks on a new event loop in a helper thread (use
      :func:`arepeat` to run on the caller's loop instead).
    - ``"sequential"``: one run after another, in one helper thread.

    ``barrier`` holds the first ``concurrency`` runs until all are ready, so they overlap.
    ``timeout`` (wall seconds, per run) bounds every run: a run that does not finish in time is
    reported as ``timed_out`` and the runner returns; it never hangs. Exceptions are outcomes,
    not errors of ``repeat``.

    On the virtual clock, threaded runs go through a :class:`~pytest_prodreal.clock.Scheduler`:
    one run at a time, switching at virtual sleeps (``time.sleep``, chaos latency,
    :func:`~pytest_prodreal.clock.pause`), so runs overlap at their waits as in production and
    ``seed`` (default 0) fixes the interleaving. The result's ``peak_in_flight`` and
    ``mean_in_flight`` say how much the runs overlapped.

    Raises :class:`~pytest_prodreal.InvalidArgument` for a non-callable ``fn``, a non-positive
    ``times``, ``concurrency`` or ``timeout``, or an unknown ``mode``.
    """
    _validate(fn, times, concurrency, timeout, mode, "repeat")
    call = _bind(fn, args, kwargs)
    width = 1 if mode == "sequential" else min(concurrency or times, times)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidArgument(f"repeat: seed={seed!r} must be an integer or None")
    start = _Real.perf_counter()
    switches = 0
    if mode == "asyncio":
        outcomes, overlap = _run_loop_in_thread(call, times, width, float(timeout), barrier)
    else:
        outcomes, overlap, scheduler = _run_threads(
            call, times, width, float(timeout), barrier, seed
        )
        switches = scheduler.switches if scheduler is not None else 0
    return Outcomes(
        outcomes,
        mode=mode,
        concurrency=width,
        timeout=float(timeout),
        wall_s=_Real.perf_counter() - start,
        label=label,
        peak_in_flight=overlap.peak,
        mean_in_flight=overlap.mean(),
        scheduled=switches > 0,
    )


async def arepeat(
    fn: Callable[..., Any],
    times: int = 8,
    *,
    concurrency: int | None = None,
    timeout: float = _DEFAULT_TIMEOUT,
    barrier: bool = True,
    args: Sequence[object] = (),
    kwargs: Mapping[str, object] | None = None,
    label: str = "",
) -> Outcomes:
    """Run ``fn`` ``times`` times as tasks on the running event loop (the asyncio fan-out).

    ``concurrency`` tasks at a time (default: all; ``1`` runs them one after another), behind a
    start barrier. Awaitable results are awaited; sync results are taken as they are. A run that
    does not finish within ``timeout`` wall seconds is cancelled and reported as ``timed_out``.
    A call that blocks the event loop itself (a synchronous deadlock) cannot be interrupted from
    inside that loop; :func:`repeat` with ``mode="asyncio"`` runs its own loop and survives it.

    Raises :class:`~pytest_prodreal.InvalidArgument` like :func:`repeat`.
    """
    _validate(fn, times, concurrency, timeout, "asyncio", "arepeat")
    call = _bind(fn, args, kwargs)
    width = min(concurrency or times, times)
    start = _Real.perf_counter()
    outcomes, overlap = await _run_tasks(call, times, width, float(timeout), barrier)
    return Outcomes(
        outcomes,
        mode="sequential" if width == 1 else "asyncio",
        concurrency=width,
        timeout=float(timeout),
        wall_s=_Real.perf_counter() - start,
        label=label,
        peak_in_flight=overlap.peak,
        mean_in_flight=overlap.mean(),
    )


def run_concurrently(
    calls: Sequence[Callable[[], Any]],
    *,
    concurrency: int | None = None,
    timeout: float = _DEFAULT_TIMEOUT,
    seed: int | None = None,
    label: str = "",
) -> Outcomes:
    """Run each of ``calls`` once, ``concurrency`` at a time (default: all), in threads.

    The building block for load and soak runners: on the virtual clock the calls interleave
    deterministically at their virtual waits (a :class:`~pytest_prodreal.clock.Scheduler` with
    ``seed``); without it they are plain threads. Outcome ``i`` is that of ``calls[i]``; the
    result carries ``peak_in_flight`` and ``mean_in_flight``. Never hangs: a call that does not
    finish within ``timeout`` wall seconds is reported ``timed_out``.
    """
    if isinstance(calls, (str, bytes)) or not isinstance(calls, Sequence):
        raise InvalidArgument(
            f"run_concurrently: calls must be a list of callables, got {type(calls).__name__}"
        )
    for position, call in enumerate(calls):
        if not callable(call):
            raise InvalidArgument(
                f"run_concurrently: calls[{position}] must be callable, got "
                f"{type(call).__name__} {call!r}"
            )
    if not calls:
        raise InvalidArgument("run_concurrently: calls is empty; give at least one callable")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidArgument(f"run_concurrently: seed={seed!r} must be an integer or None")
    _validate(calls[0], len(calls), concurrency, timeout, "threads", "run_concurrently")
    todo = list(calls)
    width = min(concurrency or len(todo), len(todo))
    start = _Real.perf_counter()
    outcomes, overlap, scheduler = _run_threads(
        todo[0], len(todo), width, float(timeout), True, seed, indexed=todo
    )
    return Outcomes(
        outcomes,
        mode="threads" if width > 1 else "sequential",
        concurrency=width,
        timeout=float(timeout),
        wall_s=_Real.perf_counter() - start,
        label=label or "run_concurrently",
        peak_in_flight=overlap.peak,
        mean_in_flight=overlap.mean(),
        scheduled=scheduler is not None and scheduler.switches > 0,
    )
