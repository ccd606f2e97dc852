"""What the dependencies checks share: result types, clock and chaos lookup, evidence."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument, ProdrealWarning
from ..evidence import FigureValue, _record_if_in_test

if TYPE_CHECKING:
    from ..chaos import Chaos
    from ..clock._virtual import VirtualClock


@dataclass(frozen=True)
class _Check:
    """What every check result has: whether it held, whether it counted, and its figures."""

    held: bool
    counted: bool
    summary: str
    figures: dict[str, FigureValue] = field(default_factory=dict)


@dataclass(frozen=True)
class TimeBudgetResult(_Check):
    """The outcome of :func:`time_budget`; ``value`` or ``error`` is what the call gave."""

    elapsed_s: float = 0.0
    budget_s: float = 0.0
    value: Any = None
    error: BaseException | None = None


@dataclass(frozen=True)
class DegradationResult(_Check):
    """The outcome of :func:`graceful_degradation`; ``values`` are the results of each run."""

    values: tuple[Any, ...] = ()
    fallbacks: int = 0
    max_elapsed_s: float = 0.0


@dataclass(frozen=True)
class CircuitBreakerResult(_Check):
    """The outcome of :func:`circuit_breaker`.

    ``hits`` is how many calls reached the dependency for each logical call during the outage;
    ``amplification`` is dependency calls per logical call (a retry storm shows as a large one).
    """

    opened_after: int | None = None
    hits: tuple[int, ...] = ()
    amplification: float = 0.0
    probe_calls: int = 0
    recovered: bool = False


# -- shared plumbing ------------------------------------------------------------------------------


def _resolve(chaos: Chaos | None, clock: VirtualClock | None) -> tuple[Any, Any]:
    from ..chaos import current_chaos
    from ..clock._virtual import current_clock

    ch = chaos if chaos is not None else current_chaos()
    ck = clock if clock is not None else (ch.clock if ch is not None else None)
    if ck is None:
        ck = current_clock()
    return ch, ck


def _reader(chaos: Any, clock: Any, check: str) -> Callable[[], float]:
    if clock is not None:
        return lambda: float(clock.elapsed)
    if chaos is not None:
        return lambda: float(chaos.elapsed)
    raise InvalidArgument(
        f"{check}: no virtual clock or chaos is running; use the chaos/prodreal_clock fixture, "
        "or pass chaos= or clock= (a VirtualClock), so time is measured in virtual seconds"
    )


def _check_budget(budget_s: object, what: str = "budget_s") -> float:
    if (
        isinstance(budget_s, bool)
        or not isinstance(budget_s, (int, float))
        or not budget_s > 0
        or math.isnan(budget_s)
    ):
        raise InvalidArgument(f"{what}={budget_s!r} must be a positive number of virtual seconds")
    return float(budget_s)


def _finish(
    remedy: str,
    check: str,
    *,
    held: bool,
    fired: int,
    chaos: Any,
    summary: str,
    figures: dict[str, FigureValue],
    explain: str,
) -> bool:
    """Record evidence (or refuse to), raise if the check failed; return whether it counted."""
    figures = {**figures, "faults_fired": fired}
    if not held:
        _record_if_in_test(remedy, held=False, figures=figures, summary=summary, check=check)
        raise AssertionError(f"{check}: {explain}")
    if fired == 0:
        where = (
            "no chaos was running"
            if chaos is None
            else "routes " + ", ".join(repr(n) for n in chaos.routes) + " fired no fault"
        )
        warnings.warn(
            f"{check}: no fault fired during the check ({where}), so it proves nothing about "
            f"failure handling and records no {remedy!r} evidence: inject a fault that the call "
            "actually meets",
            ProdrealWarning,
            stacklevel=3,
        )
        return False
    _record_if_in_test(remedy, held=True, figures=figures, summary=summary, check=check)
    return True


def _faults(chaos: Any) -> int:
    return int(chaos.faults_fired) if chaos is not None else 0
