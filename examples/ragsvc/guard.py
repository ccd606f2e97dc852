"""The production service's guardrails: PII scrubbing and prompt-injection screening.

Deliberately small and deterministic (a service would use a maintained detector library; the
point of the example is that the *tests* find what these miss).
"""

from __future__ import annotations

import re

_PII = [
    ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("IBAN", re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")),
    ("CARD", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
    ("PHONE", re.compile(r"(?<![\w])\+?\(?\d[\d\s().-]{7,}\d(?![\w])")),
    ("KEY", re.compile(r"\b(?:sk|pk|rk)[-_][A-Za-z0-9_-]{16,}\b")),
    ("IP", re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")),
]

_INJECTION = re.compile(
    r"ignore (?:all )?(?:previous|prior|above) instructions|system prompt|developer mode|"
    r"hidden rules|your instructions|disregard the above|reveal|jailbreak",
    re.IGNORECASE,
)


def scrub(text: str) -> str:
    """``text`` with every PII-looking value replaced by a ``[KIND]`` placeholder."""
    for kind, pattern in _PII:
        text = pattern.sub(f"[{kind}]", text)
    return text


def looks_like_injection(text: str) -> bool:
    """Whether ``text`` tries to steer the model away from its instructions."""
    return _INJECTION.search(text) is not None
