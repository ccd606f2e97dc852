"""operations: an hour of traffic per test, in virtual time: SLOs, error budget, silent faults."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_prodreal.operations import (
    Poisson,
    check_error_budget,
    check_observability,
    check_slo,
)

pytestmark = pytest.mark.prodreal("operations")

HOUR = 3600.0
PRICES = {"gpt-4o-mini": {"input": 0.15, "output": 0.60}}  # USD per million tokens
TOPICS = ["capital of France", "height of Mont Blanc", "author of Les Misérables"]
# Distinct questions, so the cache does not hide the dependencies.
QUESTIONS = [f"What about the {t}? (ticket {i})" for i in range(500) for t in TOPICS]


def _an_hour(prodreal_soak: Any, service: Any) -> Any:
    """An hour of a quiet service: a question every five seconds on average (Poisson)."""
    return prodreal_soak(
        service.answer,
        QUESTIONS,
        duration=HOUR,
        arrivals=Poisson(0.2),
        fallback=lambda answer: answer.fallback,
        prices=PRICES,
    )


@pytest.mark.prodreal("slo")
@pytest.mark.launch_blocker("no search retries: a flaky network fails one request in seven")
def test_an_hour_of_a_flaky_network_meets_the_slo(
    service: Any, search_route: Any, prodreal_soak: Any
) -> None:
    search_route.scenario("flaky_network")
    result = _an_hour(prodreal_soak, service)
    check_slo(result, success_rate=0.99, p95_s=3.0, cost_per_request=0.0005)


@pytest.mark.prodreal("error_budget")
@pytest.mark.launch_blocker(
    "every network fault reaches the user: the hour burns the month's budget"
)
def test_an_hour_of_a_flaky_network_stays_inside_the_error_budget(
    service: Any, search_route: Any, prodreal_soak: Any
) -> None:
    search_route.scenario("flaky_network")
    result = _an_hour(prodreal_soak, service)
    check_error_budget(result, slo=0.99, expect="within")


@pytest.mark.prodreal("observability")
@pytest.mark.launch_blocker(
    "the SDK retries rate limits silently: nobody is told the LLM throttles"
)
def test_every_handled_fault_leaves_a_warning(
    service: Any, llm_route: Any, prodreal_soak: Any
) -> None:
    llm_route.scenario("rate_limited")
    result = _an_hour(prodreal_soak, service)
    check_observability(result)
