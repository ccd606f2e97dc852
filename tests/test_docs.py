"""Every ```python block of every docs page and of the README runs (issue 8 item 7).

Per page, in order: a *script* block runs with ``exec`` in one namespace shared by the page's
blocks (a block may use what earlier blocks defined); a *test* block (one that defines
``test_`` functions or fixtures, or is preceded by ``<!-- test -->``) is written to a test
module, after the page's earlier script blocks as its prelude, and run with ``pytester``: it
must pass. A block defining pytest hooks (``def pytest_...``) becomes the ``conftest.py`` of the
page's later test runs. A ``<!-- no-run -->`` line right before a block skips it (use sparingly:
for fragments that cannot stand alone). Scripts run in a temporary directory.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]

# The HTML comment directly before a fence (if any), the fence's first line number, the code.
_FENCE = re.compile(r"(?:<!--\s*([\w-]+)\s*-->\s*\n)?```python[^\n]*\n(.*?)^```", re.M | re.S)
_TEST = re.compile(r"^(?:async\s+)?def test_|^@pytest\.fixture|^class Test", re.M)
_HOOK = re.compile(r"^def pytest_\w+\(", re.M)


@dataclass(frozen=True)
class Block:
    """One python block of a page."""

    page: Path
    line: int  # the line of its first code line
    code: str
    directive: str | None  # the HTML comment right before it ("no-run", "test", "script")

    @property
    def kind(self) -> str:
        """``skip``, ``conftest``, ``test`` or ``script``."""
        if self.directive == "no-run":
            return "skip"
        if self.directive == "script":
            return "script"
        if _HOOK.search(self.code) and not _TEST.search(self.code):
            return "conftest"
        if self.directive == "test" or _TEST.search(self.code):
            return "test"
        return "script"

    @property
    def where(self) -> str:
        """``docs/page.md:LINE`` for messages and tracebacks."""
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    """The page's python blocks, in order."""
    text = page.read_text(encoding="utf-8")
    out = []
    for m in _FENCE.finditer(text):
        line = text.count("\n", 0, m.start(2)) + 1
        out.append(Block(page, line, textwrap.dedent(m.group(2)), m.group(1)))
    return out


def test_the_runner_sees_every_block_and_the_skip_directive(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "x\n```python\na = 1\n```\n<!-- no-run -->\n```python\nboom(\n```\n"
        "```python\ndef test_a():\n    assert a == 1\n```\n"
        "```python\ndef pytest_configure(config):\n    pass\n```\n"
    )
    kinds = [(b.kind, b.line) for b in blocks_of(page)]
    assert kinds == [("script", 3), ("skip", 7), ("test", 10), ("conftest", 14)]


def test_the_docs_have_runnable_blocks() -> None:
    counts = {p.name: sum(b.kind != "skip" for b in blocks_of(p)) for p in PAGES}
    assert sum(counts.values()) >= 20, counts


def _pages_with_blocks() -> list[Path]:
    return [p for p in PAGES if blocks_of(p)]


@pytest.mark.parametrize("page", _pages_with_blocks(), ids=lambda p: p.name)
def test_every_block_of_the_page_runs(
    page: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(pytester.path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    prelude: list[str] = []
    conftest: list[str] = []
    for n, block in enumerate(blocks_of(page)):
        if block.kind == "skip":
            continue
        if block.kind == "conftest":
            conftest.append(block.code)
            continue
        if block.kind == "script":
            code = compile("\n" * (block.line - 1) + block.code, str(page), "exec")
            try:
                exec(code, namespace)
            except Exception as exc:
                pytest.fail(f"{block.where}: block {n} raised {type(exc).__name__}: {exc}")
            prelude.append(block.code)
            continue
        if conftest:
            pytester.makeconftest("\n\n".join(conftest))
        module = f"test_{page.stem.replace('-', '_')}_{n}"
        pytester.makepyfile(**{module: "\n\n".join([*prelude, block.code])})
        result = pytester.runpytest(f"{module}.py", "-q", "-p", "no:cacheprovider")
        outcomes = result.parseoutcomes()
        if result.ret != pytest.ExitCode.OK or not outcomes.get("passed"):
            tail = "\n".join(result.outlines[-15:])
            pytest.fail(f"{block.where}: test block {n} did not pass:\n{tail}", pytrace=False)
