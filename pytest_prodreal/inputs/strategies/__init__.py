"""Hypothesis strategies for messy inputs: what users type instead of your clean examples.

Every text strategy takes clean text (a str, a strategy of str, or nothing for built-in
realistic queries) and draws a small *plan* of perturbations. Hypothesis shrinks the plan, so a
failing example is reported as the clean input with one small change::

    from hypothesis import given
    from pytest_prodreal import strategies as ps

    @given(ps.messy_text("book a table for two tomorrow"))
    def test_intent(text):
        assert classify(text) == "booking"

Importing this module imports Hypothesis (Faker only when PII is drawn).
"""

from __future__ import annotations

from ..perturbations import DEFAULT_WEIGHTS, GROUPS, perturb, perturbation_names
from ._formats import Messy, messy_dates, messy_datetimes, messy_numbers, messy_phone_numbers
from ._json import JSON_DAMAGE, example_from_schema, messy_json
from ._text import (
    abbreviations,
    case_noise,
    empty_like,
    injections,
    long_text,
    markup,
    messy_text,
    mojibake,
    perturbed,
    pii_text,
    repetitions,
    slang,
    truncations,
    typos,
    unicode_noise,
    whitespace_noise,
)
from ._traffic import shadow_traffic

__all__ = [
    "DEFAULT_WEIGHTS",
    "GROUPS",
    "JSON_DAMAGE",
    "Messy",
    "abbreviations",
    "case_noise",
    "empty_like",
    "example_from_schema",
    "injections",
    "long_text",
    "markup",
    "messy_dates",
    "messy_datetimes",
    "messy_json",
    "messy_numbers",
    "messy_phone_numbers",
    "messy_text",
    "mojibake",
    "perturb",
    "perturbation_names",
    "perturbed",
    "pii_text",
    "repetitions",
    "shadow_traffic",
    "slang",
    "truncations",
    "typos",
    "unicode_noise",
    "whitespace_noise",
]
