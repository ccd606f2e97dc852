"""Whole-file writes: a reader sees the old file or the new one, never half of one.

Every file the plugin writes (reports, ``combine`` output, corpus files) goes through here, so
every file gets the mode a plain ``open(path, "w")`` would give it: ``0o666`` less the umask for
a new file, the old mode when replacing one. The temporary file is created with
``os.open(..., 0o666)`` so the kernel applies the umask itself; reading the umask would need
``os.umask`` (a process-wide set-and-restore that races other threads).

Temporary files are siblings named ``.<name>.<random>.tmp`` (see :func:`is_temp_name`); a
process killed mid-write can leave one behind, and :func:`remove_stale_temp_files` clears them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "append_line_durable",
    "append_text",
    "is_temp_name",
    "remove_stale_temp_files",
    "write_text_atomic",
    "write_texts_atomic",
]

_TEMP_SUFFIX = ".tmp"
_NEW_FILE_MODE = 0o666  # what open(path, "w") asks for; the kernel applies the umask


def is_temp_name(name: str) -> bool:
    """Whether a file name is one of this module's temporary files (``.<name>.<hex>.tmp``)."""
    if not (name.startswith(".") and name.endswith(_TEMP_SUFFIX)):
        return False
    stem = name[1 : -len(_TEMP_SUFFIX)]
    _, dot, token = stem.rpartition(".")
    return bool(dot) and len(token) == 16 and all(c in "0123456789abcdef" for c in token)


def _create_temp(path: Path) -> tuple[int, Path]:
    """Create a fresh sibling temporary file (mode ``0o666`` less the umask); return fd, path."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}{_TEMP_SUFFIX}")
        try:
            return os.open(tmp, flags, _NEW_FILE_MODE), tmp
        except FileExistsError:  # pragma: no cover - 64 random bits
            continue


def _stage(path: Path, data: bytes) -> Path:
    """Write ``data`` to a durable temporary sibling of ``path``; return its path."""
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileNotFoundError):
            # Replacing a file keeps its mode, as writing into it would.
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def write_text_atomic(path: Path, text: str) -> None:
    r"""Write ``text`` (UTF-8, ``\n`` line ends) to ``path`` through a temporary file, then rename.

    ``os.replace`` is atomic on POSIX and Windows when both names are on one file system, which
    a sibling temporary file guarantees. On any error the temporary file is removed and the old
    file (if any) is left untouched. Missing parent directories are created.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _stage(path, text.encode("utf-8"))
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_texts_atomic(files: Sequence[tuple[Path, str]]) -> None:
    """Write several files all or nothing: on any error, none of them is left written.

    Every text is encoded and written to a temporary sibling first (the step where a full disk,
    a missing or read-only directory or a directory in the way shows up); only then are they
    renamed into place. Should a rename still fail, the files this call already put in place are
    removed again, so a failed call leaves no new file. Parent directories are not created:
    check them first (a directory made for a failed command would be something written).
    """
    staged: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for path, text in files:
            if path.is_dir():
                raise IsADirectoryError(21, "Is a directory", str(path))
            staged.append((_stage(path, text.encode("utf-8")), path))
        for tmp, path in staged:
            os.replace(tmp, path)
            placed.append(path)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        for path in placed:
            with contextlib.suppress(OSError):
                os.unlink(path)
        raise


def append_text(path: Path, text: str) -> None:
    """Append ``text`` with one ``write`` call (as ``$GITHUB_STEP_SUMMARY`` expects appends)."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


def append_line_durable(path: Path, line: str) -> None:
    r"""Append one line (a ``\n`` is added if missing) with one ``O_APPEND`` write, then fsync.

    For append-only logs such as a JSON Lines corpus: each save costs one small write instead of
    rewriting the file. Concurrent appenders (xdist workers) never interleave inside a line on a
    local file system, since each line is a single ``write`` to an ``O_APPEND`` descriptor; a
    crash can at worst leave the *last* line cut short, which readers should skip. The parent
    directory is created if missing; a new file gets the umask's mode.
    """
    if not line.endswith("\n"):
        line += "\n"
    data = line.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, _NEW_FILE_MODE)
    try:
        view = memoryview(data)
        while view:  # os.write may write less than asked (signals, quotas)
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temp_files(directory: Path, *, older_than: float = 60.0) -> list[Path]:
    """Remove this module's temporary files in ``directory`` not touched for ``older_than`` s.

    A process killed between creating and renaming its temporary file leaves it behind; the age
    limit spares the live temporary files of a concurrent writer (another xdist worker).
    Returns what was removed; a missing directory removes nothing.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return removed
    for entry in entries:
        if not is_temp_name(entry.name):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime >= older_than:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed
