"""state: the same question many times, concurrently; the cache; idempotent feedback."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fakes import FEEDBACK, FeedbackServer

from pytest_prodreal.state import (
    FakeDependency,
    LoseResponses,
    check_caching_policy,
    check_idempotency,
    check_llm_requests_deterministic,
)

pytestmark = pytest.mark.prodreal("state")


@pytest.mark.prodreal("determinism")
@pytest.mark.launch_blocker("temperature 0.7 and no seed: the model may answer differently")
def test_llm_requests_ask_for_the_same_answer_every_time(service: Any, llm_route: Any) -> None:
    for question in ["What is the capital of France?", "How tall is Mont Blanc?"]:
        for _ in range(3):
            service.answer(question + " " * _)  # cache misses on the demo's raw key
    check_llm_requests_deterministic(
        llm_route.calls, group_by=lambda body: body["messages"][-1]["content"].strip()
    )


@pytest.mark.prodreal("caching_policy")
@pytest.mark.launch_blocker("the cache never expires and fills without a lock (stampede)")
def test_the_answer_cache_policy(service: Any, prodreal_clock: Any) -> None:
    kind = type(service)

    def make_cached(dependency: FakeDependency) -> Any:
        class LLM:  # the dependency plays the model: its answer depends on the question
            class chat:
                class completions:
                    @staticmethod
                    def create(**kwargs: Any) -> Any:
                        text = dependency(kwargs["messages"][-1]["content"])
                        message = type("M", (), {"content": text})
                        return type("C", (), {"choices": [type("Ch", (), {"message": message})]})

        svc = kind(llm=LLM())
        return lambda question: svc.answer(question).text

    check_caching_policy(
        make_cached,
        keys=["What is the capital of France?", "What is the capital of Spain?"],
        ttl=300,
        clock=prodreal_clock,
    )


@pytest.mark.prodreal("idempotency")
@pytest.mark.launch_blocker("feedback is posted without an idempotency key: a retry records twice")
def test_feedback_is_recorded_once_per_key(service: Any, chaos: Any, prodreal_seed: int) -> None:
    server = FeedbackServer()
    lossy = LoseResponses(server, error=lambda request: httpx.ReadTimeout("lost", request=request))
    chaos.post(FEEDBACK, respond=lossy)
    check_idempotency(
        lambda key: service.submit_feedback("answer-1", 5, key),
        side_effects=lambda: server.ratings,
        lose_response=lossy,
        seed=prodreal_seed,
    )
