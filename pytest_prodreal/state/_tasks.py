"""The asyncio repeat engine: tasks on a loop (the caller's, or one of its own in a thread)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import threading
from collections.abc import Callable
from typing import Any, Literal

from ._outcomes import Outcome, _Real
from ._threads import _Overlap, _real_stamp, _tick

__all__ = ["_TaskRun", "_run_loop_in_thread", "_run_tasks"]


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
