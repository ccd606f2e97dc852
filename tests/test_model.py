from __future__ import annotations

import json
import re
from importlib.resources import files

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_prodreal import DEFAULT_TAXONOMY, Evidence, InvalidArgument, TaxonomyBuilder
from pytest_prodreal.report.model import Gates, RunInfo, RunReport, Status, TestRecord
from pytest_prodreal.report.render import render_html, render_json, render_markdown, render_term

REMEDIES = [r.id for r in DEFAULT_TAXONOMY.remedies]
SCHEMA = json.loads(
    files("pytest_prodreal").joinpath("report/schema/report-v2.schema.json").read_text()
)
SCHEMA_V1 = json.loads(
    files("pytest_prodreal").joinpath("report/schema/report-v1.schema.json").read_text()
)

evidence_st = st.builds(
    Evidence,
    remedy=st.sampled_from(REMEDIES),
    held=st.booleans(),
    check=st.sampled_from(["", "c1"]),
    summary=st.sampled_from(["", "s"]),
    figures=st.dictionaries(
        st.sampled_from(["calls", "p95", "virtual_s", "faults_fired", "inputs"]),
        st.integers(0, 9),
        max_size=3,
    ),
)
record_st = st.builds(
    TestRecord,
    nodeid=st.sampled_from(["t.py::a", "t.py::b", "u.py::c"]),
    outcome=st.sampled_from(["passed", "failed", "error", "skipped", "xfailed", "xpassed"]),
    declared=st.lists(st.sampled_from(["inputs", "canary", "slo"]), max_size=2).map(tuple),
    evidence=st.lists(evidence_st, max_size=3).map(tuple),
    duration=st.sampled_from([0.0, 0.5, 1.0]),
    subject=st.sampled_from(["", "", "demo", "prod"]),
)
report_st = st.builds(
    lambda recs, seed: RunReport.from_records(recs, runs=[RunInfo(seed=seed)]),
    st.lists(record_st, max_size=4),
    st.integers(0, 3),
)


def canon(r: RunReport) -> str:
    return json.dumps(r.to_json(), sort_keys=True)


@settings(max_examples=150)
@given(report_st, report_st, report_st)
def test_merge_is_associative(a: RunReport, b: RunReport, c: RunReport) -> None:
    assert canon(a.merge(b).merge(c)) == canon(a.merge(b.merge(c)))


@settings(max_examples=150)
@given(report_st, report_st)
def test_merge_is_commutative(a: RunReport, b: RunReport) -> None:
    assert canon(a.merge(b)) == canon(b.merge(a))


@settings(max_examples=100, deadline=None)
@given(report_st)
def test_json_round_trip_and_schema(r: RunReport) -> None:
    data = r.to_json(Gates(("dependencies", "prod:all"), 2))
    jsonschema.validate(data, SCHEMA)
    assert canon(RunReport.from_json(json.loads(json.dumps(data)))) == canon(r)


def test_merge_of_extended_taxonomies_is_order_independent() -> None:
    b1 = TaxonomyBuilder(DEFAULT_TAXONOMY)
    b1.add_category("security", "Security", "x")
    b1.add_remedy("security", "authz", "Authz", "y")
    b2 = TaxonomyBuilder(DEFAULT_TAXONOMY)
    b2.add_remedy("trust", "toxicity", "Toxicity", "z")
    r1 = RunReport(taxonomy=b1.build())
    r2 = RunReport(taxonomy=b2.build())
    merged = r1.merge(r2)
    assert canon(merged) == canon(r2.merge(r1))
    assert {"authz", "toxicity"} <= {r.id for r in merged.taxonomy.remedies}


def ev(remedy: str, held: bool = True) -> Evidence:
    return Evidence(remedy=remedy, held=held)


def test_statuses_follow_evidence_not_declarations() -> None:
    report = RunReport.from_records(
        [
            TestRecord("t::verified", "passed", evidence=(ev("canary"),)),
            TestRecord("t::declared", "passed", declared=("slo", "operations")),
            TestRecord("t::failed_test", "failed", evidence=(ev("abstain"),)),
            TestRecord("t::skipped", "skipped", evidence=(ev("guardrails"),)),
            TestRecord("t::xfailed", "xfailed", evidence=(ev("idempotency"),)),
            TestRecord("t::xpassed", "xpassed", evidence=(ev("determinism"),)),
            TestRecord("t::failing", "passed", evidence=(ev("time_budget", held=False),)),
            TestRecord("t::both", "passed", evidence=(ev("time_budget"),)),
        ]
    )
    status = {r.remedy.id: r.status for r in report.remedy_results()}
    assert status["canary"] is Status.VERIFIED
    assert status["slo"] is Status.DECLARED
    # A failed, skipped, xfailed or xpassed test verifies nothing, even with holding evidence.
    for rid in ("abstain", "guardrails", "idempotency", "determinism"):
        assert status[rid] is Status.DECLARED, rid
    # Evidence that did not hold marks the remedy failing, whatever else passed.
    assert status["time_budget"] is Status.FAILING
    # A category marker does not tick its remedies.
    assert status["error_budget"] is Status.MISSING
    assert report.counts() == {"verified": 1, "failing": 1, "declared": 5, "missing": 8}
    assert not report.ready()


def test_launch_rule_three_unchecked_is_not_ready() -> None:
    def report_with(n_verified: int) -> RunReport:
        return RunReport.from_records(
            [TestRecord(f"t::{r}", "passed", evidence=(ev(r),)) for r in REMEDIES[:n_verified]]
        )

    assert report_with(13).ready()  # 2 unchecked
    assert not report_with(12).ready()  # 3 unchecked


def test_gates() -> None:
    report = RunReport.from_records(
        [
            TestRecord("t::a", "passed", evidence=(ev("time_budget"),)),
            TestRecord("t::b", "passed", declared=("circuit_breaker",)),
            TestRecord("t::c", "failed", evidence=(ev("graceful_degradation", held=False),)),
        ]
    )
    assert report.gate_failures(Gates(("time_budget",))) == []
    lines = report.gate_failures(Gates(("dependencies",)))
    assert lines == [
        "required remedy 'circuit_breaker' (required via 'dependencies') is not verified: "
        "declared only, no passing evidence (t::b)",
        "required remedy 'graceful_degradation' (required via 'dependencies') is not verified: "
        "failing in t::c",
    ]
    assert len(report.gate_failures(Gates(("all",)))) == 14
    (line,) = report.gate_failures(Gates(max_unchecked=2))
    assert line.startswith("14 remedies are not verified, more than max-unchecked=2 allows: ")
    assert report.gate_failures(Gates(max_unchecked=14)) == []
    with pytest.raises(InvalidArgument, match="unknown prodreal id 'nope'"):
        report.gate_failures(Gates(("nope",)))
    with pytest.raises(InvalidArgument, match="max_unchecked must be a whole number"):
        Gates(max_unchecked=-1)


def test_same_test_from_two_shards_merges_outcome_and_evidence() -> None:
    a = TestRecord("t::x", "skipped")
    b = TestRecord("t::x", "passed", evidence=(ev("slo"),))
    c = TestRecord("t::x", "failed")
    assert a.merge(b).outcome == "passed"
    assert a.merge(b).merge(c).outcome == "failed"
    assert a.merge(b).evidence == (ev("slo"),)
    with pytest.raises(InvalidArgument, match="cannot merge"):
        a.merge(TestRecord("t::y", "passed"))
    with pytest.raises(InvalidArgument, match="outcome must be one of"):
        TestRecord("t::x", "exploded")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({}, "not a pytest-prodreal JSON report"),
        ({"schema": "pytest-prodreal/report", "schema_version": 99}, "schema_version 99"),
        ({"schema": "pytest-prodreal/report", "schema_version": True}, "schema_version True"),
        (
            {"schema": "pytest-prodreal/report", "schema_version": 1, "runs": {}, "tests": []},
            "must be lists",
        ),
    ],
)
def test_from_json_rejects_other_documents(data: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        RunReport.from_json(data)


def test_renderers_agree_on_the_verdict() -> None:
    report = RunReport.from_records(
        [TestRecord("t::a", "passed", evidence=(ev("canary"),), declared=("inputs",))],
        runs=[RunInfo(seed=42)],
    )
    term = "\n".join(t for t, _ in render_term(report, Gates(("slo",))))
    assert "[x] canary" in term and "verified  t::a" in term
    assert "inputs — Input distribution shifts  (marked by 1 test)" in term
    assert "NOT READY to launch: 14 of 15 remedies not verified" in term
    assert "gate failed: required remedy 'slo' is not verified: missing" in term
    assert "seed 42" in term
    md = render_markdown(report)
    assert "| ✅ | `canary` | inputs | verified | `t::a` |" in md
    assert "NOT READY to launch" in md
    page = render_html(report, Gates(("slo",)))
    assert page.startswith("<!doctype html>") and "http" not in page.replace("https://", "")
    assert "Gates not met" in page and "t::a" in page
    assert json.loads(render_json(report))["summary"]["verified"] == 1


@settings(max_examples=100)
@given(report_st, report_st)
def test_subject_views_partition_the_tests_and_survive_merging(a: RunReport, b: RunReport) -> None:
    merged = a.merge(b)
    seen = [n for s in merged.subject_ids() for n in merged.for_subject(s).tests]
    # Loose tests (no subject) are all in the "" view, or none is when none says anything.
    loose_view = "" in merged.subject_ids()
    expected = [n for n, t in merged.tests.items() if t.subject or loose_view]
    assert sorted(seen) == sorted(expected)
    assert loose_view == (not merged.has_subjects or any(
        not t.subject and (t.declared or t.evidence) for t in merged.tests.values()
    ))  # fmt: skip
    # Totals add up over subjects (loose tests without evidence add nothing).
    for key, value in merged.totals().items():
        parts = sum(merged.for_subject(s).totals()[key] for s in merged.subject_ids())
        assert abs(parts - value) < 1e-6, key


def test_subjects_get_their_own_checklist_verdict_and_gates() -> None:
    records = [TestRecord(f"t::prod_{r}", "passed", evidence=(ev(r),), subject="prod")
               for r in REMEDIES]  # fmt: skip
    records.append(TestRecord("t::demo", "failed", declared=("dependencies",), subject="demo"))
    report = RunReport.from_records(records)
    assert report.subject_ids() == ("demo", "prod")
    assert report.for_subject("prod").ready() and not report.for_subject("demo").ready()
    assert not report.ready()  # every subject must be ready
    assert report.gate_failures(Gates(("prod:all",))) == []
    lines = report.gate_failures(Gates(("time_budget",)))
    assert lines == [
        "subject 'demo': required remedy 'time_budget' is not verified: failing in t::demo"
    ]
    (line,) = report.gate_failures(Gates(("stage:slo",)))
    assert line.startswith("subject 'stage' has no tests in this run (subjects: demo, prod)")
    (line,) = report.gate_failures(Gates(max_unchecked=2))
    assert line.startswith("subject 'demo': 15 remedies are not verified")
    with pytest.raises(InvalidArgument, match="write SUBJECT:ID"):
        Gates(("bad subject:all",))
    with pytest.raises(InvalidArgument, match="not a valid subject id"):
        TestRecord("t::x", "passed", subject="a:b")
    data = json.loads(render_json(report, Gates(("prod:all",))))
    jsonschema.validate(data, SCHEMA)
    assert [s["id"] for s in data["subjects"]] == ["demo", "prod"]
    assert [s["summary"]["ready"] for s in data["subjects"]] == [False, True]
    term = "\n".join(t for t, _ in render_term(report))
    assert "demo: NOT READY to launch: 15 of 15 remedies not verified" in term
    assert "prod: READY to launch: 0 of 15 remedies not verified" in term
    md = render_markdown(report)
    assert "| remedy | category | demo | prod |" in md
    assert "| `time_budget` | dependencies | ❌ failing | ✅ verified |" in md


def test_loose_tests_form_a_subject_only_when_they_say_something() -> None:
    prod = TestRecord("t::p", "passed", evidence=(ev("slo"),), subject="prod")
    plain = TestRecord("t::helper", "passed")
    assert RunReport.from_records([prod, plain]).subject_ids() == ("prod",)
    loose = TestRecord("t::loose", "passed", evidence=(ev("canary"),))
    report = RunReport.from_records([prod, plain, loose])
    assert report.subject_ids() == ("prod", "")
    assert list(report.for_subject("").tests) == ["t::helper", "t::loose"]
    assert (
        "subject '(no subject)': required remedy 'slo'" in report.gate_failures(Gates(("slo",)))[0]
    )


def test_a_failing_test_counts_against_what_it_marks() -> None:
    report = RunReport.from_records(
        [
            *(TestRecord(f"t::{r}", "passed", evidence=(ev(r),))
              for r in ("shadow_traffic", "canary", "failure_corpus", "time_budget")),
            TestRecord("t::crash", "failed", declared=("inputs",)),
            TestRecord("t::broke", "error", declared=("time_budget",)),
            TestRecord("t::skip", "skipped", declared=("state",)),
        ]
    )  # fmt: skip
    status = {r.remedy.id: r for r in report.remedy_results()}
    for rid in ("shadow_traffic", "canary", "failure_corpus"):
        assert status[rid].status is Status.FAILING and status[rid].failing_by == ("t::crash",)
    assert status["time_budget"].failing_by == ("t::broke",)
    assert status["determinism"].status is Status.MISSING  # a skip marks nothing failing
    inputs = report.taxonomy.category("inputs")
    assert report.category_failing_tests(inputs) == ("t::crash",)
    assert report.gate_failures(Gates(("inputs",)))[0] == (
        "required remedy 'shadow_traffic' (required via 'inputs') is not verified: failing in "
        "t::crash"
    )


def test_totals_take_each_tests_largest_figure() -> None:
    soak = (
        Evidence("slo", True, figures={"virtual_s": 3600.0, "requests": 360, "faults_fired": 4}),
        Evidence("error_budget", True, figures={"virtual_s": 3600.0, "requests": 360}),
    )
    other = (
        Evidence("canary", True, figures={"inputs": 50, "virtual_s": 1.5}),
        Evidence("time_budget", True, figures={"faults_fired": 3, "dependency_calls": 9}),
    )
    report = RunReport.from_records(
        [
            TestRecord("t::soak", "passed", evidence=soak),
            TestRecord("t::o", "passed", evidence=other),
        ]
    )
    assert report.totals() == {
        "virtual_s": 3601.5, "faults_fired": 7, "route_calls": 9, "requests": 360, "inputs": 50
    }  # fmt: skip
    assert "| all | 2 | 3,601.5 | 7 | 9 | 360 | 50 |" in render_markdown(report)
    term = "\n".join(t for t, _ in render_term(report))
    assert "totals: 3,601.5 virtual seconds covered · 7 faults fired · 9 calls through chaos " \
        "routes · 360 requests driven · 50 inputs generated" in term  # fmt: skip


def test_version_1_reports_are_still_read() -> None:
    old = RunReport.from_records([TestRecord("t::a", "passed", evidence=(ev("slo"),))])
    data = old.to_json()
    data["schema_version"] = 1
    for key in ("totals", "subjects"):
        data.pop(key)
    data["summary"].pop("subjects")  # type: ignore[attr-defined]
    for t in data["tests"]:  # type: ignore[attr-defined]
        t.pop("subject")
    jsonschema.validate(data, SCHEMA_V1)
    again = RunReport.from_json(json.loads(json.dumps(data)))
    assert canon(again) == canon(old) and again.to_json()["schema_version"] == 2


def test_markdown_keeps_odd_test_ids_in_their_cell() -> None:
    ids = ["t.py::test_x[a|b]", "t.py::test_y[`tick`]", "t.py::test_z[``x|`]"]
    report = RunReport.from_records(
        [TestRecord(n, "passed", evidence=(ev("canary"),)) for n in ids]
    )
    (row,) = [ln for ln in render_markdown(report).splitlines() if "`canary`" in ln]
    # GitHub splits a row at every unescaped pipe: the row must keep exactly six.
    assert len(re.findall(r"(?<!\\)\|", row)) == 6, row
    assert "`t.py::test_x[a\\|b]`" in row
    assert "`` t.py::test_y[`tick`] ``" in row
    assert "``` t.py::test_z[``x\\|`] ```" in row


def test_html_names_each_check_once() -> None:
    e = Evidence("idempotency", False, check="invariant", summary="invariant: 0 of 160 held")
    page = render_html(RunReport.from_records([TestRecord("t::a", "failed", evidence=(e,))]))
    assert "invariant: 0 of 160 held" in page and "invariant: invariant:" not in page
