"""A failed or errored test counts against the category and remedies it marks (issue 9)."""

from __future__ import annotations

import json

import pytest

SUITE = """
import pytest
from hypothesis import given, strategies as st
from pytest_prodreal import record_evidence

# Evidence verifies all three inputs remedies...
@pytest.mark.prodreal("inputs")
def test_replay():
    for rid in ("shadow_traffic", "canary", "failure_corpus"):
        record_evidence(rid, held=True, figures={"inputs": 3})

# ...but the service crashes on a messy input: the category is not covered.
@pytest.mark.prodreal("inputs")
@given(st.text())
def test_messy_input(text):
    if len(text) > 3:
        raise UnicodeError("crashed on a messy input")

@pytest.fixture
def broken():
    raise RuntimeError("setup broke")

@pytest.mark.prodreal("circuit_breaker")
def test_breaker(broken):
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_f=SUITE)
    return pytester


def test_failing_tests_show_in_every_format(suite: pytest.Pytester, xdist_args: list[str]) -> None:
    result = suite.runpytest(
        "--prodreal-report",
        "--prodreal-report=json:r.json",
        "--prodreal-report=md:r.md",
        "--prodreal-report=html:r.html",
        "-p",
        "no:randomly",
        *xdist_args,
    )
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "inputs — Input distribution shifts  (marked by 2 tests)",
            "  1 failing test marked inputs: test_f.py::test_messy_input",
            "  [[]!] shadow_traffic * failing   test_f.py::test_messy_input",
            "  [[]!] canary * failing   test_f.py::test_messy_input",
            "  [[]!] failure_corpus * failing   test_f.py::test_messy_input",
            "dependencies — Dependencies multiply",
            "  1 failing test marked dependencies: test_f.py::test_breaker",
            "  [[]!] circuit_breaker * failing   test_f.py::test_breaker",
        ]
    )
    assert "3/3" not in result.stdout.str()
    data = json.loads((suite.path / "r.json").read_text())
    status = {r["id"]: r for r in data["remedies"]}
    assert status["canary"]["status"] == "failing"
    assert status["canary"]["failing_by"] == ["test_f.py::test_messy_input"]
    assert status["circuit_breaker"]["failing_by"] == ["test_f.py::test_breaker"]
    assert data["summary"]["verified"] == 0
    md = (suite.path / "r.md").read_text()
    assert "| ❌ | `canary` | inputs | failing | `test_f.py::test_messy_input` |" in md
    assert "- `inputs`: `test_f.py::test_messy_input`" in md
    page = (suite.path / "r.html").read_text()
    assert "<h2>Failing tests by category</h2>" in page
    assert "<td>inputs</td><td><code>test_f.py::test_messy_input</code></td><td>failed</td>" in page


def test_a_category_with_failing_tests_fails_its_gate(
    suite: pytest.Pytester, xdist_args: list[str]
) -> None:
    result = suite.runpytest("--prodreal-require=inputs", "-p", "no:randomly", *xdist_args)
    result.stdout.fnmatch_lines(
        [
            "prodreal: gate failed: required remedy 'shadow_traffic' (required via 'inputs') is "
            "not verified: failing in test_f.py::test_messy_input",
        ]
    )
    assert result.stdout.str().count("gate failed") == 3
    assert "all gates met" not in result.stdout.str()
