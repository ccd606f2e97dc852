"""The ``inputs`` category: perturbations, behavioural checks, shadow traffic, canary, corpus.

Everything here is plain Python (no pytest, no Hypothesis); the Hypothesis strategies live in
:mod:`pytest_prodreal.strategies`.
"""

from __future__ import annotations

from .canary import CanaryResult, Disagreement, assert_canary, check_canary
from .checks import (
    BehaviourResult,
    Counterexample,
    assert_directional,
    assert_invariant,
    check_directional,
    check_invariant,
)
from .failure_corpus import CorpusEntry, CorpusError, FailureCorpus, TestCorpus, merge_corpora
from .perturbations import Perturber, perturb, perturbation_names
from .shadow_traffic import TrafficError, TrafficRecord, load_traffic, scrub_pii

__all__ = [
    "BehaviourResult",
    "CanaryResult",
    "CorpusEntry",
    "CorpusError",
    "Counterexample",
    "Disagreement",
    "FailureCorpus",
    "Perturber",
    "TestCorpus",
    "TrafficError",
    "TrafficRecord",
    "assert_canary",
    "assert_directional",
    "assert_invariant",
    "check_canary",
    "check_directional",
    "check_invariant",
    "load_traffic",
    "merge_corpora",
    "perturb",
    "perturbation_names",
    "scrub_pii",
]
