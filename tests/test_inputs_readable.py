"""Falsifying examples show the perturbed text and the steps applied, not the plan (issue 14)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from pytest_prodreal import strategies as ps
from pytest_prodreal.inputs.perturbations import Perturber

FAILING = """
from hypothesis import given, settings
from pytest_prodreal import strategies as ps

@settings(database=None, derandomize=True)
@given(text=ps.messy_text("What is the capital of France?"))
def test_question(text):
    assert "capital" in text

@settings(database=None, derandomize=True)
@given(m=ps.messy_numbers())
def test_number(m):
    assert m.format == "plain"

@settings(database=None, derandomize=True)
@given(doc=ps.messy_json({"a": 1, "b": "x"}))
def test_document(doc):
    assert "a" in doc
"""


def test_a_failing_messy_text_example_shows_the_text_and_its_steps(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_readable=FAILING)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)
    out = result.stdout.str()
    assert "build((" not in out and "render((" not in out, out
    # The argument is the perturbed text itself, and it is one that fails the assertion.
    shown = re.search(r"^E\s+text=('.*'|\".*\"),$", out, re.MULTILINE)
    assert shown, out
    text = ast.literal_eval(shown.group(1))
    assert isinstance(text, str) and "capital" not in text
    # The note: the clean text, the result, and each step with what it changed.
    note = re.search(r"messy_text: 'What is the capital of France\?' -> (.*) \((\d+) steps?\)", out)
    assert note, out
    assert ast.literal_eval(note.group(1)) == text
    steps = [line for line in out.splitlines() if re.match(r"^E\s+\d+\. \w+ at \d+: ", line)]
    assert len(steps) == int(note.group(2)) >= 1, out
    # Format and JSON strategies print their values too.
    assert re.search(r"^E\s+m=Messy\(text=", out, re.MULTILINE), out
    assert re.search(r"^E\s+doc=\{", out, re.MULTILINE), out
    assert "messy_json: 1 damage step(s): missing" in out


def test_explain_names_each_step_and_what_it_changed() -> None:
    perturber = Perturber(["typo_substitute", "case"])
    text = "book a table"
    # The first letter's left-hand neighbour, then UPPER case (a step's kind is a ticket index:
    # the last ticket is the last kind's).
    steps = [(0, 0, 0), (perturber.tickets - 1, 0, 1)]
    lines = perturber.explain(text, steps)
    assert lines == [
        "typo_substitute at 0: 'book' -> 'vook'",
        "case at 0: 'vook a table' -> 'VOOK A TABLE'",
    ]
    assert perturber.apply(text, steps) == "VOOK A TABLE"


def test_a_step_with_nothing_to_change_says_so() -> None:
    perturber = Perturber("homoglyph")
    assert perturber.explain("###", [(0, 0, 0)]) == [
        "homoglyph (unchanged: nothing to apply it to)"
    ]


def test_the_strategy_yields_plain_str() -> None:
    # Plain str, not a subclass: user code that checks type(text) is str keeps working, and
    # the failure corpus saves it as JSON.
    found = find(ps.messy_text("hello there"), lambda s: True, settings=settings(database=None))
    assert type(found) is str


def test_a_text_strategy_drawing_a_non_str_is_an_invalid_argument() -> None:
    from pytest_prodreal.errors import InvalidArgument

    @settings(database=None, max_examples=1)
    @given(ps.messy_text(st.just(3)))  # type: ignore[arg-type]
    def inner(text: str) -> None:
        pass

    with pytest.raises(InvalidArgument, match="must draw str"):
        inner()


def test_character_steps_on_very_long_text_land_in_its_first_4096_characters() -> None:
    # After a `long` step, a typo looks for its spot in the first 4,096 characters only (the
    # whole text would cost a Python scan of up to 100,000 characters per step).
    text = "book a table " * 8_000
    perturber = Perturber(["typo_delete", "homoglyph", "whitespace"])
    for kind in range(perturber.tickets):
        for pos in (0, 5_000, 40_000, 65_535):
            out = perturber.apply(text, [(kind, pos, 0)])
            assert out != text
            first = next(i for i, (a, b) in enumerate(zip(text, out, strict=False)) if a != b)
            assert first < 4_096, (perturber.kind_of((kind, 0, 0)).name, pos, first)


def test_recorded_rows_shrink_to_the_first_and_non_text_rows_are_refused(tmp_path: Path) -> None:
    from pytest_prodreal.errors import InvalidArgument

    path = tmp_path / "t.jsonl"
    path.write_text('{"q": "reset my password"}\n{"q": "cancel my order"}\n')
    rows = ps.shadow_traffic(path, field="q")
    assert find(rows, lambda s: True, settings=settings(database=None)) == "reset my password"
    assert repr(rows) == f"shadow_traffic({str(path)!r})"
    found = find(
        ps.messy_text(rows, min_perturbations=0), lambda s: True, settings=settings(database=None)
    )
    assert found == "reset my password"  # the first row, with the plan shrunk to nothing

    @settings(database=None, max_examples=1)
    @given(ps.messy_text(ps.shadow_traffic(path)))  # whole rows: dicts, not text
    def inner(text: str) -> None:
        pass

    with pytest.raises(InvalidArgument, match=re.escape("drew {'q': 'reset my password'}, a dict")):
        inner()
