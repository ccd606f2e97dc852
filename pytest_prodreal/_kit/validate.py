"""Argument validation for the library layer: one place, one message style.

Every function raises :class:`~pytest_prodreal.errors.InvalidArgument` whose message names the
function and argument (``"check_slo: p95_s=-1 must be ..."``) and says what is allowed, and returns
the value normalised (a float for numbers, a tuple for sequences).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Collection, Iterable
from typing import Any, TypeVar

from ..errors import InvalidArgument

__all__ = [
    "callable_arg",
    "choice",
    "finite_number",
    "non_empty",
    "non_negative_number",
    "positive_int",
    "positive_number",
    "rate",
    "suggest",
]

T = TypeVar("T")


def _finite(value: object) -> float | None:
    """``value`` as a float when it is a finite real number (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return number if math.isfinite(number) else None


def finite_number(where: str, name: str, value: object) -> float:
    """A finite real number (not bool, not NaN or infinity)."""
    number = _finite(value)
    if number is None:
        raise InvalidArgument(f"{where}: {name}={value!r} must be a finite number")
    return number


def positive_number(where: str, name: str, value: object, *, unit: str = "") -> float:
    """A finite number > 0."""
    number = _finite(value)
    if number is None or not number > 0:
        what = f"a positive, finite number{' of ' + unit if unit else ''}"
        raise InvalidArgument(f"{where}: {name}={value!r} must be {what}")
    return number


def non_negative_number(where: str, name: str, value: object, *, unit: str = "") -> float:
    """A finite number >= 0."""
    number = _finite(value)
    if number is None or number < 0:
        what = f"a finite number >= 0{' of ' + unit if unit else ''}"
        raise InvalidArgument(f"{where}: {name}={value!r} must be {what}")
    return number


def positive_int(where: str, name: str, value: object, *, maximum: int | None = None) -> int:
    """A whole number >= 1 (and <= ``maximum`` when given)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidArgument(f"{where}: {name}={value!r} must be a whole number >= 1")
    if maximum is not None and value > maximum:
        raise InvalidArgument(f"{where}: {name}={value!r} is too large (at most {maximum:,})")
    return value


def rate(where: str, name: str, value: object) -> float:
    """A rate in [0, 1]."""
    number = _finite(value)
    if number is None or not 0.0 <= number <= 1.0:
        raise InvalidArgument(f"{where}: {name}={value!r} must be a rate between 0 and 1")
    return number


def callable_arg(where: str, name: str, value: object) -> Callable[..., Any]:
    """A callable."""
    if not callable(value):
        raise InvalidArgument(
            f"{where}: {name} must be callable, got {type(value).__name__} {value!r}"
        )
    return value


def non_empty(where: str, name: str, value: Iterable[T]) -> tuple[T, ...]:
    """A non-empty iterable, materialised as a tuple (a str is refused: pass a list of them)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidArgument(
            f"{where}: {name} must be a list (or other iterable) of values, got "
            f"{type(value).__name__}"
        )
    items = tuple(value)
    if not items:
        raise InvalidArgument(f"{where}: {name} is empty; give at least one value")
    return items


def suggest(name: str, known: Collection[str]) -> str:
    """`` Did you mean 'x'?`` for a near miss, else an empty string."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def choice(where: str, name: str, value: object, known: Collection[str]) -> str:
    """One of ``known`` (with a did-you-mean for a near miss)."""
    if not isinstance(value, str) or value not in known:
        hint = suggest(value, known) if isinstance(value, str) else ""
        raise InvalidArgument(
            f"{where}: unknown {name} {value!r}.{hint} Choose one of: {', '.join(sorted(known))}"
        )
    return value
