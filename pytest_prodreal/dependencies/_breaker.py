"""The circuit-breaker check (sync and async), written once as a protocol of steps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument
from ..evidence import FigureValue

if TYPE_CHECKING:
    from ..chaos import Target
    from ..clock._virtual import VirtualClock
from ._common import CircuitBreakerResult, _check_budget, _finish, _resolve


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
