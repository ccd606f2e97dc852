"""The documented recipe for @given with function-scoped fixtures such as `chaos` (issue 14)."""

from __future__ import annotations

import pytest

RECIPE = """
from hypothesis import HealthCheck, given, settings
from pytest_prodreal import strategies as ps

SUPPRESS = {suppress}

@settings(database=None, max_examples=20, suppress_health_check=SUPPRESS)
@given(text=ps.messy_text("What is the capital of France?"))
def test_messy(chaos, prodreal_seed, text):
    assert isinstance(text, str) and isinstance(prodreal_seed, int)
"""


def test_the_recipe_runs_with_chaos(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_r=RECIPE.format(suppress="[HealthCheck.function_scoped_fixture]"))
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_without_the_recipe_hypothesis_refuses(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_r=RECIPE.format(suppress="[]"))
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*function_scoped_fixture*"])
