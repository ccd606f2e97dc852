"""Finding a known value in text, through the transformations a leak survives.

A value is *leaked* when it appears exactly, in another case, or with its spacing and
separators changed (``"JANE DOE"``, ``"4111-1111-1111-1111"``, ``"j a n e"``); it is *masked*
(not leaked) when only part of it survives (``"****1234"``), because a partial value no longer
identifies anyone.
"""

from __future__ import annotations

import re
import unicodedata
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


def around(text: str, pos: int, value: str, width: int = 30) -> str:
    """The text around ``pos`` with the leaked value masked (a report must not leak it again)."""
    from ._detect import mask

    end = pos + len(value)
    return (text[max(0, pos - width) : pos] + mask(value) + text[end : end + width]).replace(
        "\n", " "
    )
