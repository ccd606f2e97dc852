"""Corpus files (issue 10): appends, torn lines, stale temporaries, modes, shared names."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_prodreal.inputs import FailureCorpus
from pytest_prodreal.inputs.failure_corpus import RUN_KEY


def test_a_torn_last_line_is_ignored_then_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"q": "a"}\n{"q": "b"}\n{"q": "c')  # killed in the middle of a write
    corpus = FailureCorpus(path)
    assert [e.arguments for e in corpus.entries()] == [{"q": "a"}, {"q": "b"}]
    assert corpus.add([{"q": "b"}, {"q": "d"}]) == 1
    assert path.read_text() == '{"q": "a"}\n{"q": "b"}\n{"q": "d"}\n'


def test_a_final_line_without_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"q": "a"}')  # hand-edited, no final newline: a whole entry
    assert FailureCorpus(path).add([{"q": "b"}]) == 1
    assert path.read_text() == '{"q": "a"}\n{"q": "b"}\n'


def test_a_corrupt_middle_line_is_still_an_error(tmp_path: Path) -> None:
    from pytest_prodreal.inputs import CorpusError

    path = tmp_path / "c.jsonl"
    path.write_text('{"q": "a"}\nnot json\n{"q": "b"}\n')
    with pytest.raises(CorpusError, match=r"c.jsonl:2: corrupt failure corpus line"):
        FailureCorpus(path).add([{"q": "c"}])


def test_stale_temporary_files_are_removed_at_the_next_save(tmp_path: Path) -> None:
    stale = [tmp_path / ".tmp-abc123.jsonl", tmp_path / ".c.jsonl.x1y2.tmp"]
    for path in stale:
        path.write_text('{"q": "half')
    FailureCorpus(tmp_path / "c.jsonl").add([{"q": "a"}])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]


def test_new_files_get_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        FailureCorpus(tmp_path / "c.jsonl").add([{"q": "a"}])
    finally:
        os.umask(old)
    assert (tmp_path / "c.jsonl").stat().st_mode & 0o777 == 0o644


_WRITER = """
import sys
from pytest_prodreal.inputs import FailureCorpus
corpus = FailureCorpus(sys.argv[1])
i = 0
print("ready", flush=True)
while True:
    corpus.add([{"i": i, "pad": "x" * 2000}])
    i += 1
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_sigkill_during_saves_leaves_a_readable_corpus(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    time.sleep(0.5)
    for proc in procs:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    corpus = FailureCorpus(path)
    before = len(corpus.entries())
    assert before > 0
    assert corpus.add([{"after": True}]) == 1
    assert len(FailureCorpus(path).entries()) == before + 1
    assert [p.name for p in tmp_path.iterdir()] == ["c.jsonl"]


class _CountingOs:
    """``os`` as the corpus module sees it, counting the bytes it writes and reads."""

    def __init__(self) -> None:
        self.bytes_written = 0
        self.bytes_read = 0

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    def write(self, fd: int, data: bytes) -> int:
        self.bytes_written += len(data)
        return os.write(fd, data)

    def read(self, fd: int, n: int) -> bytes:
        chunk = os.read(fd, n)
        self.bytes_read += len(chunk)
        return chunk


def test_a_save_writes_its_own_line_and_reads_nothing_it_has_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The old save rewrote the whole file each time (quadratic: 2,000 saves took 48 s). Counted
    # in bytes rather than timed, so a loaded machine cannot make it flake; the seconds are the
    # corpus_save_2000_s benchmark's.
    from pytest_prodreal.inputs import failure_corpus

    counting = _CountingOs()
    monkeypatch.setattr(failure_corpus, "os", counting)
    path = tmp_path / "c.jsonl"
    corpus = FailureCorpus(path)
    assert corpus.add([{"i": 0}]) == 1
    inode = path.stat().st_ino
    for i in range(1, 400):
        assert corpus.add([{"i": i}]) == 1
    size = path.stat().st_size
    assert path.stat().st_ino == inode  # appended in place, never replaced
    assert counting.bytes_written == size  # every byte written once: no rewrite
    assert counting.bytes_read == 0  # the writer never re-reads what it wrote itself
    # Another writer (another xdist worker) reads the file once, then only what is new.
    other = FailureCorpus(path)
    assert other.add([{"i": 400}]) == 1
    assert counting.bytes_read == size
    assert corpus.add([{"i": 401}, {"i": 400}]) == 1  # sees the other's line: no duplicate
    assert counting.bytes_read == size + len(b'{"i": 400}\n')
    assert len(FailureCorpus(path).entries()) == 402


def test_this_runs_saves_are_not_replayed_by_this_run(tmp_path: Path) -> None:
    from pytest_prodreal.inputs import TestCorpus

    path = tmp_path / "c.jsonl"
    path.write_text('{"q": "committed"}\n')
    first = TestCorpus(FailureCorpus(path), "record", run="run-1")
    assert first.save({"q": "new"}) and not first.save({"q": "committed"})
    assert [e.arguments for e in first.load()] == [{"q": "committed"}]
    later = TestCorpus(FailureCorpus(path), "record", run="run-2")
    assert [e.arguments for e in later.load()] == [{"q": "committed"}, {"q": "new"}]
    assert RUN_KEY in path.read_text().splitlines()[1]
    FailureCorpus(path).compact()  # before committing: sorted, no run tags
    assert path.read_text() == '{"q": "committed"}\n{"q": "new"}\n'


SHARED = """
import pytest
from hypothesis import given, settings, strategies as st

@pytest.mark.parametrize("case", range(40))
@pytest.mark.prodreal_corpus(name="shared")
@settings(database=None, max_examples=50, derandomize=True)
@given(n=st.integers(0, 100))
def test_case(case, n):
    assert n < case + 50  # each case shrinks to its own example, n == case + 50
"""


@pytest.mark.parametrize("args", [[], ["-n", "4"]], ids=["serial", "xdist-4"])
def test_a_shared_corpus_saves_every_case_whatever_the_schedule(
    pytester: pytest.Pytester, args: list[str]
) -> None:
    # Each case saves its own example; none fails on another's saved in the same run.
    pytester.makepyfile(test_shared=SHARED)
    pytester.runpytest("-p", "no:randomly", *args).assert_outcomes(failed=40)
    path = pytester.path / "prodreal-corpus" / "test_shared" / "shared.jsonl"
    entries = FailureCorpus(path).entries()
    assert sorted(e.arguments["n"] for e in entries) == list(range(50, 90))
    result = pytester.runpytest("-p", "no:randomly", *args)  # a later run replays them all
    result.assert_outcomes(failed=40)
    assert result.stdout.str().count("failure corpus regression") >= 40


def test_the_failure_corpus_fixture_is_a_deprecated_alias(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_old(failure_corpus, prodreal_corpus):
            assert failure_corpus.path == prodreal_corpus.path
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "-W", "error::DeprecationWarning")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*failure_corpus fixture is deprecated; use prodreal_corpus*"])
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1, warnings=1)
