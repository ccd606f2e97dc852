"""Fixtures for reproducible randomness: the per-test seed and ``random.Random``."""

from __future__ import annotations

import random

import pytest

from ..seeding import derive_seed
from .session import get_state

__all__ = ["prodreal_random", "prodreal_seed"]


@pytest.fixture
def prodreal_seed(request: pytest.FixtureRequest) -> int:
    """This test's seed, derived from the run seed (``--prodreal-seed``) and its node id.

    The same run seed gives a test the same seed whatever the order, ``-k`` or xdist split.
    """
    return derive_seed(get_state(request.config).seed, request.node.nodeid)


@pytest.fixture
def prodreal_random(prodreal_seed: int) -> random.Random:
    """A ``random.Random`` seeded with :func:`prodreal_seed`, for the test's own random choices."""
    return random.Random(prodreal_seed)
