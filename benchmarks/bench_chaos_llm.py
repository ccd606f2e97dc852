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
    for _ in range(20):
        fn()
    t0 = _REAL["perf"]()
    for _ in range(n):
        fn()
    return (_REAL["perf"]() - t0) / n


def chaos_sdk_overhead_ratio() -> dict[str, object]:
    """Per request through ``openai.OpenAI()``'s default client: a healthy chaos route vs the
    same SDK on httpx2's ``MockTransport`` (the SDK's own floor).

    Many short interleaved rounds (a fresh chaos each, as each test gets one), ratio per round,
    median of the rounds: on a shared machine, load drifts over seconds, and long runs of one
    side then another measure the drift more than the code.
    """
    import httpx2
    import openai

    from pytest_prodreal.chaos import Chaos
    from pytest_prodreal.chaos.llm import chat_completion

    url = "https://api.openai.com/v1/chat/completions"
    body = chat_completion("Paris is the capital of France.")
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    n, rounds = 150, 15

    def ask(client: openai.OpenAI) -> Callable[[], object]:
        return lambda: client.chat.completions.create(model="gpt-4o-mini", messages=messages)

    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, json=body))
    mock_client = httpx2.Client(transport=transport)
    mock_ask = ask(openai.OpenAI(api_key="sk-bench", http_client=mock_client))

    def chaos_round() -> float:
        with Chaos(seed=1, warn_unexercised=False) as chaos:
            chaos.route("POST", url, json=body)
            return _per_request(ask(openai.OpenAI(api_key="sk-bench")), n)

    ratios, floors = [], []
    for _ in range(rounds):
        floor = _per_request(mock_ask, n)
        floors.append(floor)
        ratios.append(chaos_round() / floor)
    return {
        "value": round(statistics.median(ratios), 3),
        "unit": "ratio",
        "goal": "<= 1.1 (healthy chaos route vs httpx2 MockTransport, openai SDK default client)",
        "floor_ms": round(statistics.median(floors) * 1000, 3),
        "rounds": rounds,
    }


BENCHMARKS = {"chaos_sdk_overhead_ratio": chaos_sdk_overhead_ratio}
