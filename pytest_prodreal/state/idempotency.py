"""``idempotency``: one request with one idempotency key gives one side effect and one result.

Three ways production repeats a request, each checked with a fresh key:

- ``sequential``: the user double-clicks; the request is sent again after the first finished.
- ``concurrent``: two workers pick up the same job; the copies overlap (behind a start barrier).
- ``lost_response``: the dependency applied the effect, the response was lost on the way back
  (a timeout after commit), the client retried. :class:`LoseResponses` wraps the dependency's
  handler to do exactly that.

Each must leave exactly one side effect, and every copy must get the same result.
"""

from __future__ import annotations

import functools
import inspect
import random
import threading
from collections.abc import Callable, Sized
from dataclasses import dataclass
from typing import Any

from .._kit import CheckResult, conclude
from ..errors import InvalidArgument
from ._drive import Run, Steps, adrive, drive
from ._outcomes import Outcomes

__all__ = [
    "IdempotencyResult",
    "IdempotencyScenario",
    "LoseResponses",
    "ResponseLost",
    "acheck_idempotency",
    "check_idempotency",
]

_SCENARIOS = ("sequential", "concurrent", "lost_response")


class ResponseLost(ConnectionError):
    """The dependency applied the request, but its response never reached the client."""


class LoseResponses:
    """Wrap a dependency's handler so that, when armed, its effect happens and its response is lost.

    The handler runs in full (the charge is made, the row written) and then, instead of its
    result, ``error`` is raised to the caller, as when a connection drops after the server
    committed. ``error`` is an exception instance or class, or a callable taking the handler's own
    arguments and returning one — for a respx / ``chaos`` route, for example
    ``lambda request: httpx.ReadTimeout("response lost", request=request)``. Default:
    :class:`ResponseLost`. Sync and async handlers both work.

    Use the wrapper as the dependency (a route's ``side_effect``, a fake service's method), and
    pass it (or its :meth:`arm`) as ``lose_response`` to :func:`check_idempotency`.
    """

    def __init__(self, handler: Callable[..., Any], error: object = None) -> None:
        if not callable(handler):
            raise InvalidArgument(
                f"LoseResponses: handler must be a callable (the dependency's handler), got "
                f"{handler!r}"
            )
        self.handler = handler
        self.error = error if error is not None else ResponseLost
        self._lock = threading.Lock()
        self._armed = 0
        #: How many responses were lost so far.
        self.lost = 0
        #: How many calls reached the handler.
        self.calls = 0

    def arm(self, times: int = 1) -> None:
        """Lose the responses of the next ``times`` calls (after their effects are applied)."""
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise InvalidArgument(
                f"LoseResponses.arm: times must be a positive integer, got {times!r}"
            )
        with self._lock:
            self._armed += times

    def _error(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> BaseException:
        error = self.error
        if isinstance(error, BaseException):
            return error
        if isinstance(error, type) and issubclass(error, BaseException):
            return error("the response was lost after the dependency applied the request")
        if callable(error):
            made = error(*args, **kwargs)
            if isinstance(made, BaseException):
                return made
        raise InvalidArgument(
            f"LoseResponses: error must be an exception, an exception class, or a callable "
            f"returning an exception; got {error!r}"
        )

    def _deliver(self, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        with self._lock:
            lose = self._armed > 0
            if lose:
                self._armed -= 1
                self.lost += 1
        if lose:
            raise self._error(args, kwargs)
        return result

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the handler; lose its response when armed."""
        with self._lock:
            self.calls += 1
        result = self.handler(*args, **kwargs)
        if inspect.isawaitable(result):
            return self._deliver_later(result, args, kwargs)
        return self._deliver(result, args, kwargs)

    async def _deliver_later(
        self, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        return self._deliver(await result, args, kwargs)


@dataclass(frozen=True)
class IdempotencyScenario:
    """One scenario's figures: the key used, calls made, side effects seen, distinct results."""

    name: str
    key: str
    calls: int
    side_effects: int
    distinct_results: int
    problems: tuple[str, ...]
    outcomes: str = ""
    #: The most copies in flight at once (the concurrent scenario; 1 for the others).
    peak_in_flight: int = 1


def _lines(scenarios: tuple[IdempotencyScenario, ...]) -> str:
    return "\n".join(
        f"{s.name}: {s.calls} calls with key {s.key!r} -> {s.side_effects} side effect(s), "
        f"{s.distinct_results} distinct result(s)"
        + ("" if not s.problems else "  PROBLEM: " + "; ".join(s.problems))
        for s in scenarios
    )


@dataclass(frozen=True)
class IdempotencyResult(CheckResult):
    """What :func:`check_idempotency` found, per scenario.

    ``held``: every scenario gave one side effect and one result; :meth:`explain` has one line
    per scenario.
    """

    scenarios: tuple[IdempotencyScenario, ...] = ()

    def explain(self) -> str:
        """The summary, then one line per scenario (with its problems)."""
        return f"{self.summary}\n{_lines(self.scenarios)}"

    def describe(self) -> str:
        """One line per scenario (the same lines :meth:`explain` ends with)."""
        return _lines(self.scenarios)


def _count(side_effects: Callable[[], object]) -> int:
    value = side_effects()
    if isinstance(value, (bool, str, bytes)):
        raise InvalidArgument("side_effects must return a count (int) or a sized collection")
    if isinstance(value, int):
        return value
    if isinstance(value, Sized):
        return len(value)
    raise InvalidArgument(
        f"side_effects must return a count (int) or a sized collection, got {type(value).__name__}"
    )


def _judge(
    name: str,
    key: str,
    outcomes: list[Outcomes],
    effects: int,
    normalize: Callable[[object], object] | None,
    extra: list[str],
) -> IdempotencyScenario:
    runs = [o for batch in outcomes for o in batch]
    merged = Outcomes(
        [type(o)(i, o.kind, o.value, o.error, o.duration_s) for i, o in enumerate(runs)],
        mode=outcomes[-1].mode,
        concurrency=max(b.concurrency for b in outcomes),
        timeout=outcomes[-1].timeout,
        wall_s=sum(b.wall_s for b in outcomes),
        label=f"idempotency {name}",
    )
    problems = list(extra)
    peak = max(b.peak_in_flight for b in outcomes)
    groups = merged.groups(normalize)
    if effects != 1:
        problems.append(f"{effects} side effects for one idempotency key (expected exactly 1)")
    if any(not o.ok for o in runs):
        problems.append("some calls did not return: " + merged.describe(normalize))
    elif len(groups) > 1:
        problems.append("the calls got different results: " + merged.describe(normalize))
    return IdempotencyScenario(
        name=name,
        key=key,
        calls=len(runs),
        side_effects=effects,
        distinct_results=len(groups),
        problems=tuple(problems),
        outcomes=merged.describe(normalize),
        peak_in_flight=peak if name == "concurrent" else 1,
    )


def _steps(
    call: Callable[[str], Any],
    side_effects: Callable[[], object],
    times: int,
    lose_response: object,
    retry_after_loss: bool,
    normalize: Callable[[object], object] | None,
    seed: int,
    key_prefix: str,
) -> Steps[tuple[IdempotencyScenario, ...]]:
    rng = random.Random(seed)
    scenarios: list[IdempotencyScenario] = []
    names = [*_SCENARIOS[:2], *(["lost_response"] if lose_response is not None else [])]
    for name in names:
        key = f"{key_prefix}-{name}-{rng.getrandbits(48):012x}"
        before = _count(side_effects)
        batches: list[Outcomes] = []
        extra: list[str] = []
        if name == "lost_response":
            lost_before = getattr(lose_response, "lost", None)
            arm = getattr(lose_response, "arm", lose_response)
            assert callable(arm)
            arm()
            first = yield Run(functools.partial(call, key), label="idempotency lost_response")
            lost_after = getattr(lose_response, "lost", None)
            if isinstance(lost_before, int) and lost_after == lost_before:
                extra.append(
                    "the lost-response fault never fired: the call did not reach the wrapped "
                    "dependency, so this scenario proved nothing"
                )
            if first[0].kind == "raised" and retry_after_loss:
                # The client did not retry by itself: retry as a retrying client would, with
                # the same key. What matters here is that the retry does not apply it twice.
                first = yield Run(functools.partial(call, key), label="idempotency retry")
            batches.append(first)
            batches.append((yield Run(functools.partial(call, key), label="idempotency replay")))
        else:
            batches.append(
                (
                    yield Run(
                        functools.partial(call, key),
                        times=times,
                        concurrent=name == "concurrent",
                        label=f"idempotency {name}",
                    )
                )
            )
        effects = _count(side_effects) - before
        scenarios.append(_judge(name, key, batches, effects, normalize, extra))
    return tuple(scenarios)


def _validate(call: object, side_effects: object, times: object, lose_response: object) -> None:
    if not callable(call):
        raise InvalidArgument(
            f"check_idempotency: call must be a callable taking the idempotency key, got {call!r}"
        )
    if not callable(side_effects):
        raise InvalidArgument(
            "check_idempotency: side_effects must be a callable returning how many side effects "
            f"happened so far (an int or a sized collection), got {side_effects!r}"
        )
    if isinstance(times, bool) or not isinstance(times, int) or times < 2:
        raise InvalidArgument(
            "check_idempotency: times must be an integer >= 2 (copies of one request), got "
            f"{times!r}"
        )
    if lose_response is not None and not callable(getattr(lose_response, "arm", lose_response)):
        raise InvalidArgument(
            "check_idempotency: lose_response must be a LoseResponses wrapper or a callable that "
            f"arms a lost response, got {lose_response!r}"
        )


def _finish(scenarios: tuple[IdempotencyScenario, ...]) -> IdempotencyResult:
    __tracebackhide__ = True
    figures: dict[str, bool | int | float | str | None] = {"scenarios": len(scenarios)}
    for s in scenarios:
        figures[f"{s.name}_side_effects"] = s.side_effects
        figures[f"{s.name}_calls"] = s.calls
    concurrent = next((s for s in scenarios if s.name == "concurrent"), None)
    if concurrent is not None:
        figures["concurrent_peak_in_flight"] = concurrent.peak_in_flight
    held = not any(s.problems for s in scenarios)
    summary = ", ".join(f"{s.name}: {s.side_effects} effect(s)" for s in scenarios)
    if concurrent is not None and concurrent.peak_in_flight < 2:
        # Not a failure (the repeated and lost-response scenarios still ran), but say so: copies
        # that never overlapped could not race.
        summary += (
            " (the concurrent copies never overlapped: give the call a wait, such as chaos "
            "latency, and run on the virtual clock)"
        )
    counted = conclude(
        "idempotency",
        "check_idempotency",
        held=held,
        exercised=sum(s.calls for s in scenarios),
        what="calls",
        summary=summary,
        figures=figures,
        explanation="not idempotent:\n"
        + _lines(scenarios)
        + "\nfix: store the key with its result atomically before the side effect (a unique "
        "constraint or a lock around check-and-set), and replay the stored result for a repeat",
    )
    return IdempotencyResult(
        held=held, counted=counted, summary=summary, figures=figures, scenarios=scenarios
    )


def check_idempotency(
    call: Callable[[str], Any],
    *,
    side_effects: Callable[[], object],
    times: int = 3,
    lose_response: object = None,
    retry_after_loss: bool = True,
    normalize: Callable[[object], object] | None = None,
    timeout: float = 30.0,
    seed: int = 0,
    key_prefix: str = "prodreal-idem",
) -> IdempotencyResult:
    """Check that one request with one idempotency key has one side effect and one result.

    ``call(key)`` makes the request with idempotency key ``key`` and returns its result;
    ``side_effects()`` returns how many side effects exist so far (an int, or a list of them).
    Scenarios, each with a fresh key derived from ``seed``: ``sequential`` (``times`` calls one
    after another), ``concurrent`` (``times`` calls at once, behind a start barrier) and, when
    ``lose_response`` is given (a :class:`LoseResponses` or a callable arming such a fault),
    ``lost_response``: the first response is lost after the effect; if the call then raises
    (the client did not retry by itself) and ``retry_after_loss``, the check retries it with the
    same key; a replay follows. Results are compared after ``normalize``.

    Records ``idempotency`` evidence; raises ``AssertionError`` naming each scenario that gave
    other than one side effect or more than one result. Every call runs with a ``timeout``.
    """
    __tracebackhide__ = True
    _validate(call, side_effects, times, lose_response)
    steps = _steps(
        call, side_effects, times, lose_response, retry_after_loss, normalize, seed, key_prefix
    )
    return _finish(drive(steps, timeout))


async def acheck_idempotency(
    call: Callable[[str], Any],
    *,
    side_effects: Callable[[], object],
    times: int = 3,
    lose_response: object = None,
    retry_after_loss: bool = True,
    normalize: Callable[[object], object] | None = None,
    timeout: float = 30.0,
    seed: int = 0,
    key_prefix: str = "prodreal-idem",
) -> IdempotencyResult:
    """:func:`check_idempotency` for an async ``call``, run as tasks on the running event loop."""
    __tracebackhide__ = True
    _validate(call, side_effects, times, lose_response)
    steps = _steps(
        call, side_effects, times, lose_response, retry_after_loss, normalize, seed, key_prefix
    )
    return _finish(await adrive(steps, timeout))
