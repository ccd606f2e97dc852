"""When requests arrive: at a constant rate, as a Poisson process, or in bursts (seeded).

Rates are requests per virtual second. Each arrival process yields arrival instants (virtual
seconds from the start of the soak) from a ``random.Random`` the soak seeds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from .._kit import validate as _v

__all__ = ["Arrivals", "Bursts", "Constant", "Poisson"]


class Arrivals:
    """The base of arrival processes: :meth:`times` yields arrival instants, forever."""

    def times(self, rng: random.Random) -> Iterator[float]:
        """Arrival instants in virtual seconds from the start, non-decreasing, without end."""
        raise NotImplementedError

    def describe(self) -> str:
        """A few words for summaries."""
        return type(self).__name__


@dataclass(frozen=True)
class Constant(Arrivals):
    """One request every ``1 / rate`` virtual seconds (the first at 0)."""

    rate: float = 1.0

    def __post_init__(self) -> None:
        _v.positive_number("Constant", "rate", self.rate, unit="requests per virtual second")

    def times(self, rng: random.Random) -> Iterator[float]:
        """``0, 1/rate, 2/rate, ...``."""
        i = 0
        while True:
            yield i / self.rate
            i += 1

    def describe(self) -> str:
        """``constant 2/s``."""
        return f"constant {self.rate:g}/s"


@dataclass(frozen=True)
class Poisson(Arrivals):
    """A Poisson process: exponential gaps with mean ``1 / rate`` virtual seconds (seeded)."""

    rate: float = 1.0

    def __post_init__(self) -> None:
        _v.positive_number("Poisson", "rate", self.rate, unit="requests per virtual second")

    def times(self, rng: random.Random) -> Iterator[float]:
        """Cumulative exponential gaps."""
        t = 0.0
        while True:
            t += rng.expovariate(self.rate)
            yield t

    def describe(self) -> str:
        """``Poisson 0.1/s``."""
        return f"Poisson {self.rate:g}/s"


@dataclass(frozen=True)
class Bursts(Arrivals):
    """``size`` requests at once every ``every`` virtual seconds, plus Poisson ``base_rate``.

    The shape of a retry storm, a cron job or a front page link: the concurrency limit queues
    the burst, and a breaker that opened during it has ``every`` seconds to cool down.
    """

    size: int = 10
    every: float = 60.0
    base_rate: float = 0.0

    def __post_init__(self) -> None:
        _v.positive_int("Bursts", "size", self.size, maximum=1_000_000)
        _v.positive_number("Bursts", "every", self.every, unit="virtual seconds")
        _v.non_negative_number("Bursts", "base_rate", self.base_rate, unit="requests per second")

    def times(self, rng: random.Random) -> Iterator[float]:
        """Bursts at ``0, every, 2*every, ...`` merged with the base Poisson arrivals."""
        k = 0
        base = rng.expovariate(self.base_rate) if self.base_rate > 0 else float("inf")
        while True:
            burst = k * self.every
            if base < burst:
                yield base
                base += rng.expovariate(self.base_rate)
                continue
            for _ in range(self.size):
                yield burst
            k += 1

    def describe(self) -> str:
        """``bursts of 10 every 60s``."""
        extra = f" + Poisson {self.base_rate:g}/s" if self.base_rate else ""
        return f"bursts of {self.size} every {self.every:g}s{extra}"
