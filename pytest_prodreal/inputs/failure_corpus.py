"""The failure corpus: inputs that once broke a test, kept in a committable file, replayed first.

One JSON Lines file per test; each line is one failing input (a JSON object of the test's
arguments, keys sorted). Files are deduplicated and sorted, so they diff well and two branches
merge cleanly. Writers take an exclusive lock on the corpus directory (``fcntl.flock``; a
``O_EXCL`` lock file where ``fcntl`` is missing), merge what is on disk with what they add, and
replace the file atomically, so concurrent pytest-xdist workers lose no entry. A line that is not
a JSON object is a :class:`CorpusError` naming the file and line.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidArgument

__all__ = ["CorpusEntry", "CorpusError", "FailureCorpus", "corpus_file_for", "merge_corpora"]


class CorpusError(InvalidArgument):
    """A corpus file cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class CorpusEntry:
    """One saved failing input: the test's arguments, and where it sits in the file."""

    arguments: dict[str, Any]
    path: str
    line: int


def canonical(arguments: Mapping[str, Any]) -> str:
    """The one-line form an entry is stored (and deduplicated) as.

    Raises ``InvalidArgument`` for values JSON cannot hold (bytes, sets, objects).
    """
    if not isinstance(arguments, Mapping) or not all(isinstance(k, str) for k in arguments):
        raise InvalidArgument(
            f"failure corpus entries must map argument names to JSON values, got {arguments!r:.80}"
        )
    try:
        return json.dumps(
            dict(arguments), sort_keys=True, ensure_ascii=False, separators=(", ", ": ")
        )
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(
            f"failure corpus: cannot store {arguments!r:.80} as JSON ({exc}); only str, numbers, "
            "bools, None, lists and dicts can be saved"
        ) from None


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: an exclusive-create lock file, polled
        lock = directory / ".prodreal-corpus.lock"
        deadline = time.monotonic() + 30
        while True:
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                break
            except FileExistsError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"could not lock {lock} within 30 s") from None
                time.sleep(0.01)
        try:
            yield
        finally:
            os.close(fd)
            os.unlink(lock)
        return
    # flock on the directory itself: no lock file is left beside the committed corpus.
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class FailureCorpus:
    """One corpus file (``*.jsonl``): read its entries, add new ones safely."""

    def __init__(self, path: str | Path) -> None:
        if not isinstance(path, (str, Path)):
            raise InvalidArgument(f"FailureCorpus: path must be a str or Path, got {path!r}")
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"FailureCorpus({str(self.path)!r})"

    def entries(self) -> list[CorpusEntry]:
        """The saved entries, in file order; ``[]`` when the file does not exist yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{self.path}: not UTF-8 text (byte {exc.start})") from None
        out: list[CorpusEntry] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(
                    f"{self.path}:{number}: corrupt failure corpus line ({exc.msg} at column "
                    f"{exc.colno}); fix or delete that line (each line is one JSON object)"
                ) from None
            if not isinstance(data, dict):
                raise CorpusError(
                    f"{self.path}:{number}: corrupt failure corpus line (a JSON "
                    f"{type(data).__name__}, expected an object of argument names to values)"
                )
            out.append(CorpusEntry(data, str(self.path), number))
        return out

    def add(self, entries: Iterable[Mapping[str, Any]]) -> int:
        """Merge ``entries`` into the file; returns how many were new.

        The file stays sorted and deduplicated, and is replaced atomically under a lock, so
        concurrent writers in other processes lose nothing.
        """
        lines = {canonical(e) for e in entries}
        if not lines:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(self.path.parent):
            existing = {canonical(e.arguments) for e in self.entries()}
            new = lines - existing
            if not new:
                return 0
            body = "".join(f"{line}\n" for line in sorted(existing | new))
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-", suffix=".jsonl")
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(body)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
        return len(new)


_PARAMS = re.compile(r"\[.*\]$")
_UNSAFE = re.compile(r"[^\w.-]+")


def corpus_file_for(directory: str | Path, nodeid: str, name: str | None = None) -> Path:
    """Where the corpus of the test ``nodeid`` lives under ``directory``.

    ``tests/test_api.py::TestX::test_y[param]`` -> ``<directory>/tests/test_api/TestX.test_y.jsonl``
    (parameters share one file; ``name`` replaces the file's stem).
    """
    module, _, rest = nodeid.partition("::")
    rest = _PARAMS.sub("", rest)
    parts = [p for p in module.removesuffix(".py").split("/") if p not in ("", ".", "..")]
    stem = name if name is not None else ".".join(rest.split("::")) or "module"
    return Path(directory, *parts, _UNSAFE.sub("_", stem) + ".jsonl")


def merge_corpora(source: str | Path, destination: str | Path) -> int:
    """Merge every ``*.jsonl`` corpus under ``source`` into ``destination``.

    Use it to promote corpora downloaded from CI artifacts. Returns how many entries were new.
    """
    src, dst = Path(source), Path(destination)
    if not src.is_dir():
        raise InvalidArgument(f"merge_corpora: source {str(src)!r} is not a directory")
    added = 0
    for path in sorted(src.rglob("*.jsonl")):
        if path.name.startswith(".tmp-"):
            continue
        entries = [e.arguments for e in FailureCorpus(path).entries()]
        added += FailureCorpus(dst / path.relative_to(src)).add(entries)
    return added
