"""pytest-prodreal's pytest plugin: wires pytest's hooks to the glue layer.

Registered through the ``pytest11`` entry point named ``prodreal``, so ``-p no:prodreal`` turns
everything off. Importing this module imports no optional dependency (respx, freezegun,
Hypothesis, Faker): features import them when used.
"""

from __future__ import annotations

import importlib
from collections.abc import Generator

import pytest

from ._glue.fixtures import prodreal_random, prodreal_seed
from ._glue.markers import MARKER_HELP, DeclaredIdsError, declared_ids
from ._glue.settings import add_options, check_writable, parse_settings
from ._glue.session import STATE_KEY, SessionState
from .errors import InvalidArgument
from .evidence import _set_known_remedies
from .seeding import fresh_seed
from .taxonomy import DEFAULT_TAXONOMY, TaxonomyBuilder

__all__ = ["prodreal_random", "prodreal_seed"]

# Glue modules that bring fixtures, options and hooks of their own, one per part of the
# product. Each is registered as a plugin as soon as this one is (so their ``pytest_addoption``
# runs too); each must import heavy things lazily and keep per-test hooks near free.
_GLUE_PLUGINS: tuple[str, ...] = (
    "pytest_prodreal._glue.clock",
    "pytest_prodreal._glue.chaos",
    "pytest_prodreal._glue.inputs",
    "pytest_prodreal._glue.state",
)
_COLLECTOR = "prodreal-collector"
_XDIST = "prodreal-xdist"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Add our hookspecs and register the glue plugins."""
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)
    for name in _GLUE_PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # that part of the product is not built yet
        if not pluginmanager.is_registered(module):
            pluginmanager.register(module, name)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--prodreal-*`` options and their ini twins."""
    add_options(parser)


class _XdistHooks:
    """Controller-side pytest-xdist hooks (registered only when xdist is installed)."""

    def __init__(self, state: SessionState) -> None:
        self.state = state

    def pytest_configure_node(self, node: object) -> None:
        """Hand the run seed and whether to collect evidence down to each worker."""
        workerinput = node.workerinput  # type: ignore[attr-defined]
        workerinput["prodreal_seed"] = self.state.seed
        workerinput["prodreal_active"] = self.state.active

    def pytest_testnodeready(self, node: object) -> None:
        """Count the workers that took part."""
        self.state.workers.add(str(node.gateway.id))  # type: ignore[attr-defined]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Build the taxonomy, parse the settings and create the session state."""
    config.addinivalue_line("markers", MARKER_HELP)
    builder = TaxonomyBuilder(DEFAULT_TAXONOMY)
    try:
        config.hook.pytest_prodreal_taxonomy(taxonomy=builder)
    except InvalidArgument as exc:
        raise pytest.UsageError(f"pytest_prodreal_taxonomy: {exc}") from None
    taxonomy = builder.build()
    settings = parse_settings(config, taxonomy)
    workerinput = getattr(config, "workerinput", None)
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
    for name in _GLUE_PLUGINS:
        module = config.pluginmanager.get_plugin(name)
        state.marker_validators.update(getattr(module, "MARKER_VALIDATORS", {}))
    config.stash[STATE_KEY] = state
    state.outer_known_remedies = _set_known_remedies(frozenset(r.id for r in taxonomy.remedies))
    if active:
        # Imported here: a session that asks for no report or gate never loads the report model.
        from ._glue.collect import EvidenceCollector

        config.pluginmanager.register(EvidenceCollector(state), _COLLECTOR)
    if workerinput is None and config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(state), _XDIST)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Put back the remedy ids of any outer session (pytester runs sessions in one process)."""
    state = config.stash.get(STATE_KEY, None)
    _set_known_remedies(state.outer_known_remedies if state else None)


def pytest_report_header(config: pytest.Config) -> str | None:
    """Print the run seed, and how to reproduce it, when the plugin is active."""
    state = config.stash.get(STATE_KEY, None)
    if state is None or not (state.active or (state.settings and state.settings.seed is not None)):
        return None
    return f"prodreal: seed {state.seed} (reproduce with --prodreal-seed={state.seed})"


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """Fail collection of a module whose tests carry a bad ``prodreal`` (or other) marker.

    It also notes which markers and fixtures the collected tests use, so that each part's
    per-test hooks are registered only when needed (see ``pytest_collection_modifyitems``).
    """
    report = yield
    if report.outcome != "passed" or not report.result:
        return report
    state = collector.config.stash.get(STATE_KEY, None)
    taxonomy = state.taxonomy if state else DEFAULT_TAXONOMY
    validators = state.marker_validators if state else {}
    problems: list[str] = []
    # An item's marks are its own plus its collector's chain, which is the same for every item
    # of this report: walk the chain once per collector, not once per item.
    inherited: dict[str, pytest.Mark] | None = None
    for node in report.result:
        if not isinstance(node, pytest.Item):
            continue
        if inherited is None:
            inherited = {}
            for m in collector.iter_markers():
                inherited.setdefault(m.name, m)
        marks: dict[str, pytest.Mark] = {}
        if node.parent is collector:
            for m in node.own_markers:
                marks.setdefault(m.name, m)
            for name, m in inherited.items():
                marks.setdefault(name, m)
        else:  # an item another plugin hung elsewhere: walk its own chain
            for m in node.iter_markers():
                marks.setdefault(m.name, m)
        if state:
            state.seen_markers.update(marks)
            state.seen_fixtures.update(getattr(node, "fixturenames", ()))
        for mark in marks.values():
            try:
                if mark.name == "prodreal":
                    declared_ids(node, taxonomy)
                elif mark.name in validators:
                    validators[mark.name](node, mark)
            except (DeclaredIdsError, pytest.Collector.CollectError) as exc:
                problems.append(str(exc))
    if problems:
        report.outcome = "failed"
        report.longrepr = "\n".join(problems)
        report.result = []
    return report


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config) -> None:
    """Register a part's per-test hooks only if a collected test uses its fixture or marker."""
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return
    for name in _GLUE_PLUGINS:
        module = config.pluginmanager.get_plugin(name)
        needed = getattr(module, "NEEDED_BY", None)
        hooks = getattr(module, "PerTestHooks", None)
        hooks_name = f"{name}.per-test"
        if needed is None or hooks is None or config.pluginmanager.has_plugin(hooks_name):
            continue
        if needed["fixtures"] & state.seen_fixtures or needed["markers"] & state.seen_markers:
            config.pluginmanager.register(hooks(), hooks_name)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Build and write the report and apply the gates (controller or plain run only)."""
    config = session.config
    state = config.stash.get(STATE_KEY, None)
    collector = config.pluginmanager.get_plugin(_COLLECTOR)
    if state is None or state.is_worker or collector is None or config.option.collectonly:
        return
    from ._glue.reporting import finish_session

    finish_session(session, state, collector)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the checklist and gate results."""
    state = terminalreporter.config.stash.get(STATE_KEY, None)
    if state is not None and not state.is_worker and state.report is not None:
        from ._glue.reporting import terminal_summary

        terminal_summary(terminalreporter, state)
