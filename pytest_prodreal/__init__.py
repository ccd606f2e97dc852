"""pytest-prodreal: production-realism testing for pytest.

The public API is re-exported here; heavy parts (chaos, strategies) live in their own modules
and import their optional dependencies only when used.
"""

from __future__ import annotations

from .errors import EvidenceError, InvalidArgument, ProdrealError, ProdrealWarning
from .evidence import Evidence, collecting_evidence, record_evidence
from .seeding import derive_seed, rng_for
from .taxonomy import DEFAULT_TAXONOMY, Category, Remedy, Taxonomy, TaxonomyBuilder

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TAXONOMY",
    "Category",
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
]
