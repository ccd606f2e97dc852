"""The operations library: soak runs on the virtual clock, SLO, error budget, cost caps and
silent-failure checks, against the real openai SDK through chaos routes."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
import warnings
from typing import Any

import pytest

from pytest_prodreal import InvalidArgument, ProdrealWarning, collecting_evidence
from pytest_prodreal.operations import (
    Bursts,
    Constant,
    Poisson,
    SoakTimeout,
    asoak,
    check_cost_cap,
    check_error_budget,
    check_observability,
    check_slo,
    signal,
    soak,
)

CHAT = "https://api.openai.com/v1/chat/completions"
SEARCH = "https://search.example.test/v1/search"
PRICES = {"gpt-4o-mini": {"input": 0.15, "output": 0.6}}


def completion(text: str = "Paris [d1].", model: str = "gpt-4o-mini-2024-07-18") -> dict[str, Any]:
    """A chat completion as the OpenAI API returns it, with its usage."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        ],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200},
    }


log = logging.getLogger("svc")


class Service:
    """A small LLM service: the openai SDK with its retries, a fallback that may log."""

    def __init__(self, *, logs: bool = True, max_retries: int = 2) -> None:
        import openai

        self.openai = openai
        self.client = openai.OpenAI(api_key="sk-test", timeout=10.0, max_retries=max_retries)
        self.logs = logs

    def answer(self, question: str) -> str:
        try:
            reply = self.client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
            )
            return reply.choices[0].message.content or ""
        except self.openai.APIError as exc:
            if self.logs:
                log.warning("llm failed, serving fallback: %s", exc)
            return "FALLBACK"


def is_fallback(value: str) -> bool:
    return value == "FALLBACK"


# -- the soak runner -------------------------------------------------------------------------------


def test_constant_arrivals_move_the_clock_so_a_breaker_cools_down(prodreal_clock: Any) -> None:
    opened_at: list[float] = []

    def call(_: object) -> str:
        # A breaker that opened on the first request and cools down after 30 s (time.monotonic).
        if not opened_at:
            opened_at.append(time.monotonic())
        return "open" if time.monotonic() - opened_at[0] < 30 else "closed"

    result = soak(
        call, ["q"], duration=60, arrivals=Constant(rate=0.5), success=lambda v: v == "closed"
    )
    assert len(result) == 30  # one every 2 s for 60 virtual s
    assert [r.arrival for r in result.requests[:3]] == [0.0, 2.0, 4.0]
    assert result.virtual_s == pytest.approx(58.0)
    assert result.count("success") == 15 and result.errors_by_type() == {"Rejected": 15}


def test_poisson_arrivals_are_seeded(prodreal_clock: Any) -> None:
    def run(seed: int) -> list[float]:
        return [
            r.arrival
            for r in soak(str, [1], requests=50, arrivals=Poisson(0.1), seed=seed).requests
        ]

    first, again, other = run(1), run(1), run(2)
    assert first == again and first != other
    gaps = [b - a for a, b in itertools.pairwise(first)]
    assert 3 < sum(gaps) / len(gaps) < 30  # mean gap near 10 s


@pytest.mark.asyncio
async def test_async_soak_overlaps_requests_up_to_the_concurrency_limit(
    prodreal_clock: Any,
) -> None:
    inside = [0, 0]

    async def call(_: object) -> int:
        inside[0] += 1
        inside[1] = max(inside[1], inside[0])
        await asyncio.sleep(1.0)
        inside[0] -= 1
        return 1

    result = await asoak(call, [1], requests=20, arrivals=Bursts(size=10, every=60), concurrency=5)
    assert inside[1] == 5
    assert result.percentile(100) == pytest.approx(1.0, abs=1e-5)
    # The burst of 10 ran in two waves of five: the second wave queued a virtual second.
    assert sorted({round(r.queued, 3) for r in result.requests}) == [0.0, 1.0]
    assert result.virtual_s == pytest.approx(62.0, abs=1e-3)


def test_soak_through_the_openai_sdk_records_outcomes_calls_tokens_and_cost(chaos: Any) -> None:
    route = chaos.route("POST", CHAT, name="llm", json=completion()).scenario("brownout")
    route.fault(503, rate=0.3)  # with the SDK's 3 attempts, ~8 % of requests fall back
    service = Service()
    result = soak(
        service.answer,
        ["What is the capital of France?", "Who wrote Faust?"],
        requests=300,
        arrivals=Poisson(0.1),
        fallback=is_fallback,
        prices=PRICES,
    )
    assert len(result) == 300 and result.calls == route.call_count
    assert result.faults_fired == sum(route.faults_fired.values()) > 0
    assert 0 < result.count("fallback") < 100 and result.count("error") == 0
    retried = [r for r in result.requests if r.retries_by_route()]
    assert retried and all(set(r.retries_by_route()) == {"llm"} for r in retried)
    ok = next(r for r in result.requests if r.outcome == "success" and len(r.calls) == 1)
    assert (ok.tokens_in, ok.tokens_out) == (1000, 200)
    assert ok.cost == pytest.approx((1000 * 0.15 + 200 * 0.6) / 1e6)
    fallback = next(r for r in result.requests if r.outcome == "fallback")
    assert fallback.cost == 0.0 and len(fallback.calls) == 3  # the SDK's 3 attempts, unpriced
    assert any("serving fallback" in e.message for e in fallback.logs)
    assert result.virtual_s > 2000  # ~300 requests 10 s apart
    assert result.percentile(50) <= result.percentile(99) <= result.percentile(100)


def test_soak_stops_a_call_blocking_in_real_time(prodreal_clock: Any) -> None:
    release = threading.Event()
    with pytest.raises(SoakTimeout, match=r"request #0 \('q'\).*still running after 0.2 real s"):
        soak(lambda q: release.wait(30), ["q"], requests=1, timeout_s=0.2)
    release.set()


@pytest.mark.asyncio
async def test_async_soak_stops_a_request_blocking_in_real_time(prodreal_clock: Any) -> None:
    release = threading.Event()

    async def call(_: object) -> object:
        return await asyncio.get_running_loop().run_in_executor(None, release.wait, 30)

    with pytest.raises(SoakTimeout, match="blocks in real time"):
        await asoak(call, ["q"], requests=1, timeout_s=0.3)
    release.set()


def test_progress_is_reported_for_long_soaks(prodreal_clock: Any, monkeypatch: Any) -> None:
    from pytest_prodreal.operations import _plan

    monkeypatch.setattr(_plan, "_PROGRESS_AFTER_S", 0.0)
    seen: list[Any] = []
    soak(str, [1], requests=5, progress=seen.append)
    assert seen and seen[-1].final and seen[-1].done == 5
    assert "5/5 requests" in seen[-1].line()


# -- SLO and cost caps -----------------------------------------------------------------------------


def test_check_slo_reports_every_objective_and_fails_naming_the_missed_one(chaos: Any) -> None:
    chaos.route("POST", CHAT, name="llm", json=completion()).scenario("brownout")
    result = soak(
        Service().answer,
        ["q"],
        requests=200,
        arrivals=Poisson(0.1),
        fallback=is_fallback,
        prices=PRICES,
    )
    with collecting_evidence() as recorded:
        held = check_slo(
            result, success_rate=0.9, p99_s=60, cost_per_request=0.01, max_amplification=2
        )
        assert held and len(held.objectives) == 4 and all(o.margin >= 0 for o in held.objectives)
        assert "success rate" in held.summary and "margin" in held.summary
        with pytest.raises(AssertionError, match=r"check_slo: p50 latency .* <= 0.001s .*MISSED"):
            check_slo(result, success_rate=0.9, p50_s=0.001)
    assert [(e.remedy, e.held) for e in recorded.items] == [("slo", True), ("slo", False)]
    assert recorded.items[0].figures["virtual_s"] == round(result.virtual_s, 3)
    assert recorded.items[0].figures["requests"] == 200


def test_check_cost_cap_names_the_route_whose_retries_caused_it(chaos: Any) -> None:
    chaos.route("POST", CHAT, name="llm", json=completion()).fault(503, rate=0.5)
    result = soak(
        Service(max_retries=5).answer, ["q"], requests=100, fallback=is_fallback, prices=PRICES
    )
    with pytest.raises(
        AssertionError, match=r"caused by route 'llm' \(\d+ retries in that request\)"
    ):
        check_cost_cap(result, max_calls=3)
    assert check_cost_cap(result, max_calls=6, max_cost=0.01).held


# -- error budget ----------------------------------------------------------------------------------


def test_error_budget_an_outage_pages_and_a_healthy_day_stays_inside(chaos: Any) -> None:
    llm = chaos.route("POST", CHAT, name="llm", json=completion())
    llm.outage(start=3600, end=3600 + 900)  # 15 minutes of 503s in hour two
    result = soak(
        Service().answer, ["q"], duration=4 * 3600, arrivals=Poisson(0.05), fallback=is_fallback
    )
    paged = check_error_budget(result, slo=0.999, expect="page")
    assert paged.would_page and paged.rules[0].paged_at is not None
    assert 3600 <= paged.rules[0].paged_at <= 3600 + 900
    assert paged.figures["fast_burn_paged"] is True and paged.figures["fast_burn_1h_max"] > 14.4
    assert paged.figures["virtual_s"] > 4 * 3600 - 600  # the last arrival, ~20 s apart
    with pytest.raises(AssertionError, match=r"check_error_budget: fast burn \(14.4x over 1 h"):
        check_error_budget(result, slo=0.999)
    # The requests after the outage alone: inside budget, no page.
    calm = type(result)(
        **{**result.__dict__, "requests": [r for r in result.requests if r.start > 3 * 3600]}
    )
    assert check_error_budget(calm, slo=0.999).held


# -- observability ---------------------------------------------------------------------------------


def test_silent_fault_names_fault_route_and_request(chaos: Any) -> None:
    chaos.route("POST", CHAT, name="llm", json=completion()).fail_times(1, 503)
    result = soak(Service(logs=False).answer, ["first question"], requests=3, fallback=is_fallback)
    with collecting_evidence() as recorded, pytest.raises(AssertionError) as info:
        check_observability(result)
    message = str(info.value)
    assert "request #0 ('first question')" in message
    assert "fault http_503 on route 'llm'" in message and "retry on route 'llm'" in message
    assert "no WARNING+ log or signal" in message
    assert [(e.remedy, e.held) for e in recorded.items] == [("observability", False)]


def test_a_warning_a_signal_or_a_span_event_is_a_trace(chaos: Any) -> None:
    import random

    from opentelemetry import trace as otel_trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.id_generator import IdGenerator

    class OwnRandomIds(IdGenerator):
        # The provider stays set for the rest of the process, and the anthropic SDK starts a
        # span per call: OpenTelemetry's default ids would draw from the global ``random`` in
        # every later test (tests/test_chaos_audit.py pins that a chaos leaves it alone).
        rng = random.Random(12)

        def generate_span_id(self) -> int:
            return self.rng.getrandbits(64) or 1

        def generate_trace_id(self) -> int:
            return self.rng.getrandbits(128) or 1

    provider = TracerProvider(id_generator=OwnRandomIds())
    otel_trace.set_tracer_provider(provider)  # once per process: later calls are ignored
    provider = otel_trace.get_tracer_provider()  # type: ignore[assignment]
    tracer = provider.get_tracer("svc")
    search = chaos.route("GET", SEARCH, name="search", json={"hits": []}).fault(503, rate=0.3)
    import httpx

    http = httpx.Client()

    def by_log(q: str) -> str:
        response = http.get(SEARCH, params={"q": q})
        if response.status_code != 200 or not response.json()["hits"]:
            log.warning("search gave nothing for %r", q)
        return "ok"

    def by_signal(q: str) -> str:
        http.get(SEARCH, params={"q": q})
        signal("metric search_empty")
        return "ok"

    def by_span(q: str) -> str:
        with tracer.start_as_current_span("search") as span:
            http.get(SEARCH, params={"q": q})
            span.add_event("zero hits")
        return "ok"

    for call in (by_log, by_signal, by_span):
        result = soak(call, ["q"], requests=20)
        checked = check_observability(result)
        assert checked.held and checked.observed == 20, call.__name__  # zero hits every time
    assert search.faults_fired


def test_structlog_warnings_count_as_traces(chaos: Any) -> None:
    import structlog

    chaos.route("GET", SEARCH, name="search", json={"hits": [{"id": 1}]}).fault(503, rate=1.0)
    import httpx

    http = httpx.Client()
    slog = structlog.get_logger("svc")

    def call(q: str) -> str:
        if http.get(SEARCH).status_code != 200:
            slog.warning("search_failed", q=q)
        return "ok"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        result = soak(call, ["q"], requests=5)
    assert check_observability(result).held


def test_error_logs_with_nothing_wrong_are_noise(chaos: Any) -> None:
    chaos.route("POST", CHAT, name="llm", json=completion()).fail_times(1, 503)
    service = Service()

    def noisy(q: str) -> str:
        log.error("cache miss for %s", q)  # an ERROR for a routine event
        return service.answer(q)

    result = soak(noisy, ["q"], requests=4, fallback=is_fallback)
    checked = check_observability(result)
    assert checked.held and len(checked.noise) == 3  # request 0 met the fault: not noise
    assert checked.figures["noisy_requests"] == 3
    with pytest.raises(AssertionError, match="3 requests logged ERROR with nothing wrong"):
        check_observability(result, max_noise=0)


def test_nothing_to_observe_records_nothing_and_warns(chaos: Any) -> None:
    chaos.route("POST", CHAT, name="llm", json=completion())
    result = soak(Service().answer, ["q"], requests=3)
    with collecting_evidence() as recorded, pytest.warns(ProdrealWarning, match="proves nothing"):
        checked = check_observability(result)
    assert checked.held and not checked.counted and recorded.items == ()


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Constant(rate=0), r"Constant: rate=0 must be a positive"),
        (lambda: Poisson(rate=-1), r"Poisson: rate=-1 must be a positive"),
        (lambda: Bursts(size=5, every=0), r"Bursts: every=0 must be a positive"),
        (lambda: soak(str, [1], duration=0), r"soak: duration=0 must be a positive"),
        (lambda: soak(str, [1], duration=-5), r"soak: duration=-5 must be a positive"),
        (lambda: soak(str, [1], requests=0), r"soak: requests=0 must be a whole number >= 1"),
        (lambda: soak(str, [], requests=1), r"soak: inputs is empty"),
        (lambda: soak(str, [1]), r"pass exactly one of duration="),
        (lambda: soak(str, [1], requests=2, concurrency=0), r"soak: concurrency=0 must be a whole"),
        (lambda: soak(str, [1], requests=1, prices={"m": (1,)}), r"prices\['m'\]"),
    ],
)
def test_bad_soak_arguments(prodreal_clock: Any, make: Any, match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        make()


def test_soak_needs_the_virtual_clock() -> None:
    with pytest.raises(InvalidArgument, match="no virtual clock is running"):
        soak(str, [1], requests=1)


def test_a_price_table_missing_the_model_the_responses_name(chaos: Any) -> None:
    chaos.route("POST", CHAT, name="llm", json=completion(model="gpt-5-nano"))
    with pytest.raises(
        InvalidArgument, match=r"no price for model\(s\) gpt-5-nano .* \(known: gpt-4o-mini\)"
    ):
        soak(Service().answer, ["q"], requests=2, prices=PRICES)


def test_bad_check_arguments(prodreal_clock: Any) -> None:
    result = soak(str, [1], requests=3)
    with pytest.raises(InvalidArgument, match=r"percentile 0 must be in \(0, 100\]"):
        check_slo(result, latency_s={0: 1.0})
    with pytest.raises(InvalidArgument, match=r"percentile 101 must be in \(0, 100\]"):
        result.percentile(101)
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(InvalidArgument, match=rf"check_error_budget: slo={bad!r} must be"):
            check_error_budget(result, slo=bad)
    with pytest.raises(InvalidArgument, match="cost_per_request= needs a price table"):
        check_slo(result, cost_per_request=0.01)
    with pytest.raises(InvalidArgument, match="max_cost= is a cost cap without a price table"):
        check_cost_cap(result, max_cost=0.01)
    with pytest.raises(InvalidArgument, match="give at least one objective"):
        check_slo(result)
    with pytest.raises(InvalidArgument, match="p95_s=-1 must be a positive"):
        check_slo(result, p95_s=-1)
    with pytest.raises(InvalidArgument, match="window=0 must be a positive"):
        check_error_budget(result, window=0)
