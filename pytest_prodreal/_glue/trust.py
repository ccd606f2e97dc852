"""The ``prodreal_canaries`` fixture: :class:`~pytest_prodreal.trust.Canaries` for one test.

Inert until asked: importing this module imports nothing of the trust library (nor Faker,
phonenumbers or python-stdnum); the fixture does, when a test uses it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ..errors import ProdrealWarning
from ..seeding import derive_seed
from .part import Part

if TYPE_CHECKING:
    from ..trust import Canaries

__all__ = ["prodreal_canaries"]


@pytest.fixture
def prodreal_canaries(request: pytest.FixtureRequest, prodreal_seed: int) -> Iterator[Canaries]:
    """Seeded canary PII for this test, traced through output, logs and ``chaos`` requests.

    Plant values (``.person()``, ``.email()``, ``.card()``, ``.plant(value)``...) in the inputs and
    documents the service reads, call it, then ``prodreal_canaries.check(output)``: it fails naming
    any canary found in the output, in a log record emitted during the test (every level), or in a
    request sent through the test's ``chaos`` routes (when the test uses ``chaos``; routes given
    to ``.allow(...)`` may receive canaries). Values derive from ``prodreal_seed``. Planting and
    never checking warns at teardown.
    """
    from ..trust import Canaries

    chaos = request.getfixturevalue("chaos") if "chaos" in request.fixturenames else None
    canaries = Canaries(derive_seed(prodreal_seed, "", "prodreal_canaries"), chaos=chaos)
    canaries.start()
    try:
        yield canaries
    finally:
        canaries.stop()
    if canaries.values and not canaries.checked:
        warnings.warn(
            f"prodreal_canaries: {len(canaries.values)} canaries were planted but never checked: "
            "call prodreal_canaries.check(output) after calling the service",
            ProdrealWarning,
            stacklevel=2,
        )


#: The trust part: a fixture only, no per-test hooks.
PART = Part(name="trust", fixtures=frozenset({"prodreal_canaries"}))
