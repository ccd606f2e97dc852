"""operations: a check of your own, recorded as evidence like the built-in ones."""

from __future__ import annotations

from typing import Any

import pytest
from ragsvc import AnswerService

from pytest_prodreal import record_evidence

pytestmark = pytest.mark.prodreal("operations")


@pytest.mark.prodreal("slo")
def test_success_rate_under_a_flaky_network_meets_the_slo(
    service: AnswerService, search_route: Any, prodreal_clock: Any
) -> None:
    search_route.scenario("flaky_network")
    questions = [f"question {i}" for i in range(500)]
    started = prodreal_clock.elapsed
    answers = [service.answer(q) for q in questions]
    rate = sum(not a.fallback for a in answers) / len(answers)
    mean_s = (prodreal_clock.elapsed - started) / len(answers)
    held = rate >= 0.99 and mean_s <= 2.0
    record_evidence(
        "slo",
        held=held,
        figures={
            "success_rate": rate,
            "mean_virtual_s": round(mean_s, 3),
            "requests": len(answers),
        },
        summary="99% answered (not fallback), mean latency <= 2 s, under flaky_network",
    )
    assert held, f"success rate {rate:.1%}, mean latency {mean_s:.2f}s"
