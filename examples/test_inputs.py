"""inputs: real questions replayed and perturbed, a model canary, a failure corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

from pytest_prodreal import strategies as ps
from pytest_prodreal.inputs import check_canary, check_invariant, load_traffic

TRAFFIC = Path(__file__).parent / "traffic" / "questions.jsonl"

pytestmark = pytest.mark.prodreal("inputs")


@pytest.mark.prodreal("shadow_traffic")
@pytest.mark.launch_blocker("the raw question reaches search: invisible characters lose the answer")
def test_recorded_questions_keep_their_sources_when_typed_messily(
    service: Any, prodreal_seed: int
) -> None:
    # Every recorded question, each typed six messy ways (case, spacing, zero-width and
    # direction marks pasted from chat apps): the answer must cite the same sources.
    check_invariant(
        lambda q: service.answer(q).sources,
        load_traffic(TRAFFIC, field="request.question"),
        perturb=["case", "whitespace", "zero_width", "rtl"],
        n=6,
        max_rate=0.0,
        seed=prodreal_seed,
    )


@pytest.mark.prodreal("canary")
def test_the_new_model_agrees_with_the_old_one_on_real_traffic(service: Any) -> None:
    questions = load_traffic(TRAFFIC, field="request.question")
    baseline, candidate = type(service), type(service)
    old = baseline(llm=service.llm, model="gpt-4o-mini")
    new = candidate(llm=service.llm, model="gpt-4.1-mini")
    check_canary(
        lambda q: old.answer(q).text, lambda q: new.answer(q).text, questions, max_rate=0.05
    )


@pytest.mark.prodreal("failure_corpus")
@pytest.mark.launch_blocker("an empty or blank question crashes the demo (search answers 400)")
@pytest.mark.prodreal_corpus(name="messy-questions")
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ps.messy_text("What is the capital of France?"))
@example(text="   ")  # a blank question is always among the inputs
def test_messy_questions_never_crash_the_service(service: Any, text: str) -> None:
    answer = service.answer(text)
    assert answer.text, "every question gets some answer"
