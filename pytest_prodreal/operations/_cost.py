"""Tokens and cost: read from the ``usage`` of LLM responses, priced by the user's table.

OpenAI responses carry ``usage.prompt_tokens``/``completion_tokens``, Anthropic's
``usage.input_tokens``/``output_tokens``; both name the ``model``. Prices are USD per million
tokens (the unit of the providers' price pages): ``{"gpt-4o-mini": {"input": 0.15, "output":
0.6}}`` or ``{"gpt-4o-mini": (0.15, 0.6)}``. A response's model matches a table key exactly, or
else the longest key it starts with (``gpt-4o-mini-2024-07-18`` is priced as ``gpt-4o-mini``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .._kit import validate as _v
from ..errors import InvalidArgument

__all__ = ["Prices", "Usage", "check_prices", "usage_of"]

#: model -> (USD per million input tokens, USD per million output tokens)
Prices = dict[str, tuple[float, float]]
#: (model or None, input tokens, output tokens)
Usage = tuple[str | None, int, int]


def check_prices(where: str, prices: object) -> Prices | None:
    """Validate a price table (``None`` stays ``None``)."""
    if prices is None:
        return None
    if not isinstance(prices, Mapping) or not prices:
        raise InvalidArgument(
            f"{where}: prices={prices!r} must be a non-empty dict of model -> "
            '{"input": USD per 1M tokens, "output": USD per 1M tokens}'
        )
    table: Prices = {}
    for model, price in prices.items():
        if isinstance(price, Mapping):
            pair = (price.get("input"), price.get("output"))
        elif isinstance(price, (tuple, list)) and len(price) == 2:
            pair = (price[0], price[1])
        else:
            raise InvalidArgument(
                f"{where}: prices[{model!r}]={price!r} must be "
                '{"input": USD per 1M tokens, "output": USD per 1M tokens} or (input, output)'
            )
        table[str(model)] = (
            _v.non_negative_number(where, f"prices[{model!r}] input", pair[0]),
            _v.non_negative_number(where, f"prices[{model!r}] output", pair[1]),
        )
    return table


def price_key(prices: Prices, model: str) -> str | None:
    """The table key pricing ``model`` (exact, else the longest prefix), or ``None``."""
    if model in prices:
        return model
    best = max((k for k in prices if model.startswith(k)), key=len, default=None)
    return best


def _from_mapping(data: Mapping[str, Any]) -> Usage | None:
    usage = data.get("usage")
    if not isinstance(usage, Mapping):
        return None
    tin = usage.get("prompt_tokens", usage.get("input_tokens", 0))
    tout = usage.get("completion_tokens", usage.get("output_tokens", 0))
    model = data.get("model")
    return (
        str(model) if model is not None else None,
        tin if isinstance(tin, int) else 0,
        tout if isinstance(tout, int) else 0,
    )


# Parsed usage by response body. A chaos route mostly serves the same few bodies, so a soak
# parses each once instead of once per call (the parse was a third of the runner's own cost
# per request). Bounded in entries and body size: bodies that vary (a fake echoing the prompt)
# stop being cached, and large ones are never kept.
_USAGE_CACHE: dict[bytes, Usage | None] = {}
_USAGE_CACHE_MAX = 512
_USAGE_CACHE_BODY_MAX = 16_384


def usage_of(response: Any) -> Usage | None:
    """The usage in one chaos response (an HTTP response, a dict or an SDK object), if any."""
    if response is None:
        return None
    content = getattr(response, "content", None)
    if isinstance(content, (bytes, bytearray)):
        if b'"usage"' not in content:  # most responses: no JSON parse at all
            return None
        key = bytes(content)
        if key in _USAGE_CACHE:
            return _USAGE_CACHE[key]
        try:
            data = json.loads(content)
        except ValueError:
            found = None
        else:
            found = _from_mapping(data) if isinstance(data, Mapping) else None
        if len(_USAGE_CACHE) < _USAGE_CACHE_MAX and len(key) <= _USAGE_CACHE_BODY_MAX:
            _USAGE_CACHE[key] = found
        return found
    if isinstance(response, Mapping):
        return _from_mapping(response)
    usage = getattr(response, "usage", None)
    if usage is None:
        return None
    tin = getattr(usage, "prompt_tokens", None) or getattr(usage, "input_tokens", 0) or 0
    tout = getattr(usage, "completion_tokens", None) or getattr(usage, "output_tokens", 0) or 0
    model = getattr(response, "model", None)
    return (str(model) if model is not None else None, int(tin), int(tout))
