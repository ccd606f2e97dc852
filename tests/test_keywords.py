"""``-k`` selects by the ids of ``prodreal`` marks, also marks added by a collection hook."""

from __future__ import annotations

import pytest

from pytest_prodreal._glue.markers import HookMarkKeywords

#: A conftest that marks tests from ``pytest_collection_modifyitems`` (as a team applying one
#: category to a whole directory would), and a test module with direct marks beside it.
CONFTEST = """
import pytest

def pytest_collection_modifyitems(items):
    for item in items:
        if "hooked_breaker" in item.name:
            item.add_marker(pytest.mark.prodreal("dependencies", "circuit_breaker"))
        elif "hooked_budget" in item.name:
            item.add_marker(pytest.mark.prodreal("dependencies", "time_budget", subject="stage"))
"""
TESTS = """
import pytest

@pytest.mark.prodreal("inputs", "canary")
def test_direct_canary():
    pass

def test_hooked_breaker():
    pass

def test_hooked_budget():
    pass

def test_plain():
    pass
"""
CASES = [
    ("canary", ["test_direct_canary"]),
    ("circuit_breaker", ["test_hooked_breaker"]),
    ("dependencies and not circuit_breaker", ["test_hooked_budget"]),
    ("stage", ["test_hooked_budget"]),
    ("not prodreal", ["test_plain"]),
]


def _selected(result: pytest.RunResult) -> list[str]:
    out = result.stdout.str()
    return sorted(
        name
        for name in (
            "test_direct_canary",
            "test_hooked_breaker",
            "test_hooked_budget",
            "test_plain",
        )
        if f"test_k.py::{name} PASSED" in out or f"PASSED test_k.py::{name}" in out
    )


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_k=TESTS)
    return pytester


@pytest.mark.parametrize(("expr", "selected"), CASES[1:4])
def test_k_selects_by_marks_a_conftest_hook_added(
    suite: pytest.Pytester, xdist_args: list[str], expr: str, selected: list[str]
) -> None:
    result = suite.runpytest("-k", expr, "-v", "-rA", "-p", "no:randomly", *xdist_args)
    result.assert_outcomes(passed=len(selected))
    assert _selected(result) == selected


@pytest.mark.parametrize(("expr", "selected"), CASES)
def test_hook_mark_keywords_registered_before_conftests(
    suite: pytest.Pytester, expr: str, selected: list[str]
) -> None:
    """Registered before any conftest (as ``pytest_addhooks`` does), it runs between the
    conftest's hook and pytest's ``-k`` deselection."""
    result = suite.runpytest_inprocess(
        "-k", expr, "-v", "-rA", "-p", "no:randomly", plugins=[HookMarkKeywords()]
    )
    result.assert_outcomes(passed=len(selected))
    assert _selected(result) == selected


def test_direct_marks_are_keywords_without_the_hook(suite: pytest.Pytester) -> None:
    result = suite.runpytest("-k", "canary or inputs", "-v", "-rA", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    assert _selected(result) == ["test_direct_canary"]


def test_a_bad_hook_added_id_is_still_one_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        def pytest_collection_modifyitems(items):
            for item in items:
                item.add_marker(pytest.mark.prodreal("circuit_braker"))
        """
    )
    pytester.makepyfile(test_k="def test_a():\n    pass\n")
    result = pytester.runpytest_inprocess(
        "-k", "test_a", "-p", "no:randomly", plugins=[HookMarkKeywords()]
    )
    result.stdout.fnmatch_lines(["*test_k.py::test_a: unknown prodreal id 'circuit_braker'*"])
    assert "Traceback" not in result.stdout.str()
