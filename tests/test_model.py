from __future__ import annotations

import json
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
    files("pytest_prodreal").joinpath("report/schema/report-v1.schema.json").read_text()
)

evidence_st = st.builds(
    Evidence,
    remedy=st.sampled_from(REMEDIES),
    held=st.booleans(),
    check=st.sampled_from(["", "c1"]),
    summary=st.sampled_from(["", "s"]),
    figures=st.dictionaries(st.sampled_from(["calls", "p95"]), st.integers(0, 9), max_size=2),
)
record_st = st.builds(
    TestRecord,
    nodeid=st.sampled_from(["t.py::a", "t.py::b", "u.py::c"]),
    outcome=st.sampled_from(["passed", "failed", "error", "skipped", "xfailed", "xpassed"]),
    declared=st.lists(st.sampled_from(["inputs", "canary", "slo"]), max_size=2).map(tuple),
    evidence=st.lists(evidence_st, max_size=3).map(tuple),
    duration=st.sampled_from([0.0, 0.5, 1.0]),
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


@settings(max_examples=100)
@given(report_st)
def test_json_round_trip_and_schema(r: RunReport) -> None:
    data = r.to_json(Gates(("dependencies",), 2))
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
