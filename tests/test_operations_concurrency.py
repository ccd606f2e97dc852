"""Soaks with a concurrency limit: sync calls on scheduled threads, async calls as tasks; the
real-time timeout on every path; progress reports."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from typing import Any

import pytest

from pytest_prodreal import InvalidArgument
from pytest_prodreal.operations import Bursts, Poisson, SoakTimeout, asoak, check_slo, soak

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
log = logging.getLogger("svc.concurrent")


class InFlight:
    """Counts the calls in flight, and the peak."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    def enter(self) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        self.now -= 1


@pytest.mark.parametrize(
    ("concurrency", "virtual_s"), [(4, 2.0), (1, 8.0), (8, 1.0), (3, 3.0), (50, 1.0)]
)
def test_sync_soak_overlaps_requests_in_virtual_time(
    prodreal_clock: Any, concurrency: int, virtual_s: float
) -> None:
    flight = InFlight()

    def call(_: object) -> str:
        flight.enter()
        time.sleep(1.0)  # one virtual second: a switch point for the other requests
        flight.leave()
        return "ok"

    result = soak(
        call,
        ["q"],
        requests=8,
        arrivals=Bursts(size=8, every=60),  # all eight arrive at t=0
        concurrency=concurrency,
    )
    assert flight.peak == min(concurrency, 8)
    assert result.virtual_s == pytest.approx(virtual_s, abs=1e-5)
    assert all(r.latency == pytest.approx(1.0, abs=1e-5) for r in result.requests)
    # Requests start in arrival order, ``concurrency`` at a time; the later ones queue.
    waves = [round(r.queued) for r in result.requests]
    assert waves == [i // concurrency for i in range(8)]
    assert result.concurrency == concurrency and result.count("success") == 8


@pytest.mark.asyncio
async def test_async_soak_eight_at_once_with_concurrency_four_take_two_seconds(
    prodreal_clock: Any,
) -> None:
    flight = InFlight()

    async def call(_: object) -> str:
        flight.enter()
        await asyncio.sleep(1.0)
        flight.leave()
        return "ok"

    result = await asoak(call, ["q"], requests=8, arrivals=Bursts(size=8, every=60), concurrency=4)
    assert flight.peak == 4
    assert result.virtual_s == pytest.approx(2.0, abs=1e-5)
    assert [round(r.queued) for r in result.requests] == [0, 0, 0, 0, 1, 1, 1, 1]


def test_a_late_arrival_starts_on_time_while_others_are_busy(prodreal_clock: Any) -> None:
    # Request 0 takes 100 virtual s; requests arriving every 10 s meanwhile are not held back.
    def call(q: int) -> int:
        time.sleep(100.0 if q == 0 else 1.0)
        return q

    result = soak(call, list(range(5)), requests=5, arrivals=Poisson(0.1), concurrency=2, seed=3)
    first, *others = result.requests
    assert first.latency == pytest.approx(100.0, abs=1e-5)
    assert all(r.queued == pytest.approx(0.0, abs=1e-5) for r in others)
    assert result.virtual_s == pytest.approx(100.0 + first.start, abs=1e-5)


def _sdk_soak(chaos: Any, concurrency: int) -> Any:
    import openai

    chaos.route("POST", CHAT, name="llm", json=REPLY).scenario("brownout")
    client = openai.OpenAI(api_key="sk-test", timeout=10.0, max_retries=2)

    def answer(question: str) -> str:
        try:
            reply = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
            )
        except openai.APIError as exc:
            log.warning("llm failed for %s, serving fallback: %s", question, exc)
            return "FALLBACK"
        if len(reply.choices) != 1:
            log.warning("odd reply for %s", question)
        return reply.choices[0].message.content or ""

    # The SDK draws its back-off jitter from the global ``random``: pin it, so both soaks see
    # the same back-off (the soak's own randomness comes from its seed).
    random.seed(5)
    return soak(
        answer,
        [f"question {i}" for i in range(7)],
        requests=150,
        arrivals=Poisson(2.0),  # faster than one at a time can serve: requests overlap
        concurrency=concurrency,
        fallback=lambda v: v == "FALLBACK",
        seed=11,
    )


def test_a_concurrent_sdk_soak_is_the_same_every_run_and_attributes_per_request() -> None:
    from pytest_prodreal.chaos import Chaos
    from pytest_prodreal.clock import VirtualClock

    runs = []
    for concurrency in (4, 4, 1):
        with (
            VirtualClock() as clock,
            Chaos(seed=2, clock=clock, warn_unexercised=False) as chaos,
        ):
            runs.append(_sdk_soak(chaos, concurrency))
    first, again, sequential = runs

    def shape(result: Any) -> list[tuple[Any, ...]]:
        return [
            (r.start, r.end, r.outcome, [(c.fault, c.latency) for c in r.calls], len(r.logs))
            for r in result.requests
        ]

    assert shape(first) == shape(again)  # the seed fixes the interleaving
    assert first.faults_fired > 0 and first.count("fallback") > 0
    # Overlapping requests: far less queueing than one at a time, over less virtual time.
    assert max(r.queued for r in first.requests) < max(r.queued for r in sequential.requests)
    assert first.virtual_s < sequential.virtual_s
    overlapped = sum(
        1 for a, b in zip(first.requests, first.requests[1:], strict=False) if b.start < a.end
    )
    assert overlapped > 10
    # Each warning landed on the request that logged it, though the threads interleave.
    logged = [r for r in first.requests if r.logs]
    assert logged and all(str(r.input) in e.message for r in logged for e in r.logs)
    assert all(r.outcome == "fallback" for r in logged)
    assert check_slo(first, success_rate=0.5).held


def test_a_concurrent_soak_stops_a_call_blocking_in_real_time(prodreal_clock: Any) -> None:
    release = threading.Event()

    def call(q: int) -> int:
        if q == 2:
            release.wait(30)  # real blocking: the virtual clock cannot move it
        else:
            time.sleep(1.0)
        return q

    try:
        with pytest.raises(
            SoakTimeout, match=r"request #2 \(2\) at t=0.000s was still running after 0.3 real s"
        ):
            soak(
                call,
                [0, 1, 2, 3],
                requests=4,
                arrivals=Bursts(size=4, every=60),
                concurrency=3,
                timeout_s=0.3,
            )
    finally:
        release.set()


def test_a_soak_off_the_main_thread_stops_a_call_blocking_in_real_time(
    prodreal_clock: Any,
) -> None:
    # Off the main thread there is no SIGALRM: the call runs on a worker thread and is watched.
    release = threading.Event()
    raised: list[BaseException] = []

    def run() -> None:
        try:
            soak(lambda q: release.wait(30), ["q"], requests=1, timeout_s=0.2)
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    release.set()
    assert len(raised) == 1 and isinstance(raised[0], SoakTimeout)
    assert "request #0 ('q')" in str(raised[0]) and "blocks in real time" in str(raised[0])


def test_errors_and_fallbacks_are_recorded_per_request_under_concurrency(
    prodreal_clock: Any,
) -> None:
    def call(q: int) -> str:
        time.sleep(0.5)
        if q % 3 == 0:
            raise ConnectionError(f"down for {q}")
        return "FALLBACK" if q % 3 == 1 else "ok"

    result = soak(
        call, list(range(9)), requests=9, concurrency=3, fallback=lambda v: v == "FALLBACK"
    )
    assert [r.outcome for r in result.requests] == ["error", "fallback", "success"] * 3
    assert result.errors_by_type() == {"ConnectionError": 3}
    assert all(f"down for {r.input}" in r.error for r in result.requests if r.outcome == "error")


def test_a_failure_escaping_a_worker_reaches_the_caller(prodreal_clock: Any) -> None:
    def call(q: int) -> object:
        if q == 1:
            raise KeyboardInterrupt  # not an Exception: not a request error, the soak stops
        return q

    with pytest.raises(KeyboardInterrupt):
        soak(call, [0, 1, 2], requests=6, concurrency=2)


def test_bad_concurrent_soaks(prodreal_clock: Any) -> None:
    from pytest_prodreal.clock import Scheduler

    async def acall(_: object) -> int:
        return 1

    with pytest.raises(InvalidArgument, match="call returned an awaitable; use `await asoak"):
        soak(lambda q: acall(q), [1], requests=2, concurrency=2)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InvalidArgument, match=rf"soak: concurrency={bad!r} must be"):
            soak(str, [1], requests=2, concurrency=bad)
    with pytest.raises(InvalidArgument, match=r"concurrency=1001 would start that many threads"):
        soak(str, [1], requests=2, concurrency=1001)
    with (
        Scheduler(prodreal_clock, parties=1),
        pytest.raises(InvalidArgument, match="cannot run inside other scheduled concurrent runs"),
    ):
        soak(str, [1], requests=2, concurrency=2)


def test_progress_of_a_concurrent_soak(prodreal_clock: Any, monkeypatch: Any) -> None:
    from pytest_prodreal.operations import _plan

    monkeypatch.setattr(_plan, "_PROGRESS_AFTER_S", 0.0)
    seen: list[Any] = []

    def call(_: object) -> None:
        time.sleep(1.0)

    soak(call, [1], requests=6, arrivals=Bursts(6, 60), concurrency=3, progress=seen.append)
    assert seen and seen[-1].final and seen[-1].done == 6
    assert seen[-1].virtual_s == pytest.approx(2.0, abs=1e-5)


CONCURRENT_SUITE = """
import time

import pytest

from pytest_prodreal.operations import Bursts, check_slo


@pytest.mark.prodreal("slo")
def test_concurrent_slo(prodreal_soak, monkeypatch):
    monkeypatch.setattr("pytest_prodreal.operations._plan._PROGRESS_AFTER_S", 0.0)

    def lookup(q):
        time.sleep(2.0)
        return "ok"

    result = prodreal_soak(lookup, ["a"], requests=40, arrivals=Bursts(size=10, every=5),
                           concurrency=5)
    assert result.virtual_s == 19.0  # bursts at 0, 5, 10, 15: two waves of 2 s each
    check_slo(result, success_rate=1.0, p99_s=2.5)
"""


def test_a_concurrent_soak_in_a_test_verifies_and_reports_progress(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    import json

    pytester.makepyfile(test_conc=CONCURRENT_SUITE)
    result = pytester.runpytest(*xdist_args, "-p", "no:faker", "--prodreal-report=json:out.json")
    result.assert_outcomes(passed=1)
    data = json.loads((pytester.path / "out.json").read_text())
    assert {r["id"]: r["status"] for r in data["remedies"]}["slo"] == "verified"
    figures = data["tests"][0]["evidence"][0]["figures"]
    assert figures["requests"] == 40 and figures["virtual_s"] == 19.0
    # The progress line comes from the calling thread (the terminal writer's), not a worker;
    # xdist workers stay quiet.
    assert ("prodreal soak: 40/40 requests" in result.stdout.str()) is (not xdist_args)
