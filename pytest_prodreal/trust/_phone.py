"""Phone numbers: a candidate pattern, a cheap metadata filter, then libphonenumber itself.

``phonenumbers`` (Google's libphonenumber) is the judge, but a full parse and validity check
costs a few hundred microseconds, and most digit groups in text (dates, order numbers, ISBNs)
are not phone numbers. So a candidate first meets the patterns and possible lengths of its
calling code's number types, read from libphonenumber's own metadata once (what
``is_valid_number`` asks, national prefix stripped as ``parse`` strips it); only candidates
that pass are parsed and validated by libphonenumber. Regions whose prefix rules rewrite digits
skip the filter.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from .._kit import validate
from ..errors import InvalidArgument
from ._detect import RegexDetector
from ._validators import digits_of

__all__ = ["PhoneDetector"]

_TYPES = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
    "voicemail", "fixed_line", "mobile",
)  # fmt: skip
_PATTERN = (
    r"(?<![\w+.-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,6}"
    r"(?![\w-]|\.\d)"
)
_GROUPS = re.compile(r"\d+")


def _union(patterns: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


@functools.cache
def _shape(code: int) -> tuple[frozenset[int], re.Pattern[str]] | None:
    """What libphonenumber's ``is_valid_number`` asks of a number of calling ``code``.

    As one pattern over the national significant number: it fits the general description and
    one number type of some region sharing the code (possible lengths: only the union, as a
    quick first test).
    """
    import phonenumbers
    from phonenumbers import PhoneMetadata

    lengths: set[int] = set()
    branches = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ()):
        meta = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
        general = None if meta is None else meta.general_desc
        if meta is None or general is None or general.national_number_pattern is None:
            continue
        types = [getattr(meta, t, None) for t in _TYPES]
        patterns = [d.national_number_pattern for d in types if d and d.national_number_pattern]
        if not patterns:
            continue
        lengths.update(n for n in general.possible_length or () if n > 0)
        branches.append(f"(?=(?:{general.national_number_pattern})\\Z)(?:{_union(patterns)})")
    if not branches:
        return None
    return frozenset(lengths), re.compile(_union(branches))


def _valid_somewhere(number: str, code: int) -> bool:
    shape = _shape(code)
    if shape is None:
        return False
    lengths, pattern = shape
    return (not lengths or len(number) in lengths) and pattern.fullmatch(number) is not None


@functools.cache
def _prefix(code: int, region: str | None) -> tuple[re.Pattern[str] | None, bool]:
    """The national prefix pattern libphonenumber strips, and whether it can (no rewrite rule)."""
    import phonenumbers
    from phonenumbers import PhoneMetadata

    where = region or phonenumbers.region_code_for_country_code(code)
    meta = PhoneMetadata.metadata_for_region_or_calling_code(code, where)
    if meta is None:
        return None, True
    if meta.national_prefix_transform_rule:
        return None, False
    pattern = meta.national_prefix_for_parsing
    return (re.compile(pattern) if pattern else None), True


def _plausible_national(number: str, code: int, region: str | None) -> bool:
    prefix, simple = _prefix(code, region)
    if not simple:
        return True  # a rewrite rule: let libphonenumber judge
    if _valid_somewhere(number, code):
        return True
    found = prefix.match(number) if prefix is not None else None
    if found and found.end() and _valid_somewhere(number[found.end() :], code):
        return True
    # A national number may start with its own calling code, without the "+" (parse strips it).
    own = str(code)
    return (
        region is not None and number.startswith(own) and _valid_somewhere(number[len(own) :], code)
    )


def _plausible_intl(digits: str) -> bool:
    import phonenumbers

    # libphonenumber reads the calling code as the shortest known prefix of 1 to 3 digits.
    if digits.startswith("0"):
        return False
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return _plausible_national(digits[size:], code, None)
    return False


@functools.cache
def _region(region: str) -> tuple[int, re.Pattern[str] | None] | None:
    """A region's calling code and international (IDD) prefix pattern."""
    from phonenumbers import PhoneMetadata

    meta = PhoneMetadata.metadata_for_region(region.upper())
    if meta is None or meta.country_code is None:
        return None
    idd = meta.international_prefix
    return meta.country_code, re.compile(idd) if idd else None


def plausible(digits: str, intl: bool, regions: Sequence[str]) -> bool:
    """Whether ``digits`` can be a valid number: never false for one libphonenumber accepts."""
    if intl:
        return _plausible_intl(digits)
    for region in regions:
        known = _region(region)
        if known is None:
            return True  # let libphonenumber judge (and reject) it
        code, idd = known
        found = idd.match(digits) if idd is not None else None
        if found and found.end() and _plausible_intl(digits[found.end() :]):
            return True
        if _plausible_national(digits, code, region.upper()):
            return True
    return False


def _regions(regions: object) -> tuple[str, ...]:
    """``regions`` as upper-case ISO 3166 codes libphonenumber supports, else InvalidArgument."""
    hint = "ISO 3166 region codes phonenumbers supports, such as ['US'] or ['FR', 'DE']"
    if isinstance(regions, str) or not isinstance(regions, Iterable):
        raise InvalidArgument(
            f"PhoneDetector: regions must be a list of {hint}, got {type(regions).__name__} "
            f"{regions!r}"
        )
    given = tuple(regions)
    if not given:
        raise InvalidArgument(f"PhoneDetector: regions is empty; give a list of {hint}")
    for r in given:
        if not isinstance(r, str):
            raise InvalidArgument(
                f"PhoneDetector: regions item {r!r} is not a region code; give a list of {hint}"
            )
    codes = tuple(r.upper() for r in given)
    # The default region needs no check: importing the detectors must not import phonenumbers.
    if codes != ("US",):
        import phonenumbers

        known = phonenumbers.SUPPORTED_REGIONS
        for r, code in zip(given, codes, strict=True):
            if code not in known:
                raise InvalidArgument(
                    f"PhoneDetector: regions item {r!r} is not a region phonenumbers supports; "
                    f"give a list of {hint}.{validate.suggest(code, known)}"
                )
    return tuple(dict.fromkeys(codes))


class PhoneDetector(RegexDetector):
    """Phone numbers: a candidate pattern, then libphonenumber's validity check and grouping.

    International numbers (``+44 20 7946 0958``) are found whatever the region; national ones
    (``(201) 555-0123``) in each of ``regions`` (default ``("US",)``; pass
    ``PhoneDetector(["FR", "DE"])`` as a detector for yours). A candidate's digit groups must be
    the number's own (``2575-8716-90`` is a valid US number, but grouped as no phone is).

    ``regions`` is a non-empty list of ISO 3166 region codes that ``phonenumbers`` supports
    (``phonenumbers.SUPPORTED_REGIONS``); lower case is upper-cased (``"fr"`` is ``"FR"``).
    Anything else is an ``InvalidArgument``.
    """

    def __init__(self, regions: Sequence[str] = ("US",)) -> None:
        codes = _regions(regions)
        super().__init__(
            "phone", _PATTERN, self._valid, digits=True, before=0, after=0, min_digits=7
        )
        self.compact = True
        self.regions = codes

    def _valid(self, m: re.Match[str]) -> str | None:
        import phonenumbers

        value = m.group()
        digits = digits_of(value).lstrip("+")
        if not 7 <= len(digits) <= 15 or not digits.isdigit():
            return None
        intl = value.startswith("+")
        if not plausible(digits, intl, self.regions):
            return None
        fmt = phonenumbers.PhoneNumberFormat
        groups = [len(g) for g in _GROUPS.findall(value)]
        for region in (None,) if intl else self.regions:
            try:
                number = phonenumbers.parse(value, region)
            except phonenumbers.NumberParseException:
                continue
            if len(groups) > 1 + intl:
                # The grouping first: cheaper than validity, and what most look-alikes fail.
                shown = phonenumbers.format_number(
                    number, fmt.INTERNATIONAL if intl else fmt.NATIONAL
                )
                if groups != [len(g) for g in _GROUPS.findall(shown)]:
                    continue
            # is_valid_number is exactly this; the region is the subkind, so compute it once.
            where = phonenumbers.region_code_for_number(number)
            if where is None or not phonenumbers.is_valid_number_for_region(number, where):
                continue
            return str(where)
        return None
