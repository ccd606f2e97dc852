"""Checks for the ``dependencies`` category: time budget, circuit breaker, graceful degradation.

Each check is a plain function usable from a script or a test. It runs your call under chaos
(:class:`~pytest_prodreal.chaos.Chaos`) on the virtual clock, returns a result object with the
figures, records evidence for its remedy when a test is running, and raises ``AssertionError``
with a readable explanation when the property does not hold.

Evidence only counts when chaos was exercised: a check during which no fault fired (the route
was never hit, or the seed drew no fault) records no evidence, emits a
:class:`~pytest_prodreal.errors.ProdrealWarning` saying so, and returns a result with
``counted=False``. A check that does not hold always records ``held=False`` and raises.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InvalidArgument, ProdrealWarning
from .evidence import FigureValue, _record_if_in_test

if TYPE_CHECKING:
    from .chaos import Chaos, Target
    from .clock import VirtualClock

__all__ = [
    "CircuitBreakerResult",
    "DegradationResult",
    "TimeBudgetResult",
    "async_graceful_degradation",
    "async_circuit_breaker",
    "async_time_budget",
    "circuit_breaker",
    "graceful_degradation",
    "time_budget",
]


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
    from .chaos import current_chaos
    from .clock import current_clock

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


# -- time_budget ----------------------------------------------------------------------------------


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


# -- circuit_breaker ------------------------------------------------------------------------------


def _breaker_args(
    route: Target,
    threshold: int,
    reset_timeout: float,
    calls: int | None,
    max_amplification: float | None,
    clock: VirtualClock | None,
) -> tuple[int, float, Any]:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise InvalidArgument(f"circuit_breaker threshold={threshold!r} must be an int >= 1")
    cool = _check_budget(reset_timeout, "reset_timeout")
    n = 3 * threshold if calls is None else calls
    if isinstance(n, bool) or not isinstance(n, int) or n <= threshold:
        raise InvalidArgument(
            f"circuit_breaker calls={calls!r} must be an int > threshold ({threshold}), so "
            "calls after the breaker opens can be seen not to reach the dependency"
        )
    if max_amplification is not None:
        _check_budget(max_amplification, "max_amplification")
    _, ck = _resolve(getattr(route, "chaos", None), clock)
    if ck is None or not ck.active:
        raise InvalidArgument(
            "circuit_breaker needs a running virtual clock to pass the cool-down: use the chaos "
            "or prodreal_clock fixture, or pass clock="
        )

    return n, cool, ck


def circuit_breaker(
    call: Callable[[], Any],
    route: Target,
    *,
    threshold: int,
    reset_timeout: float,
    calls: int | None = None,
    max_amplification: float | None = None,
    probe_while_down: bool = True,
    clock: VirtualClock | None = None,
) -> CircuitBreakerResult:
    """Verify a circuit breaker around ``call`` that protects the dependency behind ``route``.

    1. ``route`` goes down; ``call()`` runs ``calls`` times (default ``3 * threshold``). Calls
       reaching the dependency must stop growing after at most ``threshold`` logical calls (the
       breaker opened). With ``max_amplification``, any logical call that hit the dependency
       more often than that fails the check as a retry storm, with its amplification figure.
    2. With ``probe_while_down``: after ``reset_timeout`` virtual seconds one probe reaches the
       still-failing dependency, and the breaker opens again (the next call does not reach it).
    3. The dependency recovers; after ``reset_timeout`` the probe goes through and succeeds,
       and so does the next call (the breaker closed).

    Works with any breaker (pybreaker, aiobreaker, home-grown): it only watches the route's
    call log and moves the virtual clock. Create the breaker *after* the clock started.
    """
    n, cool, ck = _breaker_args(route, threshold, reset_timeout, calls, max_amplification, clock)
    steps = _breaker_steps(route, n, cool, ck, probe_while_down)
    try:
        next(steps)
        while True:
            before = route.call_count
            try:
                call()
                ok = True
            except Exception:
                ok = False
            steps.send((route.call_count - before, ok))
    except StopIteration as stop:
        figures: dict[str, Any] = stop.value
    finally:
        steps.close()  # an interrupted check still brings the route back up
    return _breaker_result(
        route, threshold=threshold, n=n, cool=cool, max_amplification=max_amplification,
        probe_while_down=probe_while_down, **figures,
    )  # fmt: skip


def _breaker_steps(
    route: Target, n: int, cool: float, ck: Any, probe_while_down: bool
) -> Generator[None, tuple[int, bool], dict[str, Any]]:
    """The breaker protocol, written once for the sync and async drivers.

    Each ``yield`` asks the driver to make one logical call and send back how many calls reached
    the dependency and whether the call succeeded; the return value is the figures.
    """
    hits: list[int] = []
    route.down()
    try:
        for _ in range(n):
            hits.append((yield)[0])
        probe_down: int | None = None
        reopened = True
        if probe_while_down:
            ck.advance(cool + 0.001)
            probe_down = (yield)[0]
            reopened = (yield)[0] == 0
    finally:
        route.up()
    ck.advance(cool + 0.001)
    probe, ok1 = yield
    after, ok2 = yield
    return {
        "hits": hits,
        "probe_down": probe_down,
        "reopened": reopened,
        "probe": probe,
        "ok1": ok1,
        "after": after,
        "ok2": ok2,
    }


async def async_circuit_breaker(
    call: Callable[[], Awaitable[Any]],
    route: Target,
    *,
    threshold: int,
    reset_timeout: float,
    calls: int | None = None,
    max_amplification: float | None = None,
    probe_while_down: bool = True,
    clock: VirtualClock | None = None,
) -> CircuitBreakerResult:
    """The coroutine twin of :func:`circuit_breaker`, for an async ``call`` (aiobreaker...)."""
    n, cool, ck = _breaker_args(route, threshold, reset_timeout, calls, max_amplification, clock)
    steps = _breaker_steps(route, n, cool, ck, probe_while_down)
    try:
        next(steps)
        while True:
            before = route.call_count
            try:
                await call()
                ok = True
            except Exception:
                ok = False
            steps.send((route.call_count - before, ok))
    except StopIteration as stop:
        figures: dict[str, Any] = stop.value
    finally:
        steps.close()  # an interrupted check still brings the route back up
    return _breaker_result(
        route, threshold=threshold, n=n, cool=cool, max_amplification=max_amplification,
        probe_while_down=probe_while_down, **figures,
    )  # fmt: skip


def _breaker_result(
    route: Target,
    *,
    threshold: int,
    n: int,
    cool: float,
    hits: list[int],
    probe_down: int | None,
    reopened: bool,
    probe: int,
    ok1: bool,
    after: int,
    ok2: bool,
    max_amplification: float | None,
    probe_while_down: bool,
) -> CircuitBreakerResult:
    recovered = ok1 and ok2 and probe >= 1 and after >= 1
    opened_after: int | None = None
    for i in range(len(hits)):
        if all(h == 0 for h in hits[i:]):
            opened_after = i
            break
    total = sum(hits)
    reached = [h for h in hits if h]
    amplification = total / len(reached) if reached else 0.0
    worst = max(hits, default=0)
    figures: dict[str, FigureValue] = {
        "threshold": threshold,
        "logical_calls": n,
        "dependency_calls": total,
        "opened_after": opened_after,
        "amplification": round(amplification, 3),
        "max_calls_per_request": worst,
        "probe_calls": probe,
        "recovered": recovered,
        "reset_timeout_s": cool,
    }
    problems = []
    if total == 0:
        problems.append(
            f"no call reached route {route.name!r} during the outage: is it the dependency "
            "that `call` uses?"
        )
    elif opened_after is None or opened_after == n:
        problems.append(
            f"the breaker never opened: all {n} calls kept reaching {route.name!r} "
            f"(hits per call: {hits})"
        )
    elif opened_after > threshold:
        problems.append(
            f"the breaker opened only after {opened_after} failing calls, threshold {threshold} "
            f"(hits per call: {hits})"
        )
    if max_amplification is not None and worst > max_amplification:
        problems.append(
            f"retry storm: one request made {worst} calls to {route.name!r} "
            f"(amplification {amplification:.2f}, allowed {max_amplification:g})"
        )
    if probe_while_down and total:
        if not probe_down:
            problems.append(
                f"after the {cool:g} s cool-down no probe reached {route.name!r} (half-open)"
            )
        elif not reopened:
            problems.append("after a failed probe the breaker did not open again")
    if total and not recovered:
        problems.append(
            f"after the dependency recovered and {cool:g} s passed, calls did not succeed "
            f"(probe reached it {probe} time(s), succeeded: {ok1}; next call succeeded: {ok2})"
        )
    held = not problems
    summary = (
        f"opened after {opened_after} of {n} failing calls (threshold {threshold}), "
        f"amplification {amplification:.2f}, recovered: {recovered}"
    )
    _finish(
        "circuit_breaker",
        "circuit_breaker",
        held=held,
        fired=total,  # the forced outage's faults: zero only when the route was never hit
        chaos=getattr(route, "chaos", None),
        summary=summary,
        figures=figures,
        explain="; ".join(problems),
    )
    return CircuitBreakerResult(
        held=held,
        counted=held,
        summary=summary,
        figures=figures,
        opened_after=opened_after,
        hits=tuple(hits),
        amplification=amplification,
        probe_calls=probe,
        recovered=recovered,
    )
