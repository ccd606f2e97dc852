"""Sync and async written once: a check is a generator of :class:`Call` steps.

The generator yields "call this" and receives ``(value, error)``; :func:`drive` runs it from sync
code, :func:`adrive` from async code (awaiting coroutine functions on the running loop). The
check's logic (what to call, how to judge, what to record) exists once.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["Call", "Steps", "adrive", "drive"]

R = TypeVar("R")


@dataclass(frozen=True)
class Call:
    """A step: call ``fn()`` once and send back ``(value, error)``."""

    fn: Callable[[], Any]


#: A check body: yields calls, receives (value, error) pairs, returns the result.
Steps = Generator[Call, "tuple[Any, BaseException | None]", R]


def drive(steps: Steps[R]) -> R:
    """Run a check's steps from sync code; an async ``fn`` is an error (use :func:`adrive`)."""
    __tracebackhide__ = True
    try:
        step = next(steps)
        while True:
            try:
                value = step.fn()
                if inspect.isawaitable(value):
                    close = getattr(value, "close", None)
                    if close is not None:
                        close()
                    from ..errors import InvalidArgument

                    raise InvalidArgument(
                        "the callable returned an awaitable: use the check's async twin "
                        "(`await acheck_...(...)`) for async callables"
                    )
                outcome: tuple[Any, BaseException | None] = (value, None)
            except Exception as exc:  # the check judges errors; it does not crash on them
                if type(exc).__name__ == "InvalidArgument":
                    raise
                outcome = (None, exc)
            step = steps.send(outcome)
    except StopIteration as stop:
        result: R = stop.value
        return result


async def adrive(steps: Steps[R]) -> R:
    """Run a check's steps from async code, awaiting awaitables the callables return."""
    __tracebackhide__ = True
    try:
        step = next(steps)
        while True:
            try:
                value = step.fn()
                if inspect.isawaitable(value):
                    value = await value
                outcome: tuple[Any, BaseException | None] = (value, None)
            except Exception as exc:
                outcome = (None, exc)
            step = steps.send(outcome)
    except StopIteration as stop:
        result: R = stop.value
        return result
