"""Render a :class:`~pytest_prodreal.report.model.RunReport`: terminal, JSON, Markdown, HTML.

Library layer: no pytest. The terminal renderer returns ``(text, markup)`` pairs so the pytest
glue can colour them with pytest's own terminal writer while scripts print them plainly. A run
with several subjects shows them side by side: one status column, verdict and totals each. The
HTML page lives in :mod:`.html` (with its charts in :mod:`.charts`).
"""

from __future__ import annotations

import json
import re

from ..evidence import Evidence
from .model import LAUNCH_RULE_MAX_UNCHECKED, Gates, RunReport, Status
from .totals import TOTAL_TITLES

__all__ = [
    "evidence_text",
    "render_html",
    "render_json",
    "render_markdown",
    "render_term",
    "subject_label",
    "totals_text",
    "verdict_line",
]

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


def subject_label(subject: str) -> str:
    """How a subject is named in reports (``""`` is the tests that name none)."""
    return subject or "(no subject)"


def evidence_text(ev: Evidence) -> str:
    """``check: summary``, without repeating a check name the summary already leads with."""
    summary = ev.summary.strip()
    check = ev.check.strip()
    # Checks often lead their summary with their own name ("invariant: 0 of 160 ..."), in any
    # case: printing the name again would read "invariant: invariant: ...".
    lead = summary.casefold()
    name = check.casefold()
    if not check or lead == name or lead.startswith((f"{name}:", f"{name} :")):
        return summary or check
    return f"{check}: {summary}" if summary else check


def _fmt(value: float) -> str:
    return (
        f"{value:,.1f}" if isinstance(value, float) and not value.is_integer() else f"{value:,.0f}"
    )


def totals_text(report: RunReport) -> str:
    """The totals as one line: virtual seconds, faults fired, route calls, requests, inputs."""
    totals = report.totals()
    return " · ".join(f"{_fmt(totals[k])} {title}" for k, title in TOTAL_TITLES.items())


def _tests_text(tests: tuple[str, ...], limit: int | None) -> str:
    if not tests:
        return ""
    if limit is None or len(tests) <= limit:
        return ", ".join(tests)
    return ", ".join(tests[:limit]) + f" (+{len(tests) - limit} more)"


def _seeds(report: RunReport) -> str:
    seeds = sorted({r.seed for r in report.runs if r.seed is not None})
    return ", ".join(str(s) for s in seeds) if seeds else "unknown"


def verdict_line(report: RunReport) -> tuple[str, bool]:
    """The launch verdict of a one-subject report as one sentence, and whether it is ready.

    For a report with several subjects, ask each :meth:`RunReport.for_subject` view.
    """
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


def _counts_text(report: RunReport, sep: str = ", ") -> str:
    c = report.counts()
    return (
        f"{c['verified']} verified{sep}{c['failing']} failing{sep}"
        f"{c['declared']} declared only{sep}{c['missing']} missing"
    )


def render_term(report: RunReport, gates: Gates | None = None, verbose: int = 0) -> list[Line]:
    """The checklist as terminal lines: categories, remedies, status, tests, totals, verdict.

    With ``verbose`` > 0 every test behind a remedy is listed; otherwise at most two. Several
    subjects are shown side by side, one status column each.
    """
    limit = None if verbose > 0 else 2
    lines = (_term_subjects if report.has_subjects else _term_single)(report, limit)
    for failure in report.gate_failures(gates or Gates()):
        lines.append((f"gate failed: {failure}", {"red": True}))
    return lines


def _verdict_markup(ready: bool) -> dict[str, bool]:
    return {"green": True, "bold": True} if ready else {"red": True, "bold": True}


def _term_single(report: RunReport, limit: int | None) -> list[Line]:
    results = {r.remedy.id: r for r in report.remedy_results()}
    width = max((len(r.id) for r in report.taxonomy.remedies), default=10)
    lines: list[Line] = []
    for cat in report.taxonomy.categories:
        marked = report.category_declared_by(cat)
        extra = f"  (marked by {len(marked)} test{'s' * (len(marked) != 1)})" if marked else ""
        lines.append((f"{cat.id} — {cat.title}{extra}", {"bold": True}))
        failing = report.category_failing_tests(cat)
        if failing:
            n = len(failing)
            lines.append(
                (
                    f"  {n} failing test{'s' * (n != 1)} marked {cat.id}: "
                    f"{_tests_text(failing, limit)}",
                    _COLOUR[Status.FAILING],
                )
            )
        for rem in cat.remedies:
            res = results[rem.id]
            tests = _tests_text(res.tests, limit)
            text = f"  {_MARK[res.status]} {rem.id:<{width}}  {res.status.value:<8}"
            if tests:
                text += f"  {tests}"
            lines.append((text.rstrip(), _COLOUR[res.status]))
    lines.append(
        (f"{_counts_text(report)} · {len(report.tests)} tests · seed {_seeds(report)}", {})
    )
    lines.append((f"totals: {totals_text(report)}", {}))
    verdict, ready = verdict_line(report)
    lines.append((verdict, _verdict_markup(ready)))
    return lines


def _term_subjects(report: RunReport, limit: int | None) -> list[Line]:
    subjects = report.subject_ids()
    views = {s: report.for_subject(s) for s in subjects}
    results = {s: {r.remedy.id: r for r in v.remedy_results()} for s, v in views.items()}
    width = max((len(r.id) for r in report.taxonomy.remedies), default=10)
    col = max(14, *(len(subject_label(s)) + 2 for s in subjects))
    lines: list[Line] = [
        (
            f"  {'':<3} {'subject':<{width}}  "
            + "".join(f"{subject_label(s):<{col}}" for s in subjects).rstrip(),
            {"bold": True},
        )
    ]
    for cat in report.taxonomy.categories:
        lines.append((f"{cat.id} — {cat.title}", {"bold": True}))
        for rem in cat.remedies:
            cells = [results[s][rem.id] for s in subjects]
            worst = max(cells, key=lambda r: _SEVERITY[r.status]).status
            text = f"  {_MARK[worst]} {rem.id:<{width}}  " + "".join(
                f"{_MARK[r.status] + ' ' + r.status.value:<{col}}" for r in cells
            )
            lines.append((text.rstrip(), _COLOUR[worst]))
    for s in subjects:
        view = views[s]
        label = subject_label(s)
        lines.append((f"{label}: {_counts_text(view)} · {len(view.tests)} tests", {"bold": True}))
        for cat in view.taxonomy.categories:
            failing = view.category_failing_tests(cat)
            if failing:
                n = len(failing)
                lines.append(
                    (
                        f"  {n} failing test{'s' * (n != 1)} marked {cat.id}: "
                        f"{_tests_text(failing, limit)}",
                        _COLOUR[Status.FAILING],
                    )
                )
        for res in results[s].values():
            if res.status is Status.FAILING:
                tests = _tests_text(res.failing_by, limit)
                lines.append((f"  [!] {res.remedy.id} failing in {tests}", _COLOUR[Status.FAILING]))
        lines.append((f"  totals: {totals_text(view)}", {}))
        verdict, ready = verdict_line(view)
        lines.append((f"  {label}: {verdict}", _verdict_markup(ready)))
    lines.append(
        (f"{len(subjects)} subjects · {len(report.tests)} tests · seed {_seeds(report)}", {})
    )
    return lines


# Which status a row's marker shows when subjects differ: the one that most needs attention.
_SEVERITY = {Status.VERIFIED: 0, Status.MISSING: 1, Status.DECLARED: 2, Status.FAILING: 3}


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


_TICKS = re.compile(r"`+")
_LINE_ENDS = re.compile(r"\r\n|\r|\n")


def md_code(text: str, *, in_table: bool = True) -> str:
    r"""``text`` as a Markdown code span whose rendered code is ``text`` exactly.

    Backticks in the text need a longer backtick fence, padded with a space on each side (which
    Markdown strips again), as is text that starts and ends with a space.
    ``in_table``: the span sits in a GitHub table cell, where a pipe would end the cell (GitHub
    splits cells before it parses code spans, so it is escaped as ``\|`` even inside one, and
    the table removes the backslash). Anywhere else a code span takes no escapes, so the pipe
    stays as it is. A line break, which would end the table row, becomes a space (a code span
    renders one as a space anyway).
    """
    text = _LINE_ENDS.sub(" ", text)
    if in_table:
        text = text.replace("|", "\\|")
    longest = max((len(m) for m in _TICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    edges = (text[:1], text[-1:])
    pad = " " if longest or (edges == (" ", " ") and text.strip(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_tests(tests: tuple[str, ...], *, in_table: bool = True) -> str:
    shown = ", ".join(md_code(t, in_table=in_table) for t in tests[:3])
    return shown + (f" (+{len(tests) - 3} more)" if len(tests) > 3 else "")


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown(report: RunReport, gates: Gates | None = None) -> str:
    """The checklist as GitHub-flavoured Markdown, for pull requests and CI summaries."""
    out = ["## pytest-prodreal: launch checklist", ""]
    subjects = report.subject_ids()
    views = {s: report.for_subject(s) for s in subjects}
    for s, view in views.items():
        verdict, ready = verdict_line(view)
        who = f"{_md_cell(subject_label(s))}: " if report.has_subjects else ""
        out.append(f"**{'✅' if ready else '❌'} {who}{verdict}**  ")
    out.append("")
    if report.has_subjects:
        out += [
            "| remedy | category | "
            + " | ".join(_md_cell(subject_label(s)) for s in subjects)
            + " |",
            "|---|---|" + "---|" * len(subjects),
        ]
        results = {s: {r.remedy.id: r for r in v.remedy_results()} for s, v in views.items()}
        for rem in report.taxonomy.remedies:
            cells = [results[s][rem.id] for s in subjects]
            out.append(
                f"| `{rem.id}` | {rem.category} | "
                + " | ".join(f"{_EMOJI[r.status]} {r.status.value}" for r in cells)
                + " |"
            )
    else:
        out += ["| | remedy | category | status | tests |", "|---|---|---|---|---|"]
        for res in report.remedy_results():
            out.append(
                f"| {_EMOJI[res.status]} | `{res.remedy.id}` | {res.remedy.category} | "
                f"{res.status.value} | {_md_tests(res.tests)} |"
            )
    failing = _md_failing(report, views)
    if failing:
        out += ["", "**Failing tests by category:**", "", *failing]
    out += ["", "| subject | tests | " + " | ".join(TOTAL_TITLES.values()) + " |"]
    out.append("|---|---|" + "---|" * len(TOTAL_TITLES))
    for s, view in views.items():
        totals = view.totals()
        out.append(
            f"| {_md_cell(subject_label(s) if report.has_subjects else 'all')} | "
            f"{len(view.tests)} | " + " | ".join(_fmt(totals[k]) for k in TOTAL_TITLES) + " |"
        )
    out += [
        "",
        f"{_counts_text(report, ' · ')} · {len(report.tests)} tests · seed {_seeds(report)}"
        if not report.has_subjects
        else f"{len(subjects)} subjects · {len(report.tests)} tests · seed {_seeds(report)}",
    ]
    failures = report.gate_failures(gates or Gates())
    if failures:
        out += ["", "**Gates not met:**", ""] + [f"- {_md_cell(f)}" for f in failures]
    return "\n".join(out) + "\n"


def _md_failing(report: RunReport, views: dict[str, RunReport]) -> list[str]:
    out = []
    for s, view in views.items():
        who = f"{_md_cell(subject_label(s))}: " if report.has_subjects else ""
        for cat in view.taxonomy.categories:
            tests = view.category_failing_tests(cat)
            if tests:
                out.append(f"- {who}`{cat.id}`: {_md_tests(tests, in_table=False)}")
    return out


def render_html(report: RunReport, gates: Gates | None = None) -> str:
    """One self-contained HTML page (see :mod:`.html`)."""
    from .html import render_html as _render

    return _render(report, gates)
