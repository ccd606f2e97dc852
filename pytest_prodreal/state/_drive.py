"""One check, two drivers: checks are generators of steps, run sync (threads) or async (tasks).

A check written once as a generator yields :class:`Run` steps ("run this callable N times,
sequentially or concurrently") and receives their :class:`Outcomes`; :func:`drive` runs the steps
with :func:`repeat` (so every call has a timeout and an async callable gets a loop), and
:func:`adrive` with :func:`arepeat` on the caller's event loop (so an async client bound to that
loop keeps working).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from ._outcomes import Outcomes
from .runner import arepeat, repeat

R = TypeVar("R")


@dataclass(frozen=True)
class Run:
    """A step: run ``fn`` ``times`` times, concurrently (all at once) or one after another."""

    fn: Callable[[], Any]
    times: int = 1
    concurrent: bool = False
    label: str = ""


Steps = Generator[Run, Outcomes, R]


def drive(steps: Steps[R], timeout: float) -> R:
    """Run a check's steps from sync code (each call in a helper thread, with ``timeout``)."""
    try:
        step = next(steps)
        while True:
            outcomes = repeat(
                step.fn,
                step.times,
                mode="threads" if step.concurrent else "sequential",
                timeout=timeout,
                label=step.label,
            )
            step = steps.send(outcomes)
    except StopIteration as stop:
        result: R = stop.value
        return result


async def adrive(steps: Steps[R], timeout: float) -> R:
    """Run a check's steps as tasks on the running event loop."""
    try:
        step = next(steps)
        while True:
            outcomes = await arepeat(
                step.fn,
                step.times,
                concurrency=None if step.concurrent else 1,
                timeout=timeout,
                label=step.label,
            )
            step = steps.send(outcomes)
    except StopIteration as stop:
        result: R = stop.value
        return result
