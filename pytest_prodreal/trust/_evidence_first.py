"""``evidence_first``: answers cite the retrieved sources, and the sources say what is quoted.

For each answer, :func:`check_evidence_first` checks that

1. it cites at least one source, and every citation names a retrieved source id;
2. each quoted span appears in a cited source (whitespace, case and unicode normalised; with
   ``fuzzy=True``, rapidfuzz's best alignment scoring at least ``min_score``, and even then every
   number, date and capitalised name in the quote must appear exactly in the aligned span —
   a fuzzy score alone lets "May 1899" pass for "March 1889");
3. every number it states (outside quotes and citations) appears in some source;
4. its citations come before (``order="before"``) or beside (``"beside"``: in every sentence
   making a claim) its conclusion, as your format says (``order=None``: not checked).

Over many answers it reports the failure rate against ``max_failure_rate`` and the worst answers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._kit import CheckResult, conclude, validate
from ..errors import InvalidArgument
from ._abstain import is_abstention

__all__ = ["AnswerReport", "EvidenceFirstResult", "check_evidence_first"]

_DEFAULT_CITATION = r"\[([A-Za-z0-9_.:#-]+)\]"
_QUOTE = re.compile(
    r"[\"\u201c\u201e\u00ab]([^\"\u201c\u201d\u201e\u00ab\u00bb]{8,}?)[\"\u201d\u00bb]"
)
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?%?")
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_TOKEN = re.compile(r"\w+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\[\"\u201c])|\n+")


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(
        {0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2014: "-"}
    )
    return " ".join(text.split()).casefold()


def _num(token: str) -> str:
    return token.replace(",", "").rstrip("%").rstrip(".")


def _exact_tokens(quote: str) -> set[str]:
    """Numbers, months and capitalised names: what must match exactly, not fuzzily."""
    out = {_num(n) for n in _NUMBER.findall(quote)}
    words = _TOKEN.findall(quote)
    for i, w in enumerate(words):
        if w.casefold() in _MONTHS or (i > 0 and w[:1].isupper()):
            out.add(w.casefold())
    return out


def _tokens_of(text: str) -> set[str]:
    return {_num(t) for t in _NUMBER.findall(text)} | {w.casefold() for w in _TOKEN.findall(text)}


@dataclass(frozen=True)
class AnswerReport:
    """What one answer got wrong (``problems`` empty when it held)."""

    index: int
    answer: str
    citations: tuple[str, ...]
    quotes: int
    numbers: int
    problems: tuple[str, ...]
    skipped: bool = False


@dataclass(frozen=True)
class EvidenceFirstResult(CheckResult):
    """The outcome of :func:`check_evidence_first`: per-answer reports, worst first in ``worst``."""

    answers: tuple[AnswerReport, ...] = ()
    failure_rate: float = 0.0
    worst: tuple[AnswerReport, ...] = ()


def _sources(where: str, sources: Any) -> dict[str, str]:
    if isinstance(sources, Mapping):
        items = list(sources.items())
    elif isinstance(sources, Iterable) and not isinstance(sources, (str, bytes)):
        items = []
        for s in sources:
            if isinstance(s, Mapping):
                items.append((s.get("id"), s.get("text", s.get("content", ""))))
            else:
                items.append(
                    (getattr(s, "id", None), getattr(s, "text", getattr(s, "content", "")))
                )
    else:
        raise InvalidArgument(
            f"{where}: sources must map source id -> text, or be a list of objects or dicts with "
            f"id and text; got {type(sources).__name__}"
        )
    out = {}
    for sid, text in items:
        if sid is None:
            raise InvalidArgument(f"{where}: a source has no id; give each source an id and text")
        out[str(sid)] = str(text or "")
    return out


def _fuzzy_ok(quote: str, source: str, min_score: float) -> bool:
    from rapidfuzz import fuzz

    aligned = fuzz.partial_ratio_alignment(quote, source, score_cutoff=min_score)
    if aligned is None:
        return False
    span = source[aligned.dest_start : aligned.dest_end]
    # Widen by a few characters: the alignment may cut a number in half at its edges.
    span = source[max(0, aligned.dest_start - 8) : aligned.dest_end + 8]
    return _exact_tokens(quote) <= _tokens_of(span)


def _judge(
    index: int,
    answer: Any,
    sources: dict[str, str],
    pattern: re.Pattern[str],
    fuzzy: bool,
    min_score: float,
    order: str | None,
    allow_abstentions: bool,
) -> AnswerReport:
    cited: list[str]
    if isinstance(answer, Mapping):
        text = str(answer.get("answer", answer.get("text", "")) or "")
        cited = [str(c) for c in answer.get("citations", ())] + pattern.findall(text)
    else:
        text = "" if answer is None else str(answer)
        cited = pattern.findall(text)
    if allow_abstentions and text.strip() and is_abstention(answer) and not cited:
        return AnswerReport(index, text, (), 0, 0, (), skipped=True)
    problems: list[str] = []
    if not cited:
        problems.append("cites no source")
    unknown = [c for c in dict.fromkeys(cited) if c not in sources]
    if unknown:
        problems.append(f"cites {', '.join(map(repr, unknown))}, not among the retrieved sources")
    pool = [sources[c] for c in dict.fromkeys(cited) if c in sources] or list(sources.values())
    quotes = _QUOTE.findall(text)
    for q in quotes:
        nq = _norm(q)
        if any(nq in _norm(s) for s in pool):
            continue
        if fuzzy and any(_fuzzy_ok(q, s, min_score) for s in pool):
            continue
        problems.append(f"quotes {q!r}, which no cited source says")
    bare = pattern.sub(" ", _QUOTE.sub(" ", text))
    numbers = [n for n in _NUMBER.findall(bare) if len(_num(n)) > 0]
    all_numbers = set()
    for s in sources.values():
        all_numbers |= {_num(n) for n in _NUMBER.findall(s)}
    for n in numbers:
        if _num(n) not in all_numbers:
            problems.append(f"states {n}, which no source supports")
    if order is not None and cited:
        sentences = [s for s in _SENTENCE.split(text.strip()) if _TOKEN.search(pattern.sub("", s))]
        if order == "before":
            last = sentences[-1] if sentences else ""
            if (
                sentences and not pattern.search(" ".join(sentences[:-1])) and len(sentences) > 1
            ) or (len(sentences) == 1 and not pattern.search(last)):
                problems.append("gives its conclusion before any source (order='before')")
        else:
            bare_claims = [s for s in sentences if not pattern.search(s) and not is_abstention(s)]
            if bare_claims:
                problems.append(
                    f"makes {len(bare_claims)} claim(s) with no source beside them "
                    f"(order='beside'), e.g. {bare_claims[0][:60]!r}"
                )
    return AnswerReport(index, text, tuple(cited), len(quotes), len(numbers), tuple(problems))


def check_evidence_first(
    answer: Any,
    sources: Any,
    *,
    citation: str = _DEFAULT_CITATION,
    fuzzy: bool = False,
    min_score: float = 90.0,
    order: str | None = "beside",
    allow_abstentions: bool = True,
    max_failure_rate: float = 0.0,
) -> EvidenceFirstResult:
    """Answers show their evidence (see the module docstring); raises ``AssertionError``.

    ``answer``: a text (or a mapping with ``answer``/``text`` and optional ``citations``), with
    ``sources`` its retrieved sources (a mapping id -> text, or objects/dicts with ``id`` and
    ``text``); or a list of answers with a list of their sources (one per answer). ``citation``:
    the regular expression whose first group is a cited id (default ``[doc-1]`` style).
    ``fuzzy`` needs the ``rapidfuzz`` extra. Abstaining answers are skipped when
    ``allow_abstentions``. Records ``evidence_first`` evidence.
    """
    __tracebackhide__ = True
    where = "check_evidence_first"
    try:
        pattern = re.compile(citation)
    except (re.error, TypeError) as exc:
        raise InvalidArgument(
            f"{where}: citation={citation!r} is not a regular expression: {exc}"
        ) from None
    if pattern.groups < 1:
        raise InvalidArgument(
            f"{where}: citation={citation!r} needs a group capturing the source id"
        )
    score = validate.finite_number(where, "min_score", min_score)
    if not 0 <= score <= 100:
        raise InvalidArgument(f"{where}: min_score={min_score!r} must be between 0 and 100")
    limit = validate.rate(where, "max_failure_rate", max_failure_rate)
    validate.choice(
        where, "order", "none" if order is None else order, ("before", "beside", "none")
    )
    if fuzzy:
        try:
            import rapidfuzz  # noqa: F401
        except ImportError:  # pragma: no cover - rapidfuzz is installed in the test env
            raise InvalidArgument(
                f"{where}: fuzzy=True needs rapidfuzz: pip install 'pytest-prodreal[trust-fuzzy]'"
            ) from None
    if isinstance(answer, (str, Mapping)) or answer is None:
        pairs: Sequence[tuple[Any, Any]] = [(answer, sources)]
    else:
        answers = validate.non_empty(where, "answer", answer)
        many = validate.non_empty(where, "sources", sources)
        if len(many) != len(answers):
            raise InvalidArgument(
                f"{where}: {len(answers)} answers but {len(many)} source sets: give one set of "
                "sources per answer"
            )
        pairs = list(zip(answers, many, strict=True))
    reports = tuple(
        _judge(i, a, _sources(where, s), pattern, fuzzy, score, order, allow_abstentions)
        for i, (a, s) in enumerate(pairs)
    )
    judged = [r for r in reports if not r.skipped]
    failing = [r for r in judged if r.problems]
    rate = len(failing) / len(judged) if judged else 0.0
    held = rate <= limit
    worst = tuple(sorted(failing, key=lambda r: -len(r.problems))[:3])
    summary = (
        f"{len(judged)} answers judged, {len(failing)} without their evidence "
        f"({rate:.1%}; limit {limit:.1%})"
    )
    figures = {
        "answers": len(judged),
        "answers_failing": len(failing),
        "failure_rate": round(rate, 6),
        "citations": sum(len(r.citations) for r in judged),
        "quotes": sum(r.quotes for r in judged),
        "numbers": sum(r.numbers for r in judged),
        "skipped_abstentions": len(reports) - len(judged),
    }
    explanation = (
        f"{len(failing)} of {len(judged)} answers fail (rate {rate:.1%} > {limit:.1%}); worst:\n"
        + "\n".join(
            f"  - answer {r.index} ({r.answer[:50]!r}): " + "; ".join(r.problems[:4]) for r in worst
        )
        + "\nCite only retrieved source ids, quote them exactly, and state numbers they contain."
    )
    counted = conclude(
        "evidence_first",
        "check_evidence_first",
        held=held,
        exercised=len(judged),
        what="answers judged",
        summary=summary,
        figures=figures,
        explanation=explanation,
    )
    return EvidenceFirstResult(
        held=held,
        counted=counted,
        summary=summary,
        figures=figures,
        explanation="" if held else explanation,
        answers=reports,
        failure_rate=rate,
        worst=worst,
    )
