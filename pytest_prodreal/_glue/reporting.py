"""End of session on the controller: build the report, write it, apply the gates.

Only the controller (or a plain run) gets here with data: xdist workers never write, print or
set the exit status.
"""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .._atomic import append_text, write_text_atomic
from ..report.model import RunInfo, RunReport
from ..report.render import render_html, render_json, render_markdown, render_term
from .collect import EvidenceCollector
from .session import SessionState
from .settings import Settings

__all__ = ["finish_session", "terminal_summary"]

_RENDERERS = {"json": render_json, "md": render_markdown, "html": render_html}


def _run_info(state: SessionState) -> RunInfo:
    from .. import __version__

    return RunInfo(
        seed=state.seed,
        python=platform.python_version(),
        pytest=pytest.__version__,
        pytest_prodreal=__version__,
        platform=sys.platform,
        workers=len(state.workers),
    )


def build_report(state: SessionState, collector: EvidenceCollector) -> RunReport:
    """The run's report from what the collector heard."""
    return RunReport.from_records(
        collector.records(), taxonomy=state.taxonomy, runs=[_run_info(state)]
    )


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (if it runs) for the block.

    Building and rendering the report allocates tens of thousands of short-lived dicts and
    lists that form no reference cycles (reference counting frees them). At the end of a
    session the heap holds every item and report pytest kept, and the collections those
    allocations trigger walk it: for 2,000 tests, turning their records into JSON took three
    times as long with the collector running. Nothing cyclic is left behind, so the pause
    loses nothing.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def finish_session(
    session: pytest.Session, state: SessionState, collector: EvidenceCollector
) -> None:
    """Write every requested file, evaluate the gates, and set the exit status if they fail."""
    with _cyclic_gc_paused():
        _finish_session(session, state, collector)


def _finish_session(
    session: pytest.Session, state: SessionState, collector: EvidenceCollector
) -> None:
    settings: Settings = state.settings or Settings()
    report = build_report(state, collector)
    state.report = report
    for target in settings.reports:
        if target.path is None:
            continue
        text = _RENDERERS.get(target.kind, _term_text)(report, settings.gates)
        try:
            write_text_atomic(target.path, text)
            state.written.append(f"wrote {target.kind} report to {target.path}")
        except OSError as exc:
            state.errors.append(
                f"could not write the {target.kind} report to {target.path}: "
                f"{exc.strerror or exc}; choose another path with --prodreal-report"
            )
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and settings.reports and settings.github_summary:
        try:
            append_text(Path(summary), render_markdown(report, settings.gates))
        except OSError as exc:
            state.errors.append(
                f"could not append to $GITHUB_STEP_SUMMARY ({summary}): {exc.strerror or exc}"
            )
    state.gate_failures = report.gate_failures(settings.gates)
    # A run that already failed keeps its own exit code; only an otherwise good run is failed.
    if session.exitstatus == pytest.ExitCode.OK and (state.gate_failures or state.errors):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _term_text(report: RunReport, gates: object) -> str:
    from ..report.model import Gates

    lines = render_term(report, gates if isinstance(gates, Gates) else None, verbose=1)
    return "\n".join(text for text, _ in lines) + "\n"


def terminal_summary(terminalreporter: pytest.TerminalReporter, state: SessionState) -> None:
    """The checklist section (when ``term`` was asked for), gate failures and written files."""
    settings = state.settings or Settings()
    report = state.report
    if report is None:
        return
    tr = terminalreporter
    if any(t.kind == "term" and t.path is None for t in settings.reports):
        tr.write_sep("=", "prodreal: launch checklist")
        lines = render_term(report, None, verbose=tr.config.get_verbosity())
        for text, markup in lines:
            tr.write_line(text, **markup)
    for line in state.written:
        tr.write_line(f"prodreal: {line}")
    for line in state.gate_failures:
        tr.write_line(f"prodreal: gate failed: {line}", red=True, bold=True)
    if settings.gates.any and not state.gate_failures:
        tr.write_line("prodreal: all gates met", green=True)
    for line in state.errors:
        tr.write_line(f"prodreal: error: {line}", red=True, bold=True)
