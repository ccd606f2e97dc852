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
    from .clock import ClockError, VirtualClock, current_clock
    from .dependencies import (
        acheck_circuit_breaker,
        acheck_graceful_degradation,
        acheck_time_budget,
        async_circuit_breaker,
        async_graceful_degradation,
        async_time_budget,
        check_circuit_breaker,
        check_graceful_degradation,
        check_time_budget,
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
        check_canary,
        check_directional,
        check_invariant,
        load_traffic,
    )
    from .operations import (
        SoakResult,
        asoak,
        check_cost_cap,
        check_error_budget,
        check_observability,
        check_slo,
        soak,
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
    from .trust import (
        Canaries,
        Detector,
        Finding,
        RegexDetector,
        acheck_abstains,
        acheck_guardrails,
        check_abstains,
        check_evidence_first,
        check_guardrails,
        is_abstention,
        scan,
    )

__version__ = "0.1.0"

# The one list of lazily imported public names: name -> the subpackage that defines it. The
# ``TYPE_CHECKING`` imports above must name the same set (tests/test_public_api.py checks both),
# and ``__all__`` is derived from it plus the eager names.
_LAZY: dict[str, str] = {
    "Chaos": "chaos",
    "SCENARIOS": "chaos",
    "ClockError": "clock",
    "VirtualClock": "clock",
    "current_clock": "clock",
    "acheck_circuit_breaker": "dependencies",
    "acheck_graceful_degradation": "dependencies",
    "acheck_time_budget": "dependencies",
    "check_circuit_breaker": "dependencies",
    "check_graceful_degradation": "dependencies",
    "check_time_budget": "dependencies",
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
    "check_canary": "inputs",
    "check_directional": "inputs",
    "check_invariant": "inputs",
    "load_traffic": "inputs",
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
    "SoakResult": "operations",
    "asoak": "operations",
    "check_cost_cap": "operations",
    "check_error_budget": "operations",
    "check_observability": "operations",
    "check_slo": "operations",
    "soak": "operations",
    "Canaries": "trust",
    "Detector": "trust",
    "Finding": "trust",
    "RegexDetector": "trust",
    "acheck_abstains": "trust",
    "acheck_guardrails": "trust",
    "check_abstains": "trust",
    "check_evidence_first": "trust",
    "check_guardrails": "trust",
    "is_abstention": "trust",
    "scan": "trust",
}

#: Names imported eagerly (the light spine).
_EAGER: tuple[str, ...] = (
    "Category",
    "DEFAULT_TAXONOMY",
    "Evidence",
    "EvidenceError",
    "InvalidArgument",
    "ProdrealError",
    "ProdrealWarning",
    "Remedy",
    "Taxonomy",
    "TaxonomyBuilder",
    "__version__",
    "collecting_evidence",
    "derive_seed",
    "record_evidence",
    "rng_for",
)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_prodreal' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


__all__ = sorted([*_EAGER, *_LAZY])
