"""What repeated runs returned: one :class:`Outcome` per run, grouped into :class:`Outcomes`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, overload

from ..errors import InvalidArgument
from ..evidence import _record_if_in_test

__all__ = ["Outcome", "OutcomeGroup", "OutcomeKind", "Outcomes"]

#: How a run ended. ``not_run``: the runner gave up before starting it (its workers or its event
#: loop were stuck in earlier runs).
OutcomeKind = Literal["returned", "raised", "timed_out", "not_run"]


class _Real:
    """Real clocks, captured at import.

    A virtual clock (freezegun) replaces ``time.perf_counter`` in every *module namespace* it
    finds; a class attribute is out of its reach, so per-run timeouts and durations stay wall time
    even while a test's clock is frozen or advanced.
    """

    perf_counter = staticmethod(time.perf_counter)


def _short(value: object, limit: int = 160) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not hide the outcome itself
        text = f"<{type(value).__name__} with a failing repr: {exc!r}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_name(error: BaseException) -> str:
    cls = type(error)
    module = cls.__module__
    return (
        cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"
    )


@dataclass(frozen=True)
class Outcome:
    """How one run ended: what it returned or raised, or that it timed out.

    ``duration_s`` is wall time (``None`` for a run that timed out or never ran).
    """

    index: int
    kind: OutcomeKind
    value: object = None
    error: BaseException | None = None
    duration_s: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the run returned (rather than raised, timed out or never ran)."""
        return self.kind == "returned"

    def describe(self, normalized: object = None, *, show_normalized: bool = False) -> str:
        """One line: ``returned 'x'``, ``raised ValueError: boom``, ``timed out after 2s``."""
        if self.kind == "returned":
            text = f"returned {_short(self.value)}"
            if show_normalized and normalized != self.value:
                text += f" (normalised: {_short(normalized)})"
            return text
        if self.kind == "raised":
            assert self.error is not None
            message = str(self.error)
            name = _error_name(self.error)
            return f"raised {name}: {_short(message)[1:-1]}" if message else f"raised {name}"
        if self.kind == "timed_out":
            return "timed out (deadlocked or hung: it never returned)"
        return "never ran (the runner gave up after earlier runs hung)"


@dataclass(frozen=True)
class OutcomeGroup:
    """Runs that ended the same way (after normalising), with the first one as the example."""

    key: object
    example: Outcome
    runs: tuple[int, ...]

    @property
    def count(self) -> int:
        """How many runs ended this way."""
        return len(self.runs)


def _group_key(outcome: Outcome, normalize: Callable[[object], object] | None) -> object:
    if outcome.kind == "returned":
        if normalize is None:
            return ("returned", outcome.value)
        try:
            return ("returned", normalize(outcome.value))
        except Exception as exc:
            raise InvalidArgument(
                f"normalize raised {_error_name(exc)}: {exc} on the value of run "
                f"{outcome.index} ({_short(outcome.value, 80)}); fix the normaliser so it accepts "
                "every value the callable returns"
            ) from exc
    if outcome.kind == "raised":
        assert outcome.error is not None
        return ("raised", _error_name(outcome.error), str(outcome.error))
    return (outcome.kind,)


def _runs_text(runs: tuple[int, ...]) -> str:
    shown = ", ".join(str(i) for i in runs[:8])
    more = f", … (+{len(runs) - 8})" if len(runs) > 8 else ""
    return f"run{'s' if len(runs) > 1 else ''} {shown}{more}"


class Outcomes(Sequence[Outcome]):
    """The outcomes of repeated runs of one callable, in run order, with grouping and checks.

    Returned by :func:`~pytest_prodreal.state.repeat` and
    :func:`~pytest_prodreal.state.arepeat`; a sequence of :class:`Outcome`.
    """

    def __init__(
        self,
        outcomes: Sequence[Outcome],
        *,
        mode: str,
        concurrency: int,
        timeout: float,
        wall_s: float,
        label: str = "",
    ) -> None:
        self._outcomes = tuple(outcomes)
        self.mode = mode
        self.concurrency = concurrency
        self.timeout = timeout
        self.wall_s = wall_s
        self.label = label

    @overload
    def __getitem__(self, index: int) -> Outcome: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Outcome]: ...

    def __getitem__(self, index: int | slice) -> Outcome | Sequence[Outcome]:
        return self._outcomes[index]

    def __len__(self) -> int:
        return len(self._outcomes)

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self._outcomes)

    def __repr__(self) -> str:
        return f"<Outcomes {self.describe()!r}>"

    @property
    def values(self) -> list[object]:
        """What the runs that returned returned, in run order."""
        return [o.value for o in self._outcomes if o.kind == "returned"]

    @property
    def errors(self) -> list[BaseException]:
        """What the runs that raised raised, in run order."""
        return [o.error for o in self._outcomes if o.error is not None]

    @property
    def timeouts(self) -> int:
        """How many runs timed out or never ran (a hang or deadlock)."""
        return sum(o.kind in ("timed_out", "not_run") for o in self._outcomes)

    @property
    def all_ok(self) -> bool:
        """Whether every run returned."""
        return all(o.ok for o in self._outcomes)

    def groups(
        self, normalize: Callable[[object], object] | None = None
    ) -> tuple[OutcomeGroup, ...]:
        """Runs grouped by outcome, most frequent first (ties: the earliest run first).

        Returned values are compared after ``normalize`` (when given) by equality, so unhashable
        values (dicts, lists) group too; exceptions group by type and message.
        Raises :class:`~pytest_prodreal.InvalidArgument` if ``normalize`` raises.
        """
        if normalize is not None and not callable(normalize):
            raise InvalidArgument(
                f"normalize must be a callable taking one value, got {_short(normalize, 60)}"
            )
        by_hash: dict[object, list[Outcome]] = {}
        unhashable: list[tuple[object, list[Outcome]]] = []
        for outcome in self._outcomes:
            key = _group_key(outcome, normalize)
            try:
                by_hash.setdefault(key, []).append(outcome)
                continue
            except TypeError:
                pass  # an unhashable value: fall back to comparing by equality
            for other_key, members in unhashable:
                if other_key == key:
                    members.append(outcome)
                    break
            else:
                unhashable.append((key, [outcome]))
        groups = [
            OutcomeGroup(key=key, example=members[0], runs=tuple(o.index for o in members))
            for key, members in [*by_hash.items(), *unhashable]
        ]
        groups.sort(key=lambda g: (-g.count, g.runs[0]))
        return tuple(groups)

    def counts(self, normalize: Callable[[object], object] | None = None) -> list[tuple[str, int]]:
        """``(description, count)`` per distinct outcome, most frequent first."""
        return [(g.example.describe(), g.count) for g in self.groups(normalize)]

    def header(self) -> str:
        """One line saying how the runs were made."""
        how = (
            "sequential"
            if self.mode == "sequential"
            else f"{self.mode}, concurrency {self.concurrency}"
        )
        label = f"{self.label}: " if self.label else ""
        return f"{label}{len(self)} runs ({how}, timeout {self.timeout:g}s)"

    def describe(self, normalize: Callable[[object], object] | None = None) -> str:
        """A readable view: the distinct outcomes, how often each occurred and in which runs."""
        groups = self.groups(normalize)
        plural = "s" if len(groups) != 1 else ""
        lines = [f"{self.header()} gave {len(groups)} distinct outcome{plural}:"]
        width = len(str(max((g.count for g in groups), default=0)))
        for group in groups:
            normalized = group.key[1] if group.example.kind == "returned" else None  # type: ignore[index]
            text = group.example.describe(normalized, show_normalized=normalize is not None)
            lines.append(f"  {group.count:>{width}}x  {text}   [{_runs_text(group.runs)}]")
        return "\n".join(lines)

    def assert_deterministic(
        self,
        normalize: Callable[[object], object] | None = None,
        *,
        allow_errors: bool = False,
    ) -> object:
        """Check that every run ended the same way; return the common (normalised) value.

        Fails — recording ``determinism`` evidence with ``held=False`` and raising
        ``AssertionError`` with :meth:`describe`'s view — when runs disagree, when any run timed
        out (a hang or deadlock), or, unless ``allow_errors``, when the runs raised (consistently
        failing is deterministic, but rarely what a test means).
        """
        __tracebackhide__ = True  # pytest: show the caller's line, not this one
        groups = self.groups(normalize)
        problem = ""
        if len(groups) > 1:
            problem = "the runs disagree"
        elif self.timeouts:
            problem = "the runs hung (timed out): a deadlock or a call that never returns"
        elif groups and groups[0].example.kind == "raised" and not allow_errors:
            problem = "every run raised (pass allow_errors=True if that is the expected outcome)"
        figures: dict[str, bool | int | float | str | None] = {
            "runs": len(self),
            "distinct_outcomes": len(groups),
            "majority_count": groups[0].count if groups else 0,
            "errors": len(self.errors),
            "timeouts": self.timeouts,
            "mode": self.mode,
            "concurrency": self.concurrency,
            "wall_s": round(self.wall_s, 6),
        }
        _record_if_in_test(
            "determinism",
            held=not problem,
            figures=figures,
            summary=self.header() + (f": {problem}" if problem else ": one outcome"),
            check="assert_deterministic",
        )
        if problem:
            raise AssertionError(f"not deterministic: {problem}\n{self.describe(normalize)}")
        if not groups:
            return None
        key = groups[0].key
        return key[1] if groups[0].example.kind == "returned" else None  # type: ignore[index]
