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


def test_the_verdict_counts_failing_tests_in_every_format(
    suite: pytest.Pytester, xdist_args: list[str]
) -> None:
    """All three inputs remedies have holding evidence, yet the verdict counts them unverified."""
    result = suite.runpytest(
        "--prodreal-report",
        "--prodreal-report=json:r.json",
        "--prodreal-report=md:r.md",
        "--prodreal-report=html:r.html",
        "--prodreal-require=all",
        "-p",
        "no:randomly",
        *xdist_args,
    )
    verdict = "NOT READY to launch: 15 of 15 remedies not verified (launch rule: at most 2)"
    result.stdout.fnmatch_lines([verdict])
    data = json.loads((suite.path / "r.json").read_text())
    assert data["summary"]["ready"] is False and data["summary"]["unchecked"] == 15
    canary = {r["id"]: r for r in data["remedies"]}["canary"]
    # The holding evidence is still shown, beside the failing test that outweighs it.
    assert canary["verified_by"] == ["test_f.py::test_replay"]
    assert canary["failing_by"] == ["test_f.py::test_messy_input"]
    tests = {t["nodeid"]: t for t in data["tests"]}
    assert tests["test_f.py::test_messy_input"]["outcome"] == "failed"
    assert tests["test_f.py::test_breaker"]["outcome"] == "error"
    assert f"**❌ {verdict}**" in (suite.path / "r.md").read_text()
    page = (suite.path / "r.html").read_text()
    assert f"<div class='verdict'>✗ {verdict}</div>" in page
    row = page.split("data-remedy='canary'", 1)[1].split("</tr>", 1)[0]
    assert "✗ failing" in row and "test_f.py::test_messy_input" in row
    assert (
        "<td>dependencies</td><td><code>test_f.py::test_breaker</code></td><td>error</td>" in page
    )
    # No gate counts a category with a failing test as covered.
    gates = {g.split(":")[0] for g in result.stdout.lines if g.startswith("prodreal: gate failed")}
    assert gates == {"prodreal"}
    failed = [line for line in result.stdout.lines if "gate failed" in line]
    for rid in ("shadow_traffic", "canary", "failure_corpus", "circuit_breaker"):
        assert any(f"'{rid}'" in line and "failing in" in line for line in failed), rid


BY_SUBJECT = """
import pytest
from pytest_prodreal import record_evidence

@pytest.fixture(params=["demo", "prod"])
def service(request):
    return request.param

# Holding evidence for every inputs remedy, for both subjects...
@pytest.mark.prodreal("inputs")
def test_replay(service):
    for rid in ("shadow_traffic", "canary", "failure_corpus"):
        record_evidence(rid, held=True, figures={"inputs": 3})

# ...but the demo crashes on a messy input: only the demo's inputs are not covered.
@pytest.mark.prodreal("inputs")
def test_messy_input(service):
    assert service == "prod", "crashed on a messy input"
"""


def test_a_failing_test_counts_against_its_own_subject_only(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_s=BY_SUBJECT)
    result = pytester.runpytest(
        "--prodreal-subject-param=service",
        "--prodreal-report",
        "--prodreal-report=json:r.json",
        "--prodreal-report=md:r.md",
        "--prodreal-report=html:r.html",
        "--prodreal-require=inputs",
        "-p",
        "no:randomly",
        *xdist_args,
    )
    result.assert_outcomes(passed=3, failed=1)
    bad = "test_s.py::test_messy_input[demo]"
    result.stdout.fnmatch_lines(
        [
            "  [[]!] canary * [[]!] failing * [[]x] verified",
            "demo: 0 verified, 3 failing, 0 declared only, 12 missing · 2 tests",
            f"  1 failing test marked inputs: {bad}",
            f"  [[]!] canary failing in {bad.replace('[', '[[]')}",
            "prod: 3 verified, 0 failing, 0 declared only, 12 missing · 2 tests",
        ]
    )
    failed = [line for line in result.stdout.lines if "gate failed" in line]
    assert len(failed) == 3 and all("subject 'demo'" in line for line in failed), failed
    data = json.loads((pytester.path / "r.json").read_text())
    subjects = {s["id"]: {r["id"]: r for r in s["remedies"]} for s in data["subjects"]}
    assert subjects["demo"]["canary"]["failing_by"] == [bad]
    assert subjects["prod"]["canary"]["status"] == "verified"
    assert subjects["prod"]["canary"]["failing_by"] == []
    md = (pytester.path / "r.md").read_text()
    assert f"- demo: `inputs`: `{bad}`" in md
    assert "| `canary` | inputs | ❌ failing | ✅ verified |" in md
    page = (pytester.path / "r.html").read_text()
    assert (
        f"<tr><td>demo</td><td>inputs</td><td><code>{bad}</code></td><td>failed</td></tr>" in page
    )
    assert "<td>prod</td><td>inputs</td>" not in page


def test_marks_a_conftest_hook_adds_count_too(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    """A conftest marking a directory's tests from ``pytest_collection_modifyitems``."""
    pytester.makeconftest(
        """
        import pytest

        def pytest_collection_modifyitems(items):
            for item in items:
                item.add_marker(pytest.mark.prodreal("inputs", subject="prod"))
        """
    )
    pytester.makepyfile(
        test_h="""
        from pytest_prodreal import record_evidence

        def test_replay():
            for rid in ("shadow_traffic", "canary", "failure_corpus"):
                record_evidence(rid, held=True, figures={"inputs": 3})

        def test_messy_input():
            raise UnicodeError("crashed on a messy input")
        """
    )
    result = pytester.runpytest(
        "--prodreal-report=json:r.json", "--prodreal-require=prod:inputs", *xdist_args
    )
    result.assert_outcomes(passed=1, failed=1)
    data = json.loads((pytester.path / "r.json").read_text())
    tests = {t["nodeid"]: t for t in data["tests"]}
    assert tests["test_h.py::test_messy_input"]["declared"] == ["inputs"]
    assert tests["test_h.py::test_messy_input"]["subject"] == "prod"
    (prod,) = data["subjects"]
    canary = {r["id"]: r for r in prod["remedies"]}["canary"]
    assert canary["status"] == "failing"
    assert canary["failing_by"] == ["test_h.py::test_messy_input"]
    assert result.stdout.str().count("gate failed: subject 'prod'") == 3
