"""``abstain``: the service says it does not know when it cannot know — and only then.

:func:`check_abstains` calls the service on *unanswerable* inputs (no hits, out of scope,
contradictory sources), where it must abstain, and on *answerable* ones, where it must not
over-refuse. Both rates are held to limits; both directions are needed for the evidence to hold.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._kit import Call, CheckResult, Steps, adrive, conclude, drive, validate

__all__ = [
    "ABSTENTION_FIELDS",
    "ABSTENTION_PHRASES",
    "AbstainResult",
    "acheck_abstains",
    "check_abstains",
    "is_abstention",
]

#: Phrases that mark an abstention or refusal, by language (matched case- and accent-insensitively
#: as substrings of the answer text). Extend or replace with ``is_abstention=``.
ABSTENTION_PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "i don't know", "i do not know", "i'm not sure", "i am not sure", "i cannot answer",
        "i can't answer", "i can't help", "i cannot help", "i'm unable", "i am unable",
        "not able to answer", "no information", "not enough information",
        "insufficient information",
        "couldn't find", "could not find", "no relevant", "not in the provided", "cannot provide",
        "can't provide", "i won't", "i will not", "sorry, i can", "outside the scope",
        "out of scope", "not covered by", "the sources do not", "the documents do not",
        "sources disagree", "sources conflict", "cannot determine", "can't determine",
        "i'm not certain", "i am not certain", "i have no information", "unable to answer",
        "i don't have that information", "i do not have that information",
    ),
    "fr": ("je ne sais pas", "je ne le sais pas", "je n'en sais rien", "je ne suis pas sur",
           "je ne peux pas", "aucune information", "pas d'information", "je n'ai pas trouve",
           "impossible de repondre", "hors du champ"),
    # German: "weiß" is matched as "weiss" (the text and the phrases are case-folded alike).
    "de": ("ich weiss nicht", "ich weiss es nicht", "ich weiss es leider nicht",
           "das weiss ich nicht", "weiss ich leider nicht", "ich bin mir nicht sicher",
           "ich kann nicht", "keine informationen", "nicht beantworten", "leider kann ich"),
    "es": ("no lo se", "no estoy seguro", "no estoy segura", "no puedo", "no tengo informacion",
           "no encontre", "no hay informacion", "no dispongo de informacion"),
    "it": ("non lo so", "non sono sicuro", "non sono sicura", "non posso",
           "nessuna informazione", "non ho trovato", "non ho informazioni"),
    "pt": ("nao sei", "nao tenho certeza", "nao posso", "nenhuma informacao", "nao encontrei",
           "nao tenho informacao"),
    "nl": ("ik weet het niet", "dat weet ik niet", "weet ik helaas niet", "ik ben niet zeker",
           "ik kan niet", "geen informatie"),
    "zh": ("我不知道", "我不确定", "无法回答", "没有相关信息", "不能回答", "没有找到相关"),
    "ja": ("わかりません", "分かりません", "わかりかねます", "分かりかねます", "存じません",
           "お答えできません", "情報がありません"),
}  # fmt: skip

#: Field names a structured answer may use to say it abstained (a true value means abstained).
ABSTENTION_FIELDS: tuple[str, ...] = ("abstained", "abstain", "refused", "unanswerable")

_ACCENTS = re.compile(r"[\u0300-\u036f]")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("\u2019", "'")).casefold()
    return _ACCENTS.sub("", text)


# Normalised as the answers are: case-folding turns "ß" into "ss", so a phrase written "weiß"
# (yours, or ours) must be folded the same way to match.
_PHRASES = tuple(_plain(p) for ps in ABSTENTION_PHRASES.values() for p in ps)


def is_abstention(answer: Any, *, field: str | None = None) -> bool:
    """Whether ``answer`` abstains: a structured field, else the multilingual phrase list.

    A mapping or object carrying one of :data:`ABSTENTION_FIELDS` (or ``field``) answers by that
    field's truth; otherwise its ``answer``/``text`` (or the value itself, as text) is matched
    against :data:`ABSTENTION_PHRASES`. ``None`` and empty answers count as abstaining.
    """
    names = (field,) if field is not None else ABSTENTION_FIELDS
    for name in names:
        if isinstance(answer, Mapping) and name in answer:
            return bool(answer[name])
        if not isinstance(answer, (str, Mapping)) and hasattr(answer, name):
            return bool(getattr(answer, name))
    if isinstance(answer, Mapping):
        answer = answer.get("answer", answer.get("text", ""))
    elif not isinstance(answer, str) and hasattr(answer, "answer"):
        answer = answer.answer
    if answer is None:
        return True
    text = _plain(str(answer)).strip()
    return not text or any(p in text for p in _PHRASES)


@dataclass(frozen=True)
class AbstainResult(CheckResult):
    """The outcome of :func:`check_abstains` (failing inputs shortest first)."""

    answered_unanswerable: tuple[str, ...] = ()
    refused_answerable: tuple[str, ...] = ()
    false_answer_rate: float = 0.0
    over_refusal_rate: float = 0.0


def _steps(
    call: Callable[[str], Any],
    unanswerable: tuple[Any, ...],
    answerable: tuple[Any, ...],
    judge: Callable[[Any], bool],
    max_false: float,
    max_over: float,
) -> Steps[AbstainResult]:
    __tracebackhide__ = True
    answered: list[str] = []
    refused: list[str] = []
    errors: list[str] = []
    for group, sink, want in ((unanswerable, answered, True), (answerable, refused, False)):
        for item in group:
            value, error = yield Call(functools.partial(call, item))
            if error is not None:
                errors.append(f"{item!r}: {type(error).__name__}: {error}")
                continue
            if judge(value) != want:
                sink.append(str(item))
    false_rate = len(answered) / len(unanswerable)
    over_rate = len(refused) / len(answerable)
    held = not errors and false_rate <= max_false and over_rate <= max_over
    summary = (
        f"abstained on {len(unanswerable) - len(answered)}/{len(unanswerable)} unanswerable, "
        f"answered {len(answerable) - len(refused)}/{len(answerable)} answerable"
    )
    figures = {
        "unanswerable": len(unanswerable),
        "answerable": len(answerable),
        "false_answers": len(answered),
        "over_refusals": len(refused),
        "false_answer_rate": round(false_rate, 6),
        "over_refusal_rate": round(over_rate, 6),
        "errors": len(errors),
    }
    lines = []
    if errors:
        lines.append(f"{len(errors)} call(s) raised: " + "; ".join(errors[:3]))
    if false_rate > max_false:
        lines.append(
            f"answered {len(answered)}/{len(unanswerable)} unanswerable inputs (rate "
            f"{false_rate:.2%} > {max_false:.2%}), e.g. "
            + "; ".join(repr(x) for x in sorted(answered, key=len)[:3])
        )
    if over_rate > max_over:
        lines.append(
            f"refused {len(refused)}/{len(answerable)} answerable inputs (rate {over_rate:.2%} > "
            f"{max_over:.2%}), e.g. " + "; ".join(repr(x) for x in sorted(refused, key=len)[:3])
        )
    explanation = (
        "\n".join(lines)
        + "\nAbstain when retrieval finds nothing or sources conflict; answer when they agree "
        "(or pass is_abstention= if your service signals abstention another way)."
    )
    counted = conclude(
        "abstain",
        "check_abstains",
        held=held,
        exercised=min(len(unanswerable), len(answerable)),
        what="inputs judged",
        summary=summary,
        figures=figures,
        explanation=explanation,
        stacklevel=5,
    )
    return AbstainResult(
        held=held,
        counted=counted,
        summary=summary,
        figures=figures,
        explanation="" if held else explanation,
        answered_unanswerable=tuple(sorted(answered, key=len)),
        refused_answerable=tuple(sorted(refused, key=len)),
        false_answer_rate=false_rate,
        over_refusal_rate=over_rate,
    )


def _prepare(
    where: str,
    call: object,
    unanswerable: Iterable[Any],
    answerable: Iterable[Any],
    is_abstention_: object,
    field: str | None,
    max_false_answer_rate: object,
    max_over_refusal_rate: object,
) -> tuple[Any, ...]:
    fn = validate.callable_arg(where, "call", call)
    un = validate.non_empty(where, "unanswerable", unanswerable)
    ans = validate.non_empty(where, "answerable", answerable)
    if is_abstention_ is None:
        judge: Callable[[Any], bool] = lambda v: is_abstention(v, field=field)  # noqa: E731
    else:
        judge = validate.callable_arg(where, "is_abstention", is_abstention_)
    mf = validate.rate(where, "max_false_answer_rate", max_false_answer_rate)
    mo = validate.rate(where, "max_over_refusal_rate", max_over_refusal_rate)
    return fn, un, ans, judge, mf, mo


def check_abstains(
    call: Callable[[Any], Any],
    *,
    unanswerable: Iterable[Any],
    answerable: Iterable[Any],
    is_abstention: Callable[[Any], bool] | None = None,
    field: str | None = None,
    max_false_answer_rate: float = 0.0,
    max_over_refusal_rate: float = 0.0,
) -> AbstainResult:
    """The service abstains on ``unanswerable`` inputs and answers ``answerable`` ones.

    ``call(input)`` is the service. ``is_abstention(answer) -> bool`` judges an answer (default:
    :func:`is_abstention`, with ``field=`` naming your structured abstention field). Each rate
    (answers given to unanswerable inputs; refusals of answerable ones) must stay within its limit.
    A call that raises fails the check. Records ``abstain`` evidence; raises ``AssertionError``.
    """
    __tracebackhide__ = True
    args = _prepare(
        "check_abstains", call, unanswerable, answerable, is_abstention, field,
        max_false_answer_rate, max_over_refusal_rate,
    )  # fmt: skip
    return drive(_steps(*args))


async def acheck_abstains(
    call: Callable[[Any], Any],
    *,
    unanswerable: Iterable[Any],
    answerable: Iterable[Any],
    is_abstention: Callable[[Any], bool] | None = None,
    field: str | None = None,
    max_false_answer_rate: float = 0.0,
    max_over_refusal_rate: float = 0.0,
) -> AbstainResult:
    """:func:`check_abstains` for an async service (``await call(input)``)."""
    __tracebackhide__ = True
    args = _prepare(
        "acheck_abstains", call, unanswerable, answerable, is_abstention, field,
        max_false_answer_rate, max_over_refusal_rate,
    )  # fmt: skip
    return await adrive(_steps(*args))
