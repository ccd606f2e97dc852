"""The built-in detectors and :func:`scan`.

Each built-in detector finds *candidates* with one regular expression and keeps only those a
validator accepts: Luhn and an issuer prefix for cards, ``python-stdnum`` for IBANs and national
ids, ``phonenumbers`` (Google's libphonenumber) for phone numbers, :mod:`ipaddress` for IPs, a
JSON header for JWTs. ``phonenumbers`` and ``python-stdnum`` are imported on first use.

Speed: one shared first pass (``_prefilter``) finds the clusters of tokens holding a digit, an
``@`` or an ``_``; each detector runs its pattern only in the clusters that can hold its kind
(enough digits for a card, an ``@`` for an email, a provider's prefix for a key).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from .._kit import validate
from ..errors import InvalidArgument
from . import _validators as v
from ._detect import Detector, Finding, RegexDetector, context
from ._phone import PhoneDetector
from ._prefilter import Plan

__all__ = ["API_KEY_SHAPES", "DETECTORS", "resolve", "scan"]

#: API key shapes by provider (documented in docs/trust.md): name -> regular expression.
API_KEY_SHAPES: dict[str, str] = {
    "anthropic": r"sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{32,}",
    "openai": r"sk-(?:proj-|svcacct-|admin-)?(?!ant-)[A-Za-z0-9_-]{20,}",
    "aws_access_key_id": r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
    "github": r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b",
    "slack": r"\bxox[abposr]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/]+",
    "stripe": r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b|\bwhsec_[A-Za-z0-9]{24,}\b",
}
_API = re.compile("|".join(f"(?P<{k}>{v})" for k, v in API_KEY_SHAPES.items()))

# Keys that may hold no digit or "_" (an AWS key id is 16 characters of A-Z and 2-7; a test key
# may be letters only): their prefixes are found in the whole text, each at C speed.
_API_EXTRA = tuple(
    re.compile(p) for p in (r"A(?:KIA|SIA|BIA|CCA)", "sk-", "xox", r"hooks\.slack\.com")
)

_EMAIL = r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"  # noqa: E501
_IBAN = r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"
_CARD = r"(?<![\d+-])(?:\d[ -]?){12,18}\d(?![\d-])"
# A pattern that starts with a character class is searched at C speed from one possible start
# to the next; one that starts with a look-behind (or ``\b``) is tried at every position, which
# is several times slower. So ``\b\d`` is written ``[0-9](?<!\w[0-9])``: the same test, made
# after the first character.
_IPV4 = r"[0-9](?<![\w.][0-9])\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?!\w|\.\d)"
_IPV6 = r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{1,4}(?![\w:])"
#: National ids: (kind, pattern, fewest digits, a literal every one holds).
_NATIONAL = (
    ("us_ssn", r"[0-9](?<!\w[0-9])\d{2}-\d{2}-\d{4}\b", 9, "-"),
    ("es_dni", r"[0-9](?<!\w[0-9])\d{7}-?[A-HJ-NP-TV-Z]\b", 8, ""),
    (
        "it_codicefiscale",
        r"[A-Z](?<!\w[A-Z])[A-Z]{5}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]\b",
        7,
        "",
    ),
    (
        "fr_nir",
        r"[12](?<!\w[12]) ?\d{2} ?(?:0[1-9]|1[0-2]) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b",
        13,
        "",
    ),
    ("in_aadhaar", r"[2-9](?<!\w[2-9])\d{3} \d{4} \d{4}\b", 12, " "),
)


class _Passes(RegexDetector):
    """A built-in made of several patterns, each run over its own selection of clusters.

    Its findings are those of every pass, by position; where two overlap, the earlier pass wins.
    """

    def __init__(self, name: str, passes: Iterable[tuple[str, v.Check, int, str]]) -> None:
        self.passes = [(re.compile(p), check, n, c) for p, check, n, c in passes]
        super().__init__(name, self.passes[0][0], self._check, digits=True, before=0, after=0)
        self._checks = {pattern: check for pattern, check, _, _ in self.passes}
        self.compact = True

    def _check(self, m: re.Match[str]) -> str | None:
        return self._checks[m.re](m)

    def _spans(self, text: str, plan: Plan | None) -> Iterator[tuple[int, int, re.Match[str]]]:
        plan = plan if plan is not None else Plan(text)
        found: list[tuple[int, int, int, re.Match[str]]] = []
        for order, (pattern, _, n, literal) in enumerate(self.passes):
            joined, starts, spans = plan.compact(
                min_digits=n, contains=(literal,) if literal else ()
            )
            for m in pattern.finditer(joined):
                start, end = m.span()
                i = bisect.bisect_right(starts, start) - 1
                shift = spans[i][0] - starts[i]
                found.append((start + shift, order, end + shift, m))
        found.sort(key=lambda f: (f[0], f[1]))
        for start, _, end, m in found:
            yield start, end, m


# A dotted quad right after a version word is a version ("release 2.0.1.0", "ver. 1.2.3.4"):
# the word must stand alone ("reversion 10.0.0.1" is still an IP). "v1.2.3.4" already fails the
# IPv4 pattern's word-boundary test.
_VERSIONED = re.compile(
    r"(?<![\w-])(?:v|ver|vers|version|release|rel|build|revision|rev)\.?\s*[:#=]?\s*\Z",
    re.IGNORECASE,
)


class _Ips(_Passes):
    """IPv4 and IPv6 addresses; a dotted quad after a version word is a version, not an IP.

    The passes see only the joined clusters (the word before a number is usually not in one),
    so the version word is read in the scanned text itself, after the spans are mapped back.
    """

    def _spans(self, text: str, plan: Plan | None) -> Iterator[tuple[int, int, re.Match[str]]]:
        ipv4 = self.passes[0][0]
        for start, end, m in super()._spans(text, plan):
            if m.re is ipv4 and _VERSIONED.search(text, max(0, start - 16), start):
                continue
            yield start, end, m


def _national(kind: str) -> v.Check:
    def check(m: re.Match[str]) -> str | None:
        return kind if v.is_valid_id(kind, m.group()) else None

    return check


def _clustered(
    name: str,
    pattern: str | re.Pattern[str],
    check: v.Check | None = None,
    *,
    min_digits: int = 0,
    contains: tuple[str, ...] = (),
    extra: tuple[re.Pattern[str], ...] = (),
) -> RegexDetector:
    """A built-in that looks only in the clusters that can hold its kind."""
    detector = RegexDetector(
        name, pattern, check, digits=True, before=0, after=0,
        min_digits=min_digits, contains=contains,
    )  # fmt: skip
    detector.extra = extra
    detector.compact = True
    return detector


#: The built-in detectors by name, in the order they claim overlapping text.
DETECTORS: dict[str, Detector] = {
    "private_key": RegexDetector(
        "private_key",
        r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z]+ )*PRIVATE KEY-----",
        triggers=("-----BEGIN",),
        anchored=True,
    ),
    "jwt": _clustered(
        "jwt",
        r"\b(eyJ[A-Za-z0-9_-]{8,})\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}",
        v.jwt,
        contains=("eyJ",),
    ),
    # Keys of the other shapes hold a "_" (a trigger: such a token is in a cluster).
    "api_key": _clustered(
        "api_key", _API, lambda m: m.lastgroup, contains=("_",), extra=_API_EXTRA
    ),
    "email": _clustered("email", _EMAIL, contains=("@",)),
    "iban": _clustered("iban", _IBAN, v.iban, min_digits=6),
    "card": _clustered("card", _CARD, v.card, min_digits=13),
    "national_id": _Passes(
        "national_id", [(p, _national(kind), n, c) for kind, p, n, c in _NATIONAL]
    ),
    "ip": _Ips("ip", [(_IPV4, v.ip, 4, "."), (_IPV6, v.ip, 0, ":")]),
    "phone": PhoneDetector(),
}


def resolve(where: str, detectors: Iterable[str | Detector] | None) -> tuple[Detector, ...]:
    """Detector names and objects as detector objects (``None``: every built-in one)."""
    if detectors is None:
        return tuple(DETECTORS.values())
    out: list[Detector] = []
    for d in validate.non_empty(where, "detectors", detectors):
        if isinstance(d, str):
            out.append(DETECTORS[validate.choice(where, "detector", d, DETECTORS)])
        elif isinstance(d, Detector):
            out.append(d)
        else:
            raise InvalidArgument(
                f"{where}: detectors item {d!r} is neither a built-in detector name nor a Detector "
                f"(an object with .name and .find(text)); names: {', '.join(DETECTORS)}"
            )
    return tuple(out)


def scan(text: str, detectors: Iterable[str | Detector] | None = None) -> list[Finding]:
    """Every PII or secret value in ``text``, in order; overlapping findings keep the first kind.

    ``detectors``: names from :data:`DETECTORS` and/or your own :class:`Detector` objects
    (default: every built-in one). Detectors run in order and a later finding that overlaps an
    earlier one is dropped (an IBAN is not also a phone number).
    """
    found = resolve("scan", detectors)
    if not isinstance(text, str):
        raise InvalidArgument(f"scan: text must be a str, got {type(text).__name__}")
    plan: Plan | None = None
    taken: list[tuple[int, int]] = []
    out: list[Finding] = []
    for detector in found:
        # Regex detectors skip what earlier ones took before validating (validation is the
        # expensive part) and share the first pass; a user's detector is filtered afterwards.
        if isinstance(detector, RegexDetector):
            if detector.digits and plan is None:
                plan = Plan(text)
            hits = detector.find(text, taken, plan)
        else:
            hits = detector.find(text)
        starts = [a for a, _ in taken]
        new = []
        for f in hits:
            k = bisect.bisect_left(starts, f.end) - 1
            if k >= 0 and taken[k][1] > f.start:
                continue
            new.append(f)
        if new:
            taken = sorted(taken + [(f.start, f.end) for f in new])
        out += new
    out.sort(key=lambda f: f.start)
    return _masked_contexts(text, out)


def _masked_contexts(text: str, found: list[Finding], width: int = 30) -> list[Finding]:
    """``found`` with each context rebuilt, every other finding in its window masked too.

    A detector masks only its own value; a context is printed in failure messages, so a key or
    an email beside the value must not be shown in clear there either. Findings do not overlap
    (``scan`` dropped those), so their ends are sorted like their starts.
    """
    spans = [(f.start, f.end) for f in found]
    starts, ends = [a for a, _ in spans], [b for _, b in spans]
    out = []
    for f in found:
        first = bisect.bisect_right(ends, f.start - width)
        last = bisect.bisect_left(starts, f.end + width)
        if last - first > 1:  # a neighbour in the window: only then is the context rebuilt
            f = replace(f, context=context(text, f.start, f.end, width, spans[first:last]))
        out.append(f)
    return out
