"""An optional adapter: presidio's recognizers as one :class:`~._detect.Detector`.

presidio (``presidio-analyzer``) is never required. Its *pattern* recognizers (and its
``PhoneRecognizer``, which uses phonenumbers) run offline with no NLP engine: we call each
recognizer's ``analyze(text, entities, nlp_artifacts=None)`` directly instead of building an
``AnalyzerEngine``, because the engine loads a spaCy model that must be fetched from the network.
Recognizers that need NLP artifacts (``SpacyRecognizer`` and the transformer ones) find nothing
this way and are refused with a clear error rather than silently skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..errors import InvalidArgument
from ._detect import Finding, context

__all__ = ["PRESIDIO_KINDS", "PresidioDetector"]

# presidio's entity names mapped to our detector kinds, so a finding reads the same whichever
# detector made it; an entity not listed here keeps its name, lower-cased.
PRESIDIO_KINDS: Mapping[str, str] = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "CREDIT_CARD": "card",
    "IBAN_CODE": "iban",
    "IP_ADDRESS": "ip",
    "US_SSN": "national_id",
    "ES_NIF": "national_id",
    "IT_FISCAL_CODE": "national_id",
    "IN_AADHAAR": "national_id",
}

# The recognizers used when none are given: presidio's counterparts of our built-in detectors.
_DEFAULT = (
    "EmailRecognizer",
    "PhoneRecognizer",
    "CreditCardRecognizer",
    "IbanRecognizer",
    "IpRecognizer",
    "UsSsnRecognizer",
)
# Recognizers that only work with an NLP engine's artifacts (a spaCy or transformer model).
_NEEDS_NLP = ("SpacyRecognizer", "StanzaRecognizer", "TransformersRecognizer", "GLiNERRecognizer")


def _presidio(where: str) -> Any:
    try:
        from presidio_analyzer import predefined_recognizers
    except ImportError:
        raise InvalidArgument(
            f"{where}: needs presidio-analyzer: pip install 'pytest-prodreal[trust-presidio]' "
            "(no spaCy model is needed: only its pattern recognizers are used)"
        ) from None
    _offline_suffix_list()
    return predefined_recognizers


def _offline_suffix_list() -> None:
    """Load tldextract's bundled public-suffix snapshot, so presidio's email check stays offline.

    presidio's ``EmailRecognizer`` validates a domain with ``tldextract.extract``, whose first
    call fetches the Public Suffix List over HTTP (and logs a traceback per failed URL when the
    network is closed). Loading the snapshot that ships with tldextract first memoises it on the
    module's shared extractor, so no later call fetches anything.
    """
    try:
        from tldextract import tldextract as module
    except ImportError:  # pragma: no cover - presidio depends on tldextract
        return
    extractor = getattr(module, "TLD_EXTRACTOR", None)
    if extractor is None or getattr(extractor, "_extractor", True) is not None:
        return  # already loaded (or a tldextract we do not know): leave it alone
    saved = extractor.suffix_list_urls
    extractor.suffix_list_urls = ()
    try:
        extractor("example.com")
    finally:
        extractor.suffix_list_urls = saved


class PresidioDetector:
    """presidio's offline recognizers as one detector, for :func:`~pytest_prodreal.trust.scan`.

    ``recognizers`` are presidio recognizer instances (default: its email, phone, credit-card,
    IBAN, IP and US SSN recognizers); a finding scoring below ``min_score`` is dropped. Each
    finding's ``kind`` is ours where one matches (:data:`PRESIDIO_KINDS`) and its ``subkind`` is
    presidio's entity name, so ``scan(text, ["email", PresidioDetector()])`` compares the two.
    """

    def __init__(
        self,
        recognizers: Sequence[Any] | None = None,
        *,
        min_score: float = 0.0,
        name: str = "presidio",
    ) -> None:
        where = "PresidioDetector"
        module = _presidio(where)
        if not isinstance(min_score, (int, float)) or isinstance(min_score, bool):
            raise InvalidArgument(
                f"{where}: min_score must be a number in [0, 1], not {min_score!r}"
            )
        if not 0.0 <= float(min_score) <= 1.0:
            raise InvalidArgument(f"{where}: min_score must be in [0, 1], not {min_score!r}")
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"{where}: name must be a non-empty string, not {name!r}")
        if recognizers is None:
            chosen = [getattr(module, cls)() for cls in _DEFAULT]
        else:
            chosen = list(recognizers)
            if not chosen:
                raise InvalidArgument(
                    f"{where}: recognizers is empty; pass presidio recognizers or leave it out "
                    "for the default ones"
                )
        for r in chosen:
            if not callable(getattr(r, "analyze", None)) or not hasattr(r, "supported_entities"):
                raise InvalidArgument(
                    f"{where}: {r!r} is not a presidio recognizer (an object with .analyze and "
                    ".supported_entities); pass instances such as EmailRecognizer()"
                )
            if type(r).__name__ in _NEEDS_NLP:
                raise InvalidArgument(
                    f"{where}: {type(r).__name__} needs an NLP model and finds nothing offline; "
                    "pass pattern recognizers only"
                )
        self.name = name
        self.min_score = float(min_score)
        self.recognizers: tuple[Any, ...] = tuple(chosen)

    def find(self, text: str) -> Iterator[Finding]:
        """Every finding of every recognizer in ``text``, in text order, overlaps kept."""
        found: list[Finding] = []
        for recognizer in self.recognizers:
            results: Iterable[Any] = recognizer.analyze(
                text, list(recognizer.supported_entities), None
            )
            for r in results:
                if r.score < self.min_score:
                    continue
                entity = str(r.entity_type)
                kind = PRESIDIO_KINDS.get(entity, entity.lower())
                found.append(
                    Finding(
                        kind,
                        entity,
                        r.start,
                        r.end,
                        text[r.start : r.end],
                        context(text, r.start, r.end),
                    )
                )
        found.sort(key=lambda f: (f.start, f.end, f.kind))
        return iter(found)

    def __repr__(self) -> str:
        names = ", ".join(type(r).__name__ for r in self.recognizers)
        return f"PresidioDetector([{names}], min_score={self.min_score})"
