"""``error_budget``: the budget a soak consumed, and whether its burn would page.

The multi-window, multi-burn-rate alerting rule of the Google SRE workbook ("Alerting on
SLOs"): page on a *fast burn* when the error rate over the last hour and over the last five
minutes are both at least 14.4x what the SLO allows (2 % of a 30-day budget in an hour), and on
a *slow burn* when the last six hours and the last thirty minutes are both at least 6x (5 % in
six hours). The rule is evaluated at the end of every request, over the requests that ended in
each window (virtual time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .._kit import CheckResult, conclude
from .._kit import validate as _v
from ..errors import InvalidArgument
from ..evidence import FigureValue
from ._args import known_keywords
from ._result import SoakResult

__all__ = ["BurnRule", "ErrorBudgetResult", "FAST_BURN", "SLOW_BURN", "check_error_budget"]


@dataclass(frozen=True)
class BurnRule:
    """Page when the burn rate over ``long_s`` and over ``short_s`` both reach ``threshold``."""

    name: str
    threshold: float
    long_s: float
    short_s: float


FAST_BURN = BurnRule("fast", 14.4, 3600.0, 300.0)
SLOW_BURN = BurnRule("slow", 6.0, 6 * 3600.0, 1800.0)
_DAY = 86_400.0


@dataclass(frozen=True)
class RuleOutcome:
    """One rule over the soak: the highest burn over each window, and when it first paged."""

    rule: BurnRule
    max_long: float
    max_short: float
    max_both: float
    paged_at: float | None

    @property
    def paged(self) -> bool:
        """Whether the rule fired at some point of the soak."""
        return self.paged_at is not None


def _max_burns(
    ends: Sequence[float], bad: Sequence[int], rule: BurnRule, allowed: float, rate: float
) -> RuleOutcome:
    # Prefix sums: the requests ending in (t - w, t] are those between two binary-search bounds.
    import bisect

    prefix = [0]
    for b in bad:
        prefix.append(prefix[-1] + b)
    max_long = max_short = max_both = 0.0
    paged_at = None
    for i, t in enumerate(ends):
        burns = []
        for w in (rule.long_s, rule.short_s):
            lo = bisect.bisect_right(ends, t - w, 0, i + 1)
            # Before the soak the service is taken to have been healthy at the soak's mean
            # rate: a window reaching back past the start holds that many good requests, so
            # one early error among three requests does not read as a 33 % error rate.
            total = i + 1 - lo + rate * max(0.0, w - t)
            errors = prefix[i + 1] - prefix[lo]
            burns.append((errors / total) / allowed if total else 0.0)
        long_b, short_b = burns
        max_long, max_short = max(max_long, long_b), max(max_short, short_b)
        both = min(long_b, short_b)
        max_both = max(max_both, both)
        if paged_at is None and both >= rule.threshold:
            paged_at = t
    return RuleOutcome(rule, max_long, max_short, max_both, paged_at)


@dataclass(frozen=True)
class ErrorBudgetResult(CheckResult):
    """What :func:`check_error_budget` found (budget, consumption, the two burn rules)."""

    budget: float = 0.0
    bad: int = 0
    consumed: float = 0.0
    window_consumed: float = 0.0
    rules: tuple[RuleOutcome, ...] = ()

    @property
    def would_page(self) -> bool:
        """Whether the fast or the slow burn rule fired."""
        return any(r.paged for r in self.rules)


@known_keywords()
def check_error_budget(
    result: SoakResult,
    *,
    slo: float = 0.999,
    window: float = 30 * _DAY,
    expect: str = "within",
    max_consumed: float = 1.0,
    count_fallbacks: bool = True,
) -> ErrorBudgetResult:
    """The error budget a soak consumed, and whether its burn would page (SRE workbook rule).

    ``slo`` is the target success ratio (0-1, exclusive); ``window`` the SLO window in virtual
    seconds (default 30 days). Bad events are errors, and fallbacks unless
    ``count_fallbacks=False``. The budget is ``(1 - slo) * requests``; ``consumed`` is the share
    of it the soak used (its mean burn rate) and ``window_consumed`` the share of the whole
    window's budget (the soak's traffic rate assumed for the window).

    ``expect="within"`` (default) holds when no burn rule fires and ``window_consumed <=
    max_consumed``: "this stays inside budget". ``expect="page"`` holds when the fast or slow
    rule fires: "this brownout would page". Records ``error_budget`` evidence.
    """
    __tracebackhide__ = True
    where = "check_error_budget"
    if not isinstance(result, SoakResult):
        raise InvalidArgument(
            f"{where}: result must be the SoakResult of soak()/asoak(), got {type(result).__name__}"
        )
    target = _v.finite_number(where, "slo", slo)
    if not 0 < target < 1:
        raise InvalidArgument(
            f"{where}: slo={slo!r} must be between 0 and 1 (exclusive), e.g. 0.999"
        )
    span = _v.positive_number(where, "window", window, unit="virtual seconds")
    _v.choice(where, "expect", expect, ("within", "page"))
    limit = _v.positive_number(where, "max_consumed", max_consumed)
    bad_kinds = ("error", "fallback") if count_fallbacks else ("error",)
    reqs = sorted(result.requests, key=lambda q: q.end)
    ends = [q.end for q in reqs]
    bad = [1 if q.outcome in bad_kinds else 0 for q in reqs]
    n, n_bad = len(reqs), sum(bad)
    allowed = 1 - target
    budget = allowed * n
    consumed = n_bad / budget if budget else 0.0
    covered = max(result.virtual_s, 1e-9)
    window_consumed = consumed * min(1.0, covered / span)
    rate = n / covered
    rules = tuple(_max_burns(ends, bad, rule, allowed, rate) for rule in (FAST_BURN, SLOW_BURN))
    paged = any(r.paged for r in rules)
    figures: dict[str, FigureValue] = {
        "requests": n,
        "virtual_s": round(result.virtual_s, 3),
        "route_calls": result.calls,
        "slo": target,
        "window_s": span,
        "bad_events": n_bad,
        "budget_events": round(budget, 6),
        "budget_consumed": round(consumed, 6),
        "window_budget_consumed": round(window_consumed, 6),
        "would_page": paged,
    }
    for r in rules:
        name = r.rule.name
        figures[f"{name}_burn_{r.rule.long_s / 3600:g}h_max"] = round(r.max_long, 4)
        figures[f"{name}_burn_{r.rule.short_s / 60:g}m_max"] = round(r.max_short, 4)
        figures[f"{name}_burn_paged"] = r.paged
    pages = [
        f"{r.rule.name} burn ({r.rule.threshold:g}x over {r.rule.long_s / 3600:g} h and "
        f"{r.rule.short_s / 60:g} min) paged at t={r.paged_at:.0f}s"
        for r in rules
        if r.paged
    ]
    burns = "; ".join(
        f"{r.rule.name}: max {r.max_long:.2f}x over {r.rule.long_s / 3600:g} h, "
        f"{r.max_short:.2f}x over {r.rule.short_s / 60:g} min (threshold {r.rule.threshold:g}x)"
        for r in rules
    )
    summary = (
        f"{n_bad} bad of {n} requests against a {target:.4%} SLO: {consumed:.1%} of the soak's "
        f"budget, {window_consumed:.2%} of a {span / _DAY:g}-day window's; "
        + ("this would page" if paged else "stays inside budget, no page")
    )
    over_budget = f"{window_consumed:.2%} of the window budget consumed, over {limit:.2%}"
    if expect == "within":
        held = not paged and window_consumed <= limit
        explanation = (
            ""
            if held
            else (
                f"{'; '.join(pages) or over_budget} "
                f"({burns}). The soak burns the error budget too fast: make the service degrade "
                "less often (retries, breaker, fallbacks that succeed), or loosen the SLO."
            )
        )
    else:
        held = paged
        explanation = (
            ""
            if held
            else (
                f"no burn rule fired ({burns}): this soak would not page anyone. If it should, the "
                "brownout is too mild to test alerting: make it longer or harsher."
            )
        )
    counted = conclude(
        "error_budget",
        where,
        held=held,
        exercised=n,
        what="request(s)",
        summary=summary,
        figures=figures,
        explanation=explanation,
        nothing_hint="the soak made no request",
        stacklevel=4,  # conclude <- the check <- known_keywords <- the user
    )
    return ErrorBudgetResult(
        held=held,
        counted=counted,
        summary=summary + "\n" + burns,
        figures=figures,
        explanation=explanation,
        budget=budget,
        bad=n_bad,
        consumed=consumed,
        window_consumed=window_consumed,
        rules=rules,
    )
