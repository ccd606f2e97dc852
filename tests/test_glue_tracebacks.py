"""Failures under our markers show the user's frames, not the plugin's glue (issue 8)."""

from __future__ import annotations

import pytest

SUITE = """
import pytest
from hypothesis import given, settings, strategies as st

@pytest.mark.prodreal_corpus(name="c")
@settings(database=None, max_examples=50)
@given(x=st.integers())
def test_corpus(x):
    assert x < 5

@pytest.mark.prodreal_concurrent(n=2)
def test_concurrent():
    assert 1 + 1 == 3
"""


def test_no_plugin_frame_in_a_failure_first_run_and_replay(pytester: pytest.Pytester) -> None:
    # Before, the corpus failure showed _glue/inputs.py (first run) and _glue/walk.py and
    # _glue/inputs.py (replay) frames; prodreal_concurrent started with _glue/walk.py.
    pytester.makepyfile(SUITE)
    for _ in range(2):  # the second run replays the saved example
        result = pytester.runpytest("--tb=short", "-p", "no:randomly", "--prodreal-report=term")
        result.assert_outcomes(failed=2)
        out = result.stdout.str()
        assert "assert x < 5" in out and "assert 1 + 1 == 3" in out
        assert "pytest_prodreal" not in out.replace("prodreal-corpus", ""), out
