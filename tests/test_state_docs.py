"""The examples in docs/state.md run: scripts as scripts, tests through pytester."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).parent.parent / "docs" / "state.md"
BLOCK = re.compile(r"<!-- (script|test) -->\n```python\n(.*?)```", re.DOTALL)


def blocks(kind: str) -> list[str]:
    return [code for k, code in BLOCK.findall(DOC.read_text(encoding="utf-8")) if k == kind]


def test_the_doc_has_runnable_examples() -> None:
    assert len(blocks("script")) >= 1
    assert len(blocks("test")) >= 3


@pytest.mark.parametrize("code", blocks("script"))
def test_script_examples_run(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(code, str(DOC), "exec"), {"__name__": "__doc_example__"})
    out = capsys.readouterr().out
    if "flaky_case" in code:
        assert "[('determinism', False), ('determinism', True)]" in out
        assert "3 distinct outcomes" in out
    else:
        assert out.strip()  # each script says what it showed


def test_test_examples_pass(pytester: pytest.Pytester) -> None:
    for n, code in enumerate(blocks("test")):
        pytester.makepyfile(**{f"test_doc{n}": code})
    result = pytester.runpytest("-o", "asyncio_default_fixture_loop_scope=function", "-q")
    result.assert_outcomes(passed=len(blocks("test")))
