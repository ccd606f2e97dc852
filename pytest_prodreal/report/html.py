"""The HTML report: one self-contained page (no network) a team lead opens in a browser.

Library layer: no pytest. The page shows, per subject side by side: the verdict and totals,
coverage per category (an SVG chart), the checklist, per-remedy evidence with its figures, the
failing tests, and the operations charts the evidence figures allow (latency percentiles per
scenario, error-budget burn, retry amplification per route, the fault timeline of a failing
test; see :mod:`.charts` for the figure names). It embeds the same data as the JSON report in a
``<script type="application/json" id="prodreal-data">`` element. Its only script opens every
``<details>`` before printing, so a printout shows all the evidence.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from ..evidence import Evidence
from . import charts
from .model import Gates, RunReport, Status, TestRecord
from .render import (
    _SEVERITY,
    _fmt,
    evidence_text,
    render_json,
    subject_label,
    totals_text,
    verdict_line,
)
from .totals import TOTAL_TITLES

__all__ = ["render_html"]

_esc = html.escape
#: Most evidence items listed per remedy and subject, and rows per chart (the JSON has all).
MAX_ITEMS = 25
MAX_ROWS = 40

_CSS = """
:root{--ok:#009E73;--bad:#D55E00;--warn:#E69F00;--none:#767676;--ink:#222;--line:#ddd}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:80em;
padding:1.2em 1.5em 3em;color:var(--ink);background:#fff}
h1{font-size:1.5em;margin:.2em 0 .6em} h2{font-size:1.2em;margin:1.8em 0 .5em;
border-bottom:2px solid var(--line);padding-bottom:.2em} h3{font-size:1.02em;margin:1em 0 .3em}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(19em,1fr));gap:1em}
.card{border:1px solid var(--line);border-left:6px solid var(--none);border-radius:6px;
padding:.7em 1em} .card.ready{border-left-color:var(--ok)}
.card.notready{border-left-color:var(--bad)}
.verdict{font-weight:700;font-size:1.05em} .ready .verdict{color:#00664a}
.notready .verdict{color:#a34100} .muted{color:#555;font-size:.92em}
table{border-collapse:collapse;width:100%;margin:.6em 0} th,td{border-bottom:1px solid var(--line);
padding:.35em .5em;text-align:left;vertical-align:top} th{background:#f6f6f6}
code{font:.9em ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.st{white-space:nowrap;font-weight:600} .st-verified{color:#00664a} .st-failing{color:#a34100}
.st-declared{color:#8a5a00} .st-missing{color:var(--none)}
details{margin:.15em 0} summary{cursor:pointer}
.ev{margin:.3em 0 .3em 1em;padding:.25em .6em;border-left:3px solid var(--line)}
.ev.held{border-left-color:var(--ok)} .ev.broke{border-left-color:var(--bad)}
.figs{font:.85em ui-monospace,monospace;color:#444}
.chart{margin:.6em 0 1.2em} .chart figcaption{font-weight:600;margin-bottom:.2em}
.chart .lbl{font:12px system-ui,sans-serif;fill:#222}
.chart .small{font:11px system-ui,sans-serif;fill:#444}
.chart .seglbl{font:bold 11px system-ui,sans-serif;fill:#000}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(30em,1fr));gap:1em}
.note{color:#555;font-style:italic}
@media print{body{max-width:none;padding:0;font-size:11pt} h2{break-after:avoid}
.card,.chart,tr{break-inside:avoid} a{color:inherit;text-decoration:none}}
"""

_OPEN_ON_PRINT = (
    "window.addEventListener('beforeprint',function(){"
    "document.querySelectorAll('details').forEach(function(d){d.open=true})})"
)
_SYM = {s: charts.SYMBOL[s.value] for s in Status}


def _status_cell(status: Status) -> str:
    return f"<span class='st st-{status.value}'>{_SYM[status]} {status.value}</span>"


def _short(nodeid: str) -> str:
    return nodeid.rsplit("/", 1)[-1]


def _figures(ev: Evidence) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(ev.figures.items()))


def render_html(report: RunReport, gates: Gates | None = None) -> str:
    """The HTML page for ``report`` (see the module docstring)."""
    gates = gates or Gates()
    subjects = report.subject_ids()
    views = {s: report.for_subject(s) for s in subjects}
    named = report.has_subjects
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        "<title>pytest-prodreal report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>pytest-prodreal: launch checklist</h1>",
        "<section class='cards' id='verdicts'>",
    ]
    for s, view in views.items():
        verdict, ready = verdict_line(view)
        c = view.counts()
        out.append(
            f"<div class='card {'ready' if ready else 'notready'}' data-subject='{_esc(s)}'>"
            + (f"<h3>{_esc(subject_label(s))}</h3>" if named else "")
            + f"<div class='verdict'>{'✓' if ready else '✗'} {_esc(verdict)}</div>"
            f"<div class='muted'>{c['verified']} verified · {c['failing']} failing · "
            f"{c['declared']} declared only · {c['missing']} missing · "
            f"{len(view.tests)} tests</div>"
            f"<div class='muted totals'>{_esc(totals_text(view))}</div></div>"
        )
    out.append("</section>")
    out += _totals_table(views, named)
    out.append("<h2>Coverage by category</h2><div class='grid'>")
    for s, view in views.items():
        results = {r.remedy.id: r.status.value for r in view.remedy_results()}
        rows = []
        for cat in view.taxonomy.categories:
            counts: dict[str, int] = {}
            for rem in cat.remedies:
                counts[results[rem.id]] = counts.get(results[rem.id], 0) + 1
            rows.append((cat.id, counts))
        title = f"coverage of each category{' for ' + subject_label(s) if named else ''}"
        out.append(
            f"<figure class='chart' data-chart='coverage' data-subject='{_esc(s)}'>"
            f"<figcaption>{_esc(title)}</figcaption>{charts.coverage_chart(rows, title)}</figure>"
        )
    out.append("</div>")
    out += _checklist(report, views, named)
    out += _evidence(report, views, named)
    out += _failing(views, named)
    out += _operations(report, named)
    failures = report.gate_failures(gates)
    if gates.any:
        out.append(f"<h2>{'Gates not met' if failures else 'Gates'}</h2>")
        if failures:
            out.append("<ul class='gates'>" + "".join(f"<li>{_esc(f)}</li>" for f in failures))
            out.append("</ul>")
        else:
            out.append("<p class='gates'>✓ all gates met</p>")
    out.append("<h2>Runs</h2><table><tr><th>seed</th><th>python</th><th>pytest</th>")
    out.append("<th>pytest-prodreal</th><th>platform</th><th>workers</th></tr>")
    for run in report.runs:
        out.append(
            f"<tr><td>{run.seed}</td><td>{_esc(run.python)}</td><td>{_esc(run.pytest)}</td>"
            f"<td>{_esc(run.pytest_prodreal)}</td><td>{_esc(run.platform)}</td>"
            f"<td>{run.workers}</td></tr>"
        )
    out.append("</table>")
    # The same data as the JSON report; "</" is escaped so no text can close the element.
    data = render_json(report, gates).replace("</", "<\\/")
    out.append(f"<script type='application/json' id='prodreal-data'>{data}</script>")
    out.append(f"<script>{_OPEN_ON_PRINT}</script></body></html>\n")
    return "".join(out)


def _totals_table(views: dict[str, RunReport], named: bool) -> list[str]:
    out = ["<h2>Totals</h2><table id='totals'><tr><th>subject</th><th>tests</th>"]
    out += [f"<th>{_esc(t)}</th>" for t in TOTAL_TITLES.values()]
    out.append("</tr>")
    for s, view in views.items():
        totals = view.totals()
        out.append(f"<tr><td>{_esc(subject_label(s) if named else 'all')}</td>")
        out.append(f"<td>{len(view.tests)}</td>")
        out += [f"<td data-total='{k}'>{_fmt(totals[k])}</td>" for k in TOTAL_TITLES]
        out.append("</tr>")
    out.append("</table>")
    return out


def _checklist(report: RunReport, views: dict[str, RunReport], named: bool) -> list[str]:
    results = {s: {r.remedy.id: r for r in v.remedy_results()} for s, v in views.items()}
    out = ["<h2>Checklist</h2><table id='checklist'><tr><th>category</th><th>remedy</th>"]
    out += [f"<th>{_esc(subject_label(s) if named else 'status')}</th>" for s in views]
    out.append("</tr>")
    for cat in report.taxonomy.categories:
        for i, rem in enumerate(cat.remedies):
            first = f"<td rowspan='{len(cat.remedies)}'><strong>{_esc(cat.id)}</strong><br>" \
                f"<small>{_esc(cat.title)}</small></td>" if i == 0 else ""  # fmt: skip
            cells = [results[s][rem.id] for s in views]
            worst = max(cells, key=lambda r: _SEVERITY[r.status]).status.value
            out.append(
                f"<tr class='remedy' data-remedy='{_esc(rem.id)}' data-status='{worst}'>{first}"
                f"<td><code>{_esc(rem.id)}</code><br><small>{_esc(rem.description)}</small></td>"
            )
            for res in cells:
                tests = res.tests
                shown = ", ".join(f"<code>{_esc(_short(t))}</code>" for t in tests[:2])
                more = f" (+{len(tests) - 2} more)" if len(tests) > 2 else ""
                out.append(f"<td>{_status_cell(res.status)}<br><small>{shown}{more}</small></td>")
            out.append("</tr>")
    out.append("</table>")
    return out


def _evidence(report: RunReport, views: dict[str, RunReport], named: bool) -> list[str]:
    by: dict[tuple[str, str], list[tuple[TestRecord, Evidence]]] = {}
    for s, view in views.items():
        for rec in view.tests.values():
            for ev in rec.evidence:
                by.setdefault((ev.remedy, s), []).append((rec, ev))
    out = ["<h2>Evidence by remedy</h2>"]
    for rem in report.taxonomy.remedies:
        items = sum(len(by.get((rem.id, s), ())) for s in views)
        out.append(
            f"<details class='remedy-evidence' data-remedy='{_esc(rem.id)}'><summary>"
            f"<code>{_esc(rem.id)}</code> — {items} piece{'s' * (items != 1)} of evidence"
            "</summary>"
        )
        for s in views:
            found = by.get((rem.id, s), [])
            if named:
                out.append(f"<h3>{_esc(subject_label(s))}</h3>")
            if not found:
                out.append("<p class='note'>no evidence recorded</p>")
            for rec, ev in found[:MAX_ITEMS]:
                out.append(
                    f"<div class='ev {'held' if ev.held else 'broke'}'>"
                    f"<strong>{'✓ held' if ev.held else '✗ did not hold'}</strong> · "
                    f"<code>{_esc(rec.nodeid)}</code> ({_esc(rec.outcome)})"
                    f"<div>{_esc(evidence_text(ev))}</div>"
                    f"<div class='figs'>{_esc(_figures(ev))}</div></div>"
                )
            if len(found) > MAX_ITEMS:
                out.append(
                    f"<p class='note'>+{len(found) - MAX_ITEMS} more (all in the embedded JSON)</p>"
                )
        out.append("</details>")
    return out


def _failing(views: dict[str, RunReport], named: bool) -> list[str]:
    rows = []
    for s, view in views.items():
        for cat in view.taxonomy.categories:
            for nodeid in view.category_failing_tests(cat)[:MAX_ITEMS]:
                who = f"<td>{_esc(subject_label(s))}</td>" if named else ""
                rows.append(
                    f"<tr>{who}<td>{_esc(cat.id)}</td><td><code>{_esc(nodeid)}</code></td>"
                    f"<td>{_esc(view.tests[nodeid].outcome)}</td></tr>"
                )
    if not rows:
        return []
    head = "<th>subject</th>" if named else ""
    return [
        "<h2>Failing tests by category</h2><p class='muted'>A failed or errored test counts "
        "against the category and remedies it marks.</p>",
        f"<table id='failing'><tr>{head}<th>category</th><th>test</th><th>outcome</th></tr>",
        *rows,
        "</table>",
    ]


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


_AMP = re.compile(r"^(?:amplification_(?P<a>\w+)|(?P<b>\w+)_amplification|amplification)$")
# ``burn_rate_1h``, or ``fast_burn_1h_max`` as check_error_budget records it (the highest burn
# over that window during the soak).
_BURN = re.compile(r"^(?:burn_rate_(?P<w>\w+)|(?P<rule>[a-z]+)_burn_(?P<w2>[\d.]+[hm])_max)$")


def _evidence_items(report: RunReport) -> Iterable[tuple[str, TestRecord, Evidence]]:
    for rec in report.tests.values():
        for ev in rec.evidence:
            yield rec.subject, rec, ev


def _operations(report: RunReport, named: bool) -> list[str]:
    latency: dict[str, dict[str, float]] = {}
    budget: dict[str, float] = {}
    burn: dict[str, float] = {}
    amp: dict[str, float] = {}
    timelines: list[tuple[str, list[tuple[float, str, str]]]] = []
    for subject, rec, ev in _evidence_items(report):
        figs = ev.figures
        scenario = figs.get("scenario")
        name = str(scenario) if isinstance(scenario, str) and scenario else (
            f"{ev.check or ev.remedy} · {_short(rec.nodeid)}"
        )  # fmt: skip
        if named:
            name = f"{subject_label(subject)} · {name}"
        pct = {k: v for k in charts.PERCENTILES if (v := _num(figs.get(k))) is not None}
        if pct:
            latency.setdefault(name, pct)
        consumed = _num(figs.get("budget_consumed"))
        if consumed is not None:
            budget.setdefault(name, consumed * 100)
        for key, value in figs.items():
            v = _num(value)
            if v is None:
                continue
            if m := _BURN.match(key):
                window = m.group("w") or f"{m.group('rule')} {m.group('w2')}"
                burn.setdefault(f"{name} · {window}", v)
            elif m := _AMP.match(key):
                route = m.group("a") or m.group("b") or "all routes"
                amp.setdefault(f"{subject_label(subject)} · {route}" if named else route, v)
        timeline = figs.get("fault_timeline")
        failing = rec.outcome in ("failed", "error") or not ev.held  # an xfail's check failed too
        if failing and isinstance(timeline, str) and len(timelines) < 5:
            events = charts.parse_timeline(timeline)
            if events:
                timelines.append((f"{rec.nodeid}", events))
    out = ["<h2>Operations</h2>"]
    charted = False
    if latency:
        charted = True
        rows = list(latency.items())[:MAX_ROWS]
        out.append(_figure("latency", "latency percentiles per scenario (virtual s)",
                           charts.latency_chart(rows, "latency percentiles per scenario"),
                           len(latency)))  # fmt: skip
    if budget:
        charted = True
        rows2 = list(budget.items())[:MAX_ROWS]
        svg = charts.bar_chart(rows2, "error budget consumed", "%", 100.0, "100% of the budget")
        out.append(_figure("error_budget", "error budget consumed (%)", svg, len(budget)))
    if burn:
        charted = True
        rows2 = list(burn.items())[:MAX_ROWS]
        svg = charts.bar_chart(rows2, "burn rate", "x", 14.4, "14.4x fast-burn page")
        out.append(_figure("burn_rate", "error-budget burn rate per window", svg, len(burn)))
    if amp:
        charted = True
        rows2 = list(amp.items())[:MAX_ROWS]
        svg = charts.bar_chart(
            rows2, "retry amplification", "x", 1.0, "1x no retries", flag_over=False
        )
        out.append(_figure("amplification", "retry amplification per route (calls per request)",
                           svg, len(amp)))  # fmt: skip
    for nodeid, events in timelines:
        charted = True
        svg = charts.timeline_chart(events, f"fault timeline of {nodeid}")
        out.append(_figure("timeline", f"fault timeline of failing test {nodeid}", svg, 1))
    if not charted:
        out.append(
            "<p class='note'>No operations figures recorded: soak checks record latency "
            "percentiles (p50_s … max_s), budget_consumed, burn_rate_&lt;window&gt; and "
            "amplification figures, which draw charts here.</p>"
        )
    return out


def _figure(kind: str, caption: str, svg: str, total: int) -> str:
    note = f" (first {MAX_ROWS} of {total})" if total > MAX_ROWS else ""
    return (
        f"<figure class='chart' data-chart='{kind}'><figcaption>{_esc(caption)}{note}"
        f"</figcaption>{svg}</figure>"
    )
