"""Inline SVG charts for the HTML report: no script, no network, readable without colour.

Library layer: no pytest. Colours are the Okabe-Ito palette (distinguishable with the common
colour-vision deficiencies), and every mark also carries text (a count, a value, a label) and a
shape, so a chart reads in greyscale print too. Every data mark carries ``data-*`` attributes
(``data-name``, ``data-value``) so tests and tools can read what is drawn.

The charts read evidence figures by name (the operations checks record them):

- latency: ``p50_s``, ``p90_s``, ``p95_s``, ``p99_s``, ``max_s`` (virtual seconds), per scenario;
  the scenario is the figure ``scenario`` when given, else the check and the test's name;
- error budget: ``budget_consumed`` (share of the budget, 0..1 or more) and burn rates
  ``burn_rate_<window>`` (for example ``burn_rate_1h``) or, as ``check_error_budget`` records
  them, ``<rule>_burn_<window>_max`` (``fast_burn_1h_max``);
- retry amplification: ``amplification_<route>`` or ``<route>_amplification`` (calls per
  request), else ``amplification`` for the whole run;
- fault timeline: ``fault_timeline``, text ``"T:ROUTE:FAULT;T:ROUTE:FAULT;..."`` with ``T`` in
  virtual seconds, for a failing test.

A chart with no data is left out; the page says which figures would draw it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

__all__ = [
    "PALETTE",
    "PERCENTILES",
    "SYMBOL",
    "bar_chart",
    "coverage_chart",
    "latency_chart",
    "parse_timeline",
    "timeline_chart",
]

#: Okabe-Ito colours by role.
PALETTE = {
    "verified": "#009E73",  # bluish green
    "failing": "#D55E00",  # vermillion
    "declared": "#E69F00",  # orange
    "missing": "#BBBBBB",  # grey
    "blue": "#0072B2",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "ink": "#222222",
}
#: A symbol per status, drawn beside the colour.
SYMBOL = {"verified": "✓", "failing": "✗", "declared": "~", "missing": "·"}
_PCT_SHAPES = {"p50_s": "circle", "p90_s": "square", "p95_s": "diamond", "p99_s": "triangle"}
PERCENTILES = ("p50_s", "p90_s", "p95_s", "p99_s", "max_s")

_esc = html.escape


def _value(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:.2f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def _svg(width: int, height: int, label: str, body: str) -> str:
    return (
        f"<svg viewBox='0 0 {width} {height}' "
        f"width='100%' style='max-width:{width}px' role='img' aria-label='{_esc(label)}'>"
        f"{body}</svg>"
    )


def coverage_chart(rows: Sequence[tuple[str, dict[str, int]]], title: str) -> str:
    """Stacked bars, one per row (a category): counts of remedies by status, each labelled."""
    order = ("verified", "failing", "declared", "missing")
    label_w, bar_w, row_h = 150, 360, 26
    height = row_h * len(rows) + 34
    parts = []
    for i, (name, counts) in enumerate(rows):
        y = 8 + i * row_h
        total = sum(counts.values()) or 1
        parts.append(
            f"<text x='{label_w - 8}' y='{y + 14}' text-anchor='end' class='lbl'>"
            f"{_esc(name)}</text>"
        )
        x = float(label_w)
        for status in order:
            n = counts.get(status, 0)
            if not n:
                continue
            w = bar_w * n / total
            parts.append(
                f"<g class='seg' data-name='{_esc(name)}' data-status='{status}' data-value='{n}'>"
                f"<title>{_esc(name)}: {n} {status}</title>"
                f"<rect x='{x:.1f}' y='{y}' width='{w:.1f}' height='18' fill='{PALETTE[status]}' "
                f"stroke='#fff'/>"
                f"<text x='{x + w / 2:.1f}' y='{y + 13}' text-anchor='middle' class='seglbl'>"
                f"{SYMBOL[status]} {n}</text></g>"
            )
            x += w
    legend_y = height - 10
    for j, status in enumerate(order):
        lx = label_w + j * 90
        parts.append(
            f"<rect x='{lx}' y='{legend_y - 10}' width='12' height='12' fill='{PALETTE[status]}'/>"
            f"<text x='{lx + 16}' y='{legend_y}' class='lbl'>{SYMBOL[status]} {status}</text>"
        )
    return _svg(label_w + bar_w + 20, height, title, "".join(parts))


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "circle":
        return f"<circle cx='{x:.1f}' cy='{y:.1f}' r='5' fill='{colour}'/>"
    if shape == "square":
        return f"<rect x='{x - 4.5:.1f}' y='{y - 4.5:.1f}' width='9' height='9' fill='{colour}'/>"
    if shape == "diamond":
        pts = f"{x:.1f},{y - 6:.1f} {x + 6:.1f},{y:.1f} {x:.1f},{y + 6:.1f} {x - 6:.1f},{y:.1f}"
        return f"<polygon points='{pts}' fill='{colour}'/>"
    if shape == "triangle":
        pts = f"{x:.1f},{y - 6:.1f} {x + 6:.1f},{y + 5:.1f} {x - 6:.1f},{y + 5:.1f}"
        return f"<polygon points='{pts}' fill='{colour}'/>"
    return (  # a cross for the maximum
        f"<path d='M{x - 5:.1f},{y - 5:.1f}L{x + 5:.1f},{y + 5:.1f}M{x - 5:.1f},{y + 5:.1f}"
        f"L{x + 5:.1f},{y - 5:.1f}' stroke='{colour}' stroke-width='2.5'/>"
    )


_PCT_COLOUR = {
    "p50_s": PALETTE["verified"],
    "p90_s": PALETTE["sky"],
    "p95_s": PALETTE["blue"],
    "p99_s": PALETTE["purple"],
    "max_s": PALETTE["failing"],
}


def latency_chart(rows: Sequence[tuple[str, dict[str, float]]], title: str) -> str:
    """Percentile markers per scenario on a shared axis of virtual seconds (log when wide)."""
    label_w, plot_w, row_h = 220, 420, 30
    values = [v for _, figs in rows for v in figs.values() if v > 0]
    hi = max(values, default=1.0)
    lo = min(values, default=hi)
    log = hi / max(lo, 1e-9) > 50

    def xpos(v: float) -> float:
        if log:
            span = math.log10(hi * 1.2) - math.log10(lo / 1.2)
            return label_w + plot_w * (math.log10(max(v, lo / 1.2)) - math.log10(lo / 1.2)) / span
        return label_w + plot_w * v / (hi * 1.1)

    height = row_h * len(rows) + 56
    parts = [
        f"<line x1='{label_w}' y1='{height - 40}' x2='{label_w + plot_w}' y2='{height - 40}' "
        "stroke='#999'/>",
        f"<text x='{label_w + plot_w}' y='{height - 26}' text-anchor='end' class='lbl'>"
        f"virtual seconds{' (log scale)' if log else ''}; max {_value(hi)} s</text>",
    ]
    for i, (name, figs) in enumerate(rows):
        y = 14 + i * row_h
        parts.append(
            f"<text x='{label_w - 8}' y='{y + 4}' text-anchor='end' class='lbl'>{_esc(name)}</text>"
            f"<line x1='{label_w}' y1='{y}' x2='{label_w + plot_w}' y2='{y}' stroke='#eee'/>"
        )
        for key in PERCENTILES:
            if key not in figs:
                continue
            v = figs[key]
            x = xpos(v)
            parts.append(
                f"<g class='pt' data-name='{_esc(name)}' data-figure='{key}' data-value='{v}'>"
                f"<title>{_esc(name)} {key[:-2]} = {_value(v)} s</title>"
                f"{_marker(_PCT_SHAPES.get(key, 'cross'), x, y, _PCT_COLOUR[key])}</g>"
            )
        summary = " ".join(f"{k[:-2]} {_value(figs[k])}" for k in PERCENTILES if k in figs)
        parts.append(f"<text x='{label_w}' y='{y + 16}' class='small'>{_esc(summary)} s</text>")
    lx = label_w
    for key in PERCENTILES:
        parts.append(
            _marker(_PCT_SHAPES.get(key, "cross"), lx + 5, height - 10, _PCT_COLOUR[key])
            + f"<text x='{lx + 14}' y='{height - 6}' class='lbl'>{key[:-2]}</text>"
        )
        lx += 62
    return _svg(label_w + plot_w + 20, height, title, "".join(parts))


def bar_chart(
    rows: Sequence[tuple[str, float]],
    title: str,
    unit: str = "",
    threshold: float | None = None,
    threshold_label: str = "",
    flag_over: bool = True,
) -> str:
    """Horizontal bars with their value written beside them; an optional threshold line.

    With ``flag_over``, a bar past the threshold is drawn in the failing colour and marked
    "▲ over" (a budget or burn-rate limit); without, the line is only a reference (1x).
    """
    label_w, plot_w, row_h = 220, 380, 24
    hi = max([v for _, v in rows] + ([threshold] if threshold else []) + [1e-9]) * 1.15
    height = row_h * len(rows) + 30
    parts = []
    for i, (name, v) in enumerate(rows):
        y = 6 + i * row_h
        w = plot_w * max(v, 0) / hi
        over = flag_over and threshold is not None and v > threshold
        colour = PALETTE["failing"] if over else PALETTE["blue"]
        parts.append(
            f"<g class='bar' data-name='{_esc(name)}' data-value='{v}'>"
            f"<title>{_esc(name)}: {_value(v)}{unit}</title>"
            f"<text x='{label_w - 8}' y='{y + 13}' text-anchor='end' class='lbl'>"
            f"{_esc(name)}</text>"
            f"<rect x='{label_w}' y='{y}' width='{w:.1f}' height='16' fill='{colour}'/>"
            f"<text x='{label_w + w + 5:.1f}' y='{y + 13}' class='lbl'>{_value(v)}{unit}"
            f"{' ▲ over' if over else ''}</text></g>"
        )
    if threshold is not None:
        x = label_w + plot_w * threshold / hi
        parts.append(
            f"<line x1='{x:.1f}' y1='0' x2='{x:.1f}' y2='{height - 18}' stroke='{PALETTE['ink']}' "
            f"stroke-dasharray='4 3'/><text x='{x:.1f}' y='{height - 4}' text-anchor='middle' "
            f"class='small'>{_esc(threshold_label or _value(threshold) + unit)}</text>"
        )
    return _svg(label_w + plot_w + 80, height, title, "".join(parts))


def parse_timeline(text: str) -> list[tuple[float, str, str]]:
    """``"1.5:search:timeout;3:llm:http_500"`` -> ``[(1.5, "search", "timeout"), ...]``.

    Entries that do not parse are skipped: a chart never breaks the report.
    """
    out = []
    for entry in text.split(";"):
        t, _, rest = entry.strip().partition(":")
        # Route names may hold colons (``POST https://...``); fault names never do.
        route, _, fault = rest.rpartition(":")
        if not route:
            route, fault = fault, ""
        try:
            when = float(t)
        except ValueError:
            continue
        if math.isfinite(when) and route:
            out.append((when, route, fault or "fault"))
    return sorted(out)


def timeline_chart(events: Sequence[tuple[float, str, str]], title: str) -> str:
    """Faults on a virtual-time axis, one lane per route, each mark labelled with its fault."""
    routes = sorted({r for _, r, _ in events})
    label_w, plot_w, lane_h = 140, 460, 34
    end = max((t for t, _, _ in events), default=1.0) or 1.0
    height = lane_h * len(routes) + 40
    parts = [
        f"<line x1='{label_w}' y1='{height - 26}' x2='{label_w + plot_w}' y2='{height - 26}' "
        "stroke='#999'/>",
        f"<text x='{label_w}' y='{height - 10}' class='small'>0 s</text>",
        f"<text x='{label_w + plot_w}' y='{height - 10}' text-anchor='end' class='small'>"
        f"{_value(end)} virtual s</text>",
    ]
    for i, route in enumerate(routes):
        y = 16 + i * lane_h
        parts.append(
            f"<text x='{label_w - 8}' y='{y + 4}' text-anchor='end' class='lbl'>"
            f"{_esc(route)}</text>"
            f"<line x1='{label_w}' y1='{y}' x2='{label_w + plot_w}' y2='{y}' stroke='#eee'/>"
        )
    for t, route, fault in events:
        y = 16 + routes.index(route) * lane_h
        x = label_w + plot_w * t / (end * 1.02)
        parts.append(
            f"<g class='evt' data-name='{_esc(route)}' data-figure='{_esc(fault)}' "
            f"data-value='{t}'><title>{_value(t)} s: {_esc(route)} {_esc(fault)}</title>"
            f"{_marker('diamond', x, y, PALETTE['failing'])}"
            f"<text x='{x:.1f}' y='{y + 17}' text-anchor='middle' class='small'>"
            f"{_esc(fault)}</text></g>"
        )
    return _svg(label_w + plot_w + 30, height, title, "".join(parts))
