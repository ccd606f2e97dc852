"""Tokens read from response bodies: each body's own usage, however often it repeats."""

from __future__ import annotations

import json

import httpx

from pytest_prodreal.operations import _cost


def body(model: str, tin: int, tout: int, pad: str = "") -> bytes:
    usage = {"prompt_tokens": tin, "completion_tokens": tout}
    return json.dumps({"model": model, "usage": usage, "pad": pad}).encode()


def test_each_body_gives_its_own_usage_however_often_it_repeats() -> None:
    a = httpx.Response(200, content=body("gpt-4o-mini", 10, 2))
    b = httpx.Response(200, content=body("claude-3-haiku", 7, 5))
    for _ in range(3):  # parsed once, then served again: the same figures
        assert _cost.usage_of(a) == ("gpt-4o-mini", 10, 2)
        assert _cost.usage_of(b) == ("claude-3-haiku", 7, 5)
    assert _cost.usage_of(httpx.Response(200, content=b"not json, no usage")) is None
    assert _cost.usage_of(httpx.Response(200, content=b'{"usage": ')) is None  # broken JSON


def test_large_bodies_are_read_but_not_kept() -> None:
    big = body("gpt-4o", 3, 4, pad="x" * (_cost._USAGE_CACHE_BODY_MAX + 1))
    assert _cost.usage_of(httpx.Response(200, content=big)) == ("gpt-4o", 3, 4)
    assert big not in _cost._USAGE_CACHE
