"""Benchmarks of issue 12 (operations): the soak runner's cost, its virtual-to-wall ratio, and
the cost of silent-failure detection.

Run: ``python -m benchmarks soak_overhead_ratio soak_virtual_to_wall_ratio
observability_overhead_ratio``.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from typing import Any

# Real clocks kept in a container: freezegun rebinds module-level aliases of time functions.
_REAL = {"perf": time.perf_counter, "sleep": time.sleep}

CHAT = "https://api.openai.com/v1/chat/completions"
REPLY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 0,
    "model": "gpt-4o-mini",
    "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Paris"}}
    ],
    "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200},
}
PRICES = {"gpt-4o-mini": (0.15, 0.6)}
log = logging.getLogger("bench.svc")


def _now() -> float:
    return _REAL["perf"]()


def _service(client: Any) -> Any:
    import openai

    def answer(question: str) -> str:
        try:
            reply = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
            )
            return reply.choices[0].message.content or ""
        except openai.APIError as exc:
            log.warning("llm failed, serving fallback: %s", exc)
            return "FALLBACK"

    return answer


def _soak(
    n: int, seed: int, *, arrivals: Any = None, observe: bool = True, check: bool = False
) -> dict[str, Any]:
    """One soak of ``n`` requests through the openai SDK under ``brownout``: times and log."""
    import openai

    from pytest_prodreal.chaos import Chaos
    from pytest_prodreal.clock import VirtualClock
    from pytest_prodreal.operations import check_observability, soak

    questions = [f"question {i}" for i in range(50)]
    with VirtualClock() as clock, Chaos(seed=seed, clock=clock, warn_unexercised=False) as chaos:
        chaos.route("POST", CHAT, name="llm", json=REPLY).scenario("brownout")
        client = openai.OpenAI(api_key="sk-test", timeout=10.0, max_retries=2)
        answer = _service(client)
        answer(questions[0])  # warm the client (first-request setup is not the soak's cost)
        gc.collect()
        t0 = _now()
        result = soak(
            answer,
            questions,
            requests=n,
            arrivals=arrivals,
            fallback=lambda v: v == "FALLBACK",
            prices=PRICES,
            seed=seed,
            observe=observe,
        )
        if check:
            with contextlib.suppress(AssertionError):  # the cost counts, whatever it finds
                check_observability(result)
        wall = _now() - t0
        outcomes = [(c.fault, c.latency) for c in chaos.calls[1:]]
    return {"wall": wall, "virtual": result.virtual_s, "outcomes": outcomes, "n": n}


def _floor(outcomes: list[tuple[str | None, float]], n: int) -> float:
    """The same SDK calls on httpx2's MockTransport (same faults, in the same order), no soak."""
    import httpx2
    import openai

    plan = iter(outcomes)

    def handler(request: Any) -> Any:
        fault, _latency = next(plan, (None, 0.0))
        if fault == "read_timeout":
            raise httpx2.ReadTimeout("timed out", request=request)
        if fault is not None:
            return httpx2.Response(503, json={"error": {"message": "unavailable"}})
        return httpx2.Response(200, json=REPLY)

    client = openai.OpenAI(
        api_key="sk-test",
        timeout=10.0,
        max_retries=2,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    answer = _service(client)
    questions = [f"question {i}" for i in range(50)]
    real_sleep = time.sleep
    time.sleep = lambda s: None  # the SDK's back-off: no real waiting in the floor either
    logging.disable(logging.WARNING)  # the floor does not capture logs; nor print them
    try:
        gc.collect()
        t0 = _now()
        for i in range(n):
            answer(questions[i % 50])
        return _now() - t0
    finally:
        time.sleep = real_sleep
        logging.disable(logging.NOTSET)


def _chaos_loop(n: int, seed: int) -> float:
    """The soak's requests in a plain ``for`` loop under the same chaos route and clock."""
    import openai

    from pytest_prodreal.chaos import Chaos
    from pytest_prodreal.clock import VirtualClock

    questions = [f"question {i}" for i in range(50)]
    with VirtualClock() as clock, Chaos(seed=seed, clock=clock, warn_unexercised=False) as chaos:
        chaos.route("POST", CHAT, name="llm", json=REPLY).scenario("brownout")
        answer = _service(openai.OpenAI(api_key="sk-test", timeout=10.0, max_retries=2))
        answer(questions[0])
        gc.collect()
        t0 = _now()
        for i in range(n):
            clock.advance(1.0)  # the soak's default arrivals: one per virtual second
            answer(questions[i % 50])
        return _now() - t0


def _quiet_logs() -> None:
    # The benchmark's service logs a warning per fallback; keep them off the terminal.
    logging.getLogger("bench").propagate = True
    root = logging.getLogger()
    if not any(isinstance(h, logging.NullHandler) for h in root.handlers):
        root.addHandler(logging.NullHandler())
    logging.lastResort = None  # type: ignore[assignment]


def soak_overhead_ratio() -> dict[str, object]:
    """5,000 requests: soak under brownout vs a plain loop of the same SDK calls (MockTransport)."""
    _quiet_logs()
    n = 5000
    run = _soak(n, seed=1)
    floor = _floor(run["outcomes"], n)
    loop = _chaos_loop(n, seed=1)
    return {
        "value": round(run["wall"] / floor, 3),
        # The same requests in a plain loop under the same chaos route: the soak runner's own
        # share (per-request bookkeeping, usage parsing, log capture) vs the chaos routing's.
        "soak_vs_chaos_loop": round(run["wall"] / loop, 3),
        "chaos_loop_s": round(loop, 3),
        "unit": "ratio",
        "goal": "<= 1.3 (soak runner vs the SDK's own cost on httpx2 MockTransport)",
        "soak_s": round(run["wall"], 3),
        "floor_s": round(floor, 3),
        "requests": n,
    }


def soak_virtual_to_wall_ratio() -> dict[str, object]:
    """Virtual seconds per wall second: openai SDK under brownout, Poisson 1 per 10 s."""
    from pytest_prodreal.operations import Poisson

    _quiet_logs()
    run = _soak(3000, seed=2, arrivals=Poisson(0.1))
    # The ceiling on this machine: the same virtual seconds over the SDK's own cost alone.
    floor = _floor(run["outcomes"], run["n"])
    return {
        "value": round(run["virtual"] / run["wall"], 1),
        "sdk_ceiling": round(run["virtual"] / floor, 1),
        "unit": "virtual s per wall s",
        "goal": ">= 2,000 (a day of a 1-request-per-10-s service in under a minute)",
        "virtual_s": round(run["virtual"], 1),
        "wall_s": round(run["wall"], 3),
        "requests": run["n"],
    }


def observability_overhead_ratio() -> dict[str, object]:
    """The same soak with silent-failure detection (log capture + check) on vs off."""
    _quiet_logs()
    n = 2000
    # Alternate the two so that drift in the machine's load hits both alike; keep the best.
    offs, ons = [], []
    for _ in range(3):
        offs.append(_soak(n, seed=3, observe=False)["wall"])
        ons.append(_soak(n, seed=3, observe=True, check=True)["wall"])
    off, on = min(offs), min(ons)
    return {
        "value": round(on / off, 3),
        "unit": "ratio",
        "goal": "<= 1.1 (check_observability and its log capture on vs off)",
        "on_s": round(on, 3),
        "off_s": round(off, 3),
        "requests": n,
    }


BENCHMARKS = {
    "soak_overhead_ratio": soak_overhead_ratio,
    "soak_virtual_to_wall_ratio": soak_virtual_to_wall_ratio,
    "observability_overhead_ratio": observability_overhead_ratio,
}
