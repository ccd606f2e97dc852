"""LLM API faults that fail the way the providers really fail, and realistic healthy bodies.

Each fault answers with the provider's own status code, headers and error body, so the official
SDKs raise their own exception classes (``openai.BadRequestError``, ``anthropic.OverloadedError``
...) and apply their own retry policy. The provider is read from the request: a path ending in
``/messages`` is Anthropic's Messages API, anything else OpenAI's Chat Completions shape (also
what OpenAI-compatible servers speak). Use the names like any other fault::

    llm = chaos.route("POST", "https://api.openai.com/v1/chat/completions",
                      json=chat_completion("Paris."))
    llm.fault("context_length_exceeded", rate=0.1).fault("max_tokens", rate=0.1)

or all at once with the ``llm_degraded`` scenario. The fault names (:data:`LLM_FAULTS`):

``context_length_exceeded``, ``insufficient_quota``, ``model_not_found``, ``content_filter``,
``max_tokens``, ``bad_tool_arguments``, ``empty_choices``, ``missing_usage``,
``overloaded_error``, ``rate_limit_error``, ``stream_error_event``.

Healthy bodies: :func:`chat_completion` and :func:`anthropic_message` build realistic responses
(``model``, ``usage`` token counts), so cost accounting reads real-looking fields.

Library layer: no pytest; httpx is imported only when a fault answers a request.
"""

from __future__ import annotations

import copy
import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._faults import Outcome
    from ._http import HttpRoute
    from ._log import ChaosCall
    from ._route import Rule

__all__ = ["LLM_FAULTS", "anthropic_message", "chat_completion", "llm_outcome"]

#: Every LLM fault name, in a stable order (each is also a row of the fault table).
LLM_FAULTS: tuple[str, ...] = (
    "context_length_exceeded",
    "insufficient_quota",
    "model_not_found",
    "content_filter",
    "max_tokens",
    "bad_tool_arguments",
    "empty_choices",
    "missing_usage",
    "overloaded_error",
    "rate_limit_error",
    "stream_error_event",
)

#: One line per fault for the fault table and docs.
LLM_DOCS: dict[str, str] = {
    "context_length_exceeded": "400 `context_length_exceeded` (OpenAI) / `prompt is too long` "
    "(Anthropic)",
    "insufficient_quota": "OpenAI 429 `insufficient_quota` (the SDK retries it) / Anthropic 400 "
    "credit balance too low",
    "model_not_found": "404 `model_not_found` (OpenAI) / `not_found_error` (Anthropic), naming "
    "the requested model",
    "content_filter": '200 with `finish_reason: "content_filter"` (OpenAI) / `stop_reason: '
    '"refusal"` (Anthropic), no text',
    "max_tokens": '200 with the answer cut in half and `finish_reason: "length"` / '
    '`stop_reason: "max_tokens"`',
    "bad_tool_arguments": "200 with a tool call whose `arguments` JSON does not parse (OpenAI) "
    "/ a `tool_use` with empty `input` (Anthropic)",
    "empty_choices": "200 with `choices: []` (OpenAI) / `content: []` (Anthropic)",
    "missing_usage": "200 with no `usage` field",
    "overloaded_error": "Anthropic 529 `overloaded_error` / OpenAI 503 engine overloaded",
    "rate_limit_error": "429 with the provider's rate-limit body, `retry-after: 2` and "
    "`x-ratelimit-*` / `anthropic-ratelimit-*` headers",
    "stream_error_event": "a streamed answer that stops half-way with the provider's SSE error "
    "event (`overloaded_error`); a non-streamed request gets `overloaded_error`",
}

_OPENAI_MODEL = "gpt-4o-mini-2024-07-18"
_ANTHROPIC_MODEL = "claude-sonnet-4-5-20250929"


def _tokens(text: str) -> int:
    """A rough token count (about four characters a token), never zero."""
    return max(1, len(text) // 4)


def chat_completion(
    content: str = "Paris is the capital of France.",
    *,
    model: str = _OPENAI_MODEL,
    prompt_tokens: int = 25,
    completion_tokens: int | None = None,
    finish_reason: str = "stop",
    tool_calls: list[dict[str, Any]] | None = None,
    id: str = "chatcmpl-prodreal0001",
    created: int = 1_767_225_600,
) -> dict[str, Any]:
    """A realistic OpenAI Chat Completions body (``model``, ``usage`` token counts included)."""
    out = _tokens(content) if completion_tokens is None else completion_tokens
    message: dict[str, Any] = {
        "role": "assistant",
        "content": content,
        "refusal": None,
        "annotations": [],
    }
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": out,
            "total_tokens": prompt_tokens + out,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        },
        "service_tier": "default",
        "system_fingerprint": "fp_prodreal",
    }


def anthropic_message(
    text: str = "Paris is the capital of France.",
    *,
    model: str = _ANTHROPIC_MODEL,
    input_tokens: int = 25,
    output_tokens: int | None = None,
    stop_reason: str = "end_turn",
    id: str = "msg_01ProdrealChaos0001",
) -> dict[str, Any]:
    """A realistic Anthropic Messages body (``model``, ``usage`` token counts included)."""
    out = _tokens(text) if output_tokens is None else output_tokens
    return {
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": out,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


# -- reading the request and the healthy body ----------------------------------------------------


def _request_json(request: Any) -> dict[str, Any]:
    try:
        data = json.loads(request.content or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _is_anthropic(request: Any) -> bool:
    return str(request.url.path).rstrip("/").endswith("/messages")


def _base(route: HttpRoute, anthropic: bool, model: str | None) -> dict[str, Any]:
    """The route's healthy body when it is this provider's shape, else a realistic one."""
    try:
        body = json.loads(route.body) if route.body else None
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict):
        if anthropic and body.get("type") == "message":
            return copy.deepcopy(body)
        if not anthropic and isinstance(body.get("choices"), list) and body["choices"]:
            return copy.deepcopy(body)
    if anthropic:
        return anthropic_message(model=model or _ANTHROPIC_MODEL)
    return chat_completion(model=model or _OPENAI_MODEL)


def _response(request: Any, status: int, body: Any, headers: dict[str, str] | None = None) -> Any:
    import httpx

    hdrs = {"content-type": "application/json", **(headers or {})}
    return httpx.Response(status, headers=hdrs, content=json.dumps(body).encode(), request=request)


def _openai_error(message: str, kind: str, code: str | None, param: str | None = None) -> Any:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _anthropic_error(kind: str, message: str) -> Any:
    return {"type": "error", "error": {"type": kind, "message": message}}


def _request_id(anthropic: bool, n: int) -> dict[str, str]:
    if anthropic:
        return {"request-id": f"req_011Prodreal{n:08d}"}
    return {"x-request-id": f"req_prodreal{n:08d}"}


# -- the faults -----------------------------------------------------------------------------------


def llm_outcome(name: str, route: HttpRoute, call: ChaosCall, request: Any, rule: Rule) -> Outcome:
    """The fault table's HTTP behaviour for LLM fault ``name`` (after the call's latency)."""
    from ._faults import Outcome

    anthropic = _is_anthropic(request)
    sent = _request_json(request)
    model = sent.get("model") if isinstance(sent.get("model"), str) else None
    ids = _request_id(anthropic, call.index)
    builder = _BUILDERS[name]
    response = builder(route, request, anthropic, sent, model, ids)
    return Outcome(call.latency, response=response)


def _context_length(
    route: Any, request: Any, anthropic: bool, sent: Any, model: Any, ids: Any
) -> Any:
    if anthropic:
        body = _anthropic_error(
            "invalid_request_error", "prompt is too long: 208451 tokens > 200000 maximum"
        )
        return _response(request, 400, body, ids)
    message = (
        "This model's maximum context length is 128000 tokens. However, your messages resulted "
        "in 131072 tokens. Please reduce the length of the messages."
    )
    body = _openai_error(message, "invalid_request_error", "context_length_exceeded", "messages")
    return _response(request, 400, body, ids)


def _insufficient_quota(
    route: Any, request: Any, anthropic: bool, sent: Any, model: Any, ids: Any
) -> Any:
    if anthropic:
        message = (
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
            "Billing to upgrade or purchase credits."
        )
        return _response(request, 400, _anthropic_error("invalid_request_error", message), ids)
    # As the real API: a 429 with no x-should-retry header, so the SDK retries it like a rate
    # limit (the classic trap); the fix belongs in the caller (check `code`).
    message = (
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, read the docs: "
        "https://platform.openai.com/docs/guides/error-codes/api-errors."
    )
    body = _openai_error(message, "insufficient_quota", "insufficient_quota")
    return _response(request, 429, body, ids)


def _model_not_found(
    route: Any, request: Any, anthropic: bool, sent: Any, model: Any, ids: Any
) -> Any:
    asked = model or ("claude-unknown" if anthropic else "gpt-unknown")
    if anthropic:
        return _response(request, 404, _anthropic_error("not_found_error", f"model: {asked}"), ids)
    message = f"The model `{asked}` does not exist or you do not have access to it."
    body = _openai_error(message, "invalid_request_error", "model_not_found")
    return _response(request, 404, body, ids)


def _content_filter(
    route: Any, request: Any, anthropic: bool, sent: Any, model: Any, ids: Any
) -> Any:
    body = _base(route, anthropic, model)
    if anthropic:
        body["content"], body["stop_reason"] = [], "refusal"
        body["usage"]["output_tokens"] = 0
    else:
        choice = body["choices"][0]
        choice["finish_reason"] = "content_filter"
        choice["message"]["content"] = None
        body["usage"]["completion_tokens"] = 0
        body["usage"]["total_tokens"] = body["usage"]["prompt_tokens"]
    return _response(request, 200, body, ids)


def _cut(text: str) -> str:
    words = text.split(" ")
    return " ".join(words[: max(1, len(words) // 2)])


def _max_tokens(route: Any, request: Any, anthropic: bool, sent: Any, model: Any, ids: Any) -> Any:
    body = _base(route, anthropic, model)
    limit = sent.get("max_tokens") or sent.get("max_completion_tokens")
    if anthropic:
        for block in body.get("content") or []:
            if block.get("type") == "text":
                block["text"] = _cut(block["text"])
        body["stop_reason"] = "max_tokens"
        if isinstance(limit, int):
            body["usage"]["output_tokens"] = limit
    else:
        choice = body["choices"][0]
        choice["finish_reason"] = "length"
        if isinstance(choice["message"].get("content"), str):
            choice["message"]["content"] = _cut(choice["message"]["content"])
        usage = body.get("usage")
        if isinstance(limit, int) and isinstance(usage, dict):
            usage["completion_tokens"] = limit
            usage["total_tokens"] = usage.get("prompt_tokens", 0) + limit
    return _response(request, 200, body, ids)


def _tool_name(sent: dict[str, Any]) -> str:
    tools = sent.get("tools")
    if isinstance(tools, list) and tools and isinstance(tools[0], dict):
        first = tools[0]
        fn = first.get("function")
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            return str(fn["name"])
        if isinstance(first.get("name"), str):
            return str(first["name"])
    return "search"


def _bad_tool_arguments(
    route: Any, request: Any, anthropic: bool, sent: Any, model: Any, ids: Any
) -> Any:
    body = _base(route, anthropic, model)
    name = _tool_name(sent)
    if anthropic:
        body["content"] = [
            {"type": "tool_use", "id": "toolu_01ProdrealChaos", "name": name, "input": {}}
        ]
        body["stop_reason"] = "tool_use"
    else:
        choice = body["choices"][0]
        choice["finish_reason"] = "tool_calls"
        choice["message"]["content"] = None
        # What models really emit now and then: a JSON object cut short, a trailing comma.
        arguments = '{"query": "capital of France", "limit": 5,'
        choice["message"]["tool_calls"] = [
            {
                "id": "call_prodrealchaos01",
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
        ]
    return _response(request, 200, body, ids)


def _empty_choices(
    route: Any, request: Any, anthropic: bool, sent: Any, model: Any, ids: Any
) -> Any:
    body = _base(route, anthropic, model)
    if anthropic:
        body["content"] = []
    else:
        body["choices"] = []
    return _response(request, 200, body, ids)


def _missing_usage(
    route: Any, request: Any, anthropic: bool, sent: Any, model: Any, ids: Any
) -> Any:
    body = _base(route, anthropic, model)
    body.pop("usage", None)
    return _response(request, 200, body, ids)


def _overloaded(route: Any, request: Any, anthropic: bool, sent: Any, model: Any, ids: Any) -> Any:
    if anthropic:
        return _response(request, 529, _anthropic_error("overloaded_error", "Overloaded"), ids)
    body = _openai_error(
        "The engine is currently overloaded, please try again later", "server_error", None
    )
    return _response(request, 503, body, ids)


def _rfc3339(seconds_from_now: float) -> str:
    # time.time() is the virtual wall clock while a chaos clock runs.
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds_from_now))


def _rate_limit(route: Any, request: Any, anthropic: bool, sent: Any, model: Any, ids: Any) -> Any:
    if anthropic:
        headers = {
            "retry-after": "2",
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": _rfc3339(2),
            "anthropic-ratelimit-input-tokens-limit": "30000",
            "anthropic-ratelimit-input-tokens-remaining": "0",
            "anthropic-ratelimit-input-tokens-reset": _rfc3339(2),
            "anthropic-ratelimit-output-tokens-limit": "8000",
            "anthropic-ratelimit-output-tokens-remaining": "8000",
            "anthropic-ratelimit-output-tokens-reset": _rfc3339(2),
            "anthropic-ratelimit-tokens-limit": "38000",
            "anthropic-ratelimit-tokens-remaining": "0",
            "anthropic-ratelimit-tokens-reset": _rfc3339(2),
            **ids,
        }
        message = (
            "This request would exceed the rate limit for your organization of 30,000 input "
            "tokens per minute. For details, refer to: "
            "https://docs.claude.com/en/api/rate-limits."
        )
        return _response(request, 429, _anthropic_error("rate_limit_error", message), headers)
    headers = {
        "retry-after": "2",
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": "499",
        "x-ratelimit-reset-requests": "120ms",
        "x-ratelimit-limit-tokens": "30000",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": "2s",
        **ids,
    }
    message = (
        f"Rate limit reached for {model or _OPENAI_MODEL} in organization org-prodreal on tokens "
        "per min (TPM): Limit 30000, Used 30000, Requested 1200. Please try again in 2s. Visit "
        "https://platform.openai.com/account/rate-limits to learn more."
    )
    body = _openai_error(message, "tokens", "rate_limit_exceeded")
    return _response(request, 429, body, headers)


def _sse(event: str | None, data: Any) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def _stream_error(
    route: Any, request: Any, anthropic: bool, sent: Any, model: Any, ids: Any
) -> Any:
    import httpx

    if sent.get("stream") is not True:
        # A non-streamed request has no "mid-stream": the same overload arrives as its status.
        return _overloaded(route, request, anthropic, sent, model, ids)
    body = _base(route, anthropic, model)
    if anthropic:
        text = "".join(b.get("text", "") for b in body.get("content") or [] if isinstance(b, dict))
        start = {**body, "content": [], "stop_reason": None}
        start["usage"] = {**body.get("usage", {}), "output_tokens": 1}
        events = [
            _sse("message_start", {"type": "message_start", "message": start}),
            _sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            _sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": _cut(text or "Paris is")},
                },
            ),
            _sse("error", _anthropic_error("overloaded_error", "Overloaded")),
        ]
    else:
        text = body["choices"][0]["message"].get("content") or "Paris is"
        chunk = {
            "id": body.get("id", "chatcmpl-prodreal"),
            "object": "chat.completion.chunk",
            "created": body.get("created", 0),
            "model": body.get("model", model or _OPENAI_MODEL),
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": _cut(text)},
                    "finish_reason": None,
                }
            ],
        }
        error = _openai_error(
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
        )
        events = [_sse(None, chunk), _sse(None, error)]
    headers = {"content-type": "text/event-stream; charset=utf-8", **ids}
    return httpx.Response(200, headers=headers, content=b"".join(events), request=request)


_BUILDERS: dict[str, Any] = {
    "context_length_exceeded": _context_length,
    "insufficient_quota": _insufficient_quota,
    "model_not_found": _model_not_found,
    "content_filter": _content_filter,
    "max_tokens": _max_tokens,
    "bad_tool_arguments": _bad_tool_arguments,
    "empty_choices": _empty_choices,
    "missing_usage": _missing_usage,
    "overloaded_error": _overloaded,
    "rate_limit_error": _rate_limit,
    "stream_error_event": _stream_error,
}
assert tuple(_BUILDERS) == LLM_FAULTS
