"""What a soak recorded: one :class:`Request` per request, and the SLIs drawn from them."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidArgument
from ._observe import LogEntry

__all__ = ["Request", "SoakResult", "percentile"]


def percentile(sorted_values: Sequence[float], p: float, *, where: str = "percentile") -> float:
    """The exact ``p``-th percentile (nearest rank) of already sorted values: an observed value."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p <= 100:
        raise InvalidArgument(f"{where}: percentile {p!r} must be in (0, 100], e.g. 95 or 99.9")
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(slots=True)
class Request:
    """One request of a soak: when it arrived, ran and ended (virtual seconds), and what it did.

    ``outcome`` is ``"success"``, ``"fallback"`` or ``"error"`` (``error_type`` names the
    exception, or ``"Rejected"`` when the success predicate said no). ``calls`` are the chaos
    calls it made, ``logs`` its WARNING+ records, ``signals`` its other traces (OpenTelemetry,
    :func:`~pytest_prodreal.operations.signal`). ``cost`` is in USD (``None`` without prices).
    """

    index: int
    input: Any
    arrival: float
    start: float
    end: float
    outcome: str
    error_type: str | None = None
    error: str = ""
    calls: list[Any] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float | None = None

    @property
    def latency(self) -> float:
        """Virtual seconds from start to end (queueing before the start excluded)."""
        return self.end - self.start

    @property
    def queued(self) -> float:
        """Virtual seconds waiting for a free slot (the concurrency limit) after arriving."""
        return self.start - self.arrival

    def calls_by_route(self) -> dict[str, int]:
        """Chaos calls per route."""
        return dict(Counter(c.route for c in self.calls))

    def retry_calls(self) -> list[Any]:
        """The calls that repeated an earlier call *of this request* (same route and request).

        Judged within the request, not by the chaos log's ``retry`` flag: a soak cycling its
        inputs sends the same body again in later requests, and those are not retries.
        """
        seen: set[tuple[str, str]] = set()
        out = []
        for c in self.calls:
            key = (c.route, c.key)
            if key in seen:
                out.append(c)
            seen.add(key)
        return out

    def retries_by_route(self) -> dict[str, int]:
        """Retry calls (see :meth:`retry_calls`) per route."""
        return dict(Counter(c.route for c in self.retry_calls()))

    def faults(self) -> list[tuple[str, str]]:
        """``(route, fault)`` for each fault that fired during the request."""
        return [(c.route, c.fault) for c in self.calls if c.fault is not None]

    def label(self) -> str:
        """``request #12 ('what is ...')`` for messages."""
        if self.index < 0:  # the observability marker's whole-test request
            return f"the test body outside soaks ({self.input})"
        shown = repr(self.input)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return f"request #{self.index} ({shown}) at t={self.start:.3f}s"


@dataclass
class SoakResult:
    """Every request of a soak, and the SLIs: success rate, latency percentiles, cost, calls."""

    requests: list[Request]
    virtual_s: float
    wall_s: float
    arrivals: str
    concurrency: int
    priced: bool
    seed: int
    outside_calls: list[Any] = field(default_factory=list)
    otel: bool = False
    _latencies: list[float] | None = None

    def __len__(self) -> int:
        return len(self.requests)

    def count(self, outcome: str) -> int:
        """How many requests had this outcome."""
        return sum(1 for r in self.requests if r.outcome == outcome)

    @property
    def success_rate(self) -> float:
        """Successes / requests (fallbacks are not successes)."""
        return self.count("success") / len(self.requests) if self.requests else 0.0

    @property
    def fallback_rate(self) -> float:
        """Fallbacks / requests."""
        return self.count("fallback") / len(self.requests) if self.requests else 0.0

    @property
    def error_rate(self) -> float:
        """Errors / requests."""
        return self.count("error") / len(self.requests) if self.requests else 0.0

    def errors_by_type(self) -> dict[str, int]:
        """Error requests by exception type name."""
        return dict(Counter(r.error_type or "?" for r in self.requests if r.outcome == "error"))

    @property
    def latencies(self) -> list[float]:
        """The recorded virtual latencies, sorted."""
        if self._latencies is None:
            self._latencies = sorted(r.latency for r in self.requests)
        return self._latencies

    def percentile(self, p: float) -> float:
        """The exact ``p``-th percentile (0 < p <= 100) of virtual latency, in seconds."""
        return percentile(self.latencies, p, where="SoakResult.percentile")

    @property
    def calls(self) -> int:
        """Chaos calls made by the requests."""
        return sum(len(r.calls) for r in self.requests)

    @property
    def calls_per_request(self) -> float:
        """Mean chaos calls per request."""
        return self.calls / len(self.requests) if self.requests else 0.0

    @property
    def amplification(self) -> float:
        """Chaos calls per first attempt (1.0: no retries; a retry storm shows large)."""
        retries = sum(len(r.retry_calls()) for r in self.requests)
        first = self.calls - retries
        return self.calls / first if first else 0.0

    def amplification_by_route(self) -> dict[str, float]:
        """Calls per first attempt, per route."""
        calls: Counter[str] = Counter()
        retries: Counter[str] = Counter()
        for r in self.requests:
            calls.update(c.route for c in r.calls)
            retries.update(c.route for c in r.retry_calls())
        return {k: round(v / max(1, v - retries[k]), 3) for k, v in calls.items()}

    @property
    def faults_fired(self) -> int:
        """Faults fired during the requests."""
        return sum(1 for r in self.requests for c in r.calls if c.fault is not None)

    @property
    def cost(self) -> float:
        """Total cost in USD (0 without prices)."""
        return sum(r.cost or 0.0 for r in self.requests)

    @property
    def cost_per_request(self) -> float:
        """Mean cost per request in USD."""
        return self.cost / len(self.requests) if self.requests else 0.0

    @property
    def tokens(self) -> tuple[int, int]:
        """(input, output) tokens over the soak."""
        return (
            sum(r.tokens_in for r in self.requests),
            sum(r.tokens_out for r in self.requests),
        )

    def sli(self) -> dict[str, float | int]:
        """The SLIs as figures (rounded for reports)."""
        return {
            "requests": len(self.requests),
            "virtual_s": round(self.virtual_s, 3),
            "success_rate": round(self.success_rate, 6),
            "fallback_rate": round(self.fallback_rate, 6),
            "error_rate": round(self.error_rate, 6),
            "p50_s": round(self.percentile(50), 6),
            "p90_s": round(self.percentile(90), 6),
            "p95_s": round(self.percentile(95), 6),
            "p99_s": round(self.percentile(99), 6),
            "max_s": round(self.latencies[-1] if self.requests else 0.0, 6),
            "route_calls": self.calls,
            "calls_per_request": round(self.calls_per_request, 4),
            "amplification": round(self.amplification, 4),
            "faults_fired": self.faults_fired,
            "cost_per_request": round(self.cost_per_request, 8),
        }

    def describe(self) -> str:
        """One paragraph: counts, outcome rates and latency percentiles."""
        s = self.sli()
        return (
            f"{s['requests']} requests over {s['virtual_s']:g} virtual s ({self.arrivals}, "
            f"concurrency {self.concurrency}) in {self.wall_s:.2f} wall s: "
            f"{s['success_rate']:.2%} success, {s['fallback_rate']:.2%} fallback, "
            f"{s['error_rate']:.2%} error; p50 {s['p50_s']:.3f}s p95 {s['p95_s']:.3f}s "
            f"p99 {s['p99_s']:.3f}s; {s['calls_per_request']:.2f} calls/request, "
            f"{s['faults_fired']} faults fired"
        )
