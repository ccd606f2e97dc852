"""pytest-prodreal: production-realism testing for pytest.

The public API is re-exported here. The spine (taxonomy, evidence, seeds) is imported eagerly
and is light; heavier parts (the clock, repetition, chaos) load on first attribute access, and
optional dependencies (respx, freezegun, Hypothesis, Faker) only when a feature is used. The
strategies live in ``pytest_prodreal.strategies`` and the chaos router in
``pytest_prodreal.chaos``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import EvidenceError, InvalidArgument, ProdrealError, ProdrealWarning
from .evidence import Evidence, collecting_evidence, record_evidence
from .seeding import derive_seed, rng_for
from .taxonomy import DEFAULT_TAXONOMY, Category, Remedy, Taxonomy, TaxonomyBuilder

if TYPE_CHECKING:
    from .chaos import SCENARIOS, Chaos
    from .clock._virtual import ClockError, VirtualClock, current_clock
    from .dependencies import (
        async_circuit_breaker,
        async_graceful_degradation,
        async_time_budget,
        circuit_breaker,
        graceful_degradation,
        time_budget,
    )
    from .inputs import (
        CorpusError,
        FailureCorpus,
        TrafficError,
        assert_canary,
        assert_directional,
        assert_invariant,
        load_traffic,
    )
    from .state import (
        FakeDependency,
        LoseResponses,
        Outcomes,
        acheck_caching_policy,
        acheck_idempotency,
        arepeat,
        check_caching_policy,
        check_idempotency,
        check_llm_requests_deterministic,
        repeat,
    )

__version__ = "0.1.0"

# Public name -> the module that defines it, imported on first access.
_LAZY = {
    "Chaos": "chaos",
    "SCENARIOS": "chaos",
    "async_circuit_breaker": "dependencies",
    "async_graceful_degradation": "dependencies",
    "async_time_budget": "dependencies",
    "circuit_breaker": "dependencies",
    "graceful_degradation": "dependencies",
    "time_budget": "dependencies",
    "CorpusError": "inputs",
    "FailureCorpus": "inputs",
    "TrafficError": "inputs",
    "assert_canary": "inputs",
    "assert_directional": "inputs",
    "assert_invariant": "inputs",
    "load_traffic": "inputs",
    "ClockError": "clock",
    "VirtualClock": "clock",
    "current_clock": "clock",
    "FakeDependency": "state",
    "LoseResponses": "state",
    "Outcomes": "state",
    "acheck_caching_policy": "state",
    "acheck_idempotency": "state",
    "arepeat": "state",
    "check_caching_policy": "state",
    "check_idempotency": "state",
    "check_llm_requests_deterministic": "state",
    "repeat": "state",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_prodreal' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


__all__ = [
    "Category",
    "Chaos",
    "ClockError",
    "CorpusError",
    "DEFAULT_TAXONOMY",
    "Evidence",
    "EvidenceError",
    "FailureCorpus",
    "FakeDependency",
    "InvalidArgument",
    "LoseResponses",
    "Outcomes",
    "ProdrealError",
    "ProdrealWarning",
    "Remedy",
    "SCENARIOS",
    "Taxonomy",
    "TaxonomyBuilder",
    "TrafficError",
    "VirtualClock",
    "__version__",
    "acheck_caching_policy",
    "acheck_idempotency",
    "arepeat",
    "assert_canary",
    "assert_directional",
    "assert_invariant",
    "async_circuit_breaker",
    "async_graceful_degradation",
    "async_time_budget",
    "check_caching_policy",
    "check_idempotency",
    "check_llm_requests_deterministic",
    "circuit_breaker",
    "collecting_evidence",
    "current_clock",
    "derive_seed",
    "graceful_degradation",
    "load_traffic",
    "record_evidence",
    "repeat",
    "rng_for",
    "time_budget",
]
