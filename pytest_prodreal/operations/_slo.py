"""``slo``: hold a soak's SLIs to objectives, and cap cost and calls per request."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from .._kit import CheckResult, conclude
from .._kit import validate as _v
from ..errors import InvalidArgument
from ..evidence import FigureValue
from ._args import known_keywords
from ._result import Request, SoakResult, percentile

__all__ = ["CostCapResult", "Objective", "SloResult", "check_cost_cap", "check_slo"]


@dataclass(frozen=True)
class Objective:
    """One objective: its name, the target, the measured figure, and the margin (>= 0 held)."""

    name: str
    target: float
    actual: float
    margin: float
    unit: str = ""

    @property
    def held(self) -> bool:
        """Whether the figure met the target."""
        return self.margin >= 0

    def _fmt(self, x: float) -> str:
        if self.unit == "%":
            return f"{x:.3%}"
        if self.unit == "$":
            return f"${x:.6f}"
        return f"{x:.4g}{self.unit}"

    def line(self) -> str:
        """``p95 latency 1.2s <= 2s (margin 0.8s)``."""
        op = ">=" if self.name == "success rate" else "<="
        state = "" if self.held else "  MISSED"
        f = self._fmt
        return (
            f"{self.name} {f(self.actual)} {op} {f(self.target)} (margin {f(self.margin)}){state}"
        )


@dataclass(frozen=True)
class SloResult(CheckResult):
    """What :func:`check_slo` found: every objective with its figure and margin."""

    objectives: tuple[Objective, ...] = ()


def _result_arg(where: str, result: object) -> SoakResult:
    if not isinstance(result, SoakResult):
        raise InvalidArgument(
            f"{where}: result must be the SoakResult of soak()/asoak(), got {type(result).__name__}"
        )
    return result


def _worst_route(req: Request) -> str:
    retries = Counter(c.route for c in req.retry_calls())
    if retries:
        route, n = retries.most_common(1)[0]
        return f"route {route!r} ({n} retries in that request)"
    calls = Counter(c.route for c in req.calls)
    if calls:
        route, n = calls.most_common(1)[0]
        return f"route {route!r} ({n} calls, none a retry)"
    return "no chaos route (the cost came from elsewhere)"


@known_keywords("objective", percentiles=True)
def check_slo(
    result: SoakResult,
    *,
    success_rate: float | None = None,
    fallback_rate: float | None = None,
    p50_s: float | None = None,
    p90_s: float | None = None,
    p95_s: float | None = None,
    p99_s: float | None = None,
    max_s: float | None = None,
    latency_s: Mapping[float, float] | None = None,
    cost_per_request: float | None = None,
    calls_per_request: float | None = None,
    max_amplification: float | None = None,
) -> SloResult:
    """Hold a soak to any subset of objectives; report each with its figure and margin.

    ``success_rate`` is a floor (0-1); ``fallback_rate`` a ceiling; ``p50_s``...``max_s`` and
    ``latency_s={99.9: 5.0}`` cap exact percentiles of virtual latency; ``cost_per_request``
    (USD, needs ``prices=`` on the soak), ``calls_per_request`` and ``max_amplification``
    (calls per first attempt) cap means. Raises ``AssertionError`` naming every missed
    objective; records ``slo`` evidence inside a test.
    """
    __tracebackhide__ = True
    where = "check_slo"
    r = _result_arg(where, result)
    objectives: list[Objective] = []
    if success_rate is not None:
        target = _v.rate(where, "success_rate", success_rate)
        objectives.append(
            Objective("success rate", target, r.success_rate, r.success_rate - target, "%")
        )
    if fallback_rate is not None:
        target = _v.rate(where, "fallback_rate", fallback_rate)
        objectives.append(
            Objective("fallback rate", target, r.fallback_rate, target - r.fallback_rate, "%")
        )
    caps: list[tuple[float, float, str]] = []
    for p, value, name in (
        (50, p50_s, "p50_s"),
        (90, p90_s, "p90_s"),
        (95, p95_s, "p95_s"),
        (99, p99_s, "p99_s"),
        (100, max_s, "max_s"),
    ):
        if value is not None:
            caps.append(
                (
                    p,
                    _v.positive_number(where, name, value, unit="virtual seconds"),
                    "max" if p == 100 else f"p{p}",
                )
            )
    for key, value in dict(latency_s or {}).items():
        percentile((), key, where=f"{where}: latency_s key")
        caps.append(
            (
                float(key),
                _v.positive_number(where, f"latency_s[{key!r}]", value, unit="virtual seconds"),
                f"p{key:g}",
            )
        )
    for pct, cap, label in caps:
        actual = r.percentile(pct)
        objectives.append(Objective(f"{label} latency", cap, actual, cap - actual, "s"))
    if cost_per_request is not None:
        target = _v.non_negative_number(where, "cost_per_request", cost_per_request, unit="USD")
        if not r.priced:
            raise InvalidArgument(
                f"{where}: cost_per_request= needs a price table: pass prices= to soak()"
            )
        objectives.append(
            Objective(
                "cost per request", target, r.cost_per_request, target - r.cost_per_request, "$"
            )
        )
    if calls_per_request is not None:
        target = _v.positive_number(where, "calls_per_request", calls_per_request)
        objectives.append(
            Objective(
                "calls per request", target, r.calls_per_request, target - r.calls_per_request
            )
        )
    if max_amplification is not None:
        target = _v.positive_number(where, "max_amplification", max_amplification)
        objectives.append(
            Objective("amplification", target, r.amplification, target - r.amplification, "x")
        )
    if not objectives:
        raise InvalidArgument(
            f"{where}: give at least one objective (success_rate=, p95_s=, p99_s=, "
            "cost_per_request=, max_amplification=, ...)"
        )
    missed = [o for o in objectives if not o.held]
    held = not missed
    figures: dict[str, FigureValue] = dict(r.sli())
    for o in objectives:
        slug = o.name.replace(" ", "_")
        figures[f"objective_{slug}"] = o.target
        figures[f"margin_{slug}"] = round(o.margin, 9)
    summary = (
        f"{len(objectives) - len(missed)}/{len(objectives)} objectives met over {len(r)} "
        f"requests, {r.virtual_s:g} virtual s"
    )
    explanation = ""
    if missed:
        explanation = (
            "; ".join(o.line() for o in missed)
            + f". Over {len(r)} requests ({r.describe()}). "
            + ("Route with the most retries: " + _worst_route_of(r) + ". " if r.calls else "")
            + "Fix the service (retries, timeouts, fallbacks) or the objective."
        )
    counted = conclude(
        "slo",
        where,
        held=held,
        exercised=len(r),
        what="request(s)",
        summary=summary,
        figures=figures,
        explanation=explanation,
        nothing_hint="the soak made no request",
        stacklevel=4,  # conclude <- the check <- known_keywords <- the user
    )
    return SloResult(
        held=held,
        counted=counted,
        summary=summary + "\n" + "\n".join(o.line() for o in objectives),
        figures=figures,
        explanation=explanation,
        objectives=tuple(objectives),
    )


def _worst_route_of(r: SoakResult) -> str:
    retries = Counter(c.route for req in r.requests for c in req.retry_calls())
    if not retries:
        return "none (no retries)"
    route, n = retries.most_common(1)[0]
    return f"{route!r} ({n} retries)"


@dataclass(frozen=True)
class CostCapResult(CheckResult):
    """What :func:`check_cost_cap` found; ``over`` are the requests over a cap."""

    over: tuple[Request, ...] = ()


@known_keywords()
def check_cost_cap(
    result: SoakResult, *, max_cost: float | None = None, max_calls: int | None = None
) -> CostCapResult:
    """Fail when any request cost more than ``max_cost`` USD or made more than ``max_calls`` calls.

    Names the worst request and the route whose retries caused it (an unbounded retry loop
    shows here). ``max_cost`` needs ``prices=`` on the soak. Records ``slo`` evidence.
    """
    __tracebackhide__ = True
    where = "check_cost_cap"
    r = _result_arg(where, result)
    if max_cost is None and max_calls is None:
        raise InvalidArgument(f"{where}: give max_cost= (USD per request) and/or max_calls=")
    cost_cap = (
        None
        if max_cost is None
        else _v.non_negative_number(where, "max_cost", max_cost, unit="USD")
    )
    calls_cap = None if max_calls is None else _v.positive_int(where, "max_calls", max_calls)
    if cost_cap is not None and not r.priced:
        raise InvalidArgument(
            f"{where}: max_cost= is a cost cap without a price table: pass prices= to soak()"
        )
    over = [
        q
        for q in r.requests
        if (cost_cap is not None and (q.cost or 0.0) > cost_cap)
        or (calls_cap is not None and len(q.calls) > calls_cap)
    ]
    worst_cost = max((q.cost or 0.0 for q in r.requests), default=0.0)
    worst_calls = max((len(q.calls) for q in r.requests), default=0)
    figures: dict[str, FigureValue] = {
        "requests": len(r),
        "virtual_s": round(r.virtual_s, 3),
        "route_calls": r.calls,
        "over_cap": len(over),
        "max_calls_per_request": worst_calls,
        "max_cost_per_request": round(worst_cost, 8),
        "cap_calls": calls_cap,
        "cap_cost": cost_cap,
    }
    held = not over
    summary = (
        f"{len(over)} of {len(r)} requests over the cap "
        f"(worst: {worst_calls} calls, ${worst_cost:.6f})"
    )
    explanation = ""
    if over:
        q = max(over, key=lambda x: (len(x.calls), x.cost or 0.0))
        what = f"{len(q.calls)} calls" + (f", ${q.cost:.6f}" if q.cost is not None else "")
        caps = ", ".join(
            x
            for x in (
                f"max_calls={calls_cap}" if calls_cap else "",
                f"max_cost=${cost_cap:g}" if cost_cap is not None else "",
            )
            if x
        )
        explanation = (
            f"{len(over)} of {len(r)} requests exceeded the cap ({caps}); the worst, {q.label()}, "
            f"made {what}, caused by {_worst_route(q)}. Bound the retries (max_retries, a retry "
            "budget, a breaker) on that route."
        )
    counted = conclude(
        "slo",
        where,
        held=held,
        exercised=len(r),
        what="request(s)",
        summary=summary,
        figures=figures,
        explanation=explanation,
        nothing_hint="the soak made no request",
        stacklevel=4,  # conclude <- the check <- known_keywords <- the user
    )
    return CostCapResult(
        held=held,
        counted=counted,
        summary=summary,
        figures=figures,
        explanation=explanation,
        over=tuple(over),
    )
