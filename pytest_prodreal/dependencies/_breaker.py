"""The circuit-breaker check (sync and async), written once as a protocol of steps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any

from .._kit import Call, Steps, adrive, drive
from .._kit import validate as _v
from ..errors import InvalidArgument
from ..evidence import FigureValue
from ._common import CircuitBreakerResult, finish, not_async, resolve, seconds

if TYPE_CHECKING:
    from ..chaos import Target
    from ..clock._virtual import VirtualClock

__all__ = ["acheck_circuit_breaker", "check_circuit_breaker"]


def _breaker_args(
    where: str,
    call: object,
    route: Target,
    threshold: object,
    reset_timeout: object,
    calls: object,
    max_amplification: object,
    clock: VirtualClock | None,
) -> tuple[int, float, Any]:
    _v.callable_arg(where, "call", call)
    limit = _v.positive_int(where, "threshold", threshold)
    cool = seconds(where, "reset_timeout", reset_timeout)
    n = 3 * limit if calls is None else calls
    if isinstance(n, bool) or not isinstance(n, int) or n <= limit:
        raise InvalidArgument(
            f"{where}: calls={calls!r} must be an int > threshold ({limit}), so "
            "calls after the breaker opens can be seen not to reach the dependency"
        )
    if max_amplification is not None:
        seconds(where, "max_amplification", max_amplification)
    _, ck = resolve(getattr(route, "chaos", None), clock)
    if ck is None or not ck.active:
        raise InvalidArgument(
            f"{where} needs a running virtual clock to pass the cool-down: use the chaos "
            "or prodreal_clock fixture, or pass clock="
        )
    return n, cool, ck


def _breaker_steps(
    call: Callable[[], Any], route: Target, n: int, cool: float, ck: Any, probe_while_down: bool
) -> Steps[dict[str, Any]]:
    """The breaker protocol, written once for the sync and async checks.

    Each step makes one logical call; the route's call log says how many calls reached the
    dependency. The return value is the figures. The route is brought back up even when the
    check is interrupted.
    """

    def one() -> Generator[Call, tuple[Any, BaseException | None], tuple[int, bool]]:
        before = route.call_count
        _, error = yield Call(call)
        return route.call_count - before, error is None

    hits: list[int] = []
    start = float(ck.elapsed)
    route.down()
    try:
        for _ in range(n):
            hits.append((yield from one())[0])
        probe_down: int | None = None
        reopened = True
        if probe_while_down:
            ck.advance(cool + 0.001)
            probe_down = (yield from one())[0]
            reopened = (yield from one())[0] == 0
    finally:
        route.up()
    ck.advance(cool + 0.001)
    probe, ok1 = yield from one()
    after, ok2 = yield from one()
    return {
        "hits": hits,
        "probe_down": probe_down,
        "reopened": reopened,
        "probe": probe,
        "ok1": ok1,
        "after": after,
        "ok2": ok2,
        "virtual_s": float(ck.elapsed) - start,
    }


def check_circuit_breaker(
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
    __tracebackhide__ = True
    where = "check_circuit_breaker"
    n, cool, ck = _breaker_args(
        where, call, route, threshold, reset_timeout, calls, max_amplification, clock
    )
    not_async(where, "acheck_circuit_breaker", call)
    steps = _breaker_steps(call, route, n, cool, ck, probe_while_down)
    try:
        figures = drive(steps)
    finally:
        steps.close()  # an interrupted check still brings the route back up
    return _breaker_result(
        route, threshold=threshold, n=n, cool=cool, max_amplification=max_amplification,
        probe_while_down=probe_while_down, **figures,
    )  # fmt: skip


async def acheck_circuit_breaker(
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
    """The async twin of :func:`check_circuit_breaker`, for an async ``call`` (aiobreaker...)."""
    __tracebackhide__ = True
    n, cool, ck = _breaker_args(
        "acheck_circuit_breaker", call, route, threshold, reset_timeout, calls,
        max_amplification, clock,
    )  # fmt: skip
    steps = _breaker_steps(call, route, n, cool, ck, probe_while_down)
    try:
        figures = await adrive(steps)
    finally:
        steps.close()
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
    virtual_s: float,
    max_amplification: float | None,
    probe_while_down: bool,
) -> CircuitBreakerResult:
    __tracebackhide__ = True
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
        "virtual_s": round(virtual_s, 6),  # the outage, cool-downs and calls, for the totals
    }
    problems = []
    fix = ""
    if total == 0:
        problems.append(
            f"0 of {n} calls reached route {route.name!r} during the outage: is it the "
            "dependency that `call` uses?"
        )
        fix = "Pass the route `call` really goes through."
    elif opened_after is None or opened_after == n:
        problems.append(
            f"{n} of {n} calls kept reaching {route.name!r}: the breaker never opened "
            f"(hits per call: {hits})"
        )
        fix = f"Wrap the call in a circuit breaker that opens after {threshold} failures."
    elif opened_after > threshold:
        problems.append(
            f"the breaker opened only after {opened_after} failing calls, threshold {threshold} "
            f"(hits per call: {hits})"
        )
        fix = f"Lower the breaker's failure threshold to {threshold}."
    if max_amplification is not None and worst > max_amplification:
        problems.append(
            f"retry storm: one request made {worst} calls to {route.name!r} "
            f"(amplification {amplification:.2f}, allowed {max_amplification:g})"
        )
        fix = fix or "Put the breaker outside the retry loop, or retry fewer times."
    if probe_while_down and total:
        if not probe_down:
            problems.append(
                f"0 probes reached {route.name!r} after the {cool:g} s cool-down (no half-open)"
            )
            fix = fix or f"Give the breaker a reset timeout of at most {cool:g} s."
        elif not reopened:
            problems.append("after a failed probe the breaker did not open again")
            fix = fix or "A failed half-open probe must reopen the breaker."
    if total and not recovered:
        problems.append(
            f"after the dependency recovered and {cool:g} s passed, calls did not succeed "
            f"(probe reached it {probe} time(s), succeeded: {ok1}; next call succeeded: {ok2})"
        )
        fix = fix or "A successful probe must close the breaker."
    held = not problems
    summary = (
        f"opened after {opened_after} of {n} failing calls (threshold {threshold}), "
        f"amplification {amplification:.2f}, recovered: {recovered}"
    )
    explanation = f"{'; '.join(problems)}. {fix}" if problems else ""
    counted = finish(
        "circuit_breaker",
        held=held,
        fired=total,  # the forced outage's faults: zero only when the route was never hit
        chaos=getattr(route, "chaos", None),
        summary=summary,
        figures=figures,
        explanation=explanation,
    )
    return CircuitBreakerResult(
        held=held,
        counted=counted,
        summary=summary,
        figures=figures,
        explanation=explanation,
        opened_after=opened_after,
        hits=tuple(hits),
        amplification=amplification,
        probe_calls=probe,
        recovered=recovered,
    )
