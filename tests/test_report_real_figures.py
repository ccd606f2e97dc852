"""The HTML report charts the figures the built-in checks really record (issue 14).

``check_error_budget`` records ``fast_burn_1h_max``-style burn figures and a failing
dependencies check records its ``fault_timeline``, with route names that hold colons.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_prodreal import Evidence, collecting_evidence
from pytest_prodreal.report import charts
from pytest_prodreal.report.model import RunInfo, RunReport, TestRecord
from pytest_prodreal.report.render import render_html


def _page(figures: dict[str, Any], outcome: str = "passed") -> str:
    record = TestRecord(
        "tests/test_ops.py::test_x",
        outcome,
        declared=("error_budget",),
        evidence=(Evidence("error_budget", outcome == "passed", check="c", figures=figures),),
    )
    return render_html(RunReport.from_records([record], runs=[RunInfo(seed=1, python="3.11")]))


def test_the_burn_figures_check_error_budget_records_draw_the_burn_chart() -> None:
    page = _page({"fast_burn_1h_max": 20.5, "slow_burn_6h_max": 7.25, "fast_burn_5m_max": 30.0})
    assert "error-budget burn rate per window" in page
    for label, value in (("fast 1h", "20.5"), ("slow 6h", "7.25"), ("fast 5m", "30.0")):
        assert f"{label}" in page
        assert f"data-value='{value}'" in page


def test_a_timeline_with_url_route_names_parses() -> None:
    text = "0.500:POST https://api.openai.com/v1/chat/completions:http_503;2:search:read_timeout"
    assert charts.parse_timeline(text) == [
        (0.5, "POST https://api.openai.com/v1/chat/completions", "http_503"),
        (2.0, "search", "read_timeout"),
    ]
    assert charts.parse_timeline("3:search") == [(3.0, "search", "fault")]


def test_a_failing_dependencies_check_records_its_fault_timeline(chaos: Any) -> None:
    from pytest_prodreal.dependencies import check_time_budget

    httpx = pytest.importorskip("httpx")
    chaos.get("https://search.test/q", json={"hits": []}).latency(4).fault(503, rate=1.0)

    def slow_search() -> None:
        with httpx.Client() as client:
            for _ in range(3):  # a retry loop that keeps failing
                client.get("https://search.test/q")

    with collecting_evidence() as sink, pytest.raises(AssertionError):
        check_time_budget(slow_search, budget_s=5)
    (evidence,) = sink.items
    events = charts.parse_timeline(str(evidence.figures["fault_timeline"]))
    assert len(events) == 3
    assert [fault for _, _, fault in events] == ["http_503"] * 3
    assert [round(t) for t, _, _ in events] == [4, 8, 12]  # each after its 4 s of latency
