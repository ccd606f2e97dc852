"""Render a :class:`~pytest_prodreal.report.model.RunReport`: terminal, JSON, Markdown, HTML.

Library layer: no pytest. The terminal renderer returns ``(text, markup)`` pairs so the pytest
glue can colour them with pytest's own terminal writer while scripts print them plainly.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from .model import LAUNCH_RULE_MAX_UNCHECKED, Gates, RemedyResult, RunReport, Status

__all__ = ["render_html", "render_json", "render_markdown", "render_term", "verdict_line"]

_MARK = {
    Status.VERIFIED: "[x]",
    Status.FAILING: "[!]",
    Status.DECLARED: "[~]",
    Status.MISSING: "[ ]",
}
_COLOUR = {
    Status.VERIFIED: {"green": True},
    Status.FAILING: {"red": True, "bold": True},
    Status.DECLARED: {"yellow": True},
    Status.MISSING: {},
}
_EMOJI = {
    Status.VERIFIED: "✅",
    Status.FAILING: "❌",
    Status.DECLARED: "🟡",
    Status.MISSING: "⬜",
}

Line = tuple[str, dict[str, bool]]


def _tests_text(res: RemedyResult, limit: int | None) -> str:
    tests = res.tests
    if not tests:
        return ""
    if limit is None or len(tests) <= limit:
        return ", ".join(tests)
    return ", ".join(tests[:limit]) + f" (+{len(tests) - limit} more)"


def _seeds(report: RunReport) -> str:
    seeds = sorted({r.seed for r in report.runs if r.seed is not None})
    return ", ".join(str(s) for s in seeds) if seeds else "unknown"


def verdict_line(report: RunReport) -> tuple[str, bool]:
    """The launch verdict as one sentence, and whether the suite is ready."""
    counts = report.counts()
    total = sum(counts.values())
    unchecked = total - counts["verified"]
    ready = unchecked <= LAUNCH_RULE_MAX_UNCHECKED
    word = "READY to launch" if ready else "NOT READY to launch"
    return (
        f"{word}: {unchecked} of {total} remedies not verified "
        f"(launch rule: at most {LAUNCH_RULE_MAX_UNCHECKED})",
        ready,
    )


def render_term(report: RunReport, gates: Gates | None = None, verbose: int = 0) -> list[Line]:
    """The checklist as terminal lines: categories, remedies, status, tests, verdict, gates.

    With ``verbose`` > 0 every test behind a remedy is listed; otherwise at most two.
    """
    limit = None if verbose > 0 else 2
    results = {r.remedy.id: r for r in report.remedy_results()}
    width = max((len(r.id) for r in report.taxonomy.remedies), default=10)
    lines: list[Line] = []
    for cat in report.taxonomy.categories:
        marked = report.category_declared_by(cat)
        extra = f"  (marked by {len(marked)} test{'s' * (len(marked) != 1)})" if marked else ""
        lines.append((f"{cat.id} — {cat.title}{extra}", {"bold": True}))
        for rem in cat.remedies:
            res = results[rem.id]
            tests = _tests_text(res, limit)
            text = f"  {_MARK[res.status]} {rem.id:<{width}}  {res.status.value:<8}"
            if tests:
                text += f"  {tests}"
            lines.append((text.rstrip(), _COLOUR[res.status]))
    counts = report.counts()
    lines.append(
        (
            f"{counts['verified']} verified, {counts['failing']} failing, "
            f"{counts['declared']} declared only, {counts['missing']} missing "
            f"· {len(report.tests)} tests · seed {_seeds(report)}",
            {},
        )
    )
    verdict, ready = verdict_line(report)
    lines.append((verdict, {"green": True, "bold": True} if ready else {"red": True, "bold": True}))
    for failure in report.gate_failures(gates or Gates()):
        lines.append((f"gate failed: {failure}", {"red": True}))
    return lines


def render_json(report: RunReport, gates: Gates | None = None) -> str:
    """The versioned JSON report: one member per line and one test per line.

    That keeps large reports diffable and fast to write: ``indent=`` would switch ``json`` to
    its pure-Python encoder, several times slower for 10,000 tests.
    """
    data = report.to_json(gates)
    tests = data.pop("tests")
    assert isinstance(tests, list)
    lines = [
        f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},"
        for key, value in data.items()
    ]
    body = ",\n".join(f"    {json.dumps(t, ensure_ascii=False)}" for t in tests)
    lines.append('  "tests": [' + (f"\n{body}\n  ]" if tests else "]"))
    return "{\n" + "\n".join(lines) + "\n}\n"


def _md_tests(res: RemedyResult) -> str:
    tests = res.tests
    shown = ", ".join(f"`{t}`" for t in tests[:3])
    return shown + (f" (+{len(tests) - 3} more)" if len(tests) > 3 else "")


def render_markdown(report: RunReport, gates: Gates | None = None) -> str:
    """The checklist as GitHub-flavoured Markdown, for pull requests and CI summaries."""
    verdict, ready = verdict_line(report)
    out = [
        "## pytest-prodreal: launch checklist",
        "",
        f"**{'✅' if ready else '❌'} {verdict}**",
        "",
        "| | remedy | category | status | tests |",
        "|---|---|---|---|---|",
    ]
    for res in report.remedy_results():
        out.append(
            f"| {_EMOJI[res.status]} | `{res.remedy.id}` | {res.remedy.category} | "
            f"{res.status.value} | {_md_tests(res)} |"
        )
    counts = report.counts()
    out += [
        "",
        f"{counts['verified']} verified · {counts['failing']} failing · "
        f"{counts['declared']} declared only · {counts['missing']} missing · "
        f"{len(report.tests)} tests · seed {_seeds(report)}",
    ]
    failures = report.gate_failures(gates or Gates())
    if failures:
        out += ["", "**Gates not met:**", ""] + [f"- {f}" for f in failures]
    return "\n".join(out) + "\n"


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}
h1{font-size:1.4em} .ready{color:#17803d} .notready{color:#b42318}
table{border-collapse:collapse;width:100%;margin:1em 0} th,td{border-bottom:1px solid #ddd;
padding:.35em .5em;text-align:left;vertical-align:top} code{font-size:.95em}
.verified{color:#17803d} .failing{color:#b42318;font-weight:bold} .declared{color:#9a6700}
.missing{color:#777} .bar{display:flex;height:1em;width:20em;background:#eee}
.bar span{display:block;height:100%} .b-verified{background:#2da44e}
.b-failing{background:#cf222e} .b-declared{background:#d4a72c}
details{margin:.2em 0} .fig{color:#555}
"""


def render_html(report: RunReport, gates: Gates | None = None) -> str:
    """One self-contained HTML page (no network): verdict, coverage bars, remedies, evidence."""
    verdict, ready = verdict_line(report)
    results = {r.remedy.id: r for r in report.remedy_results()}
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<title>pytest-prodreal report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>pytest-prodreal: launch checklist</h1>",
        f"<p class='{'ready' if ready else 'notready'}'><strong>{esc(verdict)}</strong></p>",
        f"<p>{len(report.tests)} tests · seed {esc(_seeds(report))}</p>",
        "<h2>Coverage by category</h2><table><tr><th>category</th><th>remedies</th>"
        "<th>verified</th></tr>",
    ]
    for cat in report.taxonomy.categories:
        n = len(cat.remedies) or 1
        bar = "".join(
            f"<span class='b-{s.value}' style='width:{100 * sum(results[r.id].status is s for r in cat.remedies) / n:.1f}%'></span>"  # noqa: E501
            for s in (Status.VERIFIED, Status.FAILING, Status.DECLARED)
        )
        verified = sum(results[r.id].status is Status.VERIFIED for r in cat.remedies)
        parts.append(
            f"<tr><td><strong>{esc(cat.id)}</strong> — {esc(cat.title)}</td>"
            f"<td><div class='bar'>{bar}</div></td><td>{verified}/{len(cat.remedies)}</td></tr>"
        )
    parts.append(
        "</table><h2>Remedies</h2><table><tr><th>remedy</th><th>status</th><th>evidence</th></tr>"
    )
    evidence_by_remedy: dict[str, list[str]] = {}
    for rec in report.tests.values():
        for ev in rec.evidence:
            figs = ", ".join(f"{k}={v}" for k, v in sorted(ev.figures.items()))
            evidence_by_remedy.setdefault(ev.remedy, []).append(
                f"<details><summary>{'held' if ev.held else 'did not hold'} · "
                f"<code>{esc(rec.nodeid)}</code> ({esc(rec.outcome)})</summary>"
                f"<div>{esc(ev.check)}: {esc(ev.summary)}</div>"
                f"<div class='fig'>{esc(figs)}</div></details>"
            )
    for rid, res in results.items():
        ev_html = "".join(evidence_by_remedy.get(rid, [])) or (
            _declared_html(res.declared_by) if res.declared_by else "—"
        )
        parts.append(
            f"<tr><td><code>{esc(rid)}</code><br><small>{esc(res.remedy.description)}</small>"
            f"</td><td class='{res.status.value}'>{res.status.value}</td><td>{ev_html}</td></tr>"
        )
    parts.append("</table>")
    failures = report.gate_failures(gates or Gates())
    if failures:
        parts.append("<h2>Gates not met</h2><ul>")
        parts += [f"<li>{esc(f)}</li>" for f in failures]
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "".join(parts)


def _declared_html(nodeids: Sequence[str]) -> str:
    return "marked by " + ", ".join(f"<code>{html.escape(n)}</code>" for n in nodeids)
