"""The failure corpus: inputs that once broke a test, kept in a committable file, replayed first.

One JSON Lines file per test; each line is one failing input (a JSON object of the test's
arguments, keys sorted), deduplicated. Saves append one line under an exclusive lock on the
corpus directory (``fcntl.flock``; a ``O_EXCL`` lock file where ``fcntl`` is missing) with
``O_APPEND`` and ``fsync``, so concurrent pytest-xdist workers lose no entry, a save costs the
same whatever the file's size, and a kill leaves at most a torn last line, which readers ignore
and the next save cuts off. ``compact()`` sorts the file for a clean diff. A line that is not a
JSON object is a :class:`CorpusError` naming the file and line.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidArgument

__all__ = [
    "CorpusEntry",
    "CorpusError",
    "FailureCorpus",
    "TestCorpus",
    "corpus_file_for",
    "merge_corpora",
    "remove_stale_temporaries",
]


class CorpusError(InvalidArgument):
    """A corpus file cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class CorpusEntry:
    """One saved failing input: the test's arguments, and where it sits in the file."""

    arguments: dict[str, Any]
    path: str
    line: int
    run: str | None = None  # the run that saved it (None for committed, compacted entries)


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


#: The key a run's own saves carry, so that run does not replay them (see ``TestCorpus``).
RUN_KEY = "_prodreal_run"


class FailureCorpus:
    """One corpus file (``*.jsonl``): read its entries, append new ones safely.

    Saves are appends: under an exclusive lock, one line is written with ``O_APPEND`` and
    ``fsync``-ed, so a save costs the same whatever the file's size and concurrent writers in
    other processes lose nothing. A last line torn by a kill (no newline, not JSON) is ignored
    when reading and cut off before the next append. New files get the mode the umask gives.
    """

    def __init__(self, path: str | Path) -> None:
        if not isinstance(path, (str, Path)):
            raise InvalidArgument(f"FailureCorpus: path must be a str or Path, got {path!r}")
        self.path = Path(path)
        # What this object last read: (device, inode), bytes read, canonical lines seen.
        self._seen_file: tuple[int, int] | None = None
        self._seen_size = 0
        self._seen: set[str] = set()
        self._cleaned = False

    def sync(self) -> None:
        """``fsync`` the file (after ``add(..., sync=False)``); nothing when it does not exist."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def __repr__(self) -> str:
        return f"FailureCorpus({str(self.path)!r})"

    def _parse(self, text: str, first_line: int) -> tuple[list[CorpusEntry], int]:
        """Entries of ``text`` and how many characters of it are whole lines."""
        out: list[CorpusEntry] = []
        lines = text.split("\n")
        whole = len(text)
        for offset, line in enumerate(lines):
            number = first_line + offset
            if not line.strip():
                continue
            last = offset == len(lines) - 1  # no newline after it: maybe torn by a kill
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                if last:
                    whole = len(text) - len(line)
                    break
                raise CorpusError(
                    f"{self.path}:{number}: corrupt failure corpus line ({exc.msg} at column "
                    f"{exc.colno}); fix or delete that line (each line is one JSON object)"
                ) from None
            if not isinstance(data, dict):
                raise CorpusError(
                    f"{self.path}:{number}: corrupt failure corpus line (a JSON "
                    f"{type(data).__name__}, expected an object of argument names to values)"
                )
            run = data.pop(RUN_KEY, None)
            tag = run if isinstance(run, str) else None
            out.append(CorpusEntry(data, str(self.path), number, tag))
        return out, whole

    def entries(self) -> list[CorpusEntry]:
        """The saved entries, in file order; ``[]`` when the file does not exist yet."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{self.path}: not UTF-8 text (byte {exc.start})") from None
        return self._parse(text, 1)[0]

    def _refresh(self, fd: int) -> None:
        """Bring ``_seen`` up to date with the file (read only what was appended since)."""
        st = os.fstat(fd)
        ident = (st.st_dev, st.st_ino)
        if ident != self._seen_file or st.st_size < self._seen_size:
            self._seen_file, self._seen_size, self._seen = ident, 0, set()
        if st.st_size == self._seen_size:
            return
        os.lseek(fd, self._seen_size, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        raw = b"".join(chunks)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{self.path}: not UTF-8 text (byte {exc.start})") from None
        first = 1 + (0 if not self._seen_size else -1)  # line numbers: only for messages
        found, whole = self._parse(text, max(first, 1))
        self._seen.update(canonical(e.arguments) for e in found)
        whole_bytes = len(text[:whole].encode("utf-8"))
        if whole_bytes < len(raw):  # a torn last line: cut it off before appending
            os.ftruncate(fd, self._seen_size + whole_bytes)
        elif raw and not raw.endswith(b"\n"):  # a hand-edited file without a final newline
            os.lseek(fd, 0, os.SEEK_END)
            os.write(fd, b"\n")
            whole_bytes += 1
        self._seen_size += whole_bytes

    def add(
        self, entries: Iterable[Mapping[str, Any]], *, run: str | None = None, sync: bool = True
    ) -> int:
        """Append the ``entries`` not in the file yet; returns how many were new.

        ``run`` tags the lines with the run that saved them (the plugin passes its run id, so
        the same run does not replay what it just saved). Deduplication ignores the tag.
        The append is one ``write``: a killed process loses nothing it wrote. ``sync=False``
        leaves the ``fsync`` (which guards against a power loss) to a later :meth:`sync`.
        """
        lines = list(dict.fromkeys(canonical(e) for e in entries))
        if not lines:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(self.path.parent):
            if not self._cleaned:  # once per object: what a killed writer left behind
                remove_stale_temporaries(self.path.parent)
                self._cleaned = True
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                self._refresh(fd)
                new = [line for line in lines if line not in self._seen]
                if not new:
                    return 0
                tagged = new if run is None else [_tag(line, run) for line in new]
                body = "".join(f"{line}\n" for line in tagged).encode("utf-8")
                os.write(fd, body)  # O_APPEND: one write lands at the end, whole
                if sync:
                    os.fsync(fd)
                self._seen.update(new)
                self._seen_size += len(body)
            finally:
                os.close(fd)
        return len(new)

    def compact(self) -> int:
        """Rewrite the file sorted and deduplicated, without run tags; returns the entry count.

        Use it before committing a corpus (``merge_corpora`` writes compacted files too).
        """
        from .._atomic import write_text_atomic

        with _locked(self.path.parent):
            lines = sorted({canonical(e.arguments) for e in self.entries()})
            write_text_atomic(self.path, "".join(f"{line}\n" for line in lines))
            self._seen_file = None
        return len(lines)


def _tag(line: str, run: str) -> str:
    data = json.loads(line)
    data[RUN_KEY] = run
    return canonical(data)


#: Temporary files of earlier versions (and of killed compactions) look like this.
_TEMPORARY = (".tmp-*.jsonl", ".*.jsonl.*.tmp")


def remove_stale_temporaries(directory: Path) -> int:
    """Remove temporary files a killed writer left in ``directory``; returns how many.

    Called with the directory's lock held: every writer holds it while its temporary file
    exists, so any temporary file seen under the lock belongs to a writer that died.
    """
    removed = 0
    for pattern in _TEMPORARY:
        for path in directory.glob(pattern):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    return removed


#: How often (at most) ``TestCorpus.save`` fsyncs; ``close()`` syncs the rest.
SYNC_INTERVAL_S = 0.1


class TestCorpus:
    """The failure corpus of one test in one run: the entries to replay, and a way to save more.

    ``entries`` are the ones saved by *earlier* runs (and committed ones): what this run saves
    is not replayed by this run, so with ``name=`` shared between parametrized cases (or xdist
    workers) a case never fails on another case's example saved moments ago, and the result
    does not depend on scheduling. ``mode`` is ``record``, ``replay`` or ``off``.
    """

    __test__ = False  # not a test class, whatever its name

    def __init__(self, corpus: FailureCorpus, mode: str = "record", run: str | None = None) -> None:
        self._corpus = corpus
        self.mode = mode
        self.run = run
        self.saved = 0
        self._synced = time.monotonic()
        self._dirty = False

    @property
    def path(self) -> Path:
        """The corpus file (it may not exist yet)."""
        return self._corpus.path

    def load(self) -> list[CorpusEntry]:
        """The entries to replay (none in ``off`` mode); records nothing."""
        if self.mode == "off":
            return []
        return [e for e in self._corpus.entries() if self.run is None or e.run != self.run]

    @property
    def entries(self) -> list[CorpusEntry]:
        """The entries to replay, in file order (raises ``CorpusError`` naming a corrupt line).

        Reading at least one records ``failure_corpus`` evidence (the test replays them; it is
        verified when the test passes). An empty corpus records nothing: replaying nothing
        proves nothing.
        """
        from .._kit import record_if_in_test

        try:
            found = self.load()
        except CorpusError as exc:
            record_if_in_test(
                "failure_corpus", held=False, check="failure_corpus", summary=str(exc)
            )
            raise
        if found:
            record_if_in_test(
                "failure_corpus",
                held=True,
                check="failure_corpus",
                summary=f"replayed {len(found)} saved failing input(s) from {self.path.name}",
                figures={"replayed": len(found), "mode": self.mode},
            )
        return found

    def save(self, arguments: Mapping[str, Any]) -> bool:
        """Save one failing input (a mapping of argument names to JSON values).

        Returns whether it was new; does nothing in ``replay`` and ``off`` modes.
        """
        if self.mode != "record":
            return False
        # fsync at most every SYNC_INTERVAL_S (and at close): many saves in one test stay
        # linear and fast; a killed process still loses nothing, a power loss at most that.
        now = time.monotonic()
        sync = now - self._synced >= SYNC_INTERVAL_S
        new = self._corpus.add([arguments], run=self.run, sync=sync) > 0
        if sync:
            self._synced, self._dirty = now, False
        else:
            self._dirty = self._dirty or new
        self.saved += new
        return new

    def close(self) -> None:
        """``fsync`` what :meth:`save` appended since the last sync (the plugin calls it)."""
        if self._dirty:
            self._corpus.sync()
            self._dirty = False


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
        target = FailureCorpus(dst / path.relative_to(src))
        added += target.add(entries)
        target.compact()
    return added
