"""Argument checks for HTTP routes: patterns no client could send, bad healthy answers.

Separate from ``_http`` so the one-line ``InvalidArgument`` messages live together.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from .._kit.validate import suggest
from ..errors import InvalidArgument

__all__ = ["check_headers", "check_route_args", "healthy_body"]

_PATTERNS = ("method", "headers", "cookies", "scheme", "host", "port", "path", "params", "url",
             "content", "data", "files", "json")  # fmt: skip
_LOOKUPS = ("eq", "regex", "startswith", "contains", "in")


def healthy_body(
    where: str, status: object, json: Any, text: Any, content: Any, respond: Any
) -> tuple[bytes, str | None]:
    """Validate a healthy answer; return its body and content type."""
    given = sum(x is not None for x in (json, text, content, respond))
    if given > 1:
        raise InvalidArgument(f"{where}: pass at most one of json=, text=, content=, respond=")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise InvalidArgument(f"{where}: status={status!r} must be an HTTP status (100-599)")
    if respond is not None and not callable(respond):
        raise InvalidArgument(
            f"{where}: respond={respond!r} must be a function respond(request) -> "
            "httpx.Response; for a fixed answer pass json=, text= or content="
        )
    if json is not None:
        try:
            return jsonlib.dumps(json).encode(), "application/json"
        except (TypeError, ValueError) as exc:
            raise InvalidArgument(f"{where}: json= is not JSON-serialisable ({exc})") from None
    if text is not None:
        if not isinstance(text, str):
            raise InvalidArgument(f"{where}: text={text!r} must be a str (bytes: content=)")
        return text.encode(), "text/plain; charset=utf-8"
    if content is not None:
        if not isinstance(content, (bytes, bytearray)):
            raise InvalidArgument(f"{where}: content={content!r} must be bytes (a str: text=)")
        return bytes(content), None
    return b"", None


def check_headers(where: str, headers: object) -> dict[Any, Any]:
    """Validate a healthy answer's ``headers``: a dict (or list of pairs) of str to str."""
    if headers is None:
        return {}
    fix = "pass a dict of header names to str values, such as {'retry-after': '2'}"
    pairs: list[Any]
    if isinstance(headers, Mapping):
        pairs = list(headers.items())
    elif isinstance(headers, Iterable) and not isinstance(headers, (str, bytes, bytearray)):
        pairs = list(headers)
        if not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs):
            raise InvalidArgument(f"{where}: headers={headers!r} must be a dict: {fix}")
    else:
        raise InvalidArgument(f"{where}: headers={headers!r} must be a dict: {fix}")
    for key, value in pairs:
        if not isinstance(key, (str, bytes)):
            raise InvalidArgument(
                f"{where}: header name {key!r} ({type(key).__name__}) must be a str: {fix}"
            )
        if not isinstance(value, (str, bytes)):
            raise InvalidArgument(
                f"{where}: header {key!r} has the value {value!r} ({type(value).__name__}); "
                f"header values must be str: write {str(value)!r}"
            )
    return dict(pairs)


def check_route_args(
    method: object, url: object, respond: object, patterns: dict[str, Any]
) -> None:
    """Raise ``InvalidArgument`` for a route no client could ever send, naming the argument."""
    if method is not None and (not isinstance(method, str) or not method.isalpha()):
        raise InvalidArgument(
            f"chaos.route: method={method!r} must be an HTTP method such as 'GET' or 'POST' "
            "(or None for any method)"
        )
    if url is not None:
        parsed = None
        if isinstance(url, str):
            try:
                parsed = httpx.URL(url)
            except Exception:  # httpx.InvalidURL and friends
                parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise InvalidArgument(
                f"chaos.route: url={url!r} is not an http(s) URL: write it in full, such as "
                "'https://api.test/v1/items', or match loosely with host=, path__startswith= "
                "or url__regex="
            )
    for key in patterns:
        name, _, lookup = key.partition("__")
        if name not in _PATTERNS or (lookup and lookup not in _LOOKUPS):
            known = [*_PATTERNS, *(f"{p}__{x}" for p in ("url", "path", "host") for x in _LOOKUPS)]
            raise InvalidArgument(
                f"chaos.route: unknown pattern {key}=.{suggest(key, known)} Patterns are "
                f"respx's: {', '.join(_PATTERNS)}, each optionally with __{'/__'.join(_LOOKUPS)}"
            )
