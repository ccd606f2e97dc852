"""Messy formats: numbers, dates, datetimes and phone numbers as people and systems write them.

Each strategy yields a :class:`Messy` pair: the ``text`` a user typed and the ``value`` it
means, so a parser test can assert ``parse(m.text) == m.value``. The format is one drawn index
(0 is the plain, canonical format), so examples shrink toward the simplest value written
plainly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from hypothesis import strategies as st

from ...errors import InvalidArgument
from ._draw import Drawn
from ._validate import check_bounds, check_size

__all__ = [
    "Messy",
    "messy_dates",
    "messy_datetimes",
    "messy_numbers",
    "messy_phone_numbers",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Messy(Generic[T]):
    """A messy ``text`` and the clean ``value`` it stands for."""

    text: str
    value: T
    format: str = ""


# --- numbers ---------------------------------------------------------------------------------


def _group(digits: str, sep: str, indian: bool = False) -> str:
    if indian and len(digits) > 3:
        head, tail = digits[:-3], digits[-3:]
        parts: list[str] = []
        while len(head) > 2:
            parts.insert(0, head[-2:])
            head = head[:-2]
        if head:
            parts.insert(0, head)
        return sep.join([*parts, tail])
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def _parts(value: Decimal) -> tuple[str, str, str]:
    sign = "-" if value < 0 else ""
    text = f"{abs(value):f}"
    whole, _, frac = text.partition(".")
    return sign, whole, frac


def _num(value: Decimal, thousands: str, decimal: str, indian: bool = False) -> str:
    sign, whole, frac = _parts(value)
    out = sign + _group(whole, thousands, indian)
    return out + (decimal + frac if frac else "")


_NUMBER_FORMATS: tuple[tuple[str, Callable[[Decimal], str]], ...] = (
    ("plain", lambda v: _num(v, "", ".")),
    ("en", lambda v: _num(v, ",", ".")),
    ("de", lambda v: _num(v, ".", ",")),
    ("fr", lambda v: _num(v, "\u202f", ",")),
    ("ch", lambda v: _num(v, "'", ".")),
    ("in", lambda v: _num(v, ",", ".", indian=True)),
    ("usd", lambda v: ("-" if v < 0 else "") + "$" + _num(abs(v), ",", ".")),
    ("eur", lambda v: _num(v, ".", ",") + "\u00a0€"),
    ("code", lambda v: "USD " + _num(v, "", ".")),
    ("unit", lambda v: _num(v, "", ".") + " kg"),
    ("unit_tight", lambda v: _num(v, "", ".") + "kg"),
    ("scientific", lambda v: f"{v:e}"),
    ("scientific_upper", lambda v: f"{v:E}"),
    ("padded", lambda v: f"  {'+' if v >= 0 else ''}{_num(v, '', '.')} "),
    ("accounting", lambda v: f"({_num(abs(v), ',', '.')})" if v < 0 else _num(v, ",", ".")),
    ("approx", lambda v: "~" + _num(v, ",", ".")),
)


def messy_numbers(
    values: st.SearchStrategy[Decimal] | None = None,
    *,
    min_value: int | float | Decimal = -1_000_000,
    max_value: int | float | Decimal = 1_000_000,
    places: int = 2,
) -> st.SearchStrategy[Messy[Decimal]]:
    """Numbers as written across locales and systems, with the ``Decimal`` they mean.

    Models thousands separators (``1,234.5``, ``1.234,5``, ``1 234,5`` with a narrow NBSP,
    ``1'234.5``, Indian ``12,34,567``), currency (``$1,234.50``, ``1.234,50 €``, ``USD``), units
    (``12 kg``, ``12kg``), scientific notation, padding and a leading ``+``, accounting
    negatives ``(1,234.50)`` and ``~`` approximations. Values have up to ``places`` decimals
    (or come from ``values``).

    Shrinks toward the value nearest 0 in range, written plainly (``"0"``).
    """
    lo = Decimal(str(min_value))
    hi = Decimal(str(max_value))
    check_bounds("messy_numbers", "min_value", lo, "max_value", hi)
    places = check_size("messy_numbers", "places", places)
    if values is None:
        q = Decimal(1).scaleb(-places)
        cents_lo, cents_hi = (
            int((lo / q).to_integral_value("ROUND_CEILING")),
            int((hi / q).to_integral_value("ROUND_FLOOR")),
        )
        if cents_lo > cents_hi:
            raise InvalidArgument(
                f"messy_numbers: no number with {places} decimal places lies between "
                f"min_value={min_value!r} and max_value={max_value!r}"
            )
        values = Drawn(
            st.integers(cents_lo, cents_hi), lambda c: (Decimal(c) * q).normalize(), "decimals"
        )

    def render(pair: tuple[Decimal, int]) -> Messy[Decimal]:
        value, index = pair
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))  # "1E+3" -> "1000"
        name, fmt = _NUMBER_FORMATS[index]
        return Messy(fmt(value), value, name)

    return Drawn(
        st.tuples(values, st.integers(0, len(_NUMBER_FORMATS) - 1)), render, "messy_numbers()"
    )


# --- dates -----------------------------------------------------------------------------------

_DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("iso", "%Y-%m-%d"),
    ("dmy_slash", "%d/%m/%Y"),
    ("mdy_slash", "%m/%d/%Y"),
    ("dmy_dot", "%d.%m.%Y"),
    ("long_us", "%B %d, %Y"),
    ("long_uk", "%d %B %Y"),
    ("short_month", "%d %b %Y"),
    ("compact", "%Y%m%d"),
    ("weekday", "%a, %d %b %Y"),
    ("two_digit_year", "%m/%d/%y"),
    ("dashed_month", "%d-%b-%y"),
    ("iso_midnight_utc", "%Y-%m-%dT00:00:00Z"),
)

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _relative(value: dt.date, today: dt.date, variant: int) -> str | None:
    delta = (value - today).days
    words = {0: "today", 1: "tomorrow", -1: "yesterday"}
    if variant % 2 == 0 and delta in words:
        return words[delta]
    if 2 <= delta <= 7 and variant % 2:
        return f"next {_WEEKDAYS[value.weekday()]}" if delta == 7 else f"in {delta} days"
    if -7 <= delta <= -2:
        return f"{-delta} days ago"
    if 1 <= delta <= 7:
        return f"in {delta} day{'s' if delta > 1 else ''}"
    return words.get(delta)


def messy_dates(
    values: st.SearchStrategy[dt.date] | None = None,
    *,
    min_value: dt.date = dt.date(2000, 1, 1),
    max_value: dt.date = dt.date(2040, 12, 31),
    relative_to: dt.date | None = None,
) -> st.SearchStrategy[Messy[dt.date]]:
    """Dates as people and systems write them, with the ``date`` they mean.

    Models ISO, day-first and month-first slashes, dots, month names, compact ``20240305``, two
    digit years, weekday prefixes and a UTC midnight timestamp; with ``relative_to`` (the
    "today" of the test) also "today", "tomorrow", "yesterday", "in 3 days", "2 days ago" and
    "next Friday", for values within a week of it. Note ``dmy_slash`` and ``mdy_slash`` are
    genuinely ambiguous for days <= 12: ``Messy.format`` says which was meant.

    Shrinks toward ``min_value`` (or ``relative_to``) in ISO format.
    """
    for name, v in (("min_value", min_value), ("max_value", max_value)):
        if not isinstance(v, dt.date) or isinstance(v, dt.datetime):
            raise InvalidArgument(f"messy_dates: {name} must be a datetime.date, got {v!r}")
    check_bounds("messy_dates", "min_value", min_value, "max_value", max_value)
    if relative_to is not None and not isinstance(relative_to, dt.date):
        raise InvalidArgument(f"messy_dates: relative_to must be a date, got {relative_to!r}")
    if values is None:
        if relative_to is not None:
            values = Drawn(
                st.integers(-7, 7), lambda d: relative_to + dt.timedelta(days=d), "dates"
            )
        else:
            values = st.dates(min_value, max_value)
    n = len(_DATE_FORMATS) + (2 if relative_to is not None else 0)

    def render(pair: tuple[dt.date, int]) -> Messy[dt.date]:
        value, index = pair
        if index >= len(_DATE_FORMATS) and relative_to is not None:
            text = _relative(value, relative_to, index)
            if text is not None:
                return Messy(text, value, "relative")
            index = 0
        name, fmt = _DATE_FORMATS[index]
        return Messy(value.strftime(fmt), value, name)

    return Drawn(st.tuples(values, st.integers(0, n - 1)), render, "messy_dates()")


_OFFSETS = (0, 60, -300, 330, 540, -210, 840, -600)


def _offset_text(minutes: int, colon: bool = True) -> str:
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h:02d}:{m:02d}" if colon else f"{sign}{h:02d}{m:02d}"


def _dt_formats(value: dt.datetime, index: int) -> tuple[str, str]:
    off = value.utcoffset() or dt.timedelta(0)
    minutes = int(off.total_seconds() // 60)
    utc = value.astimezone(dt.timezone.utc)
    options: tuple[tuple[str, Callable[[], str]], ...] = (
        ("iso", lambda: value.isoformat()),
        ("iso_z", lambda: utc.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("space", lambda: value.strftime("%Y-%m-%d %H:%M:%S") + _offset_text(minutes)),
        ("basic_offset", lambda: value.strftime("%Y%m%dT%H%M%S") + _offset_text(minutes, False)),
        (
            "rfc2822",
            lambda: value.strftime("%a, %d %b %Y %H:%M:%S ") + _offset_text(minutes, False),
        ),
        ("utc_plus", lambda: value.strftime("%Y-%m-%d %H:%M UTC") + _offset_text(minutes)),
        ("epoch", lambda: str(int(value.timestamp()))),
        ("epoch_ms", lambda: str(int(value.timestamp()) * 1000)),
        ("us_12h", lambda: value.strftime("%m/%d/%Y %I:%M:%S %p ") + _offset_text(minutes)),
    )
    name, fn = options[index % len(options)]
    return name, fn()


def messy_datetimes(
    *,
    min_value: dt.datetime = dt.datetime(2000, 1, 1),
    max_value: dt.datetime = dt.datetime(2040, 12, 31),
) -> st.SearchStrategy[Messy[dt.datetime]]:
    """Timezone-aware datetimes in the formats APIs and people use, with the instant they mean.

    Models ISO 8601 with offsets, ``Z`` (UTC), basic ``+0100`` offsets, RFC 2822, ``UTC+5:30``
    style, epoch seconds and milliseconds and US 12-hour clocks, over offsets from -10:00 to
    +14:00 (half hours included). Values are whole seconds; compare them as instants.

    Shrinks toward ``min_value`` at UTC in ISO format.
    """
    for name, v in (("min_value", min_value), ("max_value", max_value)):
        if not isinstance(v, dt.datetime) or v.tzinfo is not None:
            raise InvalidArgument(
                f"messy_datetimes: {name} must be a naive datetime (the wall time range), got {v!r}"
            )
    check_bounds("messy_datetimes", "min_value", min_value, "max_value", max_value)
    span = int((max_value - min_value).total_seconds())

    def render(triple: tuple[int, int, int]) -> Messy[dt.datetime]:
        seconds, off_index, fmt_index = triple
        tz = dt.timezone(dt.timedelta(minutes=_OFFSETS[off_index]))
        value = (min_value + dt.timedelta(seconds=seconds)).replace(tzinfo=tz)
        name, text = _dt_formats(value, fmt_index)
        return Messy(text, value, name)

    return Drawn(
        st.tuples(st.integers(0, span), st.integers(0, len(_OFFSETS) - 1), st.integers(0, 8)),
        render,
        "messy_datetimes()",
    )


# --- phone numbers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Region:
    cc: str
    lead: str  # first national digits, fixed so the number is plausible (mobile ranges)
    rest: int  # further national digits
    formats: Sequence[str]  # placeholders: {cc}, {n} national digits grouped by the format


# Formats use groups of the national number "n" (without trunk prefix); see _render_phone.
_REGIONS: dict[str, _Region] = {
    "US": _Region(
        "1",
        "415",
        7,
        (
            "+{cc}{n}",
            "({0}) {1}-{2}",
            "{0}-{1}-{2}",
            "{0}.{1}.{2}",
            "+{cc} {0} {1} {2}",
            "+{cc}-{0}-{1}-{2}",
            "1 ({0}) {1}-{2}",
            "001 {0} {1} {2}",
            "{n}",
            "tel:+{cc}{n}",
        ),
    ),
    "GB": _Region(
        "44",
        "7",
        9,
        (
            "+{cc}{n}",
            "0{0} {1}",
            "+{cc} {0} {1}",
            "+{cc} (0){0} {1}",
            "0044 {0} {1}",
            "0{n}",
        ),
    ),
    "FR": _Region(
        "33",
        "6",
        8,
        (
            "+{cc}{n}",
            "0{0} {1} {2} {3} {4}",
            "+{cc} {0} {1} {2} {3} {4}",
            "+{cc} (0){0} {1} {2} {3} {4}",
            "0{0}.{1}.{2}.{3}.{4}",
            "0{n}",
        ),
    ),
    "DE": _Region(
        "49",
        "151",
        8,
        (
            "+{cc}{n}",
            "0{0} {1}",
            "+{cc} {0} {1}",
            "+{cc} (0){0} {1}",
            "0049 {0} {1}",
            "0{0}/{1}",
        ),
    ),
    "IN": _Region(
        "91",
        "9",
        9,
        (
            "+{cc}{n}",
            "{0}{1} {2}",
            "+{cc} {0}{1} {2}",
            "+{cc}-{n}",
            "0{n}",
            "0091 {0}{1} {2}",
        ),
    ),
}

_SPLITS: dict[str, tuple[int, ...]] = {
    "US": (3, 3, 4),
    "GB": (4, 6),
    "FR": (1, 2, 2, 2, 2),
    "DE": (3, 8),
    "IN": (1, 4, 5),
}


def _render_phone(region: str, national: str, index: int) -> tuple[str, str]:
    spec = _REGIONS[region]
    fmt = spec.formats[index % len(spec.formats)]
    groups, at = [], 0
    for size in _SPLITS[region]:
        groups.append(national[at : at + size])
        at += size
    return fmt, fmt.format(*groups, cc=spec.cc, n=national)


def messy_phone_numbers(
    regions: Sequence[str] = ("US", "GB", "FR", "DE", "IN"),
) -> st.SearchStrategy[Messy[str]]:
    """Phone numbers as typed in each region, with the E.164 number they mean (``+14155550123``).

    Models national formats with trunk ``0`` prefixes, ``(0)`` inside international numbers,
    ``00`` exit codes, dots, dashes, slashes, parentheses, bare digits and ``tel:`` URIs, for
    the US, GB, FR, DE and IN (choose with ``regions``).

    Shrinks toward the first region's number with trailing zeros, in E.164.
    """
    if isinstance(regions, str):
        regions = [regions]
    regions = list(regions)
    if not regions:
        raise InvalidArgument("messy_phone_numbers: regions is empty; name at least one region")
    for r in regions:
        if r not in _REGIONS:
            raise InvalidArgument(
                f"messy_phone_numbers: unknown region {r!r} in regions; known regions: "
                f"{', '.join(_REGIONS)}"
            )

    def draw_region(region: str) -> st.SearchStrategy[Messy[str]]:
        spec = _REGIONS[region]

        def render(pair: tuple[int, int]) -> Messy[str]:
            digits, index = pair
            national = spec.lead + str(digits).zfill(spec.rest)
            fmt, text = _render_phone(region, national, index)
            return Messy(text, f"+{spec.cc}{national}", f"{region} {fmt}")

        return Drawn(
            st.tuples(st.integers(0, 10**spec.rest - 1), st.integers(0, len(spec.formats) - 1)),
            render,
            f"messy_phone_numbers({region!r})",
        )

    return st.sampled_from(regions).flatmap(draw_region)
