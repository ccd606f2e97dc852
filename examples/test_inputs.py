"""inputs: real questions replayed, messy variants, a canary, a failure corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from ragsvc import AnswerService, normalise_question

from pytest_prodreal import strategies as ps
from pytest_prodreal.inputs import assert_canary, assert_invariant, load_traffic

TRAFFIC = Path(__file__).parent / "traffic" / "questions.jsonl"

pytestmark = pytest.mark.prodreal("inputs")


@pytest.mark.prodreal_traffic(
    "traffic/questions.jsonl", field="request.question", argname="question", sample=8
)
def test_recorded_questions_get_sourced_answers(question: str, service: AnswerService) -> None:
    answer = service.answer(question)
    assert not answer.fallback
    assert answer.sources == ["d1", "d2"]


def test_the_cache_key_ignores_case_and_whitespace(prodreal_seed: int) -> None:
    questions = load_traffic(TRAFFIC, field="request.question")
    assert_invariant(
        normalise_question,
        questions,
        perturb=["case", "whitespace"],
        n=60,
        max_rate=0.0,
        seed=prodreal_seed,
    )


def old_normalise(text: str) -> str:
    """The normaliser before it learnt about unicode: the baseline of the canary."""
    return " ".join(text.split()).lower().rstrip("?!. ")


def test_the_new_normaliser_agrees_with_the_old_one_on_real_traffic() -> None:
    questions = load_traffic(TRAFFIC, field="request.question")
    assert_canary(old_normalise, normalise_question, questions, max_rate=0.05)


@pytest.mark.prodreal_corpus
@given(text=ps.messy_text("What is the capital of France?"))
def test_normalising_is_idempotent(text: str) -> None:
    once = normalise_question(text)
    assert normalise_question(once) == once


def test_messy_questions_never_crash_the_service(service: AnswerService) -> None:
    # A few fixed messy forms through the whole service (the property test above covers the
    # normaliser alone, where thousands of examples are cheap).
    for text in ["", "   ", "WHAT is the CAPITAL of france???", "capital\u200b of france", "\t"]:
        answer = service.answer(text)
        assert answer.text
