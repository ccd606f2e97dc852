"""Evidence: what a check proved when it ran.

A marker says what a test *intends* to cover; evidence says what a check *did*. Every check
helper — ours or a user's own — calls :func:`record_evidence` while a test runs, naming the remedy
it exercised, whether the check held, and the figures behind it. The pytest glue attaches what a
test recorded to that test's report, so evidence crosses pytest-xdist like any report field.

Why a process-wide sink rather than a fixture argument: checks are plain functions usable from
scripts, and they run in threads and event loops the test starts, where neither a ``request``
object nor a context variable reaches. The sink is installed and removed by the plugin around each
test phase (or by :func:`collecting_evidence` in a script), guarded by a lock.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from .errors import EvidenceError, InvalidArgument

__all__ = [
    "Evidence",
    "EvidenceSink",
    "FigureValue",
    "collecting_evidence",
    "in_test",
    "record_evidence",
]

#: The type of one figure: a JSON scalar.
FigureValue = bool | int | float | str | None


@dataclass(frozen=True)
class Evidence:
    """One check's result: the remedy it exercised, whether it held, and its figures.

    ``figures`` maps names to JSON scalars, for example ``{"calls": 7, "virtual_s": 91.4}``.
    """

    remedy: str
    held: bool
    check: str = ""
    summary: str = ""
    figures: Mapping[str, FigureValue] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """Plain JSON data, as stored in the report's ``tests[].evidence``."""
        return {
            "remedy": self.remedy,
            "held": self.held,
            "check": self.check,
            "summary": self.summary,
            "figures": dict(sorted(self.figures.items())),
        }

    @classmethod
    def from_json(cls, data: object) -> Evidence:
        """Rebuild evidence from :meth:`to_json` output (raises ``InvalidArgument``)."""
        if not isinstance(data, dict):
            raise InvalidArgument(f"evidence must be a JSON object, got {type(data).__name__}")
        try:
            return cls(
                remedy=str(data["remedy"]),
                held=bool(data["held"]),
                check=str(data.get("check", "")),
                summary=str(data.get("summary", "")),
                figures=_check_figures(data.get("figures") or {}),
            )
        except KeyError as exc:
            raise InvalidArgument(f"evidence is missing the {exc.args[0]!r} field") from None


def _check_figures(figures: object) -> dict[str, FigureValue]:
    __tracebackhide__ = True
    if not isinstance(figures, Mapping):
        raise InvalidArgument(
            f"figures must be a mapping of names to numbers or text, got {type(figures).__name__}"
        )
    out: dict[str, FigureValue] = {}
    for key, value in figures.items():
        if not isinstance(key, str):
            raise InvalidArgument(f"figure names must be text, got {key!r}")
        if isinstance(value, float) and not math.isfinite(value):
            value = None  # JSON has no inf/nan; "no finite value" reads honestly as null
        elif value is not None and not isinstance(value, (bool, int, float, str)):
            raise InvalidArgument(
                f"figure {key!r} must be a number, text, bool or None, got {type(value).__name__}"
            )
        out[key] = value
    return out


class EvidenceSink:
    """A thread-safe list of evidence for one test (or one script run)."""

    def __init__(self, known_remedies: frozenset[str] | None = None) -> None:
        self._lock = threading.Lock()
        self._items: list[Evidence] = []
        self.known_remedies = known_remedies

    def add(self, evidence: Evidence) -> None:
        """Append one piece of evidence."""
        with self._lock:
            self._items.append(evidence)

    def drain(self) -> list[Evidence]:
        """Return and forget everything recorded so far."""
        with self._lock:
            items, self._items = self._items, []
        return items

    @property
    def items(self) -> tuple[Evidence, ...]:
        """A snapshot of what was recorded so far."""
        with self._lock:
            return tuple(self._items)


class _Runtime:
    """The one process-wide home for the active sink (see the module docstring for why)."""

    __slots__ = ("known_remedies", "sink")

    def __init__(self) -> None:
        self.sink: EvidenceSink | None = None
        # Set by the plugin at configure time so ids added by hooks are accepted even when no
        # report was asked for (and so nothing is being collected).
        self.known_remedies: frozenset[str] | None = None


_RUNTIME = _Runtime()


def in_test() -> bool:
    """Whether a test (or a :func:`collecting_evidence` block) is running in this process."""
    return _RUNTIME.sink is not None or "PYTEST_CURRENT_TEST" in os.environ


def _known() -> frozenset[str]:
    sink = _RUNTIME.sink
    if sink is not None and sink.known_remedies is not None:
        return sink.known_remedies
    if _RUNTIME.known_remedies is not None:
        return _RUNTIME.known_remedies
    from .taxonomy import DEFAULT_TAXONOMY

    return frozenset(r.id for r in DEFAULT_TAXONOMY.remedies)


def record_evidence(
    remedy: str,
    *,
    held: bool,
    figures: Mapping[str, FigureValue] | None = None,
    summary: str = "",
    check: str = "",
) -> Evidence:
    """Record that ``remedy`` was exercised by a check, and whether the check ``held``.

    Call it from inside a running test (any thread). Only a *passing* test's holding evidence
    verifies a remedy; evidence with ``held=False`` marks it failing. Returns the evidence.

    Raises :class:`EvidenceError` outside a running test (evidence must never count silently),
    and :class:`InvalidArgument` for an unknown remedy id or a figure that is not a JSON scalar.
    """
    __tracebackhide__ = True  # a misuse points at the caller's line, not ours
    if not isinstance(remedy, str) or remedy not in _known():
        from .taxonomy import DEFAULT_TAXONOMY

        known = sorted(_known())
        hint = DEFAULT_TAXONOMY.suggest(remedy) if isinstance(remedy, str) else None
        did = f" Did you mean {hint!r}?" if hint else ""
        raise InvalidArgument(
            f"record_evidence: unknown remedy {remedy!r}.{did} Valid remedies: {', '.join(known)}."
        )
    if not isinstance(held, bool):
        raise InvalidArgument(f"record_evidence: held must be True or False, got {held!r}")
    ev = Evidence(
        remedy=remedy,
        held=held,
        check=str(check or remedy),
        summary=str(summary),
        figures=_check_figures(figures or {}),
    )
    sink = _RUNTIME.sink
    if sink is not None:
        sink.add(ev)
    elif "PYTEST_CURRENT_TEST" not in os.environ:
        raise EvidenceError(
            f"record_evidence({remedy!r}) was called outside a running test; evidence only counts "
            "from inside a test (or a collecting_evidence() block in a script)"
        )
    # Else: a test is running but nothing asked for a report, so there is nowhere to count it.
    return ev


def _record_if_in_test(
    remedy: str,
    *,
    held: bool,
    figures: Mapping[str, FigureValue] | None = None,
    summary: str = "",
    check: str = "",
) -> Evidence | None:
    """For library checks: record when a test is running, do nothing in a plain script."""
    __tracebackhide__ = True
    if not in_test():
        return None
    return record_evidence(remedy, held=held, figures=figures, summary=summary, check=check)


@contextmanager
def collecting_evidence() -> Iterator[EvidenceSink]:
    """Collect evidence outside pytest (a script, a notebook); yields the sink.

    Nested use restores the outer sink on exit.
    """
    outer = _RUNTIME.sink
    sink = EvidenceSink(known_remedies=outer.known_remedies if outer else None)
    _RUNTIME.sink = sink
    try:
        yield sink
    finally:
        _RUNTIME.sink = outer


def _install_sink(sink: EvidenceSink | None) -> EvidenceSink | None:
    """Glue-only: make ``sink`` the active one; returns the previous sink."""
    prev, _RUNTIME.sink = _RUNTIME.sink, sink
    return prev


def _set_known_remedies(ids: frozenset[str] | None) -> frozenset[str] | None:
    """Glue-only: set the remedy ids of this session's taxonomy (hooks included).

    Returns the previous ones, so a nested session (pytester) can put them back.
    """
    prev, _RUNTIME.known_remedies = _RUNTIME.known_remedies, ids
    return prev
