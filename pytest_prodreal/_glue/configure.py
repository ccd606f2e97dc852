"""Session start and end: taxonomy, settings, session state, evidence collection, the header."""

from __future__ import annotations

import pytest

from ..errors import InvalidArgument
from ..evidence import _set_known_remedies
from ..seeding import fresh_seed
from ..taxonomy import DEFAULT_TAXONOMY, TaxonomyBuilder
from .markers import MARKER_HELP
from .parts import parts, register_parts
from .session import STATE_KEY, SessionState
from .settings import check_writable, parse_settings
from .xdist import register_controller_hooks, worker_input

__all__ = [
    "COLLECTOR_PLUGIN",
    "add_hooks",
    "configure",
    "report_header",
    "session_finish",
    "terminal_summary",
    "unconfigure",
]

COLLECTOR_PLUGIN = "prodreal-collector"


def add_hooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Add our hookspecs and register every part's glue module."""
    from .. import hookspecs

    pluginmanager.add_hookspecs(hookspecs)
    register_parts(pluginmanager)
    # Before any conftest, so it runs after their collection hooks and before pytest's ``-k``
    # deselection: ids of ``prodreal`` marks those hooks add become keywords (issue 14).
    from .markers import HookMarkKeywords

    if not pluginmanager.has_plugin("prodreal-keywords"):
        pluginmanager.register(HookMarkKeywords(), "prodreal-keywords")


def configure(config: pytest.Config) -> None:
    """Build the taxonomy, parse the settings, create the session state, register collectors."""
    config.addinivalue_line("markers", MARKER_HELP)
    for part in parts():
        for marker in part.markers:
            config.addinivalue_line("markers", marker.line)
    builder = TaxonomyBuilder(DEFAULT_TAXONOMY)
    try:
        config.hook.pytest_prodreal_taxonomy(taxonomy=builder)
    except InvalidArgument as exc:
        raise pytest.UsageError(f"pytest_prodreal_taxonomy: {exc}") from None
    taxonomy = builder.build()
    settings = parse_settings(config, taxonomy)
    workerinput = worker_input(config)
    if workerinput is not None:
        seed = int(workerinput.get("prodreal_seed", settings.seed or 0))
        active = bool(workerinput.get("prodreal_active", settings.active))
    else:
        seed = settings.seed if settings.seed is not None else fresh_seed()
        active = settings.active
        for target in settings.reports:
            check_writable(target, "--prodreal-report")
    state = SessionState(
        seed=seed,
        taxonomy=taxonomy,
        settings=settings,
        active=active,
        is_worker=workerinput is not None,
    )
    for part in parts():
        state.marker_validators.update(part.validators)
    config.stash[STATE_KEY] = state
    state.outer_known_remedies = _set_known_remedies(frozenset(r.id for r in taxonomy.remedies))
    if active:
        # Imported here: a session that asks for no report or gate never loads the report model.
        from .collect import EvidenceCollector

        config.pluginmanager.register(EvidenceCollector(state), COLLECTOR_PLUGIN)
    register_controller_hooks(config, state)


def unconfigure(config: pytest.Config) -> None:
    """Put back the remedy ids of any outer session (pytester runs sessions in one process)."""
    state = config.stash.get(STATE_KEY, None)
    _set_known_remedies(state.outer_known_remedies if state else None)


def report_header(config: pytest.Config) -> str | None:
    """The header line with the run seed and how to reproduce it, when the plugin is active."""
    state = config.stash.get(STATE_KEY, None)
    if state is None or not (state.active or (state.settings and state.settings.seed is not None)):
        return None
    return f"prodreal: seed {state.seed} (reproduce with --prodreal-seed={state.seed})"


def session_finish(session: pytest.Session) -> None:
    """Build and write the report and apply the gates (controller or plain run only)."""
    config = session.config
    state = config.stash.get(STATE_KEY, None)
    collector = config.pluginmanager.get_plugin(COLLECTOR_PLUGIN)
    if state is None or state.is_worker or collector is None or config.option.collectonly:
        return
    from .reporting import finish_session  # loads the report model: only when asked for

    finish_session(session, state, collector)


def terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the checklist and gate results (controller or plain run only)."""
    state = terminalreporter.config.stash.get(STATE_KEY, None)
    if state is not None and not state.is_worker and state.report is not None:
        from .reporting import terminal_summary as summary

        summary(terminalreporter, state)
