"""Checks for the ``dependencies`` category: time budget, circuit breaker, graceful degradation.

Each check is a plain function usable from a script or a test (``check_<remedy>``, with the
async twin ``acheck_<remedy>``). It runs your call under chaos
(:class:`~pytest_prodreal.chaos.Chaos`) on the virtual clock, returns a result
(:class:`~pytest_prodreal._kit.CheckResult`: ``held``, ``counted``, ``summary``, ``figures``,
``explain()``), records evidence for its remedy when a test is running, and raises
``AssertionError`` whose message leads with the figure and ends with the fix when the property
does not hold.

Evidence only counts when chaos was exercised: a check during which no fault fired (the route
was never hit, or the seed drew no fault) records no evidence, emits a
:class:`~pytest_prodreal.errors.ProdrealWarning` saying so, and returns a result with
``counted=False``. A check that does not hold always records ``held=False`` and raises.
See ``docs/dependencies.md``.

The pre-0.2 names (``time_budget``, ``async_time_budget``, ``circuit_breaker``,
``async_circuit_breaker``, ``graceful_degradation``, ``async_graceful_degradation``) remain for
one release as aliases that warn ``DeprecationWarning``.
"""

from __future__ import annotations

from ._breaker import acheck_circuit_breaker, check_circuit_breaker
from ._budget import (
    acheck_graceful_degradation,
    acheck_time_budget,
    check_graceful_degradation,
    check_time_budget,
)
from ._common import CircuitBreakerResult, DegradationResult, TimeBudgetResult
from ._deprecated import (
    async_circuit_breaker,
    async_graceful_degradation,
    async_time_budget,
    circuit_breaker,
    graceful_degradation,
    time_budget,
)

__all__ = [
    "CircuitBreakerResult",
    "DegradationResult",
    "TimeBudgetResult",
    "acheck_circuit_breaker",
    "acheck_graceful_degradation",
    "acheck_time_budget",
    "async_circuit_breaker",
    "async_graceful_degradation",
    "async_time_budget",
    "check_circuit_breaker",
    "check_graceful_degradation",
    "check_time_budget",
    "circuit_breaker",
    "graceful_degradation",
    "time_budget",
]
