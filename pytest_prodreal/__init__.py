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
    from .clock import ClockError, VirtualClock, current_clock
    from .repetition import (
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
    "ClockError": "clock",
    "VirtualClock": "clock",
    "current_clock": "clock",
    "FakeDependency": "repetition",
    "LoseResponses": "repetition",
    "Outcomes": "repetition",
    "acheck_caching_policy": "repetition",
    "acheck_idempotency": "repetition",
    "arepeat": "repetition",
    "check_caching_policy": "repetition",
    "check_idempotency": "repetition",
    "check_llm_requests_deterministic": "repetition",
    "repeat": "repetition",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_prodreal' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


__all__ = [
    "DEFAULT_TAXONOMY",
    "Category",
    "ClockError",
    "Evidence",
    "EvidenceError",
    "FakeDependency",
    "InvalidArgument",
    "LoseResponses",
    "Outcomes",
    "ProdrealError",
    "ProdrealWarning",
    "Remedy",
    "Taxonomy",
    "TaxonomyBuilder",
    "VirtualClock",
    "__version__",
    "acheck_caching_policy",
    "acheck_idempotency",
    "arepeat",
    "check_caching_policy",
    "check_idempotency",
    "check_llm_requests_deterministic",
    "collecting_evidence",
    "current_clock",
    "derive_seed",
    "record_evidence",
    "repeat",
    "rng_for",
]
