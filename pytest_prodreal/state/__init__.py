"""The ``state`` category: repeat-runners and the determinism, idempotency and caching checks.

Every check here repeats something — the same call N times (determinism), the same request
under one idempotency key (idempotency), the same lookups over time and under load (caching
policy). ``pytest_prodreal.repetition`` is the old import path and re-exports this package.

Library layer: imports no pytest; works from a script (evidence is recorded only inside a test
or a ``collecting_evidence()`` block).
"""

from __future__ import annotations

from ._outcomes import Outcome, OutcomeGroup, OutcomeKind, Outcomes
from .caching import (
    CachingPolicyResult,
    DependencyFailed,
    FakeDependency,
    acheck_caching_policy,
    check_caching_policy,
)
from .determinism import (
    DeterminismResult,
    LLMRequestCheck,
    check_determinism,
    check_llm_requests_deterministic,
)
from .idempotency import (
    IdempotencyResult,
    IdempotencyScenario,
    LoseResponses,
    ResponseLost,
    acheck_idempotency,
    check_idempotency,
)
from .runner import Mode, arepeat, repeat, run_concurrently

__all__ = [
    "CachingPolicyResult",
    "DependencyFailed",
    "DeterminismResult",
    "FakeDependency",
    "IdempotencyResult",
    "IdempotencyScenario",
    "LLMRequestCheck",
    "LoseResponses",
    "Mode",
    "Outcome",
    "OutcomeGroup",
    "OutcomeKind",
    "Outcomes",
    "ResponseLost",
    "acheck_caching_policy",
    "acheck_idempotency",
    "arepeat",
    "check_caching_policy",
    "check_determinism",
    "check_idempotency",
    "check_llm_requests_deterministic",
    "repeat",
    "run_concurrently",
]
