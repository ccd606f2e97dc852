"""A prodreal_corpus mark added by a collection hook acts as a direct mark does (issue 9)."""

from __future__ import annotations

import json

import pytest

HOOK = """
import pytest

def pytest_collection_modifyitems(items):
    for item in items:
        if "corpus" in item.name:
            item.add_marker(pytest.mark.prodreal_corpus{args})
"""

SUITE = """
from hypothesis import given, strategies as st

@given(st.integers())
def test_corpus_fails(x):
    assert x < 10

@given(st.integers())
def test_corpus_passes(x):
    assert isinstance(x, int)
"""


def test_a_hook_added_corpus_mark_declares_and_counts_a_failure(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    # Before, it declared nothing: the failing test left failure_corpus "verified" by its twin.
    pytester.makeconftest(HOOK.format(args=""))
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--prodreal-report=json:r.json", *xdist_args)
    result.assert_outcomes(passed=1, failed=1)
    data = json.loads((pytester.path / "r.json").read_text())
    failing = next(t for t in data["tests"] if t["nodeid"].endswith("test_corpus_fails"))
    assert "failure_corpus" in failing["declared"]
    remedy = next(r for r in data["remedies"] if r["id"] == "failure_corpus")
    assert remedy["status"] == "failing"
    assert any(n.endswith("test_corpus_fails") for n in remedy["failing_by"])
    assert list((pytester.path / "prodreal-corpus").rglob("*.jsonl"))  # saved, as before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("(bogus=1)", "prodreal_corpus takes only name="),
        ("(name='')", "name= must be a non-empty str"),
    ],
)
def test_a_hook_added_corpus_mark_is_validated(
    pytester: pytest.Pytester, args: str, message: str
) -> None:
    # Before, the hook-added mark skipped validation: rc 0 and "verified".
    pytester.makeconftest(HOOK.format(args=args))
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--prodreal-report=term")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"*test_corpus_fails*{message}*"])
    assert "Traceback" not in result.stdout.str()
