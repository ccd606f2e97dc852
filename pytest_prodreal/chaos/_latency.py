"""Latency distributions and the argument checks chaos shares.

Pure data and arithmetic: nothing here imports httpx or respx, so callable chaos works without
them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from .._kit import validate
from ..errors import InvalidArgument

__all__ = ["Latency", "check_count", "check_rate", "check_seconds"]


def check_rate(rate: object, what: str = "rate") -> float:
    """``rate`` as a float in [0, 1] (:func:`~.._kit.validate.rate`), else ``InvalidArgument``."""
    try:
        return validate.rate("chaos", what, rate)
    except InvalidArgument:
        raise InvalidArgument(
            f"{what}={rate!r} is not a probability: pass a number between 0 and 1 "
            "(0.1 means one request in ten)"
        ) from None


def check_seconds(value: object, what: str, *, allow_none: bool = False) -> float:
    """``value`` as finite seconds >= 0 (:func:`~.._kit.validate.non_negative_number`).

    ``None`` is infinite seconds when ``allow_none``; anything else raises ``InvalidArgument``.
    """
    if value is None and allow_none:
        return math.inf
    try:
        return validate.non_negative_number("chaos", what, value, unit="seconds")
    except InvalidArgument:
        raise InvalidArgument(
            f"{what}={value!r} is not a duration: pass seconds as a number >= 0 "
            "and finite (virtual seconds: they cost no wall time)"
        ) from None


def check_count(value: object, what: str) -> int:
    """``value`` as a whole number >= 1 (:func:`~.._kit.validate.positive_int`)."""
    try:
        return validate.positive_int("chaos", what, value)
    except InvalidArgument:
        raise InvalidArgument(f"{what}={value!r} must be a whole number >= 1") from None


@dataclass(frozen=True)
class Latency:
    """A latency: fixed, log-normal with a tail (from its median and p99), or your function.

    ``sample(rng)`` always draws exactly one number from ``rng`` so that adding latency to a route
    does not shift the rest of its fault schedule between runs.
    """

    fixed: float | None = None
    median: float | None = None
    p99: float | None = None
    func: Callable[[random.Random], float] | None = None

    @classmethod
    def build(
        cls,
        seconds: float | None = None,
        *,
        median: float | None = None,
        p99: float | None = None,
        func: Callable[[random.Random], float] | None = None,
    ) -> Latency:
        """Validate and build; exactly one of ``seconds``, ``median`` (+``p99``) or ``func``."""
        given = sum(x is not None for x in (seconds, median, func))
        if given != 1:
            raise InvalidArgument(
                "latency: pass exactly one of seconds=, median= (with p99= for a tail) or func="
            )
        if seconds is not None:
            return cls(fixed=check_seconds(seconds, "latency seconds"))
        if median is not None:
            med = check_seconds(median, "latency median")
            tail = check_seconds(p99 if p99 is not None else med, "latency p99")
            if tail < med:
                raise InvalidArgument(
                    f"latency p99={p99!r} is below median={median!r}: the tail must be >= median"
                )
            return cls(median=med, p99=tail)
        if not callable(func):
            raise InvalidArgument(f"latency func={func!r} must be callable(rng) -> seconds")
        return cls(func=func)

    def sample(self, rng: random.Random) -> float:
        """One latency in seconds (never negative)."""
        u = rng.random()
        if self.fixed is not None:
            return self.fixed
        if self.median is not None:
            assert self.p99 is not None
            if self.median == 0:
                return 0.0
            # Log-normal: median = e^mu, p99 = e^(mu + 2.326 sigma). Inverse CDF from u, so one
            # draw per request whatever the distribution.
            sigma = math.log(self.p99 / self.median) / 2.326347874
            z = _norm_ppf(min(max(u, 1e-12), 1 - 1e-12))
            return self.median * math.exp(sigma * z)
        assert self.func is not None
        value = self.func(rng)
        return check_seconds(value, "latency func() result")

    def describe(self) -> str:
        """Readable form for schedules and reports."""
        if self.fixed is not None:
            return f"{self.fixed:g}s"
        if self.median is not None:
            return f"lognormal(median={self.median:g}s, p99={self.p99:g}s)"
        return f"func {getattr(self.func, '__name__', 'latency')}"


def _norm_ppf(p: float) -> float:
    """Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9)."""
    a = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269,
         -30.66479806614716, 2.506628277459239)  # fmt: skip
    b = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
         -13.28068155288572)  # fmt: skip
    c = (-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
         4.374664141464968, 2.938163982698783)  # fmt: skip
    d = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
    lo = 0.02425
    if p < lo:
        q = math.sqrt(-2 * math.log(p))
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1
        )
    if p > 1 - lo:
        return -_norm_ppf(1 - p)
    q = p - 0.5
    r = q * q
    return (
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
        * q
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    )
