"""PII and secret detectors: deterministic, offline, validated by maintained libraries.

Each built-in detector finds *candidates* with one regular expression and keeps only those a
validator accepts: Luhn and an issuer prefix for cards, ``python-stdnum`` for IBANs and national
ids, ``phonenumbers`` (Google's libphonenumber) for phone numbers, :mod:`ipaddress` for IPs, a
JSON header for JWTs. ``phonenumbers`` and ``python-stdnum`` are imported on first use.
"""

from __future__ import annotations

import base64
import bisect
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .._kit import validate
from ..errors import InvalidArgument

__all__ = [
    "API_KEY_SHAPES",
    "DETECTORS",
    "Detector",
    "Finding",
    "PhoneDetector",
    "RegexDetector",
    "mask",
    "scan",
]


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


def _context(text: str, start: int, end: int, width: int = 30) -> str:
    left = text[max(0, start - width) : start]
    right = text[end : end + width]
    return (left + mask(text[start:end]) + right).replace("\n", " ")


@runtime_checkable
class Detector(Protocol):
    """What a detector is: a ``name`` and ``find(text)`` yielding :class:`Finding` objects."""

    name: str

    def find(self, text: str) -> Iterable[Finding]:
        """Every finding in ``text``."""
        ...


class RegexDetector:
    r"""A detector from a pattern and an optional validator (``validate(match) -> subkind``).

    ``validate`` returns the subkind (a str) to keep the match, or ``None`` to drop it; without
    one, every match is kept with subkind ``name``. Use it for your own ids::

        RegexDetector("order_id", r"\bORD-\d{8}\b")
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
    ) -> None:
        self.name = name
        self.pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        self.validate = validate
        self.group = group
        # Speed: the pattern runs only in windows around a trigger (a literal that every match
        # contains, or a run of digits), found at C speed; ``before``/``after`` bound a match's
        # extent around its trigger. Without triggers the pattern scans the whole text.
        self.triggers = tuple(triggers) if triggers is not None else None
        self.digits = digits
        self.before = before
        self.after = after
        #: Every match starts at one of its triggers: try the pattern there only.
        self.anchored = anchored

    def _windows(self, text: str) -> list[tuple[int, int]]:
        spots: list[tuple[int, int]] = []
        for literal in self.triggers or ():
            i = text.find(literal)
            while i >= 0:
                spots.append((i, i + len(literal)))
                i = text.find(literal, i + 1)
        if self.digits:
            spots += _digit_runs(text)
        spots.sort()
        out: list[tuple[int, int]] = []
        for a, b in spots:
            start, end = max(0, a - self.before), b + self.after
            if out and start <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            else:
                out.append((start, end))
        return out

    def _matches(self, text: str) -> Iterator[re.Match[str]]:
        if self.anchored:
            starts = sorted({i for lit in self.triggers or () for i in _all(text, lit)})
            end = -1
            for i in starts:
                if i < end:
                    continue
                m = self.pattern.match(text, i)
                if m is not None:
                    end = m.end()
                    yield m
            return
        if self.triggers is None and not self.digits:
            windows = [(0, len(text))]
        else:
            windows = self._windows(text)
        for start_at, end_at in windows:
            yield from self.pattern.finditer(text, start_at, min(end_at, len(text)))

    def find(self, text: str, skip: Sequence[tuple[int, int]] = ()) -> Iterable[Finding]:
        """Every validated match of the pattern in ``text`` (not overlapping a ``skip`` span)."""
        starts = [a for a, _ in skip]
        for m in self._matches(text):
            start, end = m.span(self.group)
            if skip:
                k = bisect.bisect_left(starts, end) - 1
                if k >= 0 and skip[k][1] > start:
                    continue
            sub = self.validate(m) if self.validate is not None else self.name
            if sub is None:
                continue
            yield Finding(self.name, sub, start, end, text[start:end], _context(text, start, end))

    def __repr__(self) -> str:
        return f"RegexDetector({self.name!r}, {self.pattern.pattern!r})"


def _all(text: str, literal: str) -> Iterator[int]:
    i = text.find(literal)
    while i >= 0:
        yield i
        i = text.find(literal, i + 1)


_DIGIT_TABLE = bytes(0x31 if chr(b).isdigit() else 0 for b in range(256))


def _digit_runs(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every run of two or more ASCII digits, found at C speed."""
    raw = text.encode("ascii", "replace")  # one byte per character: positions are kept
    mask = raw.translate(_DIGIT_TABLE)
    out = []
    i = mask.find(b"11")
    while i >= 0:
        j = mask.find(b"\x00", i)
        j = len(mask) if j < 0 else j
        out.append((i, j))
        i = mask.find(b"11", j)
    return out


# -- validators -----------------------------------------------------------------------------------

_SEP = re.compile(r"[\s.()/-]")


def _digits(s: str) -> str:
    return _SEP.sub("", s)


def _card(m: re.Match[str]) -> str | None:
    from stdnum import luhn

    d = _digits(m.group())
    if not 13 <= len(d) <= 19 or not d.isdigit() or not luhn.is_valid(d):
        return None
    # The issuer prefix: a Luhn-valid run of digits alone is not a card (ISBNs, ids, orders).
    if d[0] == "4" and len(d) in (13, 16, 19):
        return "visa"
    two, four = int(d[:2]), int(d[:4])
    if (51 <= two <= 55 or 2221 <= four <= 2720) and len(d) == 16:
        return "mastercard"
    if two in (34, 37) and len(d) == 15:
        return "amex"
    if (d.startswith("6011") or two == 65 or 644 <= int(d[:3]) <= 649) and len(d) >= 16:
        return "discover"
    if 3528 <= four <= 3589 and len(d) >= 16:
        return "jcb"
    if (two in (36, 38) or 300 <= int(d[:3]) <= 305) and len(d) == 14:
        return "diners"
    return None


def _iban(m: re.Match[str]) -> str | None:
    from stdnum import iban

    value = m.group()
    return "iban" if iban.is_valid(value) else None


_NATIONAL = re.compile(
    r"(?P<us_ssn>\b\d{3}-\d{2}-\d{4}\b)"
    r"|(?P<es_dni>\b\d{8}-?[A-HJ-NP-TV-Z]\b)"
    r"|(?P<it_codicefiscale>\b[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]\b)"
    r"|(?P<fr_nir>\b[12] ?\d{2} ?(?:0[1-9]|1[0-2]) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b)"
    r"|(?P<in_aadhaar>\b[2-9]\d{3} \d{4} \d{4}\b)"
)


_NATIONAL_MODULES = {
    "us_ssn": "stdnum.us.ssn",
    "es_dni": "stdnum.es.dni",
    "it_codicefiscale": "stdnum.it.codicefiscale",
    "fr_nir": "stdnum.fr.nir",
    "in_aadhaar": "stdnum.in_.aadhaar",
}


def _national(m: re.Match[str]) -> str | None:
    import importlib

    kind = m.lastgroup or ""
    module = importlib.import_module(_NATIONAL_MODULES[kind])
    return kind if module.is_valid(m.group()) else None


def _ip(m: re.Match[str]) -> str | None:
    value = m.group()
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return f"ipv{address.version}"


def _jwt(m: re.Match[str]) -> str | None:
    head = m.group(1)
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return "jwt" if isinstance(header, dict) and "alg" in header else None


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


class PhoneDetector(RegexDetector):
    """Phone numbers: a candidate pattern, then libphonenumber's validity check and grouping.

    International numbers (``+44 20 7946 0958``) are found whatever the region; national ones
    (``(201) 555-0123``) in each of ``regions`` (default ``("US",)``; pass
    ``PhoneDetector(["FR", "DE"])`` as a detector for yours). A candidate's digit groups must be
    the number's own (``2575-8716-90`` is a valid US number, but grouped as no phone is).
    """

    def __init__(self, regions: Sequence[str] = ("US",)) -> None:
        super().__init__(
            "phone",
            r"(?<![\w+.-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,6}"
            r"(?![\w-]|\.\d)",
            self._valid,
            digits=True,
            before=24,
            after=24,
        )
        self.regions = tuple(regions)

    def _valid(self, m: re.Match[str]) -> str | None:
        import phonenumbers

        value = m.group()
        digits = _digits(value).lstrip("+")
        if not 7 <= len(digits) <= 15 or not digits.isdigit():
            return None
        intl = value.startswith("+")
        fmt = phonenumbers.PhoneNumberFormat
        groups = [len(g) for g in re.findall(r"\d+", value)]
        for region in (None,) if intl else self.regions:
            try:
                number = phonenumbers.parse(value, region)
            except phonenumbers.NumberParseException:
                continue
            if not phonenumbers.is_valid_number(number):
                continue
            shown = phonenumbers.format_number(number, fmt.INTERNATIONAL if intl else fmt.NATIONAL)
            if len(groups) > 1 + intl and groups != [len(g) for g in re.findall(r"\d+", shown)]:
                continue
            return phonenumbers.region_code_for_number(number) or "intl"
        return None


_EMAIL = r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"  # noqa: E501
_IBAN = r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"
_CARD = r"(?<![\d+-])(?:\d[ -]?){12,18}\d(?![\d-])"
_IPV4 = r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)"
_IPV6 = r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{1,4}(?![\w:])"
_API_TRIGGERS = (
    "sk-", "sk_", "rk_", "whsec_", "AKIA", "ASIA", "ABIA", "ACCA", "ghp_", "gho_", "ghu_",
    "ghs_", "ghr_", "github_pat_", "xox", "https://hooks.slack.com",
)  # fmt: skip

#: The built-in detectors by name, in the order they claim overlapping text.
DETECTORS: dict[str, Detector] = {
    "private_key": RegexDetector(
        "private_key",
        r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z]+ )*PRIVATE KEY-----",
        triggers=("-----BEGIN",),
        anchored=True,
    ),
    "jwt": RegexDetector(
        "jwt",
        r"\b(eyJ[A-Za-z0-9_-]{8,})\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}",
        _jwt,
        triggers=("eyJ",),
        anchored=True,
    ),
    "api_key": RegexDetector(
        "api_key", _API, lambda m: m.lastgroup, triggers=_API_TRIGGERS, anchored=True
    ),
    "email": RegexDetector("email", _EMAIL, triggers=("@",), before=65, after=255),
    "iban": RegexDetector("iban", _IBAN, _iban, digits=True, before=4, after=44),
    "card": RegexDetector("card", _CARD, _card, digits=True, before=26, after=26),
    "national_id": RegexDetector(
        "national_id", _NATIONAL, _national, digits=True, before=12, after=24
    ),
    "ip": RegexDetector("ip", f"{_IPV4}|{_IPV6}", _ip, digits=True, before=40, after=40),
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
    taken: list[tuple[int, int]] = []
    out: list[Finding] = []
    for detector in found:
        # Built-in detectors skip what earlier ones took before validating (validation is the
        # expensive part); a user's detector is filtered afterwards.
        hits = (
            detector.find(text, taken)
            if isinstance(detector, RegexDetector)
            else detector.find(text)
        )
        starts = [a for a, _ in taken]
        new = []
        for f in hits:
            k = bisect.bisect_left(starts, f.end) - 1
            if k >= 0 and taken[k][1] > f.start:
                continue
            new.append(f)
        taken = sorted(taken + [(f.start, f.end) for f in new])
        out += new
    out.sort(key=lambda f: f.start)
    return out
