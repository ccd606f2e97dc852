"""dependencies: slow and failing search and LLM APIs, in virtual time."""

from __future__ import annotations

from typing import Any

import pytest
from ragsvc import AnswerService

from pytest_prodreal.dependencies import circuit_breaker, graceful_degradation, time_budget

pytestmark = pytest.mark.prodreal("dependencies")


@pytest.mark.prodreal("time_budget")
@pytest.mark.parametrize("trouble", ["search_fails_twice", "llm_rate_limited", "slow_search"])
def test_an_answer_arrives_within_ten_seconds(
    service: AnswerService, search_route: Any, llm_route: Any, prodreal_clock: Any, trouble: str
) -> None:
    if trouble == "search_fails_twice":
        search_route.latency(0.4).fail_times(2, 503)
    elif trouble == "llm_rate_limited":
        llm_route.rate_limit(3, times=1)  # the SDK waits Retry-After: 3 s, then retries
    else:
        search_route.fail_times(1, "read_timeout")  # waits the client's 2 s read timeout
    result = time_budget(lambda: service.answer("What is the capital of France?"), budget_s=10)
    assert result.error is None
    assert not service.answer("What is the capital of France?").fallback


@pytest.mark.prodreal("circuit_breaker")
def test_the_breaker_stops_calling_a_dead_search_api(
    service: AnswerService, search_route: Any
) -> None:
    questions = (f"question number {i}" for i in range(1000))  # no cache hits
    circuit_breaker(
        lambda: service.answer(next(questions)),
        search_route,
        threshold=3,
        reset_timeout=30,
        max_amplification=4,  # the search client's own four attempts, no more
    )


@pytest.mark.prodreal("graceful_degradation")
@pytest.mark.parametrize("down", ["search", "llm"])
def test_an_outage_gives_a_fallback_not_an_error(
    service: AnswerService, search_route: Any, llm_route: Any, down: str
) -> None:
    (search_route if down == "search" else llm_route).scenario("outage")
    graceful_degradation(
        lambda: service.answer("What is the capital of France?"),
        is_fallback=lambda answer: answer.fallback,
        budget_s=30,
    )
