"""The soak runner: many requests through a callable, on the virtual clock, under chaos.

Requests arrive by an :class:`~pytest_prodreal.operations.Arrivals` process; between arrivals
the clock moves, so breakers cool down, caches expire and tokens run out as in production. Each
request runs inside an :class:`~._observe.Observer` request, which attributes its chaos calls,
WARNING+ logs and signals to it.

- :func:`soak` (sync) runs one request at a time in the calling thread (a call blocking in
  *real* time is stopped by ``timeout_s``: a ``SIGALRM`` timer in the main thread, else a
  worker thread). With ``concurrency > 1`` the requests run on that many worker threads,
  interleaved at their virtual waits by the clock's
  :class:`~pytest_prodreal.clock.Scheduler` (see ``_concurrent``).
- :func:`asoak` (async) runs requests as tasks on the running (virtual-time) event loop, at most
  ``concurrency`` at once; their sleeps and timeouts interleave exactly as in production.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from ..errors import InvalidArgument
from ._arrivals import Arrivals
from ._concurrent import run_threads
from ._observe import Observer, Trace, bind, unbind
from ._plan import (
    SoakProgress,
    SoakTimeout,
    _Alarm,
    _Plan,
    _Progress,
    _real_now,
    _timeout_message,
)
from ._result import Request, SoakResult

__all__ = ["SoakProgress", "SoakTimeout", "asoak", "soak"]


def soak(
    call: Callable[[Any], Any],
    inputs: Iterable[Any],
    *,
    duration: float | None = None,
    requests: int | None = None,
    arrivals: Arrivals | None = None,
    success: Callable[[Any], object] | None = None,
    fallback: Callable[[Any], object] | None = None,
    concurrency: int = 1,
    prices: dict[str, Any] | None = None,
    seed: int | None = None,
    timeout_s: float | None = 60.0,
    progress: Callable[[SoakProgress], object] | None = None,
    clock: Any = None,
    chaos: Any = None,
    observe: bool = True,
) -> SoakResult:
    """Drive ``call(input)`` over ``inputs`` (cycled) on the virtual clock; return what it did.

    Pass ``duration`` (virtual seconds of arrivals) or ``requests`` (how many). ``arrivals``:
    :class:`Constant` (default one per second), :class:`Poisson` or :class:`Bursts`, seeded from
    ``seed`` (default: the running chaos's seed). A request is an ``error`` when it raises (or
    ``success(value)`` is false), a ``fallback`` when ``fallback(value)`` is true, else a
    ``success``. ``prices`` (USD per million tokens by model) prices the ``usage`` of LLM
    responses. ``timeout_s`` (real seconds; ``None`` runs calls inline) stops a call blocking
    in real time with :class:`SoakTimeout`. ``progress`` is told how far the soak is, after two
    real seconds. ``concurrency`` (default 1) is how many requests may be in flight at once:
    above 1 they run on that many threads, which switch at their virtual waits, so a request
    sleeping a virtual second does not delay the others' start (later arrivals queue, see
    ``Request.queued``); the interleaving is drawn from ``seed``, the same every run.
    ``observe=False`` skips capturing logs, structlog events and spans (chaos calls are still
    attributed): for soaks that never reach :func:`check_observability`.
    """
    __tracebackhide__ = True
    plan = _Plan(
        "soak",
        call,
        inputs,
        duration,
        requests,
        arrivals,
        success,
        fallback,
        concurrency,
        prices,
        seed,
        timeout_s,
        progress,
        clock,
        chaos,
    )
    if inspect.iscoroutinefunction(call):
        raise InvalidArgument("soak: call is async; use `await asoak(call, ...)`")
    if plan.concurrency > 1:
        return _soak_concurrently(plan, observe)
    clock, fn, inputs_t, n_inputs = plan.clock, plan.call, plan.inputs, len(plan.inputs)
    alarm = _Alarm(plan.timeout_s) if plan.timeout_s is not None else None
    executor = None
    if alarm is not None and not alarm.start():
        # Not the main thread, or SIGALRM is taken (pytest-timeout): a worker thread instead.
        alarm = None
        executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="prodreal-soak")
    reqs: list[Request] = []
    t0, w0 = clock.elapsed, _real_now()
    shown = _Progress(plan, w0, t0)
    obs = Observer(plan.chaos, logs=observe).start()
    try:
        for i, at in enumerate(plan.arrival_times()):
            now = clock.elapsed - t0
            if at > now:
                clock.advance(at - now)
            inp = inputs_t[i % n_inputs]
            start = clock.elapsed - t0
            req = Request(i, inp, at, start, start, "success")
            value: Any = None
            error: BaseException | None = None
            # What the call does is attributed to ``trace`` (bind/unbind: a context manager
            # per request costs more than the rest of the bookkeeping).
            trace = Trace()
            token = bind(trace)
            try:
                if executor is None:
                    if alarm is not None:
                        alarm.arm(req)
                    try:
                        value = fn(inp)
                    except Exception as exc:
                        error = exc
                    if alarm is not None:
                        alarm.disarm()  # raises if it fired (even when the call swallowed it)
                else:
                    future = executor.submit(contextvars.copy_context().run, fn, inp)
                    try:
                        value = future.result(plan.timeout_s)
                    except concurrent.futures.TimeoutError:
                        raise SoakTimeout(_timeout_message(req, plan.timeout_s or 0)) from None
                    except Exception as exc:
                        error = exc
            finally:
                unbind(token)
            req.end = clock.elapsed - t0
            if inspect.isawaitable(value):
                getattr(value, "close", lambda: None)()
                raise InvalidArgument("soak: call returned an awaitable; use `await asoak(...)`")
            plan.judge(req, value, error, trace)
            reqs.append(req)
            shown.tick(i + 1)
    finally:
        obs.stop()
        if alarm is not None:
            alarm.stop()
        if executor is not None:
            executor.shutdown(wait=False)
    shown.end(len(reqs))
    return plan.finish("soak", reqs, t0, w0, obs)


def _soak_concurrently(plan: _Plan, observe: bool) -> SoakResult:
    __tracebackhide__ = True
    t0, w0 = plan.clock.elapsed, _real_now()
    shown = _Progress(plan, w0, t0)
    obs = Observer(plan.chaos, logs=observe).start()
    try:
        reqs = run_threads(plan, obs, t0, shown)
    finally:
        obs.stop()
    shown.end(len(reqs))
    return plan.finish("soak", reqs, t0, w0, obs)


async def asoak(
    call: Callable[[Any], Awaitable[Any]],
    inputs: Iterable[Any],
    *,
    duration: float | None = None,
    requests: int | None = None,
    arrivals: Arrivals | None = None,
    success: Callable[[Any], object] | None = None,
    fallback: Callable[[Any], object] | None = None,
    concurrency: int = 1,
    prices: dict[str, Any] | None = None,
    seed: int | None = None,
    timeout_s: float | None = 60.0,
    progress: Callable[[SoakProgress], object] | None = None,
    clock: Any = None,
    chaos: Any = None,
    observe: bool = True,
) -> SoakResult:
    """Soak an async call; the twin of :func:`soak`, awaited with an async ``call``.

    Each request is a task on the running event loop (a ``VirtualTimeEventLoop`` under the
    clock), at most ``concurrency`` at once (later arrivals queue, see ``Request.queued``).
    ``timeout_s`` is watched in real time by a thread: a request running that long (the loop
    waiting on real I/O) is cancelled and the soak raises :class:`SoakTimeout`.
    """
    __tracebackhide__ = True
    plan = _Plan(
        "asoak",
        call,
        inputs,
        duration,
        requests,
        arrivals,
        success,
        fallback,
        concurrency,
        prices,
        seed,
        timeout_s,
        progress,
        clock,
        chaos,
    )
    clock, fn, inputs_t, n_inputs = plan.clock, plan.call, plan.inputs, len(plan.inputs)
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(plan.concurrency)
    reqs: list[Request] = []
    running: dict[int, tuple[float, asyncio.Task[Any], Request]] = {}
    stuck: list[Request] = []
    t0, w0 = clock.elapsed, _real_now()
    shown = _Progress(plan, w0, t0)
    done = threading.Event()
    finished = [0]

    async def one(req: Request) -> None:
        async with gate:
            req.start = req.end = clock.elapsed - t0
            trace = Trace()
            token = bind(trace)
            value: Any = None
            error: BaseException | None = None
            running[req.index] = (_real_now(), task_of[req.index], req)
            try:
                value = fn(req.input)
                if inspect.isawaitable(value):
                    value = await value
            except Exception as exc:
                error = exc
            finally:
                running.pop(req.index, None)
                unbind(token)
            req.end = clock.elapsed - t0
            plan.judge(req, value, error, trace)
            finished[0] += 1
            shown.tick(finished[0])

    def watchdog() -> None:
        limit = plan.timeout_s
        assert limit is not None
        while not done.wait(min(0.5, limit / 4)):
            now = _real_now()
            for began, task, req in list(running.values()):
                if now - began > limit and req not in stuck:
                    stuck.append(req)
                    loop.call_soon_threadsafe(task.cancel)

    task_of: dict[int, asyncio.Task[Any]] = {}
    obs = Observer(plan.chaos, logs=observe).start()
    guard = None
    if plan.timeout_s is not None:
        guard = threading.Thread(target=watchdog, name="prodreal-soak-watchdog", daemon=True)
        guard.start()
    try:
        for i, at in enumerate(plan.arrival_times()):
            now = clock.elapsed - t0
            if at > now:
                await asyncio.sleep(at - now)
            req = Request(i, inputs_t[i % n_inputs], at, 0.0, 0.0, "success")
            reqs.append(req)
            task_of[i] = asyncio.ensure_future(one(req))
        pending = list(task_of.values())
        results = await asyncio.gather(*pending, return_exceptions=True)
        for outcome in results:
            if isinstance(outcome, asyncio.CancelledError) and stuck:
                raise SoakTimeout(_timeout_message(stuck[0], plan.timeout_s or 0))
            if isinstance(outcome, BaseException):
                raise outcome
    finally:
        done.set()
        obs.stop()
        for task in task_of.values():
            task.cancel()
    shown.end(len(reqs))
    return plan.finish("asoak", reqs, t0, w0, obs)
