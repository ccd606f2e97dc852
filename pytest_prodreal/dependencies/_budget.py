"""The time-budget and graceful-degradation checks, each written once as steps (sync and async).

A check's body is a generator of :class:`~pytest_prodreal._kit.Call` steps that measures each run
on the virtual clock; :func:`~pytest_prodreal._kit.drive` runs it for the sync check and
:func:`~pytest_prodreal._kit.adrive` for the async twin. Judging and evidence happen once, after.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._kit import Call, Steps, adrive, drive
from .._kit import validate as _v
from ..evidence import FigureValue
from ._common import (
    DegradationResult,
    TimeBudgetResult,
    faults,
    finish,
    not_async,
    reader,
    resolve,
    seconds,
)

if TYPE_CHECKING:
    from ..chaos import Chaos
    from ..clock._virtual import VirtualClock

__all__ = [
    "acheck_graceful_degradation",
    "acheck_time_budget",
    "check_graceful_degradation",
    "check_time_budget",
]


@dataclass
class _Runs:
    """What the runs of a check gave: values, errors and virtual seconds, plus faults and calls."""

    values: list[Any] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)
    last_value: Any = None
    last_error: BaseException | None = None
    fired: int = 0
    calls: int = 0
    virtual_s: float = 0.0


def _run_steps(
    fn: Callable[[], Any], runs: int, chaos: Any, now: Callable[[], float]
) -> Steps[_Runs]:
    """Call ``fn`` ``runs`` times, timing each on the virtual clock (the check's only body)."""
    out = _Runs()
    f0 = faults(chaos)
    c0 = len(chaos.calls) if chaos is not None else 0
    start = now()
    for _ in range(runs):
        t0 = now()
        value, error = yield Call(fn)
        out.elapsed.append(now() - t0)
        if error is None:
            out.values.append(value)
        else:
            out.errors.append(error)
        out.last_value, out.last_error = value, error
    # Faults are counted over *all* runs: a loop under a scenario proves something as soon as
    # one run met a fault, even when the others were quiet.
    out.fired = faults(chaos) - f0
    out.calls = (len(chaos.calls) - c0) if chaos is not None else 0
    out.virtual_s = now() - start  # what the runs covered on the virtual clock, for the totals
    return out


# -- time budget ---------------------------------------------------------------------------------


def _budget_args(
    where: str, twin: str, fn: object, budget_s: object, runs: object
) -> tuple[float, int]:
    _v.callable_arg(where, "fn", fn)
    budget = seconds(where, "budget_s", budget_s)
    n = _v.positive_int(where, "runs", runs, maximum=1_000_000)
    if twin:
        not_async(where, twin, fn)
    return budget, n


def _budget_result(r: _Runs, *, budget: float, allow_errors: bool, chaos: Any) -> TimeBudgetResult:
    __tracebackhide__ = True
    runs = len(r.elapsed)
    worst = max(r.elapsed, default=0.0)
    over = [t for t in r.elapsed if t > budget]
    bad_error = bool(r.errors) and not allow_errors
    held = not over and not bad_error
    if runs == 1:
        outcome = "returned" if not r.errors else f"raised {type(r.errors[0]).__name__}"
        summary = f"{outcome} after {worst:.3f} virtual s (budget {budget:g} s)"
    else:
        summary = (
            f"slowest of {runs} runs took {worst:.3f} virtual s (budget {budget:g} s), "
            f"{len(r.errors)} raised"
        )
    figures: dict[str, FigureValue] = {
        "elapsed_s": round(worst, 6),
        "budget_s": budget,
        "runs": runs,
        "over_budget": len(over),
        "dependency_calls": r.calls,
        "raised": bool(r.errors),
        "virtual_s": round(r.virtual_s, 6),
    }
    if over:
        which = "the call" if runs == 1 else f"{len(over)} of {runs} runs; the slowest"
        explanation = (
            f"{which} took {worst:.3f} virtual s, over its budget of {budget:g} s "
            f"({r.calls} dependency call(s), {r.fired} fault(s) fired). "
            "Cap retries and timeouts so the whole call fits."
        )
    elif bad_error:
        explanation = (
            f"{len(r.errors)} of {runs} run(s) raised ({type(r.errors[0]).__name__}: "
            f"{r.errors[0]!r:.200}) and allow_errors=False. Handle the error inside the call "
            "(a fallback), or pass allow_errors=True if raising in time is the contract."
        )
    else:
        explanation = ""
    counted = finish(
        "time_budget",
        held=held,
        fired=r.fired,
        chaos=chaos,
        summary=summary,
        figures=figures,
        explanation=explanation,
    )
    return TimeBudgetResult(
        held=held,
        counted=counted,
        summary=summary,
        figures=figures,
        explanation=explanation,
        elapsed_s=worst,
        budget_s=budget,
        value=r.last_value,
        error=r.last_error,
        runs=runs,
        errors=len(r.errors),
        run_elapsed_s=tuple(r.elapsed),
    )


def check_time_budget(
    fn: Callable[[], Any],
    budget_s: float,
    *,
    runs: int = 1,
    allow_errors: bool = True,
    chaos: Chaos | None = None,
    clock: VirtualClock | None = None,
) -> TimeBudgetResult:
    """Call ``fn()`` ``runs`` times; each run must finish within ``budget_s`` virtual seconds.

    Retries and back-off are included (they run on the virtual clock). With ``allow_errors``
    (the default) an exception counts as finishing (a timeout raised in time is the point of a
    budget); the last one is kept in ``result.error``. Evidence counts the faults fired over
    all runs, so looping under a scenario with ``runs=`` verifies as soon as one run met a
    fault. Raises ``AssertionError`` when a run exceeds the budget (or on an error with
    ``allow_errors=False``).
    """
    __tracebackhide__ = True
    budget, n = _budget_args("check_time_budget", "acheck_time_budget", fn, budget_s, runs)
    ch, ck = resolve(chaos, clock)
    now = reader(ch, ck, "check_time_budget")
    measured = drive(_run_steps(fn, n, ch, now))
    return _budget_result(measured, budget=budget, allow_errors=allow_errors, chaos=ch)


async def acheck_time_budget(
    fn: Callable[[], Awaitable[Any]],
    budget_s: float,
    *,
    runs: int = 1,
    allow_errors: bool = True,
    chaos: Chaos | None = None,
    clock: VirtualClock | None = None,
) -> TimeBudgetResult:
    """The async twin of :func:`check_time_budget`: await it, with an async ``fn``."""
    __tracebackhide__ = True
    budget, n = _budget_args("acheck_time_budget", "", fn, budget_s, runs)
    ch, ck = resolve(chaos, clock)
    now = reader(ch, ck, "acheck_time_budget")
    measured = await adrive(_run_steps(fn, n, ch, now))
    return _budget_result(measured, budget=budget, allow_errors=allow_errors, chaos=ch)


# -- graceful degradation ------------------------------------------------------------------------


def _degradation_args(
    where: str, twin: str, fn: object, is_fallback: object, budget_s: object, runs: object
) -> tuple[float, int]:
    _v.callable_arg(where, "fn", fn)
    _v.callable_arg(where, "is_fallback", is_fallback)
    budget = math.inf if budget_s is None else seconds(where, "budget_s", budget_s)
    n = _v.positive_int(where, "runs", runs, maximum=1_000_000)
    if twin:
        not_async(where, twin, fn)
    return budget, n


def _degradation_result(
    r: _Runs, *, is_fallback: Callable[[Any], object], budget: float, chaos: Any
) -> DegradationResult:
    __tracebackhide__ = True
    fallbacks = sum(1 for v in r.values if is_fallback(v))
    worst = max(r.elapsed, default=0.0)
    runs = len(r.elapsed)
    problems = []
    if r.errors:
        problems.append(f"{len(r.errors)} of {runs} run(s) raised (first: {r.errors[0]!r:.200})")
    if worst > budget:
        problems.append(f"the slowest run took {worst:.3f} virtual s, over the {budget:g} s budget")
    if not r.errors and fallbacks == 0:
        problems.append(
            f"0 of {runs} result(s) were recognised as a fallback by is_fallback (first result: "
            f"{r.values[0]!r:.200})"
        )
    held = not problems
    summary = f"{fallbacks}/{runs} run(s) degraded to a fallback, slowest {worst:.3f} virtual s"
    figures: dict[str, FigureValue] = {
        "runs": runs,
        "fallbacks": fallbacks,
        "errors": len(r.errors),
        "max_elapsed_s": round(worst, 6),
        "budget_s": budget if budget != math.inf else None,
        "dependency_calls": r.calls,
        "virtual_s": round(r.virtual_s, 6),
    }
    explanation = (
        "; ".join(problems) + ". A degrading call catches the dependency's errors and returns a "
        "fallback (a cached or partial answer) within the budget."
        if problems
        else ""
    )
    counted = finish(
        "graceful_degradation",
        held=held,
        fired=r.fired,
        chaos=chaos,
        summary=summary,
        figures=figures,
        explanation=explanation,
    )
    return DegradationResult(
        held=held,
        counted=counted,
        summary=summary,
        figures=figures,
        explanation=explanation,
        values=tuple(r.values),
        fallbacks=fallbacks,
        max_elapsed_s=worst,
    )


def check_graceful_degradation(
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
    __tracebackhide__ = True
    where = "check_graceful_degradation"
    budget, n = _degradation_args(
        where, "acheck_graceful_degradation", fn, is_fallback, budget_s, runs
    )
    ch, ck = resolve(chaos, clock)
    measured = drive(_run_steps(fn, n, ch, reader(ch, ck, where)))
    return _degradation_result(measured, is_fallback=is_fallback, budget=budget, chaos=ch)


async def acheck_graceful_degradation(
    fn: Callable[[], Awaitable[Any]],
    *,
    is_fallback: Callable[[Any], object],
    budget_s: float | None = None,
    runs: int = 1,
    chaos: Chaos | None = None,
    clock: VirtualClock | None = None,
) -> DegradationResult:
    """The async twin of :func:`check_graceful_degradation`, for a coroutine function."""
    __tracebackhide__ = True
    where = "acheck_graceful_degradation"
    budget, n = _degradation_args(where, "", fn, is_fallback, budget_s, runs)
    ch, ck = resolve(chaos, clock)
    measured = await adrive(_run_steps(fn, n, ch, reader(ch, ck, where)))
    return _degradation_result(measured, is_fallback=is_fallback, budget=budget, chaos=ch)
