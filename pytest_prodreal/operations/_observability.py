"""``observability``: every handled fault, fallback, retry and zero-hit retrieval left a trace.

A fault the service handled (the request still returned) is invisible to its users, which is
the point, and to its operators, which is the risk: a brownout absorbed by retries and
fallbacks in silence is found when the budget is gone. For each request of a soak that met
something worth telling (a fault fired on a chaos route, a retry, a fallback, a retrieval that
found nothing), at least one trace must have been left *during that request*: a log record at
WARNING or above (stdlib logging; structlog when it is imported), an OpenTelemetry span event or
error status (SDK tracer provider), or a :func:`~pytest_prodreal.operations.signal` call. The
converse, ERROR logs in requests where nothing went wrong, is reported as noise.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .._kit import CheckResult, conclude
from .._kit import validate as _v
from ..errors import InvalidArgument
from ..evidence import FigureValue
from ._args import known_keywords
from ._result import Request, SoakResult

__all__ = ["ObservabilityResult", "SilentFailure", "check_observability", "zero_hits"]

_HIT_KEYS = ("hits", "results", "matches", "documents")


def zero_hits(call: Any) -> bool:
    """The default zero-hit detector: a 2xx JSON answer with an empty list of hits.

    The list is ``hits`` (or ``results``, ``matches``, ``documents``; Elasticsearch's
    ``hits.hits``).
    """
    response = getattr(call, "response", None)
    content = getattr(response, "content", None)
    if call.fault is not None or not isinstance(content, (bytes, bytearray)):
        return False
    if not 200 <= int(getattr(response, "status_code", 0) or 0) < 300:
        return False
    if not any(k.encode() in content for k in _HIT_KEYS):
        return False
    try:
        data = json.loads(content)
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    for key in _HIT_KEYS:
        value = data.get(key)
        if isinstance(value, dict):
            value = value.get("hits")
        if isinstance(value, list):
            return not value
    return False


@dataclass(frozen=True)
class SilentFailure:
    """A request that met something worth telling and left no trace."""

    request: Request
    what: tuple[str, ...]

    def line(self) -> str:
        """``request #3 ('q') at t=12.000s: fault http_503 on route 'llm', retry on 'llm'``."""
        return f"{self.request.label()}: {', '.join(self.what)}, and no WARNING+ log or signal"


@dataclass(frozen=True)
class ObservabilityResult(CheckResult):
    """What :func:`check_observability` found: the silent requests and the noisy ones."""

    silent: tuple[SilentFailure, ...] = ()
    noise: tuple[Request, ...] = ()
    observed: int = 0


def _items(req: Request, zero_hit: Callable[[Any], bool]) -> list[str]:
    items = [f"fault {c.fault} on route {c.route!r}" for c in req.calls if c.fault is not None]
    items += [f"retry on route {c.route!r}" for c in req.retry_calls()]
    items += [f"zero-hit retrieval on route {c.route!r}" for c in req.calls if zero_hit(c)]
    if req.outcome == "fallback":
        items.append("a fallback returned")
    return list(dict.fromkeys(items))


@known_keywords()
def check_observability(
    result: SoakResult | Iterable[Request],
    *,
    zero_hit: Callable[[Any], bool] | None = None,
    max_noise: int | None = None,
    check: str = "check_observability",
) -> ObservabilityResult:
    """Fail naming each request where handled trouble left no trace.

    Trouble is a fault fired on a chaos route, a retry, a fallback or a zero-hit retrieval; a
    trace is a WARNING+ log, an OpenTelemetry span event or error status, or ``signal()``.

    Requests that raised are skipped (their error reaches the caller). ``zero_hit(call)``
    decides whether a chaos call was a retrieval that found nothing (default :func:`zero_hits`).
    Requests that logged at ERROR with nothing wrong are *noise*: reported, and a failure when
    there are more than ``max_noise`` (default: report only). Records ``observability``
    evidence; with nothing to observe it records nothing and warns.
    """
    __tracebackhide__ = True
    where = check
    if isinstance(result, SoakResult):
        requests = result.requests
        virtual_s = result.virtual_s
    elif isinstance(result, Iterable) and not isinstance(result, (str, bytes)):
        requests = list(result)
        virtual_s = max((q.end for q in requests), default=0.0)
    else:
        raise InvalidArgument(
            f"{where}: result must be a SoakResult (or Requests), got {type(result).__name__}"
        )
    detect = zero_hits if zero_hit is None else _v.callable_arg(where, "zero_hit", zero_hit)
    noise_cap = None if max_noise is None else _v.non_negative_number(where, "max_noise", max_noise)
    silent: list[SilentFailure] = []
    noise: list[Request] = []
    observed = faults = 0
    for req in requests:
        if req.outcome == "error":
            continue
        items = _items(req, detect)
        traced = bool(req.logs or req.signals)
        if items:
            observed += 1
            faults += sum(1 for c in req.calls if c.fault is not None)
            if not traced:
                silent.append(SilentFailure(req, tuple(items)))
        elif any(e.level >= logging.ERROR for e in req.logs):
            noise.append(req)
    held = not silent and (noise_cap is None or len(noise) <= noise_cap)
    figures: dict[str, FigureValue] = {
        "requests": len(requests),
        "virtual_s": round(virtual_s, 3),
        "route_calls": sum(len(q.calls) for q in requests),
        "requests_to_tell": observed,
        "faults_handled": faults,
        "silent_failures": len(silent),
        "noisy_requests": len(noise),
    }
    summary = (
        f"{observed - len(silent)}/{observed} requests that met a fault, retry, fallback or "
        f"zero-hit retrieval left a trace; {len(noise)} noisy"
    )
    explanation = ""
    if not held:
        parts = []
        if silent:
            shown = "; ".join(s.line() for s in silent[:5])
            more = f" (and {len(silent) - 5} more)" if len(silent) > 5 else ""
            parts.append(
                f"{len(silent)} of {observed} requests handled trouble in silence: {shown}{more}"
            )
        if noise_cap is not None and len(noise) > noise_cap:
            parts.append(
                f"{len(noise)} requests logged ERROR with nothing wrong (max_noise="
                f"{noise_cap:g}), e.g. {noise[0].label()}: {noise[0].logs[0].message!r:.120}"
            )
        explanation = (
            "; ".join(parts)
            + ". Log at WARNING (or emit a span event / metric) where the service retries, falls "
            "back or gets nothing back, so operators see a brownout before the budget is gone."
        )
    counted = conclude(
        "observability",
        where,
        held=held,
        exercised=observed,
        what="request(s) with a fault, retry, fallback or zero-hit retrieval",
        summary=summary,
        figures=figures,
        explanation=explanation,
        nothing_hint="no fault fired and nothing fell back; run the soak under a chaos scenario",
        stacklevel=4,  # conclude <- the check <- known_keywords <- the user
    )
    return ObservabilityResult(
        held=held,
        counted=counted,
        summary=summary,
        figures=figures,
        explanation=explanation,
        silent=tuple(silent),
        noise=tuple(noise),
        observed=observed,
    )
