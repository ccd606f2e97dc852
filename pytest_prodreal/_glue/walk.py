"""Collection: validate our markers, note what the tests use, register per-test hooks lazily.

Three steps, all cheap:

- :func:`validate_collected` wraps each collector's report: it walks the collected items'
  marks once per collector (an item's inherited marks are its collector's chain, the same for
  every item of the report), validates ``prodreal`` and every part's markers, and fails the
  collector's report with one line per misuse.
- :func:`finish_collection` runs on the FINAL items, after every plugin's
  ``pytest_collection_modifyitems`` (it is the outermost wrapper of that hook): markers a hook
  added with ``item.add_marker`` are validated there too (a misuse becomes a collection error
  naming the test: the run ends "errors during collection", exit 2), and each part's per-test
  hooks are registered when a final item uses one of its fixtures or markers. Only an item's
  own marks can be added by a hook, and only ours are looked at, so this is one short loop per
  item.
- :class:`LateMarkerCheck` (registered only when a report or gate is asked for, or a test
  carries ``prodreal``) re-checks ``prodreal`` marks added while a test runs
  (``request.node.add_marker``): a bad id fails that test, naming the id.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from ..taxonomy import DEFAULT_TAXONOMY, Taxonomy
from . import markers as _markers
from .markers import DeclaredIdsError, declared_ids
from .parts import parts
from .session import STATE_KEY, SessionState

__all__ = ["LateMarkerCheck", "finish_collection", "register_needed", "validate_collected"]

# The ids of an item's own marks of ours that collection already validated (absent: none).
_CHECKED_KEY = pytest.StashKey[frozenset[int]]()
_NONE_CHECKED: frozenset[int] = frozenset()

# Markers that act while tests are generated (they parametrize), so adding one after collection
# cannot take effect. A part says so with ``MarkerSpec(parametrizes=True)``; this is the
# fallback for a part that does not say it yet.
_PARAMETRIZING_FALLBACK = frozenset({"prodreal_traffic"})

LATE_CHECK_PLUGIN = "prodreal-late-marker-check"


def _our_names() -> frozenset[str]:
    names = {"prodreal"}
    for part in parts():
        names.update(part.trigger_markers)
    return frozenset(names)


def validate_collected(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """The body of the ``pytest_make_collect_report`` wrapper (see the module docstring)."""
    report = yield
    if report.outcome != "passed" or not report.result:
        return report
    state = collector.config.stash.get(STATE_KEY, None)
    taxonomy = state.taxonomy if state else DEFAULT_TAXONOMY
    validators = state.marker_validators if state else {}
    problems: list[str] = []
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
        own = [id(m) for m in node.own_markers if m.name.startswith("prodreal")]
        if own:
            node.stash[_CHECKED_KEY] = frozenset(own)
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


def _parametrizing() -> frozenset[str]:
    names = set(_PARAMETRIZING_FALLBACK)
    for part in parts():
        names.update(m.name for m in part.markers if m.parametrizes)
    return frozenset(names)


def _forget_declared(item: pytest.Item) -> None:
    """Drop the cached ``prodreal`` ids of an item whose marks changed."""
    key = getattr(_markers, "_DECLARED_KEY", None)
    if key is not None and key in item.stash:
        del item.stash[key]


def _late_problems(item: pytest.Item, state: SessionState, names: frozenset[str]) -> list[str]:
    """Validate the marks of ours a hook added to ``item`` after its collector was walked."""
    checked = item.stash.get(_CHECKED_KEY, frozenset())
    added = [m for m in item.own_markers if m.name in names and id(m) not in checked]
    if not added:
        return []
    problems: list[str] = []
    late = _parametrizing()
    for mark in added:
        state.seen_markers.add(mark.name)
        try:
            if mark.name == "prodreal":
                _forget_declared(item)
                declared_ids(item, state.taxonomy)
            elif mark.name in late:
                problems.append(
                    f"{item.nodeid}: @pytest.mark.{mark.name} was added by a hook after "
                    "collection, when it can no longer parametrize the test; mark the test "
                    f"function or its module instead (pytestmark = pytest.mark.{mark.name}(...))"
                )
            elif mark.name in state.marker_validators:
                state.marker_validators[mark.name](item, mark)
        except (DeclaredIdsError, pytest.Collector.CollectError) as exc:
            problems.append(str(exc))
        except pytest.fail.Exception as exc:
            problems.append(str(exc.msg))
    return problems


def finish_collection(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> Generator[None, None, None]:
    """The body of the outermost ``pytest_collection_modifyitems`` wrapper (see the docstring)."""
    yield
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return
    names = _our_names()
    kept: list[pytest.Item] = []
    failed = False
    for item in items:
        problems = _late_problems(item, state, names) if item.own_markers else []
        if problems:
            failed = True
            report = pytest.CollectReport(item.nodeid, "failed", "\n".join(problems), [])
            config.hook.pytest_collectreport(report=report)
            continue
        kept.append(item)
    if failed:
        items[:] = kept
    register_needed(config)


def register_needed(config: pytest.Config) -> None:
    """Register each part's per-test hooks if a collected test uses its fixture or marker."""
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return
    if (state.active or "prodreal" in state.seen_markers) and not config.pluginmanager.has_plugin(
        LATE_CHECK_PLUGIN
    ):
        config.pluginmanager.register(LateMarkerCheck(state.taxonomy), LATE_CHECK_PLUGIN)
    for part in parts():
        if part.per_test is None:
            continue
        name = f"prodreal-{part.name}.per-test"
        if config.pluginmanager.has_plugin(name):
            continue
        if part.fixtures & state.seen_fixtures or part.trigger_markers & state.seen_markers:
            config.pluginmanager.register(part.per_test(), name)


class LateMarkerCheck:
    """Fail a test that added a bad ``prodreal`` mark to itself while running."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        """After a test body that passed, check ``prodreal`` marks it added to itself.

        A plain implementation called last: pytest's own (which runs the body) comes first, and
        a body that raised stops the hook there, so its error propagates unchanged. Once per
        test, and cheaper than a wrapper (no generator per test).
        """
        __tracebackhide__ = True  # the user sees their own frames, not the glue
        checked = item.stash.get(_CHECKED_KEY, _NONE_CHECKED)
        for mark in item.own_markers:
            if mark.name == "prodreal" and id(mark) not in checked:
                _forget_declared(item)
                try:
                    declared_ids(item, self.taxonomy)
                except DeclaredIdsError as exc:
                    pytest.fail(str(exc), pytrace=False)
                return
