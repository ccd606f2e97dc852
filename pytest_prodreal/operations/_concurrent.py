"""A sync soak with ``concurrency > 1``: worker threads interleaved by the clock's scheduler.

On the virtual clock a sleep returns at once, so plain threads would run their requests one
after another in virtual time. Here the ``concurrency`` workers are participants of a
:class:`~pytest_prodreal.clock.Scheduler`: a virtual wait in one (an injected chaos latency, the
SDK's back-off, a ``time.sleep``) lets the others run, and the clock moves to the earliest
wake-up only when all of them wait. So a request sleeping one virtual second does not delay the
others' start, and the same seed gives the same interleaving every run.

The workers take the requests in arrival order (a first-come, first-served queue in front of
``concurrency`` servers); a worker whose next request has not arrived yet waits for it in
virtual time. The calling thread only watches: it reports progress and stops the soak with
:class:`~pytest_prodreal.operations.SoakTimeout` when a request has been running ``timeout_s``
real seconds (the turns the others took meanwhile included: milliseconds, next to a timeout
meant for a call blocked for real).
"""

from __future__ import annotations

import contextvars
import inspect
import threading
from collections.abc import Iterator
from typing import Any

from ..errors import InvalidArgument
from ._observe import Observer
from ._plan import SoakTimeout, _Plan, _Progress, _real_now, _timeout_message
from ._result import Request

__all__ = ["MAX_THREADS", "run_threads"]

#: The most worker threads a sync soak starts (``asoak`` tasks have no such limit).
MAX_THREADS = 1000

_WATCH_EVERY_S = 0.05  # real seconds between the watcher's looks (progress, timeouts)
# How long a worker's CPU time may stand still before the scheduler lets another run. The
# scheduler's 2 ms default mistakes a thread the OS preempted on a loaded machine (CI, xdist)
# for one blocked for real, and a forced switch changes the interleaving, so the same seed
# would give another soak. A soak's calls block for real only by mistake (what ``timeout_s``
# reports), so a longer stall costs nothing in the usual case.
_STALL_S = 0.02


class _Run:
    """The state the workers share; touched under ``lock``."""

    def __init__(self, plan: _Plan, obs: Observer, t0: float, workers: int) -> None:
        self.plan, self.obs, self.t0, self.workers = plan, obs, t0, workers
        self.lock = threading.Lock()
        self.arrivals: Iterator[float] = iter(plan.arrival_times())
        self.reqs: list[Request] = []
        self.finished = 0
        self.stop = False
        self.failure: BaseException | None = None
        # worker -> (request, real start) of the request it is running, for the watcher
        self.running: dict[int, tuple[Request, float]] = {}
        self.left = 0  # workers that have returned
        self.all_left = threading.Event()

    def take(self) -> Request | None:
        """The next request to arrive, or ``None`` when the soak has no more (or stops)."""
        with self.lock:
            if self.stop:
                return None
            at = next(self.arrivals, None)
            if at is None:
                return None
            inputs = self.plan.inputs
            i = len(self.reqs)
            req = Request(i, inputs[i % len(inputs)], at, at, at, "success")
            self.reqs.append(req)
            return req

    def work(self, worker: int, scheduler: Any) -> None:
        try:
            with scheduler.participant(worker):
                self._requests(worker)
        except BaseException as exc:  # pytest.fail and friends too: the caller re-raises it
            with self.lock:
                if self.failure is None:
                    self.failure = exc
                self.stop = True
        finally:
            with self.lock:
                self.left += 1
                if self.left >= self.workers:
                    self.all_left.set()

    def _requests(self, worker: int) -> None:
        plan, clock, obs, t0 = self.plan, self.plan.clock, self.obs, self.t0
        fn = plan.call
        while True:
            req = self.take()
            if req is None:
                return
            now = clock.elapsed - t0
            if req.arrival > now:
                clock.advance(req.arrival - now)  # a switch point: the others run meanwhile
                if self.stop:
                    return
            req.start = clock.elapsed - t0
            value: Any = None
            error: BaseException | None = None
            with self.lock:
                self.running[worker] = (req, _real_now())
            with obs.request() as trace:
                try:
                    value = fn(req.input)
                except Exception as exc:
                    error = exc
            with self.lock:
                self.running.pop(worker, None)
                if self.stop:
                    return
            req.end = clock.elapsed - t0
            if inspect.isawaitable(value):
                getattr(value, "close", lambda: None)()
                raise InvalidArgument("soak: call returned an awaitable; use `await asoak(...)`")
            plan.judge(req, value, error, trace)
            with self.lock:
                self.finished += 1

    def overdue(self, timeout_s: float) -> Request | None:
        now = _real_now()
        with self.lock:
            for req, began in self.running.values():
                if now - began > timeout_s:
                    self.stop = True
                    return req
        return None


def run_threads(plan: _Plan, obs: Observer, t0: float, shown: _Progress) -> list[Request]:
    """Run the soak's requests on ``plan.concurrency`` scheduled worker threads."""
    __tracebackhide__ = True
    from ..clock import Scheduler

    clock = plan.clock
    if plan.concurrency > MAX_THREADS:
        raise InvalidArgument(
            f"soak: concurrency={plan.concurrency} would start that many threads (at most "
            f"{MAX_THREADS:,} for a sync call); for more, make the call async and use "
            "`await asoak(...)`"
        )
    if clock._scheduler is not None:
        raise InvalidArgument(
            f"soak: concurrency={plan.concurrency} cannot run inside other scheduled concurrent "
            "runs (repeat, prodreal_concurrent): the clock's scheduler is theirs; use "
            "concurrency=1 there"
        )
    # No more threads than requests: a worker beyond them would only join and leave.
    workers = min(plan.concurrency, plan.total or plan.concurrency)
    run = _Run(plan, obs, t0, workers)
    timeout_s = plan.timeout_s
    stuck: Request | None = None
    threads: list[threading.Thread] = []
    with Scheduler(clock, parties=workers, seed=plan.seed, stall_s=_STALL_S) as scheduler:
        for worker in range(workers):
            # Each worker runs in a copy of the caller's context (context variables the test
            # set are seen by the calls); daemon, so a call stuck for good cannot keep the
            # interpreter alive after the soak gave up on it.
            context = contextvars.copy_context()
            thread = threading.Thread(
                target=context.run,
                args=(run.work, worker, scheduler),
                name=f"prodreal-soak-{worker}",
                daemon=True,
            )
            thread.start()
            threads.append(thread)
        try:
            while not run.all_left.wait(_WATCH_EVERY_S):
                shown.tick(run.finished)
                if timeout_s is not None:
                    stuck = run.overdue(timeout_s)
                    if stuck is not None:
                        break
            else:
                shown.tick(run.finished)  # a soak shorter than one look still reports its end
        finally:
            # Whatever ends the watch (a timeout, a KeyboardInterrupt here), the workers the
            # scheduler releases on leaving must not go on with the soak unscheduled.
            with run.lock:
                run.stop = True
    if stuck is not None:
        # Leaving the scheduler released the waiting workers; they see ``stop`` and return.
        # Give them a moment, so no request of this soak is still running after it raised
        # (the stuck one excepted: nothing can stop a thread blocked in real time).
        for thread in threads:
            thread.join(_WATCH_EVERY_S)
        raise SoakTimeout(_timeout_message(stuck, timeout_s or 0))
    if run.failure is not None:
        raise run.failure
    return run.reqs
