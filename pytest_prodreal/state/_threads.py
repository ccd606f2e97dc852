"""The threaded repeat engine: worker threads, a watchdog, overlap figures, the scheduler.

Used by :func:`~pytest_prodreal.state.repeat` (``mode="threads"``/``"sequential"``) and
:func:`~pytest_prodreal.state.run_concurrently`. On the virtual clock the workers are
participants of a :class:`~pytest_prodreal.clock.Scheduler`, so they interleave at their virtual
waits deterministically.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import itertools
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._outcomes import Outcome, _Real

if TYPE_CHECKING:
    from ..clock import Scheduler

__all__ = ["_Overlap", "_call_sync", "_real_stamp", "_run_threads", "_tick"]


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
