"""Whole-file writes get the mode a plain write would, and leave nothing behind on failure."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_prodreal._atomic import (
    append_line_durable,
    is_temp_name,
    remove_stale_temp_files,
    write_text_atomic,
    write_texts_atomic,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """Set the process umask for one test and put the old one back."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077, 0o027, 0o000])
@pytest.mark.parametrize(
    "write",
    [
        lambda p: write_text_atomic(p, "x"),
        lambda p: write_texts_atomic([(p, "x")]),
        lambda p: append_line_durable(p, "x"),
    ],
    ids=["write_text_atomic", "write_texts_atomic", "append_line_durable"],
)
def test_new_files_get_the_umask_mode_of_a_plain_write(
    tmp_path: Path, umask: Callable[[int], int], mask: int, write: Callable[[Path], None]
) -> None:
    umask(mask)
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    ours = tmp_path / "ours.txt"
    write(ours)
    assert _mode(ours) == _mode(plain) == 0o666 & ~mask


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_replacing_a_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("old")
    path.chmod(0o640)
    write_text_atomic(path, "new")
    assert path.read_text() == "new"
    assert _mode(path) == 0o640


def test_write_texts_atomic_is_all_or_nothing(tmp_path: Path) -> None:
    good = tmp_path / "a.txt"
    with pytest.raises(FileNotFoundError):
        write_texts_atomic([(good, "a"), (tmp_path / "missing" / "b.txt", "b")])
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "dir").mkdir()
    with pytest.raises(IsADirectoryError):
        write_texts_atomic([(good, "a"), (tmp_path / "dir", "b")])
    assert [p.name for p in tmp_path.iterdir()] == ["dir"]


def test_append_line_durable_appends_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "c.jsonl"
    for i in range(3):
        append_line_durable(path, f'{{"i": {i}}}')
    assert path.read_text().splitlines() == ['{"i": 0}', '{"i": 1}', '{"i": 2}']


def test_stale_temporary_files_are_removed_and_fresh_ones_kept(tmp_path: Path) -> None:
    stale = tmp_path / ".c.jsonl.0123456789abcdef.tmp"
    fresh = tmp_path / ".c.jsonl.fedcba9876543210.tmp"
    other = tmp_path / ".hidden.tmp"
    for p in (stale, fresh, other):
        p.write_text("x")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    assert is_temp_name(stale.name) and not is_temp_name(other.name)
    assert remove_stale_temp_files(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, other.name])
    assert remove_stale_temp_files(tmp_path / "none") == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pytest_prodreal._atomic as atomic

    path = tmp_path / "r.json"
    path.write_text("old")

    def boom(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OSError, match="No space"):
        write_text_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
