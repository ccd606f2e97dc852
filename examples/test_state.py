"""state: the same question many times, concurrently; caching; idempotent feedback."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from ragsvc import Answer, AnswerService, FeedbackClient, TTLCache, normalise_question

from pytest_prodreal.state import (
    LoseResponses,
    check_caching_policy,
    check_idempotency,
    check_llm_requests_deterministic,
    repeat,
)

pytestmark = pytest.mark.prodreal("state")


@pytest.mark.prodreal("determinism")
def test_the_same_question_gets_the_same_answer(service: AnswerService, llm_route: Any) -> None:
    questions = ["What is the capital of France?", "what is the capital of france", "capital?"]
    for question in questions:
        repeat(lambda q=question: service.answer(q).text, 8).assert_deterministic()
    # What was sent decides whether the model can answer the same way twice.
    check_llm_requests_deterministic(
        llm_route.calls, group_by=lambda body: body["messages"][-1]["content"]
    )


@pytest.mark.prodreal_concurrent(n=8)
def test_concurrent_askers_agree(service: AnswerService) -> str:
    return service.answer("How tall is Mont Blanc?").text


@pytest.mark.prodreal("caching_policy")
def test_the_answer_cache_policy(prodreal_clock: Any, search_route: Any) -> None:
    def make_cached(dependency: Any) -> Any:
        class LLM:  # the dependency plays the model
            class chat:
                class completions:
                    @staticmethod
                    def create(**kwargs: Any) -> Any:
                        text = dependency(kwargs["messages"][-1]["content"])
                        message = type("M", (), {"content": text})
                        return type("C", (), {"choices": [type("Ch", (), {"message": message})]})

        svc = AnswerService(llm=LLM(), cache=TTLCache(ttl=300))
        return lambda question: svc.answer(question).text

    result = check_caching_policy(
        make_cached,
        keys=["What is the capital of France?", "What is the capital of Spain?"],
        ttl=300,
        clock=prodreal_clock,
    )
    assert result.held


class FeedbackServer:
    """The feedback API: stores one rating per idempotency key."""

    def __init__(self) -> None:
        self.ratings: list[str] = []
        self.replies: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        key = request.headers["Idempotency-Key"]
        with self.lock:
            if key not in self.replies:
                self.ratings.append(key)
                self.replies[key] = {"id": f"fb_{len(self.ratings)}"}
            return httpx.Response(200, json=self.replies[key])


@pytest.mark.prodreal("idempotency")
def test_feedback_is_recorded_once_per_key(chaos: Any, prodreal_seed: int) -> None:
    server = FeedbackServer()
    lossy = LoseResponses(
        server.handle, error=lambda request: httpx.ReadTimeout("lost", request=request)
    )
    chaos.post("https://feedback.example.test/v1/feedback", respond=lossy)
    client = FeedbackClient()
    check_idempotency(
        lambda key: client.submit("answer-1", 5, key),
        side_effects=lambda: server.ratings,
        lose_response=lossy,
        seed=prodreal_seed,
    )


def test_cached_answers_are_not_fallbacks() -> None:
    cache = TTLCache(ttl=60)
    cache.put(normalise_question("Q?"), Answer("A", ["d1"]))
    assert cache.get("q") == Answer("A", ["d1"])
