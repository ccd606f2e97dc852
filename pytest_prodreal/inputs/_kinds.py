"""The perturbation kinds: pure functions ``apply(text, position, choice) -> str``.

``position`` picks where (a character, a word, a gap; modulo what exists) and ``choice`` picks
how (an index into a table; modulo its size). Index 0 is always the mildest choice at the first
place, because plans shrink toward small numbers. Every function accepts any text, the empty
string included, and returns text unchanged when it has nothing to work on.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from . import _data

ApplyFn = Callable[[str, int, int], str]

_WORD = re.compile(r"\S+")


#: Character-level steps look for their spot in the first this-many characters. A step after a
#: ``long`` one would otherwise scan up to 100,000 characters in Python (about 10 ms, a tenth
#: of ``messy_text``'s time per example); a typo in the first 4,096 is as telling.
_SCAN = 4096


def _letters(text: str) -> list[int]:
    return [i for i, c in enumerate(text[:_SCAN]) if c.isalnum()]


def _gaps(text: str) -> list[int]:
    """Indexes of spaces (word gaps); the end of the text if there are none."""
    gaps = [i for i, c in enumerate(text[:_SCAN]) if c == " "]
    return gaps or [len(text)]


def _insert_at_gap(text: str, pos: int, piece: str) -> str:
    """Insert ``piece`` as a word: at the end for position 0, else at a word gap."""
    gaps = _gaps(text)
    if pos % (len(gaps) + 1) == 0 or not text:
        return f"{text} {piece}" if text else piece
    at = gaps[(pos - 1) % len(gaps)]
    return f"{text[:at]} {piece}{text[at:]}"


# --- typos -----------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _adjacency(keyboard: str) -> dict[str, str]:
    rows = [row for row in keyboard.split("\n")]
    adj: dict[str, list[str]] = {}
    for r, row in enumerate(rows):
        for c, key in enumerate(row):
            near: list[str] = []
            # Same row first (the commonest slip), then the staggered rows above and below.
            for rr, cc in (
                (r, c - 1),
                (r, c + 1),
                (r - 1, c),
                (r - 1, c + 1),
                (r + 1, c - 1),
                (r + 1, c),
            ):
                if 0 <= rr < len(rows) and 0 <= cc < len(rows[rr]) and rows[rr][cc] != key:
                    near.append(rows[rr][cc])
            adj.setdefault(key, []).extend(n for n in near if n not in adj.get(key, []))
    return {k: "".join(v) for k, v in adj.items() if v}


def _typo_substitute(keyboard: str) -> ApplyFn:
    adj = _adjacency(keyboard)

    def apply(text: str, pos: int, choice: int) -> str:
        spots = [i for i in _letters(text) if text[i].lower() in adj]
        if not spots:
            return text
        i = spots[pos % len(spots)]
        near = adj[text[i].lower()]
        new = near[choice % len(near)]
        if text[i].isupper():
            new = new.upper()
        return text[:i] + new + text[i + 1 :]

    return apply


def _typo_delete(text: str, pos: int, choice: int) -> str:
    spots = _letters(text)
    if not spots:
        return text
    i = spots[pos % len(spots)]
    return text[:i] + text[i + 1 :]


def _typo_transpose(text: str, pos: int, choice: int) -> str:
    spots = [i for i in _letters(text) if i + 1 < len(text) and text[i + 1] != text[i]]
    if not spots:
        return text
    i = spots[pos % len(spots)]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _typo_double(text: str, pos: int, choice: int) -> str:
    spots = _letters(text)
    if not spots:
        return text
    i = spots[pos % len(spots)]
    return text[: i + 1] + text[i:]


# --- words -----------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _phrase_re(table_id: str) -> re.Pattern[str]:
    table = _data.ABBREVIATIONS if table_id == "abbr" else _data.SLANG
    keys = sorted(table, key=len, reverse=True)  # longest first: "thank you" before "you"
    return re.compile(r"\b(" + "|".join(re.escape(k) for k in keys) + r")\b", re.IGNORECASE)


def _replace_phrase(text: str, pos: int, choice: int, table_id: str) -> str | None:
    table = _data.ABBREVIATIONS if table_id == "abbr" else _data.SLANG
    found = list(_phrase_re(table_id).finditer(text))
    if not found:
        return None
    m = found[pos % len(found)]
    options = table[m.group(0).lower()]
    new = options[choice % len(options)]
    if m.group(0)[:1].isupper():
        new = new[:1].upper() + new[1:]
    return text[: m.start()] + new + text[m.end() :]


def _abbreviation(text: str, pos: int, choice: int) -> str:
    out = _replace_phrase(text, pos, choice, "abbr")
    if out is not None:
        return out
    # No known phrase: drop the inner vowels of a long word, as people do ("tmrrw", "msg").
    words = [m for m in _WORD.finditer(text) if len(m.group(0)) >= 4 and m.group(0).isalpha()]
    if not words:
        return text
    m = words[pos % len(words)]
    word = m.group(0)
    short = word[0] + "".join(c for c in word[1:] if c.lower() not in "aeiou")
    return text[: m.start()] + short + text[m.end() :]


def _slang(text: str, pos: int, choice: int) -> str:
    out = _replace_phrase(text, pos, choice, "slang")
    if out is not None:
        return out
    fillers = _data.SLANG_FILLERS
    return f"{text} {fillers[choice % len(fillers)]}" if text else fillers[choice % len(fillers)]


# --- case and whitespace ---------------------------------------------------------------------


def _case(text: str, pos: int, choice: int) -> str:
    variant = choice % 6
    if variant == 0:
        return text.lower()
    if variant == 1:
        return text.upper()
    if variant == 2:
        return text[:1].swapcase() + text[1:]
    if variant == 3:
        return text.title()
    if variant == 4:
        if text.isascii():  # the same result, without a Python loop per character
            chars = list(text.lower())
            chars[1::2] = text.upper()[1::2]
            return "".join(chars)
        return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(text))
    words = list(_WORD.finditer(text))
    if not words:
        return text
    m = words[pos % len(words)]
    return text[: m.start()] + m.group(0).upper() + text[m.end() :]


def _whitespace(text: str, pos: int, choice: int) -> str:
    variant = choice % 7
    if variant == 1:
        return text + "\n"
    if variant == 2:
        return f"  {text} "
    gaps = [i for i, c in enumerate(text[:_SCAN]) if c == " "]
    if not gaps:
        return text + " "  # a trailing space is the whitespace noise one-word inputs get
    at = gaps[pos % len(gaps)]
    new = {0: "  ", 3: "\t", 4: "\u00a0", 5: "\r\n", 6: "\u3000"}[variant]
    return text[:at] + new + text[at + 1 :]


# --- unicode ---------------------------------------------------------------------------------


def _homoglyph(text: str, pos: int, choice: int) -> str:
    spots = [i for i, c in enumerate(text[:_SCAN]) if c in _data.HOMOGLYPHS]
    if not spots:
        return text
    i = spots[pos % len(spots)]
    looks = _data.HOMOGLYPHS[text[i]]
    return text[:i] + looks[choice % len(looks)] + text[i + 1 :]


def _insert_char(text: str, pos: int, piece: str) -> str:
    i = pos % (len(text) + 1)
    return text[:i] + piece + text[i:]


def _zero_width(text: str, pos: int, choice: int) -> str:
    zw = _data.ZERO_WIDTH
    return _insert_char(text, pos + 1 if text else 0, zw[choice % len(zw)])


def _combining(text: str, pos: int, choice: int) -> str:
    spots = [i for i, c in enumerate(text[:_SCAN]) if c.isalpha()]
    if not spots:
        return text
    i = spots[pos % len(spots)] + 1
    marks = _data.COMBINING
    return text[:i] + marks[choice % len(marks)] + text[i:]


def _nfd(text: str, pos: int, choice: int) -> str:
    out = unicodedata.normalize("NFD", text)
    if out != text:
        return out
    # ASCII text has no decomposed form: add an accent in decomposed form ("cafe" -> "cafe\u0301").
    return _combining(text, pos, 0)


def _rtl(text: str, pos: int, choice: int) -> str:
    marks = _data.RTL_MARKS
    return _insert_char(text, pos, marks[choice % len(marks)])


def _emoji(text: str, pos: int, choice: int) -> str:
    return _insert_at_gap(text, pos, _data.EMOJI[choice % len(_data.EMOJI)])


# --- shape -----------------------------------------------------------------------------------


def _truncate(text: str, pos: int, choice: int) -> str:
    if not text:
        return text
    keep = len(text) - 1 - pos % len(text)  # position 0 drops one character: the mildest cut
    tail = ("", "…", "...")[choice % 3]
    return text[:keep] + tail


def _repeat(text: str, pos: int, choice: int) -> str:
    variant = choice % 3
    if variant == 2 or not text:
        return f"{text} {text}" if text else text
    if variant == 1:
        spots = [i for i, c in enumerate(text[:_SCAN]) if c.isalpha() or c in "!?."]
        if not spots:
            return text
        i = spots[pos % len(spots)]
        return text[: i + 1] + text[i] * 2 + text[i + 1 :]
    words = list(_WORD.finditer(text))
    if not words:
        return text + text
    m = words[pos % len(words)]
    return text[: m.end()] + " " + m.group(0) + text[m.end() :]


def _mojibake(text: str, pos: int, choice: int) -> str:
    if text.isascii():
        # Copy-pasted from a word processor: curly quotes, then decoded with the wrong codec.
        curly = text.replace("'", "\u2019")
        text = curly if curly != text else f"\u201c{text}\u201d"
    raw = text.encode("utf-8")
    variant = choice % 3
    if variant == 1:
        return raw.decode("latin-1")
    out = raw.decode("cp1252", errors="replace")
    if variant == 2:
        out = out.encode("utf-8").decode("cp1252", errors="replace")
    return out


_MARKUP: tuple[str, ...] = (
    "<p>{t}</p>",
    "**{w}**",
    "<b>{w}</b>",
    "# {t}",
    "`{w}`",
    "{t}<br>",
    '<div class="msg">{t}</div>',
    "- {t}",
    "[{w}](https://example.com)",
    "&nbsp;{t}&amp;",
)


def _markup(text: str, pos: int, choice: int) -> str:
    template = _MARKUP[choice % len(_MARKUP)]
    if "{w}" not in template:
        return template.format(t=text)
    words = list(_WORD.finditer(text))
    if not words:
        return template.format(w=text)
    m = words[pos % len(words)]
    return text[: m.start()] + template.format(w=m.group(0)) + text[m.end() :]


def _injection(family: str) -> ApplyFn:
    payloads = _data.INJECTIONS[family]

    def apply(text: str, pos: int, choice: int) -> str:
        payload = payloads[choice % len(payloads)]
        where = pos % 3
        if where == 0 or not text:
            return f"{text} {payload}" if text else payload
        if where == 1:
            return f"{payload} {text}"
        return _insert_at_gap(text, pos, payload)

    return apply


# --- PII, empty-like, long -------------------------------------------------------------------

_FAKER_LOCK = threading.Lock()
_FAKERS: dict[str, Any] = {}

_PII: tuple[tuple[str, str], ...] = (
    ("email", "my email is {}"),
    ("phone_number", "call me on {}"),
    ("name", "I am {}"),
    ("street_address", "ship to {}"),
    ("credit_card_number", "card {}"),
    ("iban", "IBAN {}"),
    ("ssn", "SSN {}"),
    ("ipv4", "from {}"),
)


def _pii(text: str, pos: int, choice: int) -> str:
    kind, phrase = _PII[choice % len(_PII)]
    with _FAKER_LOCK:
        fake = _FAKERS.get("en_US")
        if fake is None:
            from faker import Faker  # lazy: Faker is slow to import and optional

            fake = _FAKERS["en_US"] = Faker("en_US")
        # Seeded from the step's own numbers (Hypothesis draws them), never from global state,
        # so the same plan gives the same PII and shrinking replays it exactly.
        fake.seed_instance(choice)
        value = str(getattr(fake, kind)())
    return _insert_at_gap(text, pos, phrase.format(value))


def _empty_like(text: str, pos: int, choice: int) -> str:
    return _data.EMPTY_LIKE[choice % len(_data.EMPTY_LIKE)]


_LONG_SIZES = (1_000, 10_000, 100_000)


def _long(text: str, pos: int, choice: int) -> str:
    size = _LONG_SIZES[choice % len(_LONG_SIZES)]
    unit = (text or "lorem ipsum") + " "
    return (unit * (size // len(unit) + 1))[:size]
