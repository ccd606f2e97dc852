"""What the dependencies checks share: result types, clock and chaos lookup, the conclusion."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._kit import CheckResult, conclude
from .._kit import validate as _v
from ..errors import InvalidArgument
from ..evidence import FigureValue

if TYPE_CHECKING:
    from ..chaos import Chaos
    from ..clock._virtual import VirtualClock

__all__ = [
    "CircuitBreakerResult",
    "DegradationResult",
    "TimeBudgetResult",
]


@dataclass(frozen=True)
class TimeBudgetResult(CheckResult):
    """The outcome of :func:`check_time_budget`.

    ``elapsed_s`` is the slowest run's virtual seconds (``run_elapsed_s`` has every run);
    ``value`` and ``error`` are what the last run gave; ``errors`` counts the runs that raised.
    """

    elapsed_s: float = 0.0
    budget_s: float = 0.0
    value: Any = None
    error: BaseException | None = None
    runs: int = 1
    errors: int = 0
    run_elapsed_s: tuple[float, ...] = ()


@dataclass(frozen=True)
class DegradationResult(CheckResult):
    """The outcome of :func:`check_graceful_degradation`; ``values`` are each run's results."""

    values: tuple[Any, ...] = ()
    fallbacks: int = 0
    max_elapsed_s: float = 0.0


@dataclass(frozen=True)
class CircuitBreakerResult(CheckResult):
    """The outcome of :func:`check_circuit_breaker`.

    ``hits`` is how many calls reached the dependency for each logical call during the outage;
    ``amplification`` is dependency calls per logical call (a retry storm shows as a large one).
    """

    opened_after: int | None = None
    hits: tuple[int, ...] = ()
    amplification: float = 0.0
    probe_calls: int = 0
    recovered: bool = False


# -- shared plumbing ------------------------------------------------------------------------------


def resolve(chaos: Chaos | None, clock: VirtualClock | None) -> tuple[Any, Any]:
    """The chaos and clock a check uses: the given ones, else the running ones."""
    from ..chaos import current_chaos
    from ..clock._virtual import current_clock

    ch = chaos if chaos is not None else current_chaos()
    ck = clock if clock is not None else (ch.clock if ch is not None else None)
    if ck is None:
        ck = current_clock()
    return ch, ck


def reader(chaos: Any, clock: Any, check: str) -> Callable[[], float]:
    """A function reading virtual seconds, or ``InvalidArgument`` when no virtual time runs."""
    if clock is not None:
        return lambda: float(clock.elapsed)
    if chaos is not None:
        return lambda: float(chaos.elapsed)
    raise InvalidArgument(
        f"{check}: no virtual clock or chaos is running; use the chaos/prodreal_clock fixture, "
        "or pass chaos= or clock= (a VirtualClock), so time is measured in virtual seconds"
    )


def seconds(where: str, name: str, value: object) -> float:
    """A positive number of virtual seconds (``InvalidArgument`` naming ``where`` otherwise)."""
    return _v.positive_number(where, name, value, unit="virtual seconds")


def not_async(where: str, twin: str, fn: object) -> None:
    """Refuse a coroutine function in a sync check, naming the async twin."""
    import inspect

    if inspect.iscoroutinefunction(fn):
        raise InvalidArgument(f"{where}: fn is async; use `await {twin}(fn, ...)`")


def faults(chaos: Any) -> int:
    """Faults fired so far on ``chaos`` (0 without one)."""
    return int(chaos.faults_fired) if chaos is not None else 0


def fault_timeline(chaos: Any, limit: int = 200) -> str:
    """``"T:ROUTE:FAULT;..."``: the first ``limit`` faults on ``chaos``.

    ``T`` is the virtual second each fault was seen: the call's start plus its latency.
    """
    entries = [
        f"{call.t + call.latency:.3f}:{call.route}:{call.fault}"
        for call in getattr(chaos, "calls", ())
        if getattr(call, "fault", None)
    ]
    return ";".join(entries[:limit])


def finish(
    check: str,
    *,
    held: bool,
    fired: int,
    chaos: Any,
    summary: str,
    figures: Mapping[str, FigureValue],
    explanation: str,
) -> bool:
    """End a dependencies check through the kit's :func:`conclude`; evidence counts faults fired.

    Returns whether evidence counted. ``check`` is also the remedy id (``time_budget``...).
    """
    __tracebackhide__ = True
    if chaos is None:
        hint = "no chaos was running; run the call under the chaos fixture with a fault it meets"
    else:
        names = ", ".join(repr(n) for n in chaos.routes) or "none"
        hint = (
            f"routes {names} fired no fault; inject a fault that the call actually meets "
            "(a scenario, fault(...), outage()) or run it more times (runs=)"
        )
    if not held and chaos is not None:
        # A failing check carries when each fault fired, so the HTML report can draw the
        # failing test's fault timeline.
        timeline = fault_timeline(chaos)
        if timeline:
            figures = {**figures, "fault_timeline": timeline}
    return conclude(
        check,
        check,
        held=held,
        exercised=fired,
        what="fault(s) fired",
        summary=summary,
        figures={**figures, "faults_fired": fired},
        explanation=explanation,
        nothing_hint=hint,
        stacklevel=5,  # conclude <- finish <- the result builder <- the check <- the user
    )
