"""Named scenarios: realistic fault mixes that parametrize well.

Each scenario adds rules to a route (they compose with what the route already has). The figures
are round numbers chosen to resemble a bad day for a hosted API, not measurements of any one.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument

if TYPE_CHECKING:
    from ._route import Target

__all__ = ["SCENARIOS", "apply_scenario", "check_scenario", "describe_scenario"]

#: The scenario names, in a stable order: ``@pytest.mark.parametrize("scenario", SCENARIOS)``.
SCENARIOS: tuple[str, ...] = (
    "brownout",
    "outage",
    "rate_limited",
    "token_expiry",
    "flaky_network",
    "bad_payloads",
    "llm_degraded",
)

_DESCRIPTIONS = {
    "brownout": "slow and failing: log-normal latency (median 1 s, p99 12 s), 15% 503, "
    "5% read timeouts",
    "outage": "every call fails (503; connection refused for callables) for `duration` "
    "virtual seconds (default 120) from `start` (default 0), then recovers",
    "rate_limited": "30% of calls get 429 with Retry-After: 2 (option retry_after=, header=)",
    "token_expiry": "bearer tokens from `token_url` (default <origin>/oauth/token) expire "
    "after `ttl` virtual seconds (default 60); expired tokens get 401",
    "flaky_network": "latency (median 50 ms, p99 1.5 s), 8% connection resets, 4% refused, "
    "3% connect timeouts",
    "bad_payloads": "6% each of malformed, truncated and empty JSON, HTML error pages and a "
    "wrong content type",
    "llm_degraded": "an LLM API on a bad day (chaos/llm.py): latency (median 0.8 s, p99 8 s), "
    "6% overloaded, 6% rate-limited (retry-after 2 s), 5% truncated (max tokens), 3% malformed "
    "tool-call JSON, 3% missing usage, 2% each content filter, empty choices, context length",
}
_HTTP_ONLY = ("rate_limited", "token_expiry", "bad_payloads", "llm_degraded")


#: The ``llm_degraded`` mix: transient trouble and bad answers, not permanent configuration errors
#: (``insufficient_quota``, ``model_not_found``) nor stream faults (a non-streamed call would get
#: an SSE body); add those with ``fault(...)`` where a test wants them.
_LLM_DEGRADED = (
    ("overloaded_error", 0.06),
    ("rate_limit_error", 0.06),
    ("max_tokens", 0.05),
    ("bad_tool_arguments", 0.03),
    ("missing_usage", 0.03),
    ("content_filter", 0.02),
    ("empty_choices", 0.02),
    ("context_length_exceeded", 0.02),
)


def check_scenario(name: object) -> str:
    """Return ``name`` if it is a scenario, else raise ``InvalidArgument`` with a suggestion."""
    if isinstance(name, str) and name in SCENARIOS:
        return name
    close = difflib.get_close_matches(str(name), SCENARIOS, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise InvalidArgument(f"unknown chaos scenario {name!r}.{hint} Known: {', '.join(SCENARIOS)}")


def describe_scenario(name: str) -> str:
    """One sentence on what the scenario injects."""
    return _DESCRIPTIONS[check_scenario(name)]


def apply_scenario(route: Target, name: str, **options: Any) -> None:
    """Add scenario ``name``'s faults to ``route``."""
    from ._route import CallableRoute

    check_scenario(name)
    is_http = not isinstance(route, CallableRoute)
    if name in _HTTP_ONLY and not is_http:
        raise InvalidArgument(
            f"scenario {name!r} needs an HTTP route; wrapped callables take brownout, outage "
            "or flaky_network"
        )
    allowed = {
        "outage": {"start", "duration"},
        "rate_limited": {"retry_after", "header", "rate"},
        "token_expiry": {"token_url", "ttl"},
    }.get(name, set())
    unknown = set(options) - allowed
    if unknown:
        raise InvalidArgument(
            f"scenario {name!r} takes no option(s) {', '.join(sorted(unknown))}; "
            f"it takes: {', '.join(sorted(allowed)) or 'none'}"
        )
    for key in ("start", "duration", "retry_after", "ttl", "rate"):
        if key in options:
            value = options[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise InvalidArgument(
                    f"scenario {name!r}: {key}={value!r} must be a number >= 0 "
                    f"({'a rate between 0 and 1' if key == 'rate' else 'virtual seconds'})"
                )
    if name == "brownout":
        route.latency(median=1.0, p99=12.0)
        route.fault(503 if is_http else "connection_reset", 0.15)
        route.fault("read_timeout", 0.05)
    elif name == "outage":
        start = float(options.get("start", 0.0))
        route.outage(start, start + float(options.get("duration", 120.0)))
    elif name == "flaky_network":
        route.latency(median=0.05, p99=1.5)
        route.fault("connection_reset", 0.08)
        route.fault("connect_refused", 0.04)
        route.fault("connect_timeout", 0.03)
    else:
        from ._http import HttpRoute

        assert isinstance(route, HttpRoute)
        if name == "rate_limited":
            route.rate_limit(
                options.get("retry_after", 2.0),
                rate=options.get("rate", 0.3),
                header=options.get("header", "seconds"),
            )
        elif name == "llm_degraded":
            route.latency(median=0.8, p99=8.0)
            for kind, rate in _LLM_DEGRADED:
                route.fault(kind, rate)
        elif name == "token_expiry":
            token_url = options.get("token_url") or route.origin() + "/oauth/token"
            route.token_expiry(token_url, ttl=options.get("ttl", 60.0))
        else:
            for kind in ("malformed_json", "truncated_json", "empty", "html_error"):
                route.fault(kind, 0.06)
            route.fault("wrong_content_type", 0.06)
