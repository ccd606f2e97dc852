"""Issue 10's probes that no per-surface table covers, end to end through pytest.

The tables live with their surfaces: options and ini keys in ``test_settings.py``, ``combine``
in ``test_combine.py``, library arguments in each category's tests (``test_chaos_table.py``,
``test_inputs_markers.py``, ...), file writes in ``test_atomic.py`` and
``test_inputs_corpus_files.py``. Here: what only a whole run shows.
"""

from __future__ import annotations

import json
import os
import re
import stat
import textwrap
from collections.abc import Iterator

import pytest

from pytest_prodreal.report.combine import main as combine_main


@pytest.fixture
def set_umask() -> Iterator[None]:
    """Let a test change the process umask; the old one is put back after it."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


@pytest.mark.usefixtures("set_umask")
@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_every_written_file_gets_the_umask_mode(
    pytester: pytest.Pytester, mask: int, mode: int
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.prodreal("inputs")
        def test_a():
            pass
        """
    )
    os.umask(mask)
    result = pytester.runpytest(
        "-p", "no:randomly",
        "--prodreal-report=json:out/r.json",
        "--prodreal-report=md:out/r.md",
        "--prodreal-report=html:out/r.html",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    out = pytester.path / "out"
    status = combine_main(["combine", "-q", str(out / "c.json"), str(out / "r.json"),
                           "--md", str(out / "c.md"), "--html", str(out / "c.html")])  # fmt: skip
    assert status == 0
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    assert modes == dict.fromkeys(["r.json", "r.md", "r.html", "c.json", "c.md", "c.html"], mode)


def test_markdown_report_keeps_odd_parametrized_ids_in_their_cell(
    pytester: pytest.Pytester,
) -> None:
    # Real ids from parametrize, as a user's suite makes them (a pipe and backticks).
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.prodreal("canary")
        @pytest.mark.parametrize("q", ["a|b", "`tick`", "x`|`y"])
        def test_q(q):
            from pytest_prodreal import record_evidence
            record_evidence("canary", held=True, figures={"inputs": 1})
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "--prodreal-report=md:r.md")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    text = (pytester.path / "r.md").read_text()
    rows = [ln for ln in text.splitlines() if ln.startswith("|") and "`canary`" in ln]
    assert rows, text
    header = next(ln for ln in text.splitlines() if ln.startswith("| "))
    cells = len(re.findall(r"(?<!\\)\|", header))
    for row in rows:  # GitHub splits a row at every unescaped pipe: the same count as the header
        assert len(re.findall(r"(?<!\\)\|", row)) == cells, row
    assert "test_q[a\\|b]" in text


def test_a_clock_marker_too_close_to_datetime_max_is_a_collection_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import time
        from datetime import datetime

        import pytest

        @pytest.mark.prodreal_clock(start=datetime(9999, 12, 31, 23, 59, 59))
        def test_late():
            time.sleep(5)
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*test_late: @pytest.mark.prodreal_clock(start=9999-12-31T23:59:59) is too close to "
         "datetime.max*; use a start up to *"]
    )  # fmt: skip
    assert "OverflowError" not in out and "Traceback" not in out


def test_the_library_clock_refuses_to_pass_datetime_max_with_one_line() -> None:
    import time
    from datetime import datetime

    from pytest_prodreal.clock import ClockError, VirtualClock

    with VirtualClock(start=datetime(9999, 12, 31, 23, 59, 59)), pytest.raises(ClockError) as info:
        time.sleep(5)
    message = str(info.value)
    assert "datetime.max" in message and "start the clock earlier" in message
    assert "\n" not in message


def test_a_huge_concurrent_count_is_a_collection_error_not_a_memory_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.prodreal_concurrent(n=10**12)
        def test_many():
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*test_many: *n=1000000000000*too large*"])
    out = result.stdout.str()
    assert "MemoryError" not in out and "Traceback" not in out


CORPUS_TEST = """
import pytest
from hypothesis import given, settings, strategies as st

@pytest.mark.prodreal_corpus
@settings(database=None, max_examples=5)
@given(n=st.integers(0, 10))
def test_fine(n):
    assert n >= 0
"""


def test_a_later_run_removes_what_a_killed_writer_left(pytester: pytest.Pytester) -> None:
    """A SIGKILL mid-save leaves a temporary file; the next run cleans it, saved or not."""
    pytester.makepyfile(test_c=CORPUS_TEST)
    directory = pytester.path / "prodreal-corpus" / "test_c"
    directory.mkdir(parents=True)
    (directory / "test_fine.jsonl").write_text('{"n": 3}\n')
    leftovers = [directory / ".tmp-4f2a9c.jsonl", directory / ".test_fine.jsonl.0a1b2c3d.tmp"]
    for path in leftovers:
        path.write_text('{"n": ')  # cut short by the kill
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1)
    assert sorted(p.name for p in directory.iterdir()) == ["test_fine.jsonl"]


SHARED = """
import pytest
from hypothesis import given, settings, strategies as st

@pytest.mark.parametrize("case", range(12))
@pytest.mark.prodreal_corpus(name="shared")
@settings(database=None, max_examples=30, derandomize=True)
@given(n=st.integers(0, 100))
def test_case(case, n):
    assert n < case + 50
"""


def _shared_run(pytester: pytest.Pytester, args: list[str]) -> tuple[dict[str, int], list[str]]:
    result = pytester.runpytest("-p", "no:randomly", "-q", *args)
    outcomes = {k: v for k, v in result.parseoutcomes().items() if k in ("passed", "failed")}
    path = pytester.path / "prodreal-corpus" / "test_shared" / "shared.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    saved = sorted(
        json.dumps({k: v for k, v in json.loads(ln).items() if k == "n"}) for ln in lines
    )
    return outcomes, saved


def test_a_shared_corpus_gives_the_same_result_serially_and_under_xdist(
    pytester: pytest.Pytester,
) -> None:
    pytest.importorskip("xdist")
    # Two fresh projects, one run each: the outcomes and the saved entries must match.
    pytester.makepyfile(test_shared=SHARED)
    serial = _shared_run(pytester, [])
    (pytester.path / "prodreal-corpus").rename(pytester.path / "serial-corpus")
    parallel = _shared_run(pytester, ["-n", "2"])
    assert serial == parallel
    assert serial[0]["failed"] == 12 and len(serial[1]) == 12, serial


def test_a_run_seed_replays_the_same_hypothesis_examples(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_seeded=textwrap.dedent(
            """
            from hypothesis import given, settings
            from pytest_prodreal.strategies import messy_text

            @settings(database=None, max_examples=8, derandomize=False)
            @given(text=messy_text("hello world"))
            def test_draw(text):
                print("DRAW", repr(text))
            """
        )
    )

    def draws(seed: str) -> list[str]:
        result = pytester.runpytest("-p", "no:randomly", "-s", f"--prodreal-seed={seed}")
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()
        return [ln for ln in result.stdout.lines if ln.startswith("DRAW")]

    first = draws("42")
    assert first and draws("42") == first
    assert draws("43") != first
