"""The state checks with the real virtual clock (``prodreal_clock``) and ``chaos`` routes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_prodreal import collecting_evidence
from pytest_prodreal.state import (
    FakeDependency,
    LoseResponses,
    arepeat,
    check_caching_policy,
    check_idempotency,
    check_llm_requests_deterministic,
    repeat,
)

CHAT_URL = "https://api.openai.com/v1/chat/completions"
REPLY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 0,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Paris"},
            "finish_reason": "stop",
        }
    ],
}


def make_asker(temperature: float | None) -> Callable[[], str]:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(api_key="sk-test", max_retries=0)

    def ask() -> str:
        extra: dict[str, Any] = {} if temperature is None else {"temperature": temperature}
        reply = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "capital of France?"}],
            seed=42,
            **extra,
        )
        return str(reply.choices[0].message.content)

    return ask


def test_llm_requests_seen_through_chaos_routes_are_deterministic(chaos: Any) -> None:
    # The model's latency (virtual) is where the four concurrent asks overlap.
    route = chaos.post(CHAT_URL, json=REPLY).latency(0.4)
    ask = make_asker(temperature=0)
    with collecting_evidence() as sink:
        assert repeat(ask, 4, concurrency=4).assert_deterministic() == "Paris"
        result = check_llm_requests_deterministic(route.calls)
    assert result.requests == 4
    assert [e.check for e in sink.items] == ["assert_deterministic", "llm_requests"]
    assert all(e.held for e in sink.items)


def test_a_client_on_the_default_temperature_is_caught_through_chaos(chaos: Any) -> None:
    chaos.post(CHAT_URL, json=REPLY)
    ask = make_asker(temperature=None)
    repeat(ask, 2, mode="sequential")
    with collecting_evidence() as sink, pytest.raises(AssertionError) as info:
        check_llm_requests_deterministic(chaos.calls)
    assert f"request 0 (POST {CHAT_URL}): temperature is not set" in str(info.value)
    assert sink.items[0].held is False


class MonotonicTTLCache:
    """A cache on ``time.monotonic``, as real code writes it (the clock makes it virtual)."""

    def __init__(self, fetch: Callable[[Any], Any], ttl: float) -> None:
        self.fetch, self.ttl = fetch, ttl
        self.entries: dict[Any, tuple[float, Any]] = {}
        self.lock = threading.Lock()

    def __call__(self, key: Any) -> Any:
        with self.lock:  # one lock for all keys: single flight, simply
            entry = self.entries.get(key)
            if entry is None or time.monotonic() - entry[0] >= self.ttl:
                entry = (time.monotonic(), self.fetch(key))
                self.entries[key] = entry
            return entry[1]


def test_ttl_expires_on_the_virtual_clock(prodreal_clock: Any) -> None:
    start = prodreal_clock.elapsed
    with collecting_evidence() as sink:
        result = check_caching_policy(
            lambda dep: MonotonicTTLCache(dep, ttl=3600),
            keys=[("tenant-a", "q"), ("tenant-b", "q")],
            ttl=3600,
            clock=prodreal_clock,
        )
    assert result.held, result.describe()
    # ttl + the 1 % margin, and the stampede's 0.05 s hold (virtual: the misses overlap there)
    assert prodreal_clock.elapsed - start == pytest.approx(3600 + 36 + 0.05)
    assert sink.items[0].figures["ttl_held"] is True


def test_a_cache_that_never_expires_fails_on_the_virtual_clock(prodreal_clock: Any) -> None:
    def forever(dep: FakeDependency) -> Callable[[Any], Any]:
        cache = MonotonicTTLCache(dep, ttl=3600)
        cache.ttl = float("inf")  # the bug: the declared TTL is never applied
        return cache

    with collecting_evidence(), pytest.raises(AssertionError, match="did not expire"):
        check_caching_policy(forever, keys=["a", "b"], ttl=3600, clock=prodreal_clock)


PAY_URL = "https://payments.example/v1/charges"


class PaymentServer:
    """The dependency behind a chaos route: honours the ``Idempotency-Key`` header."""

    def __init__(self) -> None:
        self.charges: list[str] = []
        self.replies: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        key = request.headers["Idempotency-Key"]
        with self.lock:
            if key not in self.replies:
                self.charges.append(key)
                self.replies[key] = {"id": f"ch_{len(self.charges)}", **json.loads(request.content)}
            return httpx.Response(200, json=self.replies[key])


def test_idempotency_through_a_chaos_route_with_a_lost_response(chaos: Any) -> None:
    server = PaymentServer()
    lossy = LoseResponses(
        server.handle, error=lambda request: httpx.ReadTimeout("response lost", request=request)
    )
    chaos.post(PAY_URL, respond=lossy)
    client = httpx.Client()

    def pay(key: str) -> dict[str, Any]:
        for attempt in range(2):  # the client retries a timeout once, with the same key
            try:
                response = client.post(
                    PAY_URL, json={"amount": 100}, headers={"Idempotency-Key": key}
                )
                return dict(response.json())
            except httpx.ReadTimeout:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    with collecting_evidence() as sink:
        result = check_idempotency(pay, side_effects=lambda: server.charges, lose_response=lossy)
    assert result.held, result.describe()
    assert lossy.lost == 1
    assert sink.items[0].remedy == "idempotency"


def test_runner_timeouts_stay_real_under_the_virtual_clock(prodreal_clock: Any) -> None:
    # Virtual sleeps return at once; a real hang is still cut off after the (real) timeout.
    slept = repeat(lambda: time.sleep(3600), 3, mode="sequential")
    assert slept.all_ok
    assert prodreal_clock.elapsed >= 3 * 3600
    # The test's own clock is frozen, so measure with a real wait: the runner must return well
    # before this 10 s guard, having cut the two hanging runs off at 0.2 s.
    finished = threading.Event()
    result: list[int] = []

    def measure() -> None:
        result.append(repeat(lambda: threading.Event().wait(30), 2, timeout=0.2).timeouts)
        finished.set()

    threading.Thread(target=measure, daemon=True).start()
    assert finished.wait(10), "the runner's timeout did not fire under the virtual clock"
    assert result == [2]


@pytest.mark.asyncio
async def test_arepeat_timeouts_stay_real_under_the_virtual_clock(prodreal_clock: Any) -> None:
    import asyncio

    outcomes = await arepeat(lambda: asyncio.Event().wait(), 2, timeout=0.2)
    assert [o.kind for o in outcomes] == ["timed_out", "timed_out"]
    sleepy = await arepeat(lambda: asyncio.sleep(600), 3)
    assert sleepy.all_ok
