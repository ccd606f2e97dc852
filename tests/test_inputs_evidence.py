"""Evidence means something was exercised and held (issue 9): empty bodies are declared only."""

from __future__ import annotations

import json
from typing import Any

import pytest

EMPTY_BODIES = """
import pytest
from hypothesis import given, settings, strategies as st

@pytest.mark.prodreal_traffic("t.jsonl", field="q")
def test_traffic_does_nothing(q):
    pass

@pytest.mark.prodreal_corpus
@settings(database=None, max_examples=5)
@given(st.integers())
def test_corpus_does_nothing(x):
    pass
"""

CHECKING_BODIES = """
import pytest
from hypothesis import given, settings, strategies as st

@pytest.mark.prodreal_traffic("t.jsonl", field="q")
def test_traffic_checks(q):
    assert q.strip()

@pytest.mark.prodreal_traffic("t.jsonl", field="q")
def test_traffic_ignores_its_input(q):
    assert 1 + 1 == 2  # checks something, but never looks at the recorded input

@pytest.mark.prodreal_corpus
@settings(database=None, max_examples=5)
@given(st.integers())
def test_corpus_checks(x):
    assert x + 0 == x
"""


def _report(pytester: pytest.Pytester, *args: str) -> dict[str, Any]:
    pytester.makefile(".jsonl", t='{"q": "hello"}\n{"q": "bye"}\n')
    result = pytester.runpytest("--prodreal-report=json:r.json", "-p", "no:randomly", *args)
    assert result.ret == 0, result.stdout.str()
    data: dict[str, Any] = json.loads((pytester.path / "r.json").read_text())
    return data


def _status(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in report["remedies"]}


def test_empty_bodies_are_declared_only(pytester: pytest.Pytester, xdist_args: list[str]) -> None:
    pytester.makepyfile(test_empty=EMPTY_BODIES)
    report = _report(pytester, *xdist_args)
    status = _status(report)
    assert status["shadow_traffic"] == "declared"
    assert status["failure_corpus"] == "declared"
    assert all(not t["evidence"] for t in report["tests"])  # nothing counted, nothing recorded


def test_bodies_that_check_their_inputs_verify(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_checking=CHECKING_BODIES)
    report = _report(pytester, *xdist_args)
    status = _status(report)
    assert status["shadow_traffic"] == status["failure_corpus"] == "verified"
    by_test = {t["nodeid"].split("::")[-1]: t["evidence"] for t in report["tests"]}
    assert len(by_test["test_traffic_checks[t.jsonl:1]"]) == 1
    assert by_test["test_traffic_ignores_its_input[t.jsonl:1]"] == []
    (corpus,) = by_test["test_corpus_checks"]
    assert corpus["figures"]["examples"] >= 1 and corpus["figures"]["saved"] == 0
    assert corpus["summary"].startswith(f"ran {corpus['figures']['examples']} Hypothesis example")


def test_a_replayed_example_counts_even_without_an_assert(pytester: pytest.Pytester) -> None:
    # A saved example replayed through the body exercises it (it crashed once): that counts.
    pytester.makepyfile(
        test_replay="""
        import pytest
        from hypothesis import given, settings, strategies as st

        def parse(n):
            return int(str(n))

        @pytest.mark.prodreal_corpus
        @settings(database=None, max_examples=3)
        @given(n=st.integers())
        def test_parse(n):
            parse(n)
        """
    )
    corpus = pytester.path / "prodreal-corpus" / "test_replay" / "test_parse.jsonl"
    corpus.parent.mkdir(parents=True)
    corpus.write_text('{"n": 7}\n')
    report = _report(pytester)
    (ev,) = report["tests"][0]["evidence"]
    assert ev["figures"]["replayed"] == 1 and ev["figures"]["examples"] == 0
    assert _status(report)["failure_corpus"] == "verified"


def test_required_empty_bodies_fail_the_gate_as_declared_only(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    # The file, with the explicit prodreal("failure_corpus") declaration the example
    # suite carries: a declaration is never evidence.
    pytester.makepyfile(
        test_empty=EMPTY_BODIES
        + """

@pytest.mark.prodreal("failure_corpus")
@pytest.mark.prodreal_corpus(name="shared")
@settings(database=None, max_examples=5)
@given(st.text())
def test_declared_corpus_does_nothing(text):
    text.strip()
"""
    )
    pytester.makefile(".jsonl", t='{"q": "hello"}\n{"q": "bye"}\n')
    result = pytester.runpytest(
        "--prodreal-require=shadow_traffic,failure_corpus",
        "--prodreal-report=json:r.json",
        "-p",
        "no:randomly",
        *xdist_args,
    )
    result.assert_outcomes(passed=4)
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        [
            "*gate failed: required remedy 'shadow_traffic' is not verified: declared only*",
            "*gate failed: required remedy 'failure_corpus' is not verified: declared only*",
        ]
    )
    report = json.loads((pytester.path / "r.json").read_text())
    assert _status(report)["failure_corpus"] == "declared"
    # "replayed 0 saved failing example(s) first; saved 0 new" is never evidence.
    assert all(not t["evidence"] for t in report["tests"]), report["tests"]


def test_a_traffic_file_without_rows_is_a_collection_error(pytester: pytest.Pytester) -> None:
    # Replaying traffic is the evidence, so a replay of nothing cannot pass quietly.
    pytester.makepyfile(
        test_none="""
        import pytest

        @pytest.mark.prodreal_traffic("t.jsonl", field="q")
        def test_traffic(q):
            assert q
        """
    )
    pytester.makefile(".jsonl", t="\n")
    result = pytester.runpytest("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*prodreal_traffic: *t.jsonl holds no rows*"])


NESTED_BODIES = """
import pytest

@pytest.mark.prodreal_traffic("t.jsonl", field="q")
def test_traffic_nested_never_called(q):
    def inner():
        assert q
    return None

@pytest.mark.prodreal_traffic("t.jsonl", field="q")
def test_traffic_nested_called(q):
    def inner():
        assert q.strip()
    inner()
"""


def test_an_assert_in_a_nested_function_counts_only_when_it_is_used(
    pytester: pytest.Pytester,
) -> None:
    # Before, any assert anywhere in the source counted: a nested helper never called "checked".
    pytester.makepyfile(test_nested=NESTED_BODIES)
    report = _report(pytester)
    by_test = {t["nodeid"].split("::")[-1]: t["evidence"] for t in report["tests"]}
    assert by_test["test_traffic_nested_never_called[t.jsonl:1]"] == []
    assert len(by_test["test_traffic_nested_called[t.jsonl:1]"]) == 1


XFAILED_CORPUS = """
import pytest
from hypothesis import example, given, settings, strategies as st

@pytest.mark.xfail(strict=True, reason="the demo crashes on a blank question")
@pytest.mark.prodreal_corpus
@settings(database=None, max_examples=5)
@given(text=st.text(max_size=3))
@example(text="   ")
def test_blank_questions_crash(text):
    assert text.strip(), "a blank question crashes"
"""


@pytest.mark.parametrize("outcome", ["xfailed", "failed"])
def test_a_new_failing_example_reads_failing_on_the_first_run_as_on_the_next(
    pytester: pytest.Pytester, xdist_args: list[str], outcome: str
) -> None:
    """The first run found and saved a failing example: the remedy did not hold then either.

    Before, that run recorded ``held=True`` ("saved 1 new failing example(s)") and an xfailed
    test read "declared only"; the next run replayed the example and read "failing".
    """
    source = (
        XFAILED_CORPUS
        if outcome == "xfailed"
        else XFAILED_CORPUS.replace(
            '@pytest.mark.xfail(strict=True, reason="the demo crashes on a blank question")\n', ""
        )
    )
    pytester.makepyfile(test_corpus=source)
    for run in ("first", "next"):
        result = pytester.runpytest(
            "--prodreal-report=json:r.json", "-p", "no:randomly", *xdist_args
        )
        result.assert_outcomes(**{outcome: 1})
        report = json.loads((pytester.path / "r.json").read_text())
        assert _status(report)["failure_corpus"] == "failing", run
        (ev,) = report["tests"][0]["evidence"]
        assert ev["held"] is False, run
        if run == "first":
            assert ev["figures"]["saved"] == 1 and ev["figures"]["replayed"] == 0
            assert "found 1 new failing example(s)" in ev["summary"]
        else:
            assert ev["figures"]["replayed"] == 1
            assert "fails again" in ev["summary"]
