"""Per-test evidence collection and its aggregation on the controller.

Registered only when a report or gate was asked for, so a suite that uses neither pays nothing
per test. Evidence recorded during a test phase rides on that phase's ``TestReport`` as the
attribute ``prodreal_evidence`` (a JSON-ready list, absent when the phase recorded none), the
declared ids ride on the setup report as ``prodreal_declared``, and the test's subject as
``prodreal_subject``: pytest-xdist serialises extra report attributes, so all three cross from
workers to the controller unchanged.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field

import pytest

from ..evidence import _RUNTIME, Evidence, EvidenceSink, _install_sink
from ..report.gates import subject_problem
from ..report.model import TestRecord
from .markers import DeclaredIdsError, declared_ids, marker_subject
from .session import SessionState

_SUBJECT_KEY = pytest.StashKey[str]()

__all__ = ["EvidenceCollector", "TestAccumulator"]


@dataclass(slots=True)  # one per test: no per-instance __dict__ for the cyclic GC to walk
class TestAccumulator:
    """What the controller has heard about one test so far, phase by phase."""

    __test__ = False

    nodeid: str
    phases: dict[str, tuple[str, bool]] = field(default_factory=dict)  # when -> (outcome, xfail)
    declared: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    duration: float = 0.0
    subject: str = ""

    def add(self, report: pytest.TestReport) -> None:
        """Fold one phase's report in."""
        # Extra report attributes live in the instance __dict__ (pytest's TestReport keeps them
        # there, and pytest-xdist's deserialised reports too). Reading the dict, not getattr,
        # spares an AttributeError per absent attribute: most phases carry none of ours.
        extra = report.__dict__
        when = report.when
        self.phases[when] = (report.outcome, "wasxfail" in extra)
        self.duration += float(extra.get("duration") or 0.0)
        if when == "setup":
            self.subject = extra.get("prodreal_subject") or self.subject
            self.declared.extend(extra.get("prodreal_declared") or ())
        evidence = extra.get("prodreal_evidence")
        if evidence:
            self.evidence.extend(Evidence.from_json(data) for data in evidence)

    def outcome(self) -> str:
        """The test's outcome in the report's vocabulary."""
        setup = self.phases.get("setup")
        call = self.phases.get("call")
        teardown = self.phases.get("teardown")
        if setup and setup[0] == "failed":
            return "error"
        if call:
            result = {
                "passed": "xpassed" if call[1] else "passed",
                "failed": "failed",
                "skipped": "xfailed" if call[1] else "skipped",
            }[call[0]]
        elif setup and setup[0] == "skipped":
            result = "xfailed" if setup[1] else "skipped"
        else:
            result = "error"  # interrupted before the test body ran
        if teardown and teardown[0] == "failed" and result != "failed":
            return "error"
        return result

    def record(self) -> TestRecord:
        """The finished :class:`TestRecord`."""
        return TestRecord(
            nodeid=self.nodeid,
            outcome=self.outcome(),
            declared=tuple(self.declared),
            evidence=tuple(self.evidence),
            duration=self.duration,
            subject=self.subject,
        )


class EvidenceCollector:
    """Per-test hooks: a fresh evidence sink per test, evidence attached to each phase report."""

    def __init__(self, state: SessionState) -> None:
        self.state = state
        self.known = frozenset(r.id for r in state.taxonomy.remedies)
        self.tests: dict[str, TestAccumulator] = {}
        self.subject_param = state.settings.subject_param if state.settings else None
        self._only_default_subject_hook: bool | None = None  # decided at the first test

    @pytest.hookimpl(trylast=True)
    def pytest_prodreal_subject(self, item: pytest.Item) -> str | None:
        """The default subject: the marker's ``subject=``, else the named parameter's id."""
        try:
            subject = marker_subject(item, self.state.taxonomy)
        except DeclaredIdsError:  # already reported as a collection error
            subject = None
        if subject is None and self.subject_param is not None:
            subject = _param_subject(item, self.subject_param)
        return subject

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Ask the hook for the test's subject; a bad one errors the test with one line."""
        if self._only_default_subject_hook is None:
            impls = item.config.hook.pytest_prodreal_subject.get_hookimpls()
            self._only_default_subject_hook = [i.plugin for i in impls] == [self]
        if self._only_default_subject_hook:  # no one else answers: skip pluggy's dispatch
            subject = self.pytest_prodreal_subject(item)
        else:
            subject = item.ihook.pytest_prodreal_subject(item=item)
        # None and "": no subject; anything else is checked (a hook's 0 or False is an error).
        problem = None if subject is None or subject == "" else subject_problem(subject)
        if problem:
            item.stash[_SUBJECT_KEY] = ""
            pytest.fail(f"{item.nodeid}: pytest_prodreal_subject: {problem}", pytrace=False)
        item.stash[_SUBJECT_KEY] = subject or ""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        """Install a sink for the duration of the test's setup, call and teardown."""
        prev = _install_sink(EvidenceSink(self.known))
        try:
            return (yield)
        finally:
            _install_sink(prev)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Attach the phase's evidence (and, on setup, the declared ids) to its report."""
        report = yield
        sink = _RUNTIME.sink
        # A lock-free peek first (a list's truth value is read atomically): most phases record
        # nothing, and then neither the lock nor a new list is needed.
        if sink is not None and sink._items:
            # Absent when empty: the usual phase allocates nothing (read from the report's dict).
            report.prodreal_evidence = [e.to_json() for e in sink.drain()]  # type: ignore[attr-defined]
        if call.when == "setup":
            try:
                declared = declared_ids(item, self.state.taxonomy)
            except DeclaredIdsError:  # already reported as a collection error
                declared = ()
            report.prodreal_declared = list(declared)  # type: ignore[attr-defined]
            report.prodreal_subject = item.stash.get(_SUBJECT_KEY, "")  # type: ignore[attr-defined]
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """On the controller (or a plain run), fold every phase report in."""
        if self.state.is_worker:
            return
        acc = self.tests.get(report.nodeid)
        if acc is None:
            acc = self.tests[report.nodeid] = TestAccumulator(report.nodeid)
        acc.add(report)

    def records(self) -> list[TestRecord]:
        """Every test heard of, as records."""
        return [acc.record() for acc in self.tests.values()]


def _param_subject(item: pytest.Item, name: str) -> str | None:
    """The id of parameter ``name`` of a parametrized item (``None`` when it has none).

    pytest keeps one id per ``parametrize`` call (fixture params included), in the order the
    parameters were added; when each call added one parameter the two line up. Otherwise a
    text or number value is its own id, and anything else gets pytest's default ``name0``.
    """
    callspec = getattr(item, "callspec", None)
    if callspec is None or name not in callspec.params:
        return None
    names = list(callspec.params)
    ids = list(getattr(callspec, "_idlist", ()))
    if len(ids) == len(names):
        return str(ids[names.index(name)])
    value = callspec.params[name]
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    return f"{name}{callspec.indices.get(name, 0)}"
