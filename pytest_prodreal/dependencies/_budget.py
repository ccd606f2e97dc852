"""The time-budget and graceful-degradation checks (sync and async)."""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument
from ..evidence import FigureValue

if TYPE_CHECKING:
    from ..chaos import Chaos
    from ..clock._virtual import VirtualClock
from ._common import (
    DegradationResult,
    TimeBudgetResult,
    _check_budget,
    _faults,
    _finish,
    _reader,
    _resolve,
)


def _budget_result(
    *,
    elapsed: float,
    budget: float,
    value: Any,
    error: BaseException | None,
    allow_errors: bool,
    chaos: Any,
    fired: int,
    calls: int,
) -> TimeBudgetResult:
    over = elapsed > budget
    bad_error = error is not None and not allow_errors
    held = not over and not bad_error
    outcome = "returned" if error is None else f"raised {type(error).__name__}"
    summary = f"{outcome} after {elapsed:.3f} virtual s (budget {budget:g} s)"
    figures: dict[str, FigureValue] = {
        "elapsed_s": round(elapsed, 6),
        "budget_s": budget,
        "dependency_calls": calls,
        "raised": error is not None,
    }
    if over:
        explain = (
            f"the call took {elapsed:.3f} virtual s, over its budget of {budget:g} s "
            f"({outcome}; {calls} dependency call(s), {fired} fault(s) fired). "
            "Cap retries and timeouts so the whole call fits."
        )
    else:
        explain = f"the call raised {error!r} and allow_errors=False"
    counted = _finish(
        "time_budget",
        "time_budget",
        held=held,
        fired=fired,
        chaos=chaos,
        summary=summary,
        figures=figures,
        explain=explain,
    )
    return TimeBudgetResult(
        held=held,
        counted=counted,
        summary=summary,
        figures=figures,
        elapsed_s=elapsed,
        budget_s=budget,
        value=value,
        error=error,
    )


def time_budget(
    fn: Callable[[], Any],
    budget_s: float,
    *,
    allow_errors: bool = True,
    chaos: Chaos | None = None,
    clock: VirtualClock | None = None,
) -> TimeBudgetResult:
    """Call ``fn()`` and check it finished within ``budget_s`` virtual seconds, retries included.

    With ``allow_errors`` (the default) an exception counts as finishing (a timeout raised in
    time is the point of a budget); it is kept in ``result.error``. Raises ``AssertionError``
    when the budget is exceeded (or on an error with ``allow_errors=False``).
    """
    budget = _check_budget(budget_s)
    if inspect.iscoroutinefunction(fn):
        raise InvalidArgument("time_budget: fn is async; use `await async_time_budget(fn, ...)`")
    ch, ck = _resolve(chaos, clock)
    now = _reader(ch, ck, "time_budget")
    f0, c0 = _faults(ch), len(ch.calls) if ch is not None else 0
    t0 = now()
    value: Any = None
    error: BaseException | None = None
    try:
        value = fn()
    except Exception as exc:
        error = exc
    elapsed = now() - t0
    calls = (len(ch.calls) - c0) if ch is not None else 0
    return _budget_result(
        elapsed=elapsed,
        budget=budget,
        value=value,
        error=error,
        allow_errors=allow_errors,
        chaos=ch,
        fired=_faults(ch) - f0,
        calls=calls,
    )


async def async_time_budget(
    fn: Callable[[], Awaitable[Any]],
    budget_s: float,
    *,
    allow_errors: bool = True,
    chaos: Chaos | None = None,
    clock: VirtualClock | None = None,
) -> TimeBudgetResult:
    """The coroutine twin of :func:`time_budget`: await it, with an async ``fn``."""
    budget = _check_budget(budget_s)
    ch, ck = _resolve(chaos, clock)
    now = _reader(ch, ck, "async_time_budget")
    f0, c0 = _faults(ch), len(ch.calls) if ch is not None else 0
    t0 = now()
    value: Any = None
    error: BaseException | None = None
    try:
        value = await fn()
    except Exception as exc:
        error = exc
    elapsed = now() - t0
    calls = (len(ch.calls) - c0) if ch is not None else 0
    return _budget_result(
        elapsed=elapsed,
        budget=budget,
        value=value,
        error=error,
        allow_errors=allow_errors,
        chaos=ch,
        fired=_faults(ch) - f0,
        calls=calls,
    )


# -- graceful_degradation -------------------------------------------------------------------------


def _degradation_result(
    *,
    values: list[Any],
    elapsed: list[float],
    errors: list[BaseException],
    is_fallback: Callable[[Any], object],
    budget: float,
    chaos: Any,
    fired: int,
) -> DegradationResult:
    fallbacks = sum(1 for v in values if is_fallback(v))
    worst = max(elapsed, default=0.0)
    runs = len(values) + len(errors)
    problems = []
    if errors:
        problems.append(f"{len(errors)} of {runs} run(s) raised (first: {errors[0]!r})")
    if worst > budget:
        problems.append(f"the slowest run took {worst:.3f} virtual s, over the {budget:g} s budget")
    if not errors and fallbacks == 0:
        problems.append(
            f"no result was recognised as a fallback by is_fallback (first result: "
            f"{values[0]!r:.200})"
            if values
            else "no run completed"
        )
    held = not problems
    summary = f"{fallbacks}/{runs} run(s) degraded to a fallback, slowest {worst:.3f} virtual s"
    figures: dict[str, FigureValue] = {
        "runs": runs,
        "fallbacks": fallbacks,
        "errors": len(errors),
        "max_elapsed_s": round(worst, 6),
        "budget_s": budget if budget != math.inf else None,
    }
    counted = _finish(
        "graceful_degradation",
        "graceful_degradation",
        held=held,
        fired=fired,
        chaos=chaos,
        summary=summary,
        figures=figures,
        explain="; ".join(problems) + ". A degrading call returns a fallback and raises nothing.",
    )
    return DegradationResult(
        held=held,
        counted=counted,
        summary=summary,
        figures=figures,
        values=tuple(values),
        fallbacks=fallbacks,
        max_elapsed_s=worst,
    )


def graceful_degradation(
    fn: Callable[[], Any],
    *,
    is_fallback: Callable[[Any], object],
    budget_s: float | None = None,
    runs: int = 1,
    chaos: Chaos | None = None,
    clock: VirtualClock | None = None,
) -> DegradationResult:
    """Call ``fn()`` ``runs`` times under chaos; each must return (never raise) within budget.

    Holds when no run raised, every run finished within ``budget_s`` virtual seconds (if given),
    and at least one result satisfied ``is_fallback(result)``: the degraded path really ran.
    """
    budget = math.inf if budget_s is None else _check_budget(budget_s)
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise InvalidArgument(f"graceful_degradation runs={runs!r} must be an int >= 1")
    if not callable(is_fallback):
        raise InvalidArgument("graceful_degradation: is_fallback must be callable(result) -> bool")
    if inspect.iscoroutinefunction(fn):
        raise InvalidArgument(
            "graceful_degradation: fn is async; use `await async_graceful_degradation(fn, ...)`"
        )
    ch, ck = _resolve(chaos, clock)
    now = _reader(ch, ck, "graceful_degradation")
    f0 = _faults(ch)
    values: list[Any] = []
    errors: list[BaseException] = []
    elapsed: list[float] = []
    for _ in range(runs):
        t0 = now()
        try:
            values.append(fn())
        except Exception as exc:
            errors.append(exc)
        elapsed.append(now() - t0)
    return _degradation_result(
        values=values,
        elapsed=elapsed,
        errors=errors,
        is_fallback=is_fallback,
        budget=budget,
        chaos=ch,
        fired=_faults(ch) - f0,
    )


async def async_graceful_degradation(
    fn: Callable[[], Awaitable[Any]],
    *,
    is_fallback: Callable[[Any], object],
    budget_s: float | None = None,
    runs: int = 1,
    chaos: Chaos | None = None,
    clock: VirtualClock | None = None,
) -> DegradationResult:
    """:func:`graceful_degradation` for a coroutine function."""
    budget = math.inf if budget_s is None else _check_budget(budget_s)
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise InvalidArgument(f"async_graceful_degradation runs={runs!r} must be an int >= 1")
    ch, ck = _resolve(chaos, clock)
    now = _reader(ch, ck, "async_graceful_degradation")
    f0 = _faults(ch)
    values: list[Any] = []
    errors: list[BaseException] = []
    elapsed: list[float] = []
    for _ in range(runs):
        t0 = now()
        try:
            values.append(await fn())
        except Exception as exc:
            errors.append(exc)
        elapsed.append(now() - t0)
    return _degradation_result(
        values=values,
        elapsed=elapsed,
        errors=errors,
        is_fallback=is_fallback,
        budget=budget,
        chaos=ch,
        fired=_faults(ch) - f0,
    )
