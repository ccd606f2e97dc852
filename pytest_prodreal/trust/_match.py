"""Finding a known value in text, through the transformations a leak survives.

A value is *leaked* when it appears exactly, in another case, or with its spacing and
separators changed (``"JANE DOE"``, ``"4111-1111-1111-1111"``, ``"j a n e"``); it is *masked*
(not leaked) when only part of it survives (``"****1234"``), because a partial value no longer
identifies anyone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Needle", "normalise"]

# Everything a reformatting adds or removes: whitespace (incl. zero-width) and separators.
_DROP = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff.()/_\-+,:;'\"]+")


def normalise(text: str) -> tuple[str, list[int]]:
    """``text`` case-folded, NFKC, without spacing and separators; with each char's origin."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    out: list[str] = []
    where: list[int] = []
    # NFKC can change lengths; map positions approximately through a ratio when it did.
    ratio = len(text) / len(folded) if folded else 1.0
    last = 0
    for m in _DROP.finditer(folded):
        chunk = folded[last : m.start()]
        out.append(chunk)
        where.extend(int((last + i) * ratio) for i in range(len(chunk)))
        last = m.end()
    chunk = folded[last:]
    out.append(chunk)
    where.extend(int((last + i) * ratio) for i in range(len(chunk)))
    return "".join(out), where


@dataclass(frozen=True)
class Needle:
    """A value to look for, normalised once."""

    value: str
    key: str

    @classmethod
    def of(cls, value: str) -> Needle:
        """The needle for ``value``."""
        return cls(value, normalise(value)[0])

    def find(self, haystack: str, normalised: tuple[str, list[int]] | None = None) -> int:
        """The position in ``haystack`` where the value (transformed or not) starts, or -1."""
        if not self.key:
            return -1
        pos = haystack.find(self.value)
        if pos >= 0:
            return pos
        flat, where = normalised if normalised is not None else normalise(haystack)
        i = flat.find(self.key)
        return where[i] if i >= 0 else -1

    def spans(
        self, haystack: str, normalised: tuple[str, list[int]] | None = None
    ) -> list[tuple[int, int]]:
        """``(start, end)`` of every place in ``haystack`` the value is, transformed or not."""
        if not self.key:
            return []
        found = set()
        i = haystack.find(self.value)
        while i >= 0:
            found.add((i, i + len(self.value)))
            i = haystack.find(self.value, i + 1)
        flat, where = normalised if normalised is not None else normalise(haystack)
        size = len(self.key)
        i = flat.find(self.key)
        while i >= 0:
            # The last kept character's origin + 1: a reformatted value keeps its own length.
            start, end = where[i], where[i + size - 1] + 1
            if not any(a <= start < b for a, b in found):
                found.add((start, end))
            i = flat.find(self.key, i + 1)
        return sorted(found)


def around(
    text: str, pos: int, value: str, width: int = 30, others: Sequence[tuple[int, int]] = ()
) -> str:
    """The text around ``pos`` with the leaked value masked (a report must not leak it again).

    ``others``: the spans of the other canaries in ``text``, masked as well (see
    :meth:`Needle.spans`); the value's own end is its span's that starts at ``pos``.
    """
    from ._detect import context

    end = next((b for a, b in others if a == pos), pos + len(value))
    return context(text, pos, end, width, others)
