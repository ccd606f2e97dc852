"""Real retry and breaker libraries, and the openai SDK, on the virtual clock.

Each proof checks the *virtual* instants at which the dependency was called, so a library that
reads a clock the virtual clock does not control (or sleeps for real) fails loudly: tenacity
and stamina deadlines read ``time.monotonic``, backoff's ``max_time`` reads
``datetime.datetime.now()``, pybreaker's reset timeout ``datetime.now(UTC)``; the SDK sleeps
with ``time.sleep`` (sync) and ``anyio.sleep`` (async). No router is involved: the SDK gets an
``httpx2.MockTransport``, so these proofs stand on the clock alone.
"""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import time
from collections.abc import Callable
from typing import Any

import backoff
import httpx2
import openai
import pybreaker
import pytest
import stamina
import tenacity

from pytest_prodreal.clock import VirtualClock

# Kept in a dict: the clock rebinds module-level clock aliases while it runs.
REAL = {"perf_counter": time.perf_counter}


class Flaky(Exception):
    """The dependency failed."""


def failing(clock: VirtualClock, calls: list[float]) -> Callable[[], None]:
    def call() -> None:
        calls.append(clock.elapsed)
        raise Flaky

    return call


# -- tenacity: stop_after_delay reads time.monotonic -------------------------------------------


def test_tenacity_stop_after_delay_in_virtual_time(prodreal_clock: VirtualClock) -> None:
    calls: list[float] = []
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_delay(60), wait=tenacity.wait_fixed(10), reraise=True
    )
    began = REAL["perf_counter"]()
    with pytest.raises(Flaky):
        retrying(failing(prodreal_clock, calls))
    assert calls == [0, 10, 20, 30, 40, 50, 60]  # 7 attempts: the deadline, not a guard
    assert REAL["perf_counter"]() - began < 30  # real waits would take 60 s


@pytest.mark.asyncio
async def test_tenacity_async_stop_after_delay(prodreal_clock: VirtualClock) -> None:
    calls: list[float] = []

    @tenacity.retry(stop=tenacity.stop_after_delay(60), wait=tenacity.wait_fixed(10), reraise=True)
    async def call() -> None:
        calls.append(prodreal_clock.elapsed)
        raise Flaky

    with pytest.raises(Flaky):
        await call()
    assert calls == [0, 10, 20, 30, 40, 50, 60]


# -- stamina: timeout= is tenacity's stop_after_delay ------------------------------------------

STAMINA_FIXED_5S = {
    "on": Flaky,
    "attempts": 100,
    "timeout": 20.0,
    "wait_initial": 5.0,
    "wait_max": 5.0,
    "wait_jitter": 0.0,
    "wait_exp_base": 1.0,
}


def test_stamina_timeout_in_virtual_time(prodreal_clock: VirtualClock) -> None:
    calls: list[float] = []
    call = stamina.retry(**STAMINA_FIXED_5S)(failing(prodreal_clock, calls))  # type: ignore[arg-type]
    with pytest.raises(Flaky):
        call()
    assert calls == [0, 5, 10, 15, 20]  # stopped by the 20 s timeout, not by attempts=100


@pytest.mark.anyio
async def test_stamina_async_timeout(prodreal_clock: VirtualClock) -> None:
    calls: list[float] = []

    @stamina.retry(**STAMINA_FIXED_5S)  # type: ignore[arg-type]
    async def call() -> None:
        calls.append(prodreal_clock.elapsed)
        raise Flaky

    with pytest.raises(Flaky):
        await call()
    assert calls == [0, 5, 10, 15, 20]


# -- backoff: max_time reads datetime.datetime.now() -------------------------------------------


def test_backoff_max_time_in_virtual_time(prodreal_clock: VirtualClock) -> None:
    calls: list[float] = []
    call = backoff.on_exception(
        backoff.constant, Flaky, interval=10, jitter=None, max_time=60, max_tries=None
    )(failing(prodreal_clock, calls))
    with pytest.raises(Flaky):
        call()
    assert calls == [0, 10, 20, 30, 40, 50, 60]


@pytest.mark.asyncio
async def test_backoff_async_max_time(prodreal_clock: VirtualClock) -> None:
    calls: list[float] = []

    @backoff.on_exception(
        backoff.constant, Flaky, interval=10, jitter=None, max_time=60, max_tries=None
    )
    async def call() -> None:
        calls.append(prodreal_clock.elapsed)
        raise Flaky

    with pytest.raises(Flaky):
        await call()
    assert calls == [0, 10, 20, 30, 40, 50, 60]


# -- pybreaker: the reset timeout reads datetime.now(UTC) through a module alias --------------


def test_pybreaker_opens_then_half_opens_after_reset_timeout(prodreal_clock: VirtualClock) -> None:
    reached: list[float] = []
    healthy = False

    def dependency() -> str:
        reached.append(prodreal_clock.elapsed)
        if not healthy:
            raise Flaky
        return "ok"

    breaker = pybreaker.CircuitBreaker(fail_max=3, reset_timeout=30)
    for _ in range(3):
        with pytest.raises((Flaky, pybreaker.CircuitBreakerError)):
            breaker.call(dependency)
    assert breaker.current_state == "open"
    time.sleep(29)
    with pytest.raises(pybreaker.CircuitBreakerError):
        breaker.call(dependency)  # still open: the call never reaches the dependency
    assert len(reached) == 3
    time.sleep(2)  # 31 s after opening: one probe goes through, fails, and re-opens
    with pytest.raises((Flaky, pybreaker.CircuitBreakerError)):
        breaker.call(dependency)
    assert reached == [0, 0, 0, 31]
    assert breaker.current_state == "open"
    healthy = True
    time.sleep(30)
    assert breaker.call(dependency) == "ok"  # the next probe succeeds: closed again
    assert breaker.current_state == "closed"
    assert reached == [0, 0, 0, 31, 61]


# -- the openai SDK: sync back-off is time.sleep, async is anyio.sleep --------------------------


def rate_limited(clock: VirtualClock, calls: list[float], retry_after: Callable[[], str]) -> Any:
    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(clock.elapsed)
        return httpx2.Response(
            429,
            headers={"retry-after": retry_after()},
            json={"error": {"message": "slow down", "type": "rate_limit", "code": None}},
        )

    return handler


def sync_client(handler: Any) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test",
        base_url="https://api.test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )


def async_client(handler: Any) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="https://api.test/v1",
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)),
    )


MESSAGES: Any = [{"role": "user", "content": "hi"}]


def test_openai_sync_honours_retry_after_seconds(prodreal_clock: VirtualClock) -> None:
    calls: list[float] = []
    client = sync_client(rate_limited(prodreal_clock, calls, lambda: "3"))
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert calls == [0, 3, 6]  # 3 attempts, exactly 3 s apart: no jitter on Retry-After


def test_openai_sync_honours_retry_after_http_date(prodreal_clock: VirtualClock) -> None:
    calls: list[float] = []

    def in_30_s() -> str:  # an HTTP-date, read by the SDK against time.time()
        return email.utils.formatdate(time.time() + 30, usegmt=True)

    client = sync_client(rate_limited(prodreal_clock, calls, in_30_s))
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="m", messages=MESSAGES)
    # Exactly 30 s: the clock starts on a whole second, so the HTTP-date loses nothing.
    assert calls == [0, 30, 60]


def test_openai_sync_exponential_back_off_is_virtual(prodreal_clock: VirtualClock) -> None:
    calls: list[float] = []

    def overloaded(request: httpx2.Request) -> httpx2.Response:
        calls.append(prodreal_clock.elapsed)
        return httpx2.Response(503, json={"error": {"message": "busy"}})

    client = sync_client(overloaded).with_options(max_retries=5)
    began = REAL["perf_counter"]()
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert len(calls) == 6
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    # min(0.5 * 2**n, 8) * (1 - 0.25 * random()): 0.375-0.5, 0.75-1, 1.5-2, 3-4, 6-8 s.
    for gap, cap in zip(gaps, [0.5, 1, 2, 4, 8], strict=True):
        assert 0.75 * cap <= gap <= cap
    assert REAL["perf_counter"]() - began < 5  # real back-off would take over 11 s


@pytest.mark.asyncio
async def test_openai_async_retries_overlap_in_virtual_time(prodreal_clock: VirtualClock) -> None:
    calls: list[float] = []
    client = async_client(rate_limited(prodreal_clock, calls, lambda: "3"))

    async def one() -> None:
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(model="m", messages=MESSAGES)

    await asyncio.gather(one(), one(), one())
    # Three concurrent callers, each 3 attempts 3 s apart: 6 virtual seconds, not 18. The SDK
    # runs a little work in a thread on its first request, and real time flows (by design)
    # while executor work is pending: allow those real milliseconds.
    assert sorted(calls) == pytest.approx([0, 0, 0, 3, 3, 3, 6, 6, 6], abs=0.05)
    assert prodreal_clock.elapsed == pytest.approx(6.0, abs=0.05)


@pytest.mark.anyio
async def test_openai_async_under_anyio(prodreal_clock: VirtualClock) -> None:
    calls: list[float] = []
    client = async_client(rate_limited(prodreal_clock, calls, lambda: "100"))
    with pytest.raises(openai.RateLimitError):
        await client.chat.completions.create(model="m", messages=MESSAGES)
    assert calls == [0, 100, 200]
