"""Shared test helpers. Plugin behaviour is tested with ``pytester``, plain and under ``-n 2``."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(params=["plain", "xdist"])
def xdist_args(request: pytest.FixtureRequest) -> list[str]:
    """Extra command-line arguments: none, or ``-n 2`` (pytest-xdist with two workers).

    Tests that take this fixture run twice, so every plugin behaviour is shown both ways.
    """
    return [] if request.param == "plain" else ["-n", "2"]
