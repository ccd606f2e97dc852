"""Fixtures for the example suite: the RAG service wired to chaos routes.

Every HTTP call the service makes (the search API through httpx, the LLM through the official
openai SDK's default httpx2 client) goes to a ``chaos`` route: nothing reaches a network.
"""

from __future__ import annotations

from typing import Any

import pytest
from ragsvc import AnswerService, Breaker, SearchClient, TTLCache

SEARCH = "https://search.example.test/v1/search"
CHAT = "https://api.openai.com/v1/chat/completions"

HITS = {
    "hits": [
        {"id": "d1", "text": "Paris is the capital and largest city of France."},
        {"id": "d2", "text": "France is a country in Western Europe."},
    ]
}


def completion(text: str) -> dict[str, Any]:
    """A chat completion as the OpenAI API returns it."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-test",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        ],
    }


@pytest.fixture
def search_route(chaos: Any) -> Any:
    """The search API, healthy until a test adds faults."""
    return chaos.route("GET", SEARCH, name="search", json=HITS)


@pytest.fixture
def llm_route(chaos: Any) -> Any:
    """The LLM API (OpenAI chat completions), healthy until a test adds faults."""
    return chaos.route("POST", CHAT, name="llm", json=completion("Paris [d1]."))


@pytest.fixture
def llm() -> Any:
    """The official OpenAI client, as the service uses it in production."""
    import openai

    return openai.OpenAI(api_key="sk-test", timeout=10.0, max_retries=2)


@pytest.fixture
def service(search_route: Any, llm_route: Any, llm: Any) -> AnswerService:
    """The service under test; made inside the test, so it lives on the virtual clock."""
    return AnswerService(
        llm=llm,
        search=SearchClient(timeout=2.0),
        cache=TTLCache(ttl=300),
        breaker=Breaker(threshold=3, cooldown=30),
    )
