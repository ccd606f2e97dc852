"""Run totals: virtual seconds covered, faults fired, requests and inputs, from evidence figures.

Library layer: no pytest. Checks name their figures; the report adds up the ones below. Within
one test the checks usually share one virtual clock and one chaos fixture, whose counters are
cumulative (a soak that records ``slo``, ``error_budget`` and ``observability`` evidence reports
the same ``virtual_s`` three times), so each test contributes the **largest** value any one of
its evidence records for a figure, and the totals sum that over tests. A total is therefore never
double-counted; it is a lower bound when one test runs several independent clocks.

A figure may also be read as the product of two figures: a soak's ``slo`` evidence records
``requests`` and ``calls_per_request`` (chaos calls per request), whose product, rounded, is the
soak's calls through chaos routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import TestRecord

__all__ = ["TOTALS", "TOTAL_TITLES", "totals_of"]

#: A figure name, or two whose product (rounded to a whole number) is read.
Figure = str | tuple[str, str]

#: Each total and the evidence figures it reads (the first one a piece of evidence has counts).
TOTALS: Mapping[str, tuple[Figure, ...]] = {
    "virtual_s": ("virtual_s",),
    "faults_fired": ("faults_fired",),
    "route_calls": ("route_calls", "dependency_calls", ("requests", "calls_per_request")),
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


def _read(figures: Mapping[str, object], name: Figure) -> tuple[bool, float | None]:
    """Whether the evidence has figure ``name``, and its value (``None``: not a count)."""
    if isinstance(name, str):
        return (True, _number(figures[name])) if name in figures else (False, None)
    if not all(n in figures for n in name):
        return False, None
    a, b = (_number(figures[n]) for n in name)
    return True, (float(round(a * b)) if a is not None and b is not None else None)


def totals_of(records: Iterable[TestRecord]) -> dict[str, float]:
    """The totals of these tests (see the module docstring for the rule)."""
    out = dict.fromkeys(TOTALS, 0.0)
    for rec in records:
        if not rec.evidence:
            continue
        for total, names in TOTALS.items():
            best = 0.0
            for ev in rec.evidence:
                for name in names:
                    found, value = _read(ev.figures, name)
                    if found:
                        if value is not None and value > best:
                            best = value
                        break
            out[total] += best
    return {k: (round(v, 6) if k == "virtual_s" else int(v)) for k, v in out.items()}
