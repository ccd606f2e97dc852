"""Checks for the ``dependencies`` category: time budget, circuit breaker, graceful degradation.

Each check is a plain function usable from a script or a test. It runs your call under chaos
(:class:`~pytest_prodreal.chaos.Chaos`) on the virtual clock, returns a result object with the
figures, records evidence for its remedy when a test is running, and raises ``AssertionError``
with a readable explanation when the property does not hold.

Evidence only counts when chaos was exercised: a check during which no fault fired (the route
was never hit, or the seed drew no fault) records no evidence, emits a
:class:`~pytest_prodreal.errors.ProdrealWarning` saying so, and returns a result with
``counted=False``. A check that does not hold always records ``held=False`` and raises.
"""

from __future__ import annotations

from ._breaker import async_circuit_breaker, circuit_breaker
from ._budget import (
    async_graceful_degradation,
    async_time_budget,
    graceful_degradation,
    time_budget,
)
from ._common import CircuitBreakerResult, DegradationResult, TimeBudgetResult

__all__ = [
    "CircuitBreakerResult",
    "DegradationResult",
    "TimeBudgetResult",
    "async_circuit_breaker",
    "async_graceful_degradation",
    "async_time_budget",
    "circuit_breaker",
    "graceful_degradation",
    "time_budget",
]
