"""LLM faults (chaos/llm.py) against the REAL openai and anthropic SDKs, in virtual time.

Each row says which exception the user sees and how many requests the SDK made (the SDK's own
retry policy: 1 call = not retried; 3 calls = the default two retries).
"""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

from pytest_prodreal import InvalidArgument
from pytest_prodreal.chaos import SCENARIOS, describe_scenario
from pytest_prodreal.chaos._faults import FAULTS
from pytest_prodreal.chaos.llm import LLM_FAULTS, anthropic_message, chat_completion

OAI = "https://api.openai.com/v1/chat/completions"
ANT = "https://api.anthropic.com/v1/messages"
MSGS = [{"role": "user", "content": "What is the capital of France?"}]

# fault: (openai exception, openai calls, anthropic exception, anthropic calls); None = returns
TABLE = {
    "context_length_exceeded": (openai.BadRequestError, 1, anthropic.BadRequestError, 1),
    "insufficient_quota": (openai.RateLimitError, 3, anthropic.BadRequestError, 1),
    "model_not_found": (openai.NotFoundError, 1, anthropic.NotFoundError, 1),
    "content_filter": (None, 1, None, 1),
    "max_tokens": (None, 1, None, 1),
    "bad_tool_arguments": (None, 1, None, 1),
    "empty_choices": (None, 1, None, 1),
    "missing_usage": (None, 1, None, 1),
    "overloaded_error": (openai.InternalServerError, 3, anthropic.OverloadedError, 3),
    "rate_limit_error": (openai.RateLimitError, 3, anthropic.RateLimitError, 3),
    "stream_error_event": (openai.APIError, 1, anthropic.APIStatusError, 1),
}


def test_every_llm_fault_is_a_row_of_the_fault_table():
    assert set(TABLE) == set(LLM_FAULTS)
    for name in LLM_FAULTS:
        row = FAULTS[name]
        assert (row.group, row.call) == ("llm", None) and row.http is not None and row.doc


def _openai(chaos, fault, **create):
    route = chaos.routes.get(f"POST {OAI}") or chaos.route(
        "POST", OAI, json=chat_completion("Paris is the capital of France.")
    )
    route.reset_faults()  # one route per URL: a second would never match (the first wins)
    route.fault(fault)
    client = openai.OpenAI(api_key="sk-test")
    if fault == "stream_error_event":
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=MSGS, stream=True)
        return route, [c.choices[0].delta.content for c in stream]
    return route, client.chat.completions.create(model="gpt-4o-mini", messages=MSGS, **create)


def _anthropic(chaos, fault):
    route = chaos.routes.get(f"POST {ANT}") or chaos.route(
        "POST", ANT, json=anthropic_message("Paris is the capital of France.")
    )
    route.reset_faults()
    route.fault(fault)
    client = anthropic.Anthropic(api_key="sk-ant-test")
    if fault == "stream_error_event":
        with client.messages.stream(model="claude-sonnet-4-5", max_tokens=64, messages=MSGS) as s:
            return route, list(s.text_stream)
    return route, client.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=MSGS)


@pytest.mark.parametrize("fault", sorted(TABLE))
def test_openai_sdk_raises_its_own_exception(chaos, fault):
    exc, calls, _, _ = TABLE[fault]
    if exc is None:
        route, _ = _openai(chaos, fault)
    else:
        with pytest.raises(exc) as info:
            _openai(chaos, fault)
        route = chaos.routes[f"POST {OAI}"]
        if isinstance(info.value, openai.APIStatusError):
            assert info.value.response.headers["x-request-id"].startswith("req_")
    assert route.call_count == calls
    assert route.faults_fired[fault] == calls


@pytest.mark.parametrize("fault", sorted(TABLE))
def test_anthropic_sdk_raises_its_own_exception(chaos, fault):
    _, _, exc, calls = TABLE[fault]
    if exc is None:
        route, _ = _anthropic(chaos, fault)
    else:
        with pytest.raises(exc):
            _anthropic(chaos, fault)
        route = chaos.routes[f"POST {ANT}"]
    assert route.call_count == calls


def test_openai_error_bodies_carry_the_real_codes(chaos):
    for fault, code in [
        ("context_length_exceeded", "context_length_exceeded"),
        ("insufficient_quota", "insufficient_quota"),
        ("model_not_found", "model_not_found"),
        ("rate_limit_error", "rate_limit_exceeded"),
    ]:
        with pytest.raises(openai.APIStatusError) as info:
            _openai(chaos, fault)
        assert info.value.code == code
    assert "gpt-4o-mini" in str(info.value)  # the rate-limit message names the model asked for


def test_insufficient_quota_is_retried_by_the_sdk_so_the_caller_must_not(chaos):
    # The real API sends no x-should-retry header with a quota 429: the SDK retries it twice
    # (exponential back-off, virtual), then raises. A caller that retries RateLimitError again
    # multiplies a permanent error; the test a service needs is `code == "insufficient_quota"`.
    t0 = chaos.elapsed
    with pytest.raises(openai.RateLimitError) as info:
        _openai(chaos, "insufficient_quota")
    assert info.value.code == "insufficient_quota"
    assert "x-should-retry" not in info.value.response.headers
    assert 0.75 <= chaos.elapsed - t0 <= 1.5  # two jittered back-offs of ~0.5 s and ~1 s
    no_retry = openai.OpenAI(api_key="sk-test", max_retries=0)
    route = chaos.routes[f"POST {OAI}"]
    with pytest.raises(openai.RateLimitError):
        no_retry.chat.completions.create(model="gpt-4o-mini", messages=MSGS)
    assert route.call_count == 4


def test_rate_limit_error_headers_drive_the_sdks_wait(chaos):
    t0 = chaos.elapsed
    with pytest.raises(anthropic.RateLimitError) as info:
        _anthropic(chaos, "rate_limit_error")
    headers = info.value.response.headers
    assert headers["retry-after"] == "2"
    assert headers["anthropic-ratelimit-tokens-remaining"] == "0"
    assert headers["anthropic-ratelimit-requests-reset"].endswith("Z")
    assert info.value.body["error"]["type"] == "rate_limit_error"
    assert chaos.elapsed - t0 == pytest.approx(4.0)  # retry-after: 2, honoured twice
    with pytest.raises(openai.RateLimitError) as oinfo:
        _openai(chaos, "rate_limit_error")
    assert oinfo.value.response.headers["x-ratelimit-remaining-tokens"] == "0"


def test_truncated_and_filtered_answers_say_why(chaos):
    _, cut = _openai(chaos, "max_tokens", max_tokens=7)
    assert cut.choices[0].finish_reason == "length"
    assert cut.choices[0].message.content == "Paris is the"
    assert cut.usage.completion_tokens == 7
    _, filtered = _openai(chaos, "content_filter")
    assert filtered.choices[0].finish_reason == "content_filter"
    assert filtered.choices[0].message.content is None
    _, refused = _anthropic(chaos, "content_filter")
    assert (refused.stop_reason, refused.content) == ("refusal", [])
    _, long = _anthropic(chaos, "max_tokens")
    assert long.stop_reason == "max_tokens" and long.content[0].text == "Paris is the"


def test_malformed_tool_arguments_do_not_parse(chaos):
    tools = [{"type": "function", "function": {"name": "web_search", "parameters": {}}}]
    _, reply = _openai(chaos, "bad_tool_arguments", tools=tools)
    [call] = reply.choices[0].message.tool_calls
    assert call.function.name == "web_search"  # the tool the request offered
    with pytest.raises(json.JSONDecodeError):
        json.loads(call.function.arguments)
    _, message = _anthropic(chaos, "bad_tool_arguments")
    assert message.content[0].type == "tool_use" and message.content[0].input == {}


def test_empty_choices_and_missing_usage(chaos):
    _, empty = _openai(chaos, "empty_choices")
    assert empty.choices == []
    with pytest.raises(IndexError):
        empty.choices[0]  # what a service that indexes choices[0] meets
    _, bare = _openai(chaos, "missing_usage")
    assert bare.usage is None and bare.choices[0].message.content
    _, nothing = _anthropic(chaos, "empty_choices")
    assert nothing.content == []


def test_stream_error_arrives_after_some_text(chaos):
    route = chaos.route("POST", OAI, json=chat_completion()).fault("stream_error_event")
    client = openai.OpenAI(api_key="sk-test")
    got = []

    def consume():
        for chunk in client.chat.completions.create(model="m", messages=MSGS, stream=True):
            got.append(chunk.choices[0].delta.content)

    with pytest.raises(openai.APIError, match="The server had an error"):
        consume()
    assert got == ["Paris is the"] and route.call_count == 1  # no retry once streaming began
    with pytest.raises(anthropic.APIStatusError) as info:
        _anthropic(chaos, "stream_error_event")
    assert info.value.body["error"]["type"] == "overloaded_error"


def test_stream_error_on_a_plain_request_is_the_overload_status(chaos):
    route = chaos.route("POST", ANT, json=anthropic_message()).fault("stream_error_event")
    with pytest.raises(anthropic.OverloadedError):
        anthropic.Anthropic(api_key="k").messages.create(model="m", max_tokens=5, messages=MSGS)
    assert route.call_count == 3  # retried like any 529


def test_healthy_bodies_are_realistic(chaos):
    chaos.route("POST", OAI, json=chat_completion("Bonjour.", model="gpt-4o", prompt_tokens=12))
    reply = openai.OpenAI(api_key="k").chat.completions.create(model="gpt-4o", messages=MSGS)
    assert (reply.model, reply.usage.prompt_tokens, reply.usage.completion_tokens) == (
        "gpt-4o",
        12,
        2,
    )
    chaos.route("POST", ANT, json=anthropic_message("Bonjour.", input_tokens=9, output_tokens=3))
    msg = anthropic.Anthropic(api_key="k").messages.create(model="x", max_tokens=9, messages=MSGS)
    assert (msg.usage.input_tokens, msg.usage.output_tokens, msg.content[0].text) == (
        9,
        3,
        "Bonjour.",
    )


@pytest.mark.asyncio
async def test_async_clients_see_the_same_faults(chaos):
    o = chaos.route("POST", OAI, json=chat_completion()).fault("overloaded_error", rate=1.0)
    a = chaos.route("POST", ANT, json=anthropic_message()).fault("overloaded_error")
    with pytest.raises(openai.InternalServerError):
        await openai.AsyncOpenAI(api_key="k").chat.completions.create(model="m", messages=MSGS)
    with pytest.raises(anthropic.OverloadedError):
        await anthropic.AsyncAnthropic(api_key="k").messages.create(
            model="m", max_tokens=5, messages=MSGS
        )
    assert (o.call_count, a.call_count) == (3, 3)


def test_llm_degraded_scenario_mixes_the_faults(chaos):
    assert "llm_degraded" in SCENARIOS and "overloaded" in describe_scenario("llm_degraded")
    route = chaos.route("POST", OAI, json=chat_completion()).scenario("llm_degraded")
    client = openai.OpenAI(api_key="k", max_retries=0)
    outcomes: dict[str, int] = {}
    for _ in range(300):
        try:
            reply = client.chat.completions.create(model="m", messages=MSGS)
            key = reply.choices[0].finish_reason if reply.choices else "no_choices"
            key = key if reply.usage is not None else "no_usage"
        except openai.APIStatusError as exc:
            key = type(exc).__name__
        outcomes[key] = outcomes.get(key, 0) + 1
    fired = route.faults_fired
    assert {"overloaded_error", "rate_limit_error", "max_tokens", "content_filter"} <= set(fired)
    assert outcomes["stop"] > 150  # mostly healthy
    assert outcomes["InternalServerError"] == fired["overloaded_error"]
    assert outcomes["length"] == fired["max_tokens"]
    assert chaos.elapsed > 100  # latency median 0.8 s per call, virtual


def test_llm_faults_are_http_only(chaos):
    wrapped = chaos.wrap(lambda: 1, name="vector_store")
    with pytest.raises(InvalidArgument, match=r"'overloaded_error' cannot happen to a wrapped"):
        wrapped.fault("overloaded_error")
    with pytest.raises(InvalidArgument, match=r"needs an HTTP route"):
        wrapped.scenario("llm_degraded")
    route = chaos.route("POST", OAI)
    with pytest.raises(InvalidArgument, match=r"Did you mean 'overloaded_error'"):
        route.fault("overloaded_errors")
