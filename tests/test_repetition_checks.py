"""The determinism (LLM requests), idempotency and caching-policy checks, as a library."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

import httpx
import pytest

from pytest_prodreal import InvalidArgument, collecting_evidence
from pytest_prodreal.state import (
    DependencyFailed,
    FakeDependency,
    LoseResponses,
    ResponseLost,
    acheck_caching_policy,
    acheck_idempotency,
    check_caching_policy,
    check_idempotency,
    check_llm_requests_deterministic,
)

# -- determinism of outgoing LLM requests ----------------------------------------------------


def chat(question: str, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": question}],
    }
    body.update(params)
    return body


def test_llm_requests_on_the_deterministic_path_hold() -> None:
    requests = [chat("capital of France?", temperature=0, seed=7, user=f"u{i}") for i in range(3)]
    with collecting_evidence() as sink:
        result = check_llm_requests_deterministic(requests)
    assert result.held
    assert result.requests == 3
    assert result.distinct_prompts == {"all requests": 1}  # "user" is ignored by default
    (evidence,) = sink.items
    assert (evidence.remedy, evidence.held, evidence.check) == ("determinism", True, "llm_requests")
    assert evidence.figures["requests"] == 3


def test_llm_requests_missing_temperature_or_seed_fail_with_each_problem() -> None:
    requests = [
        chat("q"),
        chat("q", temperature=0.7, seed=1),
        chat("q", temperature=0, seed=2),
    ]
    with collecting_evidence() as sink, pytest.raises(AssertionError) as info:
        check_llm_requests_deterministic(requests)
    message = str(info.value)
    assert "request 0 (dict): temperature is not set" in message
    assert "request 0 (dict): no seed is set" in message
    assert "request 1 (dict): temperature is 0.7, not 0" in message
    assert "requests use 2 different seeds" in message
    assert "different request bodies for the same input" in message
    assert sink.items[0].held is False


def test_llm_requests_different_prompts_for_one_input_name_the_difference() -> None:
    requests = [
        chat("q", temperature=0, seed=1),
        chat("q", temperature=0, seed=1),
        {**chat("q", temperature=0, seed=1), "messages": [{"role": "user", "content": "q "}]},
    ]
    with collecting_evidence(), pytest.raises(AssertionError) as info:
        check_llm_requests_deterministic(requests)
    message = str(info.value)
    assert "2 different request bodies" in message
    assert "first difference at messages[0].content" in message


def test_llm_requests_grouped_by_input_and_provider_shapes() -> None:
    # Two inputs, each asked twice; Gemini keeps temperature and seed in generationConfig.
    def gemini(text: str) -> dict[str, Any]:
        return {
            "contents": [{"parts": [{"text": text}]}],
            "generationConfig": {"temperature": 0, "seed": 3},
        }

    requests = [gemini("a"), gemini("b"), gemini("a"), gemini("b")]
    with collecting_evidence():
        result = check_llm_requests_deterministic(
            requests, group_by=lambda body: json.dumps(body["contents"])
        )
    assert result.groups == 2
    assert set(result.distinct_prompts.values()) == {1}
    # Without grouping, two inputs are two prompts: not "the same prompt".
    with collecting_evidence(), pytest.raises(AssertionError, match="2 different request bodies"):
        check_llm_requests_deterministic(requests)


def test_llm_requests_accepts_httpx_requests_bytes_and_skips_non_llm_calls() -> None:
    body = chat("q", temperature=0, seed=5)
    requests: list[object] = [
        httpx.Request("POST", "https://api.openai.com/v1/chat/completions", json=body),
        json.dumps(body).encode(),
        httpx.Request("GET", "https://auth.example/token"),  # no body: skipped
        {"grant_type": "client_credentials"},  # not LLM-shaped: skipped
    ]
    with collecting_evidence():
        result = check_llm_requests_deterministic(requests)
    assert (result.requests, result.ignored) == (2, 2)


def test_llm_requests_without_seed_support_and_when_none_were_seen() -> None:
    anthropic = {"model": "claude", "messages": [], "temperature": 0, "max_tokens": 10}
    with collecting_evidence():
        assert check_llm_requests_deterministic([anthropic, anthropic], require_seed=False).held
    with collecting_evidence(), pytest.raises(AssertionError, match="no LLM request was seen"):
        check_llm_requests_deterministic([httpx.Request("GET", "https://x.example/")])


def test_llm_requests_bad_arguments() -> None:
    with pytest.raises(InvalidArgument, match="requests must be an iterable"):
        check_llm_requests_deterministic(chat("q"))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="group_by must be a callable"):
        check_llm_requests_deterministic([], group_by="model")  # type: ignore[arg-type]


def test_llm_requests_through_respx_routes() -> None:
    respx = pytest.importorskip("respx")
    with respx.mock(assert_all_called=True) as router:
        route = router.post("https://api.openai.com/v1/chat/completions").respond(
            json={"choices": []}
        )
        with httpx.Client() as client:
            for _ in range(3):
                client.post(
                    "https://api.openai.com/v1/chat/completions",
                    json=chat("q", temperature=0, seed=9),
                )
        with collecting_evidence():
            result = check_llm_requests_deterministic(route.calls)
    assert result.requests == 3


# -- idempotency -----------------------------------------------------------------------------


class Payments:
    """A payment dependency: each charge is a side effect; keys deduplicate when honoured."""

    def __init__(self, *, honour_keys: bool = True, atomic: bool = True) -> None:
        self.honour_keys = honour_keys
        self.atomic = atomic
        self.charges: list[str] = []
        self.by_key: dict[str, dict[str, object]] = {}
        self.lock = threading.Lock()

    def charge(self, key: str, amount: int) -> dict[str, object]:
        if self.atomic:
            with self.lock:
                return self._charge(key, amount)
        return self._charge(key, amount)

    def _charge(self, key: str, amount: int) -> dict[str, object]:
        if self.honour_keys and key in self.by_key:
            return self.by_key[key]
        time.sleep(0.005)  # the window in which a non-atomic check-then-act races
        receipt = {"id": f"ch_{len(self.charges)}", "amount": amount}
        self.charges.append(key)
        self.by_key[key] = receipt
        return receipt


def retrying(send: Callable[[str], Any], *, same_key: bool = True) -> Callable[[str], Any]:
    def call(key: str) -> Any:
        try:
            return send(key)
        except ResponseLost:
            return send(key if same_key else key + "-retry")

    return call


def test_idempotency_holds_for_a_dependency_that_honours_keys() -> None:
    payments = Payments()
    lossy = LoseResponses(lambda key: payments.charge(key, 100))
    with collecting_evidence() as sink:
        result = check_idempotency(
            retrying(lossy), side_effects=lambda: payments.charges, lose_response=lossy, seed=3
        )
    assert [s.name for s in result.scenarios] == ["sequential", "concurrent", "lost_response"]
    assert [s.side_effects for s in result.scenarios] == [1, 1, 1]
    assert lossy.lost == 1
    assert len(set(payments.charges)) == 3  # one fresh key per scenario
    (evidence,) = sink.items
    assert evidence.remedy == "idempotency"
    assert evidence.held
    assert evidence.figures["lost_response_side_effects"] == 1


def test_idempotency_keys_derive_from_the_seed() -> None:
    keys = []
    for _ in range(2):
        payments = Payments()
        with collecting_evidence():
            result = check_idempotency(
                lambda k, p=payments: p.charge(k, 1), side_effects=lambda p=payments: p.charges
            )
        keys.append([s.key for s in result.scenarios])
    assert keys[0] == keys[1]


def test_idempotency_catches_ignored_keys_races_and_new_keys_on_retry() -> None:
    ignored = Payments(honour_keys=False)
    with collecting_evidence() as sink, pytest.raises(AssertionError) as info:
        check_idempotency(lambda k: ignored.charge(k, 1), side_effects=lambda: ignored.charges)
    assert "sequential: 3 calls" in str(info.value)
    assert "3 side effects for one idempotency key (expected exactly 1)" in str(info.value)
    assert sink.items[0].held is False

    racy = Payments(atomic=False)  # checks the key, then charges: concurrent copies both pass
    with collecting_evidence(), pytest.raises(AssertionError) as info:
        check_idempotency(lambda k: racy.charge(k, 1), side_effects=lambda: racy.charges, times=4)
    message = str(info.value)
    assert "concurrent: 4 calls" in message
    assert "sequential: 4 calls with key" in message
    assert message.count("PROBLEM") == 1  # only the concurrent copies race

    payments = Payments()
    lossy = LoseResponses(lambda key: payments.charge(key, 100))
    with collecting_evidence(), pytest.raises(AssertionError) as info:
        check_idempotency(
            retrying(lossy, same_key=False),
            side_effects=lambda: payments.charges,
            lose_response=lossy,
        )
    assert "lost_response: 2 calls" in str(info.value)
    assert "2 side effects" in str(info.value)


def test_idempotency_retries_for_a_client_that_does_not_and_flags_a_fault_that_never_fired() -> (
    None
):
    payments = Payments()
    lossy = LoseResponses(lambda key: payments.charge(key, 5))
    with collecting_evidence():
        result = check_idempotency(
            lossy, side_effects=lambda: payments.charges, lose_response=lossy.arm
        )
    assert result.scenarios[-1].side_effects == 1

    unrelated = LoseResponses(lambda key: None)
    with collecting_evidence(), pytest.raises(AssertionError, match="never fired"):
        check_idempotency(
            lambda k: payments.charge(k, 1),
            side_effects=lambda: payments.charges,
            lose_response=unrelated,
        )


def test_lose_responses_error_shapes() -> None:
    request = httpx.Request("POST", "https://pay.example/charge")
    lossy = LoseResponses(
        lambda r: "ok", error=lambda r: httpx.ReadTimeout("response lost", request=r)
    )
    lossy.arm()
    with pytest.raises(httpx.ReadTimeout):
        lossy(request)
    assert lossy(request) == "ok"
    assert (lossy.calls, lossy.lost) == (2, 1)
    instance = LoseResponses(lambda: 1, error=TimeoutError("gone"))
    instance.arm()
    with pytest.raises(TimeoutError, match="gone"):
        instance()
    with pytest.raises(InvalidArgument, match="positive integer"):
        instance.arm(0)
    with pytest.raises(InvalidArgument, match="handler must be a callable"):
        LoseResponses("charge")  # type: ignore[arg-type]
    broken = LoseResponses(lambda: 1, error="nope")
    broken.arm()
    with pytest.raises(InvalidArgument, match="error must be an exception"):
        broken()


@pytest.mark.asyncio
async def test_acheck_idempotency_with_an_async_client() -> None:
    charges: list[str] = []
    seen: dict[str, int] = {}
    lock = asyncio.Lock()

    async def charge(key: str) -> int:
        async with lock:
            if key not in seen:
                await asyncio.sleep(0)
                charges.append(key)
                seen[key] = len(charges)
            return seen[key]

    lossy = LoseResponses(charge)

    async def client(key: str) -> int:
        try:
            return int(await lossy(key))
        except ResponseLost:
            return int(await lossy(key))

    with collecting_evidence() as sink:
        result = await acheck_idempotency(client, side_effects=lambda: charges, lose_response=lossy)
    assert result.held
    assert sink.items[0].held


def test_idempotency_bad_arguments() -> None:
    with pytest.raises(InvalidArgument, match="call must be a callable"):
        check_idempotency("pay", side_effects=list)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="side_effects must be a callable"):
        check_idempotency(print, side_effects=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="times must be an integer >= 2"):
        check_idempotency(print, side_effects=list, times=1)
    with pytest.raises(InvalidArgument, match="lose_response must be"):
        check_idempotency(print, side_effects=list, lose_response=5)
    with collecting_evidence(), pytest.raises(InvalidArgument, match="side_effects must return"):
        check_idempotency(lambda k: k, side_effects=lambda: "many")


# -- caching policy --------------------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def advance(self, seconds: float) -> None:
        self.now += seconds


class TTLCache:
    """A small cache with the knobs the policy is about; the defaults are the correct policy."""

    def __init__(
        self,
        fetch: Callable[[Any], Any],
        *,
        ttl: float = 60.0,
        now: Callable[[], float] = time.monotonic,
        key: Callable[[Any], Hashable] = lambda k: k,
        expire: bool = True,
        fallback: object = None,
        single_flight: bool = True,
    ) -> None:
        self.fetch, self.ttl, self.now, self.key = fetch, ttl, now, key
        self.expire, self.fallback, self.single_flight = expire, fallback, single_flight
        self.entries: dict[Hashable, tuple[float, object]] = {}
        self.locks: dict[Hashable, threading.Lock] = {}
        self.guard = threading.Lock()

    def __call__(self, arg: Any) -> Any:
        k = self.key(arg)
        hit = self._lookup(k)
        if hit is not None:
            return hit[1]
        if not self.single_flight:
            return self._fill(k, arg)
        with self.guard:
            lock = self.locks.setdefault(k, threading.Lock())
        with lock:
            hit = self._lookup(k)
            return hit[1] if hit is not None else self._fill(k, arg)

    def _lookup(self, k: Hashable) -> tuple[float, object] | None:
        entry = self.entries.get(k)
        if entry is None or (self.expire and self.now() - entry[0] >= self.ttl):
            return None
        return entry

    def _fill(self, k: Hashable, arg: Any) -> Any:
        try:
            value = self.fetch(arg)
        except DependencyFailed:
            if self.fallback is None:
                raise
            value = self.fallback  # the bug under test: the fallback is cached below
        self.entries[k] = (self.now(), value)
        return value


KEYS = [("alice", "my balance?"), ("bob", "my balance?")]


def test_a_correct_cache_passes_every_part_and_records_evidence() -> None:
    clock = FakeTime()
    with collecting_evidence() as sink:
        result = check_caching_policy(
            lambda dep: TTLCache(dep, ttl=60, now=lambda: clock.now),
            keys=KEYS,
            ttl=60,
            clock=clock.advance,
        )
    assert result.held, result.describe()
    assert [p.name for p in result.parts] == [
        "no_pollution",
        "ttl",
        "failures_not_cached",
        "no_stampede",
    ]
    assert result.parts[-1].dependency_calls == 1
    (evidence,) = sink.items
    assert (evidence.remedy, evidence.held) == ("caching_policy", True)
    assert evidence.figures["no_stampede_dependency_calls"] == 1
    assert evidence.figures["ttl_held"] is True


@pytest.mark.parametrize(
    ("knobs", "part", "message"),
    [
        ({"key": lambda k: k[1]}, "no_pollution", "share the answer"),
        ({"expire": False}, "ttl", "did not expire"),
        ({"ttl": 30}, "ttl", "expired early"),
        ({"fallback": "sorry, try later"}, "failures_not_cached", "was served the fallback"),
        ({"single_flight": False}, "no_stampede", "a cache stampede"),
    ],
)
def test_each_broken_policy_is_caught_by_its_part(
    knobs: dict[str, Any], part: str, message: str
) -> None:
    clock = FakeTime()
    settings: dict[str, Any] = {"ttl": 60, "now": lambda: clock.now, **knobs}
    with collecting_evidence() as sink, pytest.raises(AssertionError) as info:
        check_caching_policy(
            lambda dep: TTLCache(dep, **settings), keys=KEYS, ttl=60, clock=clock.advance
        )
    failed = [line for line in str(info.value).splitlines() if "FAILED" in line]
    assert [line.split(":")[0] for line in failed] == [part]
    assert message in failed[0]
    assert sink.items[0].held is False
    assert sink.items[0].figures[f"{part}_held"] is False


def test_no_cache_at_all_and_cached_errors_are_caught() -> None:
    with collecting_evidence(), pytest.raises(AssertionError, match="never served a hit"):
        check_caching_policy(lambda dep: dep, keys=KEYS)

    def caches_errors(dep: FakeDependency) -> Callable[[Any], Any]:
        memo: dict[Any, Any] = {}

        def cached(key: Any) -> Any:
            if key not in memo:
                try:
                    memo[key] = ("ok", dep(key))
                except DependencyFailed as exc:
                    memo[key] = ("error", exc)
            kind, value = memo[key]
            if kind == "error":
                raise value
            return value

        return cached

    with collecting_evidence(), pytest.raises(AssertionError) as info:
        check_caching_policy(caches_errors, keys=KEYS)
    assert "failures_not_cached: 1 dependency calls, FAILED" in str(info.value)
    assert "was served the failure again" in str(info.value)
    assert "ttl: not checked (no ttl= given)" in str(info.value)


@pytest.mark.asyncio
async def test_acheck_caching_policy_with_an_async_single_flight_cache() -> None:
    clock = FakeTime()

    def make(dep: FakeDependency) -> Callable[[Any], Any]:
        entries: dict[Any, tuple[float, object]] = {}
        lock = asyncio.Lock()

        async def cached(key: Any) -> Any:
            async with lock:
                entry = entries.get(key)
                if entry is None or clock.now - entry[0] >= 10:
                    entries[key] = entry = (clock.now, await dep.acall(key))
                return entry[1]

        return cached

    with collecting_evidence() as sink:
        result = await acheck_caching_policy(
            make, keys=KEYS, ttl=10, clock=clock.advance, stampede=5, hold=0.01
        )
    assert result.held, result.describe()
    assert sink.items[0].held


def test_fake_dependency_answers_counts_fails_and_holds() -> None:
    dep = FakeDependency()
    assert dep("q") == "answer #1 to ('q')"
    assert dep("q", lang="fr") == "answer #2 to ('q', lang='fr')"
    dep.fail_next(1, TimeoutError("slow"))
    with pytest.raises(TimeoutError):
        dep("q")
    assert dep.call_count == 3
    custom = FakeDependency(answer=lambda n, q: {"n": n, "q": q})
    assert custom("x") == {"n": 1, "q": "x"}
    dep.hold(0.05)
    start = time.perf_counter()
    dep("slow")
    assert time.perf_counter() - start >= 0.04


def test_caching_bad_arguments() -> None:
    def make(dep: FakeDependency) -> FakeDependency:
        return dep

    cases: list[tuple[dict[str, Any], str]] = [
        ({"keys": ["only one"]}, "keys must be a list of at least 2"),
        ({"keys": "ab"}, "keys must be a list"),
        ({"keys": ["a", "a"]}, "keys must all differ"),
        ({"keys": KEYS, "ttl": 60}, "ttl needs a clock"),
        ({"keys": KEYS, "ttl": 0, "clock": print}, "ttl must be positive"),
        ({"keys": KEYS, "ttl": 5, "clock": 3}, "clock must be a VirtualClock"),
        ({"keys": KEYS, "ttl": 5, "clock": print, "ttl_tolerance": 5}, "ttl_tolerance"),
        ({"keys": KEYS, "stampede": 0}, "stampede must be a positive integer"),
        ({"keys": KEYS, "max_dependency_calls": -1}, "max_dependency_calls must be"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InvalidArgument, match=message):
            check_caching_policy(make, **kwargs)
    with pytest.raises(InvalidArgument, match="make_cached must be a callable"):
        check_caching_policy(None, keys=KEYS)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="make_cached must return the cached function"):
        check_caching_policy(lambda dep: 42, keys=KEYS)  # type: ignore[arg-type,return-value]
    with collecting_evidence(), pytest.raises(InvalidArgument, match="normalize raised"):
        check_caching_policy(lambda dep: TTLCache(dep), keys=KEYS, normalize=lambda v: v["missing"])


def test_llm_groups_with_a_long_shared_prefix_stay_apart() -> None:
    # RAG prompts often share a long preamble: grouping must use the whole key.
    preamble = "Sources:\n" + "[d1] a long retrieved passage. " * 5
    bodies = [
        {"model": "m", "temperature": 0, "seed": 1, "messages": [{"content": preamble + q}]}
        for q in ("question one", "question two")
    ]
    result = check_llm_requests_deterministic(
        bodies, group_by=lambda body: body["messages"][-1]["content"]
    )
    assert result.held
    assert result.groups == 2
