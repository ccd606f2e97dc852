"""The cheap first pass of :func:`~pytest_prodreal.trust.scan`: where PII can be at all.

Nearly every built-in kind of value contains a digit, an ``@`` or an ``_`` (cards, phones, ids,
IBANs, IPs, emails, JWTs, provider keys). One pass at C speed finds the *clusters*: the tokens
that contain one of those characters, joined with their neighbours across single spaces (a card
written ``4111 1111 1111 1111`` is one cluster; an IBAN's all-letter group such as ``WEST`` is
kept when a token with a digit follows it). The detectors then run their patterns inside the few
clusters that can hold their kind (enough digits, an ``@``, a key prefix) instead of over the
whole text. Prose between clusters is never looked at again by Python code.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

__all__ = ["Plan"]

_SEPARATORS = " \t\n\r\f\v,;\"'`<>[]{}|!\\*^"


def _class(byte: int) -> int:
    char = chr(byte)
    if char.isdigit() or char in "@_":
        return ord("1")  # a trigger: a token holding one may be a value
    if char == " ":
        return ord(" ")  # joins the tokens of a spaced value
    if char in _SEPARATORS:
        return ord("\n")  # ends a token and a cluster
    return ord("a")  # any other character belongs to the token (letters, . : / + ( ) - ...)


# Non-ASCII characters are encoded as b"?" (one byte each, so positions are kept): token chars.
_CLASSES = bytes(_class(b) if b < 128 else ord("a") for b in range(256))
# A token with a trigger, then (across one space) more such tokens, or a short trigger-less token
# (an IBAN's ``WEST``) when a token with a trigger follows it, and at the end one short
# trigger-less token (an IBAN's last group may be letters). Starts with a literal: C-speed skip.
_CLUSTER = re.compile(rb"1[1a]*(?: (?:[1a]*1[1a]*|a{1,4}(?= [1a]*1)))*(?: a{1,4}(?![1a]))?")


class Plan:
    """The clusters of one text, computed once per :func:`scan` and shared by the detectors.

    ``clusters`` are ``(start, end, triggers)``: the span of the cluster (from the start of its
    first token to the end of its last) and how many of its characters are digits, ``@`` or
    ``_`` (at least its digits: a detector needing 13 digits skips a cluster with fewer).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        raw = text.encode("ascii") if text.isascii() else text.encode("ascii", "replace")
        classes = raw.translate(_CLASSES)
        out: list[tuple[int, int, int]] = []
        rfind, count = classes.rfind, classes.count
        for m in _CLUSTER.finditer(classes):
            start, end = m.span()
            # Back to the start of the first token (``+44``, ``(201)``, ``GB82``, ``jane.doe@``).
            start = max(rfind(b" ", 0, start), rfind(b"\n", 0, start)) + 1
            out.append((start, end, count(b"1", start, end)))
        self.clusters = out
        self._classes = classes
        self._compact: dict[tuple[object, ...], tuple[str, list[int], list[tuple[int, int]]]] = {}

    def tokens(self, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
        """The span of each token holding a match of ``pattern`` (one pass over the text)."""
        classes, size = self._classes, len(self.text)
        rfind, find = classes.rfind, classes.find
        out: list[tuple[int, int]] = []
        for m in pattern.finditer(self.text):
            i = m.start()
            if out and i < out[-1][1]:
                continue
            start = max(rfind(b" ", 0, i), rfind(b"\n", 0, i)) + 1
            ends = [j for j in (find(b" ", i), find(b"\n", i)) if j >= 0]
            out.append((start, min(ends, default=size)))
        return out

    def windows(
        self,
        *,
        min_digits: int = 0,
        contains: Sequence[str] = (),
        extra: Sequence[re.Pattern[str]] = (),
        before: int = 0,
        after: int = 0,
    ) -> list[tuple[int, int]]:
        """The clusters that can hold a detector's values, widened by ``before``/``after``.

        ``min_digits``: clusters with at least that many digits; ``contains``: clusters holding
        one of these literals; ``extra``: patterns (each with a literal prefix, so found at C
        speed) whose tokens are looked at too, for values that may hold no digit, ``@`` or
        ``_`` (an AWS key id).
        """
        text, clusters = self.text, self.clusters
        if len(contains) == 1:
            c = contains[0]
            spans = [(s, e) for s, e, n in clusters if n >= min_digits and text.find(c, s, e) >= 0]
        elif contains:
            spans = [
                (s, e)
                for s, e, n in clusters
                if n >= min_digits and any(text.find(c, s, e) >= 0 for c in contains)
            ]
        elif min_digits > 1:
            spans = [(s, e) for s, e, n in clusters if n >= min_digits]
        else:
            spans = [(s, e) for s, e, _ in clusters]
        if extra:
            more = sorted(t for p in extra for t in self.tokens(p))
            spans = _merge(sorted(spans + more)) if more else spans
        if not before and not after:
            return spans
        out: list[tuple[int, int]] = []
        size = len(text)
        find = self._classes.find
        for s, e in spans:
            s, e = max(0, s - before), min(size, e + after)
            # End at a separator: a window cut inside a token would end a match falsely there.
            ends = [i for i in (find(b" ", e), find(b"\n", e)) if i >= 0]
            e = min(ends, default=size)
            if out and s <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], e))
            else:
                out.append((s, e))
        return out

    def compact(
        self,
        *,
        min_digits: int = 0,
        contains: Sequence[str] = (),
        extra: Sequence[re.Pattern[str]] = (),
    ) -> tuple[str, list[int], list[tuple[int, int]]]:
        """The selected clusters joined by newlines, and where each starts in the joined text.

        Also the clusters; cached (detectors with the same selection share it).

        A cluster's edges are separators (a space, a newline, a comma...), which every built-in
        pattern treats as it treats a newline, so a pattern finds in the joined text what it
        finds in the clusters.
        """
        key = (min_digits, tuple(contains), tuple(p.pattern for p in extra))
        done = self._compact.get(key)
        if done is None:
            spans = self.windows(min_digits=min_digits, contains=contains, extra=extra)
            text = self.text
            joined = "\n".join([text[a:b] for a, b in spans])
            offsets = list(itertools.accumulate([b - a + 1 for a, b in spans], initial=0))
            done = self._compact[key] = (joined, offsets, spans)
        return done


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
