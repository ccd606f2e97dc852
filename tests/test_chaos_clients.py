"""Real clients under chaos, in virtual time: openai (sync and async, default client), anthropic,
tenacity, stamina, backoff and pybreaker."""

from __future__ import annotations

import json
import time

import anthropic
import backoff
import freezegun.api as fz  # fz.real_perf_counter: the wall clock while time is frozen
import httpx
import openai
import pybreaker
import pytest
import stamina
import tenacity

from pytest_prodreal.chaos import Chaos

CHAT = "https://api.openai.com/v1/chat/completions"
REPLY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 0,
    "model": "gpt-test",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": "pong"},
        }
    ],
}
MESSAGES = [{"role": "user", "content": "ping"}]


def _ask(client):
    return client.chat.completions.create(model="gpt-test", messages=MESSAGES, temperature=0)


def test_openai_sync_honours_retry_after_in_virtual_time(chaos, prodreal_clock):
    llm = chaos.route("POST", CHAT, json=REPLY).rate_limit(3, times=2)
    client = openai.OpenAI(api_key="sk-test")  # the default client: httpx2 underneath
    wall = fz.real_perf_counter()
    out = _ask(client)
    assert out.choices[0].message.content == "pong"
    assert (llm.call_count, llm.retries) == (3, 2)  # the SDK's two retries, counted
    assert llm.rate_limit_stats() == {"rate_limited": 2, "violations": 0, "min_wait_s": 3.0}
    assert prodreal_clock.elapsed == pytest.approx(6.0)  # two Retry-After waits, virtual
    sent = json.loads(llm.calls[0].request.content)  # what the state checks read
    assert (sent["temperature"], sent["model"]) == (0, "gpt-test")
    assert [c.request.headers["x-stainless-retry-count"] for c in llm.calls] == ["0", "1", "2"]
    assert fz.real_perf_counter() - wall < 3.0  # real waits would take 6 s


def test_openai_sync_http_date_retry_after(chaos, prodreal_clock):
    llm = chaos.route("POST", CHAT, json=REPLY).rate_limit(30, times=1, header="http-date")
    _ask(openai.OpenAI(api_key="sk-test"))
    assert llm.rate_limit_stats()["violations"] == 0
    assert prodreal_clock.elapsed == pytest.approx(30.0, abs=1.0)


@pytest.mark.asyncio
async def test_openai_async_honours_retry_after_and_gives_up(chaos, prodreal_clock):
    llm = chaos.route("POST", CHAT, json=REPLY).rate_limit(2, rate=1.0)
    client = openai.AsyncOpenAI(api_key="sk-test", max_retries=3)
    with pytest.raises(openai.RateLimitError):
        await client.chat.completions.create(model="gpt-test", messages=MESSAGES)
    assert llm.call_count == 4
    assert llm.rate_limit_stats()["violations"] == 0
    assert prodreal_clock.elapsed == pytest.approx(6.0)


def test_openai_timeout_is_enforced_from_the_clients_own_setting(chaos, prodreal_clock):
    llm = chaos.route("POST", CHAT, json=REPLY).latency(45)
    client = openai.OpenAI(api_key="sk-test", timeout=30)
    with pytest.raises(openai.APITimeoutError):
        _ask(client)
    assert llm.call_count == 3
    assert llm.faults_fired == {"read_timeout": 3}
    # three 30 s timeouts plus two jittered back-offs (0.375-0.5 s and 0.75-1 s)
    assert 91.1 <= prodreal_clock.elapsed <= 91.5


@pytest.mark.asyncio
async def test_openai_async_5xx_then_success(chaos):
    llm = chaos.route("POST", CHAT, json=REPLY).fail_times(2, 503)
    out = await openai.AsyncOpenAI(api_key="sk-test").chat.completions.create(
        model="gpt-test", messages=MESSAGES
    )
    assert out.choices[0].message.content == "pong"
    assert llm.faults_fired == {"http_503": 2}
    assert llm.retries == 2


def test_anthropic_sees_its_own_timeout_class(chaos):
    msgs = chaos.route("POST", "https://api.anthropic.com/v1/messages").fault("read_timeout")
    client = anthropic.Anthropic(api_key="sk-test", timeout=10, max_retries=1)
    with pytest.raises(anthropic.APITimeoutError):  # not APIConnectionError: httpx2's class
        client.messages.create(model="m", max_tokens=5, messages=MESSAGES)
    assert msgs.call_count == 2


def test_tenacity_stop_after_delay_is_reached_in_virtual_time(chaos, prodreal_clock):
    dep = chaos.route("GET", "https://dep.test/").outage()

    @tenacity.retry(
        stop=tenacity.stop_after_delay(60),
        wait=tenacity.wait_fixed(10),
        retry=tenacity.retry_if_exception_type(httpx.HTTPStatusError),
        reraise=True,
    )
    def fetch():
        httpx_client.get("https://dep.test/").raise_for_status()

    httpx_client = httpx.Client()
    with pytest.raises(httpx.HTTPStatusError):
        fetch()
    assert dep.call_count == 7  # t = 0, 10, ..., 60
    assert prodreal_clock.elapsed == pytest.approx(60)


def test_stamina_timeout_in_virtual_time(chaos, prodreal_clock):
    search = chaos.wrap(lambda: "hit", name="search").outage()

    @stamina.retry(on=ConnectionError, attempts=100, timeout=20, wait_initial=5, wait_jitter=0)
    def call():
        return search()

    with pytest.raises(ConnectionRefusedError):
        call()
    assert 2 <= search.call_count <= 5  # the 20 s deadline, not 100 attempts
    assert prodreal_clock.elapsed <= 20


def test_backoff_max_time_reads_the_virtual_datetime(chaos, prodreal_clock):
    db = chaos.wrap(lambda: 1, name="db").outage()

    @backoff.on_exception(backoff.constant, ConnectionError, interval=10, max_time=60, jitter=None)
    def query():
        return db()

    with pytest.raises(ConnectionRefusedError):
        query()
    assert db.call_count == 7
    assert prodreal_clock.elapsed == pytest.approx(60)


def test_pybreaker_opens_and_half_opens_on_the_virtual_clock(chaos, prodreal_clock):
    dep = chaos.route("GET", "https://dep.test/", json={"ok": True})
    breaker = pybreaker.CircuitBreaker(fail_max=3, reset_timeout=30)  # made inside the clock
    client = httpx.Client()

    @breaker
    def get():
        return client.get("https://dep.test/").raise_for_status().json()

    dep.down()
    for _ in range(3):
        with pytest.raises((httpx.HTTPStatusError, pybreaker.CircuitBreakerError)):
            get()
    assert breaker.current_state == "open"
    with pytest.raises(pybreaker.CircuitBreakerError):
        get()
    assert dep.call_count == 3
    dep.up()
    prodreal_clock.advance(29)
    with pytest.raises(pybreaker.CircuitBreakerError):
        get()
    prodreal_clock.advance(2)
    assert get() == {"ok": True}  # the half-open probe went through
    assert breaker.current_state == "closed"
    assert dep.call_count == 4


def test_chaos_without_the_fixture_in_a_script_style_block():
    # Library use without any clock: latency is counted, not waited.
    wall = time.perf_counter()
    with Chaos(seed=9) as chaos:
        chaos.route("POST", CHAT, json=REPLY).latency(20)
        _ask(openai.OpenAI(api_key="sk-test"))
    assert chaos.elapsed == pytest.approx(20)
    assert time.perf_counter() - wall < 10.0  # real latency would take 20 s


@pytest.mark.asyncio
async def test_anthropic_async_waits_a_long_retry_after_in_virtual_time(chaos, prodreal_clock):
    msgs = chaos.route("POST", "https://api.anthropic.com/v1/messages").rate_limit(121, rate=1.0)
    client = anthropic.AsyncAnthropic(api_key="sk-test", max_retries=2)
    wall = fz.real_perf_counter()
    with pytest.raises(anthropic.RateLimitError):
        await client.messages.create(model="m", max_tokens=5, messages=MESSAGES)
    assert msgs.call_count == 3  # anthropic 2.x honours any Retry-After (openai stops above 120)
    assert prodreal_clock.elapsed == pytest.approx(242)  # two 121 s waits, no wall time
    assert fz.real_perf_counter() - wall < 60.0  # real waits would take 242 s
    assert msgs.rate_limit_stats()["violations"] == 0


def test_openai_stream_cut_mid_way_raises_after_the_chunks_received(chaos):
    def event(content):
        delta = {"role": "assistant", "content": content}
        return json.dumps(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "gpt-test",
                "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
            }
        )

    events = [event("a"), event("b"), event("c"), event("d"), "[DONE]"]
    llm = chaos.route("POST", CHAT).stream(events).fault("stream_cut")
    stream = openai.OpenAI(api_key="sk-test").chat.completions.create(
        model="gpt-test", messages=MESSAGES, stream=True
    )
    got = []

    def drain():
        for chunk in stream:
            got.append(chunk.choices[0].delta.content)

    with pytest.raises(openai.APIConnectionError):
        drain()
    assert got == ["a", "b"]  # what arrived before the cut
    assert llm.call_count == 1  # no retry once the headers arrived
