"""Strategies for messy text: clean text in, what users really type out.

Every strategy here draws a *plan* — a short list of perturbation steps — and applies it to the
clean text. Hypothesis shrinks the plan, not the output: it removes steps, then moves each to
the mildest kind, the first position and the first choice. So a failure is reported as the clean
text with one small change ("this one typo breaks it"): Hypothesis prints the perturbed text as
the argument, and a note with the clean text and each step applied (see ``_draw``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from hypothesis import strategies as st

from ...errors import InvalidArgument
from .. import _data
from ..perturbations import KindsArg, Perturber
from ._draw import Drawn, PlanStrategy, Rows
from ._validate import check_bounds, check_size, text_strategy

__all__ = [
    "abbreviations",
    "case_noise",
    "empty_like",
    "injections",
    "long_text",
    "markup",
    "messy_text",
    "mojibake",
    "perturbed",
    "pii_text",
    "repetitions",
    "slang",
    "truncations",
    "typos",
    "unicode_noise",
    "whitespace_noise",
]


def _sample_texts() -> st.SearchStrategy[str]:
    return st.sampled_from(_data.SAMPLE_TEXTS)


def _perturbed_strategy(
    text: str | st.SearchStrategy[str] | None,
    perturber: Perturber,
    lo: int,
    hi: int,
    func: str,
) -> st.SearchStrategy[str]:
    """``text`` with plans of ``lo`` to ``hi`` steps (see :class:`PlanStrategy`).

    A str, the built-in queries or ``shadow_traffic`` rows of text are drawn without a
    sub-strategy (no span: faster); any other strategy of text is drawn as given.
    """
    clean: str | tuple[str, ...] | st.SearchStrategy[Any]
    if text is None:
        clean, shown = tuple(_data.SAMPLE_TEXTS), ""
    elif isinstance(text, str):
        clean, shown = text, repr(text)
    elif isinstance(text, Rows) and all(isinstance(v, str) for v in text.values):
        clean, shown = text.values, repr(text)  # recorded rows of text: drawn directly
    else:
        clean = text_strategy(func, text, _sample_texts())
        shown = repr(clean)
    return PlanStrategy(clean, perturber, lo, hi, func, f"{func}({shown})")


def perturbed(
    text: str | st.SearchStrategy[str] | None = None,
    kinds: KindsArg = None,
    *,
    min_perturbations: int = 1,
    max_perturbations: int = 3,
    keyboard: str = "qwerty",
    _func: str = "perturbed",
) -> st.SearchStrategy[str]:
    """``text`` with between ``min_perturbations`` and ``max_perturbations`` perturbations.

    Models any mix of the named perturbations: ``kinds`` is ``None`` (all, with the default
    weights), a name, a list of names or a ``{name: weight}`` mapping; names are kinds such as
    ``"homoglyph"`` or groups such as ``"unicode"`` (see ``perturbation_names()``). ``text`` is
    a str, a strategy of str, or ``None`` for built-in realistic queries.

    Shrinks toward the clean text with ``min_perturbations`` of the mildest change (the first
    listed kind, at the first position); ``min_perturbations=0`` lets it reach the clean text.
    """
    lo = check_size(_func, "min_perturbations", min_perturbations)
    hi = check_size(_func, "max_perturbations", max_perturbations)
    check_bounds(_func, "min_perturbations", lo, "max_perturbations", hi)
    perturber = Perturber(kinds, keyboard=keyboard, func=_func)
    return _perturbed_strategy(text, perturber, lo, hi, _func)


def messy_text(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    kinds: KindsArg = None,
    min_perturbations: int = 1,
    max_perturbations: int = 3,
    keyboard: str = "qwerty",
) -> st.SearchStrategy[str]:
    """What users type instead of ``text``: every kind of noise, mixed with sensible weights.

    Models typos (a third of all steps), whitespace and case noise, abbreviations and slang,
    unicode noise (homoglyphs, zero-width, combining marks, NFD, RTL marks, emoji), truncation,
    repetition, mojibake, markup, injection strings, Faker PII, empty-like values and very long
    text (see ``DEFAULT_WEIGHTS``). Override the mix with ``kinds``.

    Shrinks toward ``text`` with one keyboard-adjacent typo at its first letter; a failure that
    needs a rarer kind shrinks to one step of that kind. A falsifying example shows the
    perturbed text, with a note listing the clean text and each step applied.
    """
    return perturbed(
        text,
        kinds,
        min_perturbations=min_perturbations,
        max_perturbations=max_perturbations,
        keyboard=keyboard,
        _func="messy_text",
    )


def typos(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    min_perturbations: int = 1,
    max_perturbations: int = 3,
    keyboard: str = "qwerty",
) -> st.SearchStrategy[str]:
    """Keyboard typos: an adjacent key, a dropped, swapped or doubled character.

    ``keyboard`` is ``"qwerty"``, ``"azerty"``, ``"qwertz"`` or rows of keys separated by
    newlines. Shrinks toward ``text`` with its first letter replaced by its left-hand neighbour.
    """
    return perturbed(
        text,
        "typos",
        min_perturbations=min_perturbations,
        max_perturbations=max_perturbations,
        keyboard=keyboard,
        _func="typos",
    )


def abbreviations(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    min_perturbations: int = 1,
    max_perturbations: int = 3,
) -> st.SearchStrategy[str]:
    """Abbreviations: "please" -> "pls", "tomorrow" -> "tmrw", "with" -> "w/".

    When no known phrase occurs, the inner vowels of a long word are dropped ("mssg").

    Shrinks toward ``text`` with its first known phrase in its first short form.
    """
    return perturbed(
        text,
        "abbreviation",
        min_perturbations=min_perturbations,
        max_perturbations=max_perturbations,
        _func="abbreviations",
    )


def slang(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    min_perturbations: int = 1,
    max_perturbations: int = 3,
) -> st.SearchStrategy[str]:
    """Slang and contractions: "do not" -> "don't"/"dont", "going to" -> "gonna", "ur".

    When no such phrase occurs, a filler such as "pls" or "lol" is appended.

    Shrinks toward ``text`` with its first phrase contracted ("don't").
    """
    return perturbed(
        text,
        "slang",
        min_perturbations=min_perturbations,
        max_perturbations=max_perturbations,
        _func="slang",
    )


def case_noise(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    min_perturbations: int = 1,
    max_perturbations: int = 3,
) -> st.SearchStrategy[str]:
    """Case noise: lower, UPPER, Title, aLtErNaTiNg, first letter flipped, one word shouted.

    Shrinks toward ``text.lower()``.
    """
    return perturbed(
        text,
        "case",
        min_perturbations=min_perturbations,
        max_perturbations=max_perturbations,
        _func="case_noise",
    )


def whitespace_noise(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    min_perturbations: int = 1,
    max_perturbations: int = 3,
) -> st.SearchStrategy[str]:
    """Whitespace noise: doubled spaces, tabs, NBSP, ideographic spaces, CRLF, a newline.

    Also leading and trailing spaces.

    Shrinks toward ``text`` with its first space doubled.
    """
    return perturbed(
        text,
        "whitespace",
        min_perturbations=min_perturbations,
        max_perturbations=max_perturbations,
        _func="whitespace_noise",
    )


def unicode_noise(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    min_perturbations: int = 1,
    max_perturbations: int = 3,
) -> st.SearchStrategy[str]:
    """Unicode noise: homoglyphs, zero-width characters, combining marks, NFD, RTL marks, emoji.

    Homoglyphs are Cyrillic and Greek look-alikes; NFD is decomposed instead of composed text;
    RTL marks include overrides; emoji include ZWJ sequences and flags.

    Shrinks toward ``text`` with its first confusable letter swapped for a look-alike.
    """
    return perturbed(
        text,
        "unicode",
        min_perturbations=min_perturbations,
        max_perturbations=max_perturbations,
        _func="unicode_noise",
    )


def truncations(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    min_perturbations: int = 1,
    max_perturbations: int = 1,
) -> st.SearchStrategy[str]:
    """Text cut short (a paste or a length limit), sometimes with "…" or "..." after the cut.

    Shrinks toward ``text`` without its last character.
    """
    return perturbed(
        text,
        "truncate",
        min_perturbations=min_perturbations,
        max_perturbations=max_perturbations,
        _func="truncations",
    )


def repetitions(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    min_perturbations: int = 1,
    max_perturbations: int = 3,
) -> st.SearchStrategy[str]:
    """Repetition: a repeated word ("the the"), a stretched letter ("sooo"), a message twice.

    Shrinks toward ``text`` with its first word repeated.
    """
    return perturbed(
        text,
        "repeat",
        min_perturbations=min_perturbations,
        max_perturbations=max_perturbations,
        _func="repetitions",
    )


def mojibake(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    min_perturbations: int = 1,
    max_perturbations: int = 1,
) -> st.SearchStrategy[str]:
    """Mojibake: UTF-8 decoded as cp1252 or latin-1 ("cafÃ©", "â€™").

    ASCII text first gets the curly quotes a word processor adds.

    Shrinks toward ``text`` decoded once as cp1252.
    """
    return perturbed(
        text,
        "mojibake",
        min_perturbations=min_perturbations,
        max_perturbations=max_perturbations,
        _func="mojibake",
    )


def markup(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    min_perturbations: int = 1,
    max_perturbations: int = 2,
) -> st.SearchStrategy[str]:
    """Markup pasted with the text: HTML tags and entities, markdown.

    Markdown covers emphasis, headings, lists, links and code spans.

    Shrinks toward ``<p>text</p>``.
    """
    return perturbed(
        text,
        "markup",
        min_perturbations=min_perturbations,
        max_perturbations=max_perturbations,
        _func="markup",
    )


_FAMILIES = ("prompt", "sql", "shell", "template", "markup", "path")


def injections(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    families: Iterable[str] | None = None,
    min_perturbations: int = 1,
    max_perturbations: int = 1,
) -> st.SearchStrategy[str]:
    """``text`` carrying an injection payload.

    Families: prompt injection, SQL, shell, template, XSS-style markup and path traversal
    (``families`` picks among ``prompt``, ``sql``, ``shell``, ``template``, ``markup``, ``path``).

    Shrinks toward ``text`` followed by the first payload of the first family.
    """
    chosen: Sequence[str] = _FAMILIES if families is None else list(families)
    if isinstance(families, str):
        chosen = [families]
    if not chosen:
        raise InvalidArgument("injections: families is empty; name at least one family")
    for family in chosen:
        if family not in _FAMILIES:
            raise InvalidArgument(
                f"injections: unknown family {family!r} in families; valid families: "
                f"{', '.join(_FAMILIES)}"
            )
    return perturbed(
        text,
        [f"{f}_injection" for f in chosen],
        min_perturbations=min_perturbations,
        max_perturbations=max_perturbations,
        _func="injections",
    )


def pii_text(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    min_perturbations: int = 1,
    max_perturbations: int = 2,
) -> st.SearchStrategy[str]:
    """``text`` carrying PII made by Faker.

    Emails, phone numbers, names, addresses, card numbers, IBANs, SSNs and IP addresses.

    Faker is seeded from Hypothesis's own draws (never global state), so examples replay and
    shrink. Shrinks toward ``text`` followed by "my email is ..." with Faker seed 0.
    """
    return perturbed(
        text,
        "pii",
        min_perturbations=min_perturbations,
        max_perturbations=max_perturbations,
        _func="pii_text",
    )


def empty_like(values: Sequence[str] | None = None) -> st.SearchStrategy[str]:
    """Values that mean "nothing": ``""``, whitespace, ``"null"``, ``"None"``, ``"N/A"``...

    Also ``"undefined"``, ``"NaN"``, ``"[]"`` and more (or your own ``values``).

    Shrinks toward ``""`` (the first of ``values``).
    """
    if values is None:
        return st.sampled_from(_data.EMPTY_LIKE)
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise InvalidArgument("empty_like: values must be a list of str, e.g. ['', 'N/A']")
    if not values:
        raise InvalidArgument("empty_like: values is empty; pass at least one value")
    return st.sampled_from(list(values))


#: The longest text ``long_text`` makes: 10 million characters (~40 MB as a str at worst).
_LONG_MAX = 10_000_000


def long_text(
    text: str | st.SearchStrategy[str] | None = None,
    *,
    min_size: int = 1_000,
    max_size: int = 100_000,
) -> st.SearchStrategy[str]:
    """Very long text: ``text`` repeated to between ``min_size`` and ``max_size`` characters.

    The length is one drawn integer, so huge examples cost Hypothesis nothing (no health check
    fires). Sizes are at most 10,000,000 characters (``InvalidArgument`` beyond). Shrinks
    toward ``text`` repeated to exactly ``min_size`` characters.
    """
    lo = check_size("long_text", "min_size", min_size, maximum=_LONG_MAX)
    hi = check_size("long_text", "max_size", max_size, maximum=_LONG_MAX)
    check_bounds("long_text", "min_size", lo, "max_size", hi)
    base: st.SearchStrategy[str] = text_strategy("long_text", text, _sample_texts())

    def grow(pair: tuple[str, int]) -> str:
        unit, size = (pair[0] or "lorem ipsum") + " ", pair[1]
        return (unit * (size // len(unit) + 1))[:size]

    return Drawn(st.tuples(base, st.integers(lo, hi)), grow, f"long_text({text!r:.60})")
