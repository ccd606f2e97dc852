"""Benchmarks of issue 13 (LLM faults): the chaos cost per request through the official SDK.

Run: ``python -m benchmarks chaos_sdk_overhead_ratio``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

# Real clocks kept in a container: freezegun rebinds module-level aliases of time functions.
_REAL = {"perf": time.perf_counter}


def _per_request(fn: Callable[[], object], n: int) -> float:
    for _ in range(30):
        fn()
    t0 = _REAL["perf"]()
    for _ in range(n):
        fn()
    return (_REAL["perf"]() - t0) / n


def chaos_sdk_overhead_ratio() -> dict[str, object]:
    """Per request through ``openai.OpenAI()``'s default client: a healthy chaos route vs the
    same SDK on httpx2's ``MockTransport`` (the SDK's own floor)."""
    import httpx2
    import openai

    from pytest_prodreal.chaos import Chaos
    from pytest_prodreal.chaos.llm import chat_completion

    url = "https://api.openai.com/v1/chat/completions"
    body = chat_completion("Paris is the capital of France.")
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    n = 400

    def ask(client: openai.OpenAI) -> Callable[[], object]:
        return lambda: client.chat.completions.create(model="gpt-4o-mini", messages=messages)

    def chaos_run() -> float:
        with Chaos(seed=1, warn_unexercised=False) as chaos:
            chaos.route("POST", url, json=body)
            return _per_request(ask(openai.OpenAI(api_key="sk-bench")), n)

    def mock_run() -> float:
        transport = httpx2.MockTransport(lambda request: httpx2.Response(200, json=body))
        client = openai.OpenAI(api_key="sk-bench", http_client=httpx2.Client(transport=transport))
        return _per_request(ask(client), n)

    ratios, floors = [], []
    for _ in range(5):  # interleaved, so load changes hit both alike
        floor = mock_run()
        floors.append(floor)
        ratios.append(chaos_run() / floor)
    return {
        "value": round(statistics.median(ratios), 3),
        "unit": "ratio",
        "goal": "<= 1.1 (healthy chaos route vs httpx2 MockTransport, openai SDK default client)",
        "floor_ms": round(statistics.median(floors) * 1000, 3),
    }


BENCHMARKS = {"chaos_sdk_overhead_ratio": chaos_sdk_overhead_ratio}
