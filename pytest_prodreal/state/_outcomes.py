"""What repeated runs returned: one :class:`Outcome` per run, grouped into :class:`Outcomes`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, overload

from ..errors import InvalidArgument

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
        peak_in_flight: int | None = None,
        mean_in_flight: float | None = None,
        scheduled: bool = False,
    ) -> None:
        self._outcomes = tuple(outcomes)
        #: The most runs in flight (started, not finished) at once; 1 means they never overlapped.
        self.peak_in_flight = (
            peak_in_flight if peak_in_flight is not None else (1 if outcomes else 0)
        )
        #: The mean number of runs in flight over the runs' span.
        self.mean_in_flight = (
            mean_in_flight if mean_in_flight is not None else float(self.peak_in_flight)
        )
        #: Whether the runs went through the virtual clock's scheduler (deterministic switching).
        self.scheduled = scheduled
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
        overlap = (
            f", in flight peak {self.peak_in_flight} mean {self.mean_in_flight:.2g}"
            if self.mode != "sequential"
            else ""
        )
        return f"{label}{len(self)} runs ({how}, timeout {self.timeout:g}s{overlap})"

    @property
    def overlapped(self) -> bool:
        """Whether at least two runs were ever in flight at once."""
        return self.peak_in_flight >= 2

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
        failing is deterministic, but rarely what a test means). Concurrent runs that never
        overlapped record nothing and warn (``ProdrealWarning``): they proved nothing about
        races. :func:`~pytest_prodreal.state.check_determinism` is the check form.
        """
        __tracebackhide__ = True  # pytest: show the caller's line, not this one
        from ._judge import judge

        return judge(self, normalize, allow_errors, "assert_deterministic").value
