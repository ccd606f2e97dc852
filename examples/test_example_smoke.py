"""Placeholder example until the example service lands (see README)."""

import pytest

from pytest_prodreal import record_evidence


@pytest.mark.prodreal("operations", "slo")
def test_success_rate_meets_the_slo() -> None:
    outcomes = [True] * 199 + [False]
    rate = sum(outcomes) / len(outcomes)
    record_evidence("slo", held=rate >= 0.99, figures={"success_rate": rate})
    assert rate >= 0.99
