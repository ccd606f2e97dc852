"""Text perturbations as plain, seedable functions (no Hypothesis needed).

A perturbation turns clean text into something a user really types. Each one is a pure function
``apply(text, position, choice) -> str`` of two non-negative integers: ``position`` picks where
(a character, a word, a gap; taken modulo what exists) and ``choice`` picks how (an index into a
table, also taken modulo its size). Index ``0`` is always the mildest choice at the first place.

A *step* is ``(kind, position, choice)``; a list of steps applied in order is a perturbation
plan. The Hypothesis strategies in :mod:`pytest_prodreal.strategies` draw plans (so they shrink:
fewer steps, then milder kinds, then earlier positions, toward the clean text); the plain
functions here draw plans from a seeded ``random.Random``, for checks that run outside ``@given``.
"""

from __future__ import annotations

import difflib
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Union

from ..errors import InvalidArgument
from . import _data
from ._kinds import (
    ApplyFn,
    _abbreviation,
    _case,
    _combining,
    _emoji,
    _empty_like,
    _homoglyph,
    _injection,
    _long,
    _markup,
    _mojibake,
    _nfd,
    _pii,
    _repeat,
    _rtl,
    _slang,
    _truncate,
    _typo_delete,
    _typo_double,
    _typo_substitute,
    _typo_transpose,
    _whitespace,
    _zero_width,
)

__all__ = [
    "DEFAULT_WEIGHTS",
    "GROUPS",
    "Perturbation",
    "Perturber",
    "Step",
    "perturb",
    "perturbation_names",
]

#: ``(kind index, position, choice)``; kind indexes the :class:`Perturber`'s weighted kinds.
Step = tuple[int, int, int]

#: Upper bound (exclusive) of positions and choices in a step.
STEP_RANGE = 1 << 16

KindsArg = Union[str, Iterable[str], Mapping[str, float], None]  # noqa: UP007 (3.10 alias)


def split_code(code: int, kinds: int) -> Step:
    """Decode one integer into a step: ``code % kinds``, then de-interleaved position/choice."""
    kind, rest = code % kinds, code // kinds
    pos = choice = 0
    for bit in range(16):
        pos |= ((rest >> (2 * bit)) & 1) << bit
        choice |= ((rest >> (2 * bit + 1)) & 1) << bit
    return (kind, pos, choice)


@dataclass(frozen=True)
class Perturbation:
    """One named way of making text messy; ``apply(text, position, choice)`` is pure."""

    name: str
    group: str
    apply: ApplyFn
    description: str


# --- registry --------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _registry(keyboard: str) -> dict[str, Perturbation]:
    table: list[tuple[str, str, ApplyFn, str]] = [
        ("typo_substitute", "typos", _typo_substitute(keyboard), "a keyboard-adjacent key"),
        ("typo_delete", "typos", _typo_delete, "a dropped character"),
        ("typo_transpose", "typos", _typo_transpose, "two characters swapped"),
        ("typo_double", "typos", _typo_double, "a doubled character"),
        ("abbreviation", "abbreviations", _abbreviation, "pls, tmrw, w/, vowels dropped"),
        ("slang", "slang", _slang, "contractions and slang: don't, gonna, ur, lol"),
        ("case", "case", _case, "lower, UPPER, Title, aLtErNaTiNg case"),
        ("whitespace", "whitespace", _whitespace, "doubled spaces, tabs, NBSP, newlines"),
        ("homoglyph", "unicode", _homoglyph, "a Cyrillic or Greek look-alike letter"),
        ("zero_width", "unicode", _zero_width, "a zero-width space or joiner"),
        ("combining", "unicode", _combining, "a combining accent"),
        ("nfd", "unicode", _nfd, "decomposed (NFD) instead of composed (NFC) text"),
        ("rtl", "unicode", _rtl, "a right-to-left mark or override"),
        ("emoji", "unicode", _emoji, "an emoji, flags and ZWJ sequences included"),
        ("truncate", "truncation", _truncate, "text cut short"),
        ("repeat", "repetition", _repeat, "a repeated word, letter or message"),
        ("mojibake", "mojibake", _mojibake, "UTF-8 decoded as cp1252 or latin-1"),
        ("markup", "markup", _markup, "HTML tags, entities and markdown"),
        ("prompt_injection", "injection", _injection("prompt"), "prompt injection"),
        ("sql_injection", "injection", _injection("sql"), "SQL injection"),
        ("shell_injection", "injection", _injection("shell"), "shell injection"),
        ("template_injection", "injection", _injection("template"), "template injection"),
        ("markup_injection", "injection", _injection("markup"), "XSS-style markup"),
        ("path_injection", "injection", _injection("path"), "path traversal"),
        ("pii", "pii", _pii, "Faker PII: emails, phones, names, cards, IBANs"),
        ("empty_like", "empty_like", _empty_like, '"", whitespace, "null", "None", "N/A"'),
        ("long", "long", _long, "very long text: 1k, 10k or 100k characters"),
    ]
    return {name: Perturbation(name, group, fn, desc) for name, group, fn, desc in table}


def perturbation_names() -> tuple[str, ...]:
    """Every perturbation name, in registry order."""
    return tuple(_registry(_data.KEYBOARDS["qwerty"]))


GROUPS: dict[str, tuple[str, ...]] = {}
for _p in _registry(_data.KEYBOARDS["qwerty"]).values():
    GROUPS.setdefault(_p.group, ())
    GROUPS[_p.group] += (_p.name,)

#: The mix ``messy_text`` uses: typos and whitespace dominate, as in real logs; injections, PII,
#: empty-like and very long inputs are rarer but always present. Order sets the shrink order.
DEFAULT_WEIGHTS: dict[str, float] = {
    "typo_substitute": 10,
    "typo_delete": 8,
    "typo_transpose": 6,
    "typo_double": 5,
    "abbreviation": 6,
    "slang": 6,
    "case": 8,
    "whitespace": 10,
    "homoglyph": 3,
    "zero_width": 3,
    "combining": 2,
    "nfd": 1,
    "rtl": 1,
    "emoji": 2,
    "truncate": 4,
    "repeat": 4,
    "mojibake": 2,
    "markup": 3,
    "prompt_injection": 2,
    "sql_injection": 1,
    "shell_injection": 1,
    "template_injection": 1,
    "markup_injection": 1,
    "path_injection": 1,
    "pii": 3,
    "empty_like": 2,
    "long": 1,
}


def _keyboard_rows(keyboard: str, func: str) -> str:
    if not isinstance(keyboard, str):
        raise InvalidArgument(
            f"{func}: keyboard must be a layout name ({', '.join(_data.KEYBOARDS)}) or rows of "
            f"keys separated by newlines, got {type(keyboard).__name__}"
        )
    rows = _data.KEYBOARDS.get(keyboard, keyboard)
    if not rows.replace("\n", "").strip():
        raise InvalidArgument(
            f"{func}: keyboard={keyboard!r} is an empty alphabet; pass a layout name "
            f"({', '.join(_data.KEYBOARDS)}) or rows of keys such as 'qwe\\nasd'"
        )
    if "\n" not in rows and keyboard not in _data.KEYBOARDS and len(rows) < 12:
        close = difflib.get_close_matches(keyboard, list(_data.KEYBOARDS), n=1)
        if close:
            raise InvalidArgument(
                f"{func}: unknown keyboard {keyboard!r}; did you mean {close[0]!r}? Known "
                f"layouts: {', '.join(_data.KEYBOARDS)} (or rows of keys separated by newlines)"
            )
    return rows


def _unknown_name(func: str, argname: str, name: object) -> InvalidArgument:
    valid = [*GROUPS, *perturbation_names()]
    hint = difflib.get_close_matches(str(name), valid, n=1)
    did = f" Did you mean {hint[0]!r}?" if hint else ""
    return InvalidArgument(
        f"{func}: unknown perturbation {name!r} in {argname}.{did} Valid names: groups "
        f"{', '.join(GROUPS)}; kinds {', '.join(perturbation_names())}."
    )


class Perturber:
    """A weighted set of perturbations; turns plans (lists of steps) into text.

    ``kinds`` is ``None`` (every kind, with :data:`DEFAULT_WEIGHTS`), one name, an iterable of
    names (equal weights), or a mapping of names to weights. A name is a kind (``"homoglyph"``)
    or a group (``"unicode"``, ``"typos"``); a group shares its weight among its kinds.
    """

    def __init__(
        self, kinds: KindsArg = None, *, keyboard: str = "qwerty", func: str = "Perturber"
    ) -> None:
        registry = _registry(_keyboard_rows(keyboard, func))
        weights: dict[str, float] = {}
        if kinds is None:
            items: list[tuple[str, float]] = list(DEFAULT_WEIGHTS.items())
        elif isinstance(kinds, str):
            items = [(kinds, 1.0)]
        elif isinstance(kinds, Mapping):
            items = list(kinds.items())
        else:
            try:
                items = [(k, 1.0) for k in kinds]
            except TypeError:
                raise InvalidArgument(
                    f"{func}: kinds must be a name, a list of names or a mapping of names to "
                    f"weights, got {type(kinds).__name__}"
                ) from None
        if not items:
            raise InvalidArgument(f"{func}: kinds is empty; name at least one perturbation")
        for name, weight in items:
            if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
                raise InvalidArgument(
                    f"{func}: the weight of {name!r} in kinds must be a number >= 0, got {weight!r}"
                )
            if name in registry:
                members: tuple[str, ...] = (name,)
            elif name in GROUPS:
                members = GROUPS[name]
            else:
                raise _unknown_name(func, "kinds", name)
            for member in members:
                weights[member] = weights.get(member, 0.0) + float(weight) / len(members)
        if not any(w > 0 for w in weights.values()):
            raise InvalidArgument(f"{func}: every weight in kinds is 0; give one a weight > 0")
        # Integer tickets, so a kind is drawn with one bounded integer (cheap, and shrinks to
        # the first kind listed).
        scale = 20.0 / max(weights.values())
        self.kinds: tuple[Perturbation, ...] = tuple(registry[n] for n in weights)
        tickets = [max(1, round(w * scale)) if w > 0 else 0 for w in weights.values()]
        self._owner: list[int] = [i for i, t in enumerate(tickets) for _ in range(t)]

    @property
    def tickets(self) -> int:
        """How many weighted tickets there are; a step's kind is a ticket index below this."""
        return len(self._owner)

    @property
    def code_range(self) -> int:
        """Steps encoded as one integer each are below this (see :meth:`decode`)."""
        return self.tickets << 32

    def decode(self, code: int) -> Step:
        """The step one integer stands for.

        ``kind = code % tickets``; the rest's even and odd bits, de-interleaved, are
        ``position`` and ``choice``.

        One integer per step keeps Hypothesis fast (one choice, not three), and it still shrinks
        well: a smaller code is an earlier kind with an earlier position and a milder choice.
        Interleaving keeps both position and choice varied when Hypothesis favours small values.
        """
        return split_code(code, self.tickets)

    def kind_of(self, step: Step) -> Perturbation:
        """The perturbation a step applies."""
        return self.kinds[self._owner[step[0] % len(self._owner)]]

    def apply(self, text: str, steps: Sequence[Step]) -> str:
        """Apply a plan to ``text``; an empty plan returns ``text`` unchanged."""
        for step in steps:
            text = self.kind_of(step).apply(text, step[1], step[2])
        return text

    def describe(self, steps: Sequence[Step]) -> list[str]:
        """Readable names of a plan's steps, e.g. ``['typo_delete', 'case']``."""
        return [self.kind_of(s).name for s in steps]

    def explain(self, text: str, steps: Sequence[Step]) -> list[str]:
        """One readable line per step of a plan applied to ``text``.

        Each line names the kind and shows what changed where, e.g.
        ``typo_substitute at 2: 'a' -> 's'`` (``unchanged`` when the step found nothing to do).
        """
        lines: list[str] = []
        for step in steps:
            after = self.kind_of(step).apply(text, step[1], step[2])
            lines.append(f"{self.kind_of(step).name} {_change(text, after)}")
            text = after
        return lines

    def random_plan(self, rng: random.Random, count: int = 1) -> list[Step]:
        """A plan of ``count`` steps drawn from ``rng`` (for use outside Hypothesis)."""
        return [
            (rng.randrange(self.tickets), rng.randrange(STEP_RANGE), rng.randrange(STEP_RANGE))
            for _ in range(count)
        ]


def _change(before: str, after: str, limit: int = 60) -> str:
    """Where and how ``after`` differs from ``before``: ``at 2: 'a' -> 's'``."""
    if before == after:
        return "(unchanged: nothing to apply it to)"
    start = 0
    end = min(len(before), len(after))
    while start < end and before[start] == after[start]:
        start += 1
    tail = 0
    while tail < end - start and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    # Widen to whole words (up to 20 characters each way): "'capital' -> 'cptl'" reads
    # better than "'apita' -> 'pt'".
    for _ in range(20):
        if start == 0 or before[start - 1].isspace():
            break
        start -= 1
    for _ in range(20):
        if tail == 0 or before[len(before) - tail].isspace():
            break
        tail -= 1
    old, new = before[start : len(before) - tail], after[start : len(after) - tail]

    def shown(piece: str) -> str:
        if len(piece) <= limit:
            return repr(piece)
        return f"{piece[: limit // 2]!r}...{piece[-limit // 2 :]!r} ({len(piece):,} characters)"

    return f"at {start}: {shown(old)} -> {shown(new)}"


def perturb(
    text: str, kinds: KindsArg = None, *, seed: int, count: int = 1, keyboard: str = "qwerty"
) -> str:
    """Return ``text`` with ``count`` seeded perturbations applied (no Hypothesis needed).

    The same ``text``, ``kinds``, ``seed`` and ``count`` always give the same result; pass the
    test's ``prodreal_seed`` (plus an index) to vary it reproducibly.
    """
    if not isinstance(text, str):
        raise InvalidArgument(f"perturb: text must be a str, got {type(text).__name__}")
    if not isinstance(count, int) or count < 0:
        raise InvalidArgument(f"perturb: count must be an int >= 0, got {count!r}")
    perturber = Perturber(kinds, keyboard=keyboard, func="perturb")
    return perturber.apply(text, perturber.random_plan(random.Random(seed), count))
