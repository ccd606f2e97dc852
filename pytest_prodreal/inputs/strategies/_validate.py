"""Argument checks shared by the strategies; every failure is an ``InvalidArgument``."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from ...errors import InvalidArgument

__all__ = ["check_bounds", "check_size", "text_strategy"]


#: The most perturbation steps a plan may have (more is a typo for a size, not a plan).
MAX_STEPS = 1_000


def check_size(
    func: str, name: str, value: object, *, minimum: int = 0, maximum: int = MAX_STEPS
) -> int:
    """``value`` as an int in [``minimum``, ``maximum``], or ``InvalidArgument`` naming it."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidArgument(f"{func}: {name} must be an int, got {value!r}")
    if value < minimum:
        raise InvalidArgument(f"{func}: {name}={value!r} must be >= {minimum}")
    if value > maximum:
        raise InvalidArgument(f"{func}: {name}={value!r} is too large; pass at most {maximum:,}")
    return value


def check_bounds(func: str, low_name: str, low: Any, high_name: str, high: Any) -> None:
    """``InvalidArgument`` when ``low > high``, naming both arguments."""
    if low is not None and high is not None and low > high:
        raise InvalidArgument(
            f"{func}: {low_name}={low!r} is greater than {high_name}={high!r}; "
            f"pass {low_name} <= {high_name}"
        )


def text_strategy(func: str, text: object, default: st.SearchStrategy[str]) -> Any:
    """A strategy of clean text from a str, a strategy of str, or ``None`` (``default``)."""
    if text is None:
        return default
    if isinstance(text, str):
        return st.just(text)
    if isinstance(text, st.SearchStrategy):
        return text
    raise InvalidArgument(
        f"{func}: text must be a str or a Hypothesis strategy of str, got {type(text).__name__}"
    )
