"""Recorded traffic as a Hypothesis strategy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from ...errors import InvalidArgument
from ..shadow_traffic import Sample, load_traffic
from ._draw import Rows

__all__ = ["shadow_traffic"]


def shadow_traffic(
    path: str | Path,
    *,
    field: str | None = None,
    sample: Sample = None,
    seed: int = 0,
    scrub: bool | Callable[[str], str] = False,
) -> st.SearchStrategy[Any]:
    """Recorded real inputs from a JSONL or CSV file (see ``load_traffic`` for the arguments).

    The file is read once, when the strategy is created, so a bad row fails at once with its
    file and line. Perturb the inputs like any text: ``messy_text(shadow_traffic(...))``.

    Shrinks toward the first row of the file (after sampling).
    """
    records = load_traffic(path, field=field, sample=sample, seed=seed, scrub=scrub)
    if not records:
        raise InvalidArgument(f"shadow_traffic: {str(path)!r} holds no rows")
    return Rows(tuple(r.value for r in records), f"shadow_traffic({str(path)!r})")
