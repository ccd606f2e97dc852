"""Collection: validate our markers, note what the tests use, register per-test hooks lazily.

Two passes, both cheap:

- :func:`validate_collected` wraps each collector's report: it walks the collected items'
  marks once per collector (an item's inherited marks are its collector's chain, the same for
  every item of the report), validates ``prodreal`` and every part's markers, and fails the
  collector's report with one line per misuse.
- :func:`register_needed` runs after collection and registers a part's per-test hooks only when
  a collected test uses one of its fixtures or markers.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from ..taxonomy import DEFAULT_TAXONOMY
from .markers import DeclaredIdsError, declared_ids
from .parts import parts
from .session import STATE_KEY

__all__ = ["register_needed", "validate_collected"]


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


def register_needed(config: pytest.Config) -> None:
    """Register each part's per-test hooks if a collected test uses its fixture or marker."""
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return
    for part in parts():
        if part.per_test is None:
            continue
        name = f"prodreal-{part.name}.per-test"
        if config.pluginmanager.has_plugin(name):
            continue
        if part.fixtures & state.seen_fixtures or part.trigger_markers & state.seen_markers:
            config.pluginmanager.register(part.per_test(), name)
