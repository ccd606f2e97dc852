"""The ``trust`` category: guardrails, abstention and evidence-first, checked offline.

- Detectors (:func:`scan`, :data:`DETECTORS`, :class:`Detector`, :class:`RegexDetector`): PII and
  secrets, deterministic and validated (phonenumbers, python-stdnum); :class:`PresidioDetector`
  adapts presidio's offline pattern recognizers (optional).
- Canary PII (:class:`Canaries`, the ``prodreal_canaries`` fixture): planted values traced
  through the output, the logs and the requests sent through ``chaos`` routes.
- :func:`check_guardrails`, :func:`check_abstains`, :func:`check_evidence_first` (and the async
  twins of the checks that call your code): results with ``explain()``, ``AssertionError`` when
  they do not hold, evidence inside a test.

Library layer: imports no pytest. Optional dependencies are imported when a feature is used.
"""

from __future__ import annotations

from ._abstain import (
    ABSTENTION_FIELDS,
    ABSTENTION_PHRASES,
    AbstainResult,
    acheck_abstains,
    check_abstains,
    is_abstention,
)
from ._canary import SDK_LOGGERS, Canaries, CanaryResult, Leak, Person
from ._detect import Detector, Finding, RegexDetector, mask
from ._evidence_first import AnswerReport, EvidenceFirstResult, check_evidence_first
from ._guardrails import (
    SECRET_REQUESTS,
    GuardrailsResult,
    Violation,
    acheck_guardrails,
    attack_inputs,
    check_guardrails,
)
from ._phone import PhoneDetector
from ._presidio import PRESIDIO_KINDS, PresidioDetector
from ._scan import API_KEY_SHAPES, DETECTORS, scan

__all__ = [
    "ABSTENTION_FIELDS",
    "ABSTENTION_PHRASES",
    "API_KEY_SHAPES",
    "DETECTORS",
    "PRESIDIO_KINDS",
    "SDK_LOGGERS",
    "SECRET_REQUESTS",
    "AbstainResult",
    "AnswerReport",
    "Canaries",
    "CanaryResult",
    "Detector",
    "EvidenceFirstResult",
    "Finding",
    "GuardrailsResult",
    "Leak",
    "Person",
    "PhoneDetector",
    "PresidioDetector",
    "RegexDetector",
    "Violation",
    "acheck_abstains",
    "acheck_guardrails",
    "attack_inputs",
    "check_abstains",
    "check_evidence_first",
    "check_guardrails",
    "is_abstention",
    "mask",
    "scan",
]
