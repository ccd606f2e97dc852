"""One seed (issue 10): the same --prodreal-seed replays the same Hypothesis examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DRAWS = """
import json, os
import pytest
from hypothesis import given, settings
from pytest_prodreal import strategies as ps

@settings(database=None, max_examples=15, derandomize=False)
@given(text=ps.messy_text())
def test_draw(text):
    with open(os.environ["DRAWS_OUT"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps(text) + "\\n")
    assert isinstance(text, str)

def test_other():
    assert True
"""

# A plugin that reseeds the global `random` before every test (as pytest-randomly does): our
# seeding must not depend on it, nor change it.
RESEEDER = """
import random
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    random.seed(12345)
"""


def _draws(pytester: pytest.Pytester, tmp: Path, name: str, *args: str) -> list[str]:
    out = tmp / f"{name}.jsonl"
    pytester.makepyfile(test_draws=DRAWS)
    pytester.makeconftest(RESEEDER)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DRAWS_OUT", str(out))
        result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=2)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_the_same_prodreal_seed_draws_the_same_examples(
    pytester: pytest.Pytester, tmp_path: Path, xdist_args: list[str]
) -> None:
    first = _draws(pytester, tmp_path, "a", "--prodreal-seed=42", *xdist_args)
    again = _draws(pytester, tmp_path, "b", "--prodreal-seed=42", *xdist_args)
    other = _draws(pytester, tmp_path, "c", "--prodreal-seed=43", *xdist_args)
    assert len(first) >= 10
    assert first == again
    assert first != other


def test_without_a_seed_hypothesis_keeps_its_own_randomness(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # ``derandomize=False`` is explicit in DRAWS: on CI machines (``CI`` set) Hypothesis's own
    # "ci" profile derandomizes every run, which is Hypothesis's choice, not the plugin's.
    first = _draws(pytester, tmp_path, "a")
    again = _draws(pytester, tmp_path, "b")
    assert first != again  # the plugin does not derandomize runs that did not ask for a seed
