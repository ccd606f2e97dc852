"""dependencies: slow and failing search and LLM APIs, in virtual time, for both services."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_prodreal.dependencies import (
    check_circuit_breaker,
    check_graceful_degradation,
    check_time_budget,
)

pytestmark = pytest.mark.prodreal("dependencies")


@pytest.mark.prodreal("time_budget")
@pytest.mark.launch_blocker("no timeout on the search client: a slow search holds the user forever")
def test_an_answer_arrives_within_ten_seconds_under_a_brownout(
    service: Any, search_route: Any
) -> None:
    search_route.latency(30.0)  # the search API answers after 30 s: a brownout
    questions = iter(f"What is the capital of France? ({i})" for i in range(100))
    check_time_budget(lambda: service.answer(next(questions)), budget_s=10, runs=5)


@pytest.mark.prodreal("circuit_breaker")
@pytest.mark.launch_blocker("no circuit breaker: every request keeps hitting the dead search API")
def test_the_breaker_stops_calling_a_dead_search_api(service: Any, search_route: Any) -> None:
    questions = iter(f"question number {i} about France" for i in range(1000))  # no cache hits
    check_circuit_breaker(
        lambda: service.answer(next(questions)),
        search_route,
        threshold=3,
        reset_timeout=30,
        max_amplification=4,  # the search client's own four attempts, no more
    )


@pytest.mark.prodreal("graceful_degradation")
@pytest.mark.launch_blocker("no fallback: an outage reaches the user as an exception")
@pytest.mark.parametrize("down", ["search", "llm"])
def test_an_outage_gives_a_fallback_not_an_error(
    service: Any, search_route: Any, llm_route: Any, down: str
) -> None:
    (search_route if down == "search" else llm_route).scenario("outage")
    check_graceful_degradation(
        lambda: service.answer("What is the capital of France?"),
        is_fallback=lambda answer: answer.fallback,
        budget_s=30,
    )
