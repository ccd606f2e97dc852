"""What a detector is: the :class:`Detector` protocol, :class:`Finding` and :class:`RegexDetector`.

A :class:`RegexDetector` finds *candidates* with one regular expression and keeps those its
validator accepts. It looks only where a match can be: around its trigger literals, or (with
``digits=True``) in the clusters of the shared first pass (see ``_prefilter``), so a scan of
mostly-prose text costs one C-speed pass plus a little work per cluster.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..errors import InvalidArgument
from ._prefilter import Plan

__all__ = ["Detector", "Finding", "RegexDetector", "mask"]


def mask(value: str, keep: int = 4) -> str:
    """``value`` masked but for its last ``keep`` characters (``"****1234"``)."""
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * min(len(value) - keep, 8) + value[-keep:]


@dataclass(frozen=True)
class Finding:
    """One detected value: its ``kind`` (``"card"``), ``subkind`` (``"visa"``), span and context.

    ``context`` is the text around the value with the value itself masked, so a failure message
    never prints the secret it found.
    """

    kind: str
    subkind: str
    start: int
    end: int
    value: str
    context: str

    @property
    def span(self) -> tuple[int, int]:
        """``(start, end)`` in the scanned text."""
        return (self.start, self.end)

    def __str__(self) -> str:
        return f"{self.kind}/{self.subkind} at {self.start}: {self.context!r}"


def context(
    text: str,
    start: int,
    end: int,
    width: int = 30,
    others: Sequence[tuple[int, int]] = (),
) -> str:
    """The text around ``text[start:end]`` on one line, that value and all of ``others`` masked.

    ``others``: the spans of other findings (sorted; overlapping ones are masked as one). A
    context is printed in failure messages and reports, so it must not reveal a neighbouring
    secret either. A neighbour cut by the window's edge widens the window to take it whole: a
    part shown in clear (the tail of a key) would reveal more than its mask does.
    """
    lo, hi = max(0, start - width), min(len(text), end + width)
    spans = [(a, b) for a, b in others if a < hi and b > lo and (a, b) != (start, end)]
    if not spans:
        return (text[lo:start] + mask(text[start:end]) + text[end:hi]).replace("\n", " ")
    spans = sorted({*spans, (start, end)})
    lo, hi = min(lo, spans[0][0]), max(hi, spans[-1][1])
    out: list[str] = []
    at = lo
    for a, b in spans:
        if a < at:  # overlapping spans (a user's detector): the union is masked
            a = at
        out += (text[at:a], mask(text[a:b]) if b > a else "")
        at = max(at, b)
    out.append(text[at:hi])
    return "".join(out).replace("\n", " ")


@runtime_checkable
class Detector(Protocol):
    """What a detector is: a ``name`` and ``find(text)`` yielding :class:`Finding` objects."""

    name: str

    def find(self, text: str) -> Iterable[Finding]:
        """Every finding in ``text``."""
        ...


def _name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument(
            f"RegexDetector: name={name!r} must be a non-empty str (the kind of its findings, "
            "e.g. 'order_id')"
        )
    return name


def _pattern(pattern: object) -> re.Pattern[str]:
    # An empty pattern matches everywhere: every position of every text would be a finding.
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    if not isinstance(source, str) or not source:
        raise InvalidArgument(
            f"RegexDetector: pattern must be a non-empty regular expression (a str or a compiled "
            f"str pattern), got {pattern!r}"
        )
    if isinstance(pattern, re.Pattern):
        return pattern
    try:
        return re.compile(source)
    except re.error as exc:
        raise InvalidArgument(
            f"RegexDetector: pattern {source!r} is not a valid regular expression ({exc}); fix "
            "it, or pass re.escape(text) to match a literal"
        ) from None


def _all(text: str, literal: str) -> Iterator[int]:
    i = text.find(literal)
    while i >= 0:
        yield i
        i = text.find(literal, i + 1)


class RegexDetector:
    r"""A detector from a pattern and an optional validator (``validate(match) -> subkind``).

    ``validate`` returns the subkind (a str) to keep the match, or ``None`` to drop it; without
    one, every match is kept with subkind ``name``. Use it for your own ids::

        RegexDetector("order_id", r"\bORD-\d{8}\b")

    Speed (optional; without these the pattern scans the whole text): ``triggers`` are literals
    every match contains, and the pattern runs only within ``before``/``after`` characters of
    one (``anchored=True``: every match *starts* at one). ``digits=True``: the pattern runs only
    in the clusters of tokens holding a digit, ``@`` or ``_`` (widened by ``before``/``after``),
    and with ``min_digits`` only in clusters with at least that many digits, with ``contains``
    only in those containing one of these literals.
    """

    def __init__(
        self,
        name: str,
        pattern: str | re.Pattern[str],
        validate: Callable[[re.Match[str]], str | None] | None = None,
        *,
        group: int | str = 0,
        triggers: Sequence[str] | None = None,
        digits: bool = False,
        before: int = 64,
        after: int = 256,
        anchored: bool = False,
        min_digits: int = 0,
        contains: Sequence[str] = (),
    ) -> None:
        self.name = _name(name)
        self.pattern = _pattern(pattern)
        if validate is not None and not callable(validate):
            raise InvalidArgument(
                f"RegexDetector: validate must be callable (match -> subkind or None), got "
                f"{type(validate).__name__} {validate!r}"
            )
        self.validate = validate
        self.group = group
        self.triggers = tuple(triggers) if triggers is not None else None
        self.digits = digits
        self.before = before
        self.after = after
        self.anchored = anchored
        self.min_digits = min_digits
        self.contains = tuple(contains)
        #: Patterns whose tokens it looks at even without a digit, ``@`` or ``_`` (built-ins).
        self.extra: tuple[re.Pattern[str], ...] = ()
        #: Run the pattern once over the selected clusters joined by newlines (built-ins only:
        #: their validators read only the match, and a cluster's edges are separators, which
        #: every built-in pattern treats as it treats a newline).
        self.compact = False

    def _windows(self, text: str, plan: Plan | None) -> list[tuple[int, int]]:
        spots = sorted((i, i + len(lit)) for lit in self.triggers or () for i in _all(text, lit))
        size, before, after = len(text), self.before, self.after
        out = [(max(0, a - before), min(size, b + after)) for a, b in spots]
        if self.digits:
            plan = plan if plan is not None else Plan(text)
            out += plan.windows(
                min_digits=self.min_digits,
                contains=self.contains,
                extra=self.extra,
                before=before,
                after=after,
            )
            if not spots:
                return out  # sorted, and merged where margins made windows overlap
            out.sort()
        merged: list[tuple[int, int]] = []
        for a, b in out:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return merged

    def _spans(self, text: str, plan: Plan | None) -> Iterator[tuple[int, int, re.Match[str]]]:
        """``(start, end, match)`` of each match, positions in ``text``."""
        group = self.group
        if self.anchored:
            starts = sorted({i for lit in self.triggers or () for i in _all(text, lit)})
            end = -1
            for i in starts:
                if i < end:
                    continue
                m = self.pattern.match(text, i)
                if m is not None:
                    end = m.end()
                    yield (*m.span(group), m)
            return
        if self.triggers is None and not self.digits:
            for m in self.pattern.finditer(text):
                yield (*m.span(group), m)
            return
        if self.compact and not self.triggers:
            yield from self._compact_spans(text, plan if plan is not None else Plan(text))
            return
        windows = self._windows(text, plan)
        finditer = self.pattern.finditer
        for start_at, end_at in windows:
            for m in finditer(text, start_at, end_at):
                yield (*m.span(group), m)

    def _compact_spans(self, text: str, plan: Plan) -> Iterator[tuple[int, int, re.Match[str]]]:
        # One C-speed pass over the selected clusters joined by newlines, not one per cluster.
        joined, offsets, spans = plan.compact(
            min_digits=self.min_digits, contains=self.contains, extra=self.extra
        )
        group, starts = self.group, offsets
        for m in self.pattern.finditer(joined):
            start, end = m.span(group)
            i = bisect.bisect_right(starts, start) - 1
            shift = spans[i][0] - starts[i]
            yield start + shift, end + shift, m

    def find(
        self, text: str, skip: Sequence[tuple[int, int]] = (), plan: Plan | None = None
    ) -> Iterable[Finding]:
        """Every validated match of the pattern in ``text`` (not overlapping a ``skip`` span).

        ``plan``: the first pass of :func:`scan`, shared by the detectors of one scan.
        """
        starts = [a for a, _ in skip]
        validate, name = self.validate, self.name
        for start, end, m in self._spans(text, plan):
            if skip:
                k = bisect.bisect_left(starts, end) - 1
                if k >= 0 and skip[k][1] > start:
                    continue
            sub = validate(m) if validate is not None else name
            if sub is None:
                continue
            yield Finding(name, sub, start, end, text[start:end], context(text, start, end))

    def __repr__(self) -> str:
        return f"RegexDetector({self.name!r}, {self.pattern.pattern!r})"
