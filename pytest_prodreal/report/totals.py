"""Run totals: virtual seconds covered, faults fired, requests and inputs, from evidence figures.

Library layer: no pytest. Checks name their figures; the report adds up the ones below. Within
one test the checks usually share one virtual clock and one chaos fixture, whose counters are
cumulative (a soak that records ``slo``, ``error_budget`` and ``observability`` evidence reports
the same ``virtual_s`` three times), so each test contributes the **largest** value any one of
its evidence records for a figure, and the totals sum that over tests. A total is therefore never
double-counted; it is a lower bound when one test runs several independent clocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import TestRecord

__all__ = ["TOTALS", "TOTAL_TITLES", "totals_of"]

#: Each total and the evidence figures it reads (the first one a piece of evidence has counts).
TOTALS: Mapping[str, tuple[str, ...]] = {
    "virtual_s": ("virtual_s",),
    "faults_fired": ("faults_fired",),
    "route_calls": ("route_calls", "dependency_calls"),
    "requests": ("requests",),
    "inputs": ("inputs",),
}

#: How the renderers name each total.
TOTAL_TITLES: Mapping[str, str] = {
    "virtual_s": "virtual seconds covered",
    "faults_fired": "faults fired",
    "route_calls": "calls through chaos routes",
    "requests": "requests driven",
    "inputs": "inputs generated",
}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value >= 0 else None


def totals_of(records: Iterable[TestRecord]) -> dict[str, float]:
    """The totals of these tests (see the module docstring for the rule)."""
    out = dict.fromkeys(TOTALS, 0.0)
    for rec in records:
        if not rec.evidence:
            continue
        for total, names in TOTALS.items():
            best = 0.0
            for ev in rec.evidence:
                figures = ev.figures
                for name in names:
                    if name in figures:
                        value = _number(figures[name])
                        if value is not None and value > best:
                            best = value
                        break
            out[total] += best
    return {k: (round(v, 6) if k == "virtual_s" else int(v)) for k, v in out.items()}
