"""Bad marker and library arguments of the inputs category: one clear line each (issue 10)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_prodreal import strategies as ps
from pytest_prodreal.errors import InvalidArgument

TRAFFIC_ROWS = [
    ("('.', field='q')", "q", "is a directory; pass the path of a JSONL or CSV file"),
    ("('t.jsonl', field='q', seed=-1)", "q", "seed=-1 must be a whole number >= 0"),
    ("('t.jsonl', field='q', seed='x')", "q", "seed='x' must be a whole number >= 0"),
    (
        "('t.jsonl', field='q', argname='tmp_path')",
        "tmp_path",
        "argname='tmp_path' shadows the fixture 'tmp_path'; pass another argname=",
    ),
    ("('t.jsonl', field='q', sample=0)", "q", "sample=0 must be >= 1 rows"),
    ("('missing.jsonl', field='q')", "q", "does not exist"),
    ("('t.jsonl', field='nope', argname='q')", "q", "row has no field 'nope'"),
    ("('t.jsonl', colour='q')", "q", "unknown keyword(s) colour; valid: field"),
    ("()", "q", "needs exactly one positional argument, the path"),
    ("('t.jsonl', field='q', argname='other')", "q", "parametrizes the argument 'other'"),
]


@pytest.mark.parametrize(("marker", "arg", "message"), TRAFFIC_ROWS)
def test_bad_prodreal_traffic_markers(
    pytester: pytest.Pytester, marker: str, arg: str, message: str
) -> None:
    pytester.makefile(".jsonl", t='{"q": "hello"}\n')
    pytester.makepyfile(
        test_m=f"""
        import pytest

        @pytest.mark.prodreal_traffic{marker}
        def test_t({arg}):
            assert {arg}
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.INTERRUPTED  # 2: a collection error
    out = result.stdout.str()
    lines = [line for line in out.splitlines() if "prodreal_traffic" in line and "test_t" in line]
    assert lines and message in lines[0], out
    assert "Traceback" not in out and "IsADirectoryError" not in out


CORPUS_ROWS = [
    ("(name=3)", "x", "prodreal_corpus name= must be a non-empty str, got 3"),
    ("('a')", "x", "prodreal_corpus takes only name="),
    ("(nam='a')", "x", "prodreal_corpus takes only name="),
]


@pytest.mark.parametrize(("marker", "arg", "message"), CORPUS_ROWS)
def test_bad_prodreal_corpus_markers(
    pytester: pytest.Pytester, marker: str, arg: str, message: str
) -> None:
    pytester.makepyfile(
        test_m=f"""
        import pytest
        from hypothesis import given, strategies as st

        @pytest.mark.prodreal_corpus{marker}
        @given(st.integers())
        def test_t({arg}):
            assert {arg} == {arg}
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    out = result.stdout.str()
    assert message in out and "Traceback" not in out


LIBRARY_ROWS: list[tuple[Callable[[], Any], str]] = [
    (lambda: ps.long_text(min_size=10**12), "long_text: min_size=1000000000000 is too large"),
    (lambda: ps.long_text(max_size=10**12), "long_text: max_size=1000000000000 is too large"),
    (lambda: ps.long_text(min_size=-1), "long_text: min_size=-1 must be >= 0"),
    (lambda: ps.long_text(min_size=5, max_size=2), "min_size=5 is greater than max_size=2"),
    (lambda: ps.long_text(text=5), "long_text: text must be a str or a Hypothesis strategy"),
    (lambda: ps.messy_text(max_perturbations=10**9), "max_perturbations=1000000000 is too large"),
    (lambda: ps.messy_text(min_perturbations="1"), "min_perturbations must be an int"),
    (lambda: ps.typos(keyboard=5), "keyboard"),
    (lambda: ps.perturbed("a", "nope"), "unknown perturbation 'nope'"),
    (lambda: ps.injections(families=["xss"]), "unknown family 'xss'"),
    (lambda: ps.empty_like([]), "empty_like: values is empty"),
    (
        lambda: ps.messy_json({"a": 1}, max_damage=10**9),
        "messy_json: max_damage=1000000000 is too large",
    ),
]


@pytest.mark.parametrize(("call", "message"), LIBRARY_ROWS)
def test_bad_library_arguments(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        call()
    text = str(info.value)
    assert message in text and "\n" not in text
