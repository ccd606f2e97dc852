"""Shadow traffic: recorded real inputs (JSONL or CSV) as test inputs.

``load_traffic`` reads a file of recorded requests, picks a field, optionally samples rows
(seeded) and scrubs PII, and returns :class:`TrafficRecord` objects that remember their file and
line, so a failing case says where it came from. Use them to parametrize a test, as a Hypothesis
strategy (``pytest_prodreal.strategies.shadow_traffic``, perturbable like any text), or as the
inputs of ``assert_canary`` and ``assert_invariant``.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from ..errors import InvalidArgument

__all__ = ["TrafficError", "TrafficRecord", "load_traffic", "scrub_pii"]


class TrafficError(InvalidArgument):
    """A traffic file or one of its rows cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class TrafficRecord:
    """One recorded input: its ``value`` (the chosen field), its ``path`` and 1-based ``line``."""

    value: Any
    path: str
    line: int

    @property
    def id(self) -> str:
        """A short, stable id such as ``traffic.jsonl:12`` (used for parametrize ids)."""
        return f"{Path(self.path).name}:{self.line}"


# Ordered: specific shapes (cards, IBANs) before generic digit runs (phones).
_PII_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("<EMAIL>", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("<IBAN>", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")),
    ("<CARD>", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
    ("<SSN>", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    ("<IP>", re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")),
    ("<PHONE>", re.compile(r"(?:\+|\b00)?\d[\d ().-]{6,}\d\b")),
)


def scrub_pii(text: str) -> str:
    """Replace emails, IBANs, card numbers, SSNs, IPv4 addresses and phone numbers.

    Placeholders such as ``<EMAIL>`` take their place. A conservative regex pass, not a full
    PII detector.
    """
    for placeholder, pattern in _PII_PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


def _scrub_value(value: Any, scrub: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrub_value(v, scrub) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_value(v, scrub) for k, v in value.items()}
    return value


Sample = Union[int, float, None]  # noqa: UP007 (3.10 alias)


def _rows(path: Path) -> list[tuple[int, Any]]:
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TrafficError(f"shadow traffic file {str(path)!r} does not exist") from None
    except UnicodeDecodeError as exc:
        raise TrafficError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if suffix in (".jsonl", ".ndjson", ".json"):
        rows: list[tuple[int, Any]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise TrafficError(
                    f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno}); "
                    "shadow traffic files hold one JSON value per line"
                ) from None
        return rows
    if suffix in (".csv", ".tsv"):
        reader = csv.DictReader(text.splitlines(), delimiter="\t" if suffix == ".tsv" else ",")
        rows = []
        for record in reader:
            if None in record or any(v is None for v in record.values()):
                raise TrafficError(
                    f"{path}:{reader.line_num}: the row's cells do not match the header's "
                    f"{len(reader.fieldnames or [])} columns"
                )
            rows.append((reader.line_num, dict(record)))
        return rows
    raise TrafficError(
        f"shadow traffic file {str(path)!r}: unknown format {suffix or '(no suffix)'!r}; "
        "use .jsonl, .ndjson, .csv or .tsv"
    )


def load_traffic(
    path: str | Path,
    *,
    field: str | None = None,
    sample: Sample = None,
    seed: int = 0,
    scrub: bool | Callable[[str], str] = False,
) -> list[TrafficRecord]:
    """Read recorded inputs from a JSONL or CSV file, in file order.

    ``field`` picks one field of each row (a JSON object key or a CSV column; dotted paths such
    as ``"request.query"`` reach into JSON); ``None`` keeps the whole row. ``sample`` keeps
    that many rows (an int) or that fraction (a float in (0, 1]), chosen with ``seed``. ``scrub``
    is ``True`` for :func:`scrub_pii` or your own ``str -> str`` function, applied to every
    string. A bad row raises :class:`TrafficError` naming the file and line.
    """
    if not isinstance(path, (str, Path)):
        raise InvalidArgument(f"load_traffic: path must be a str or Path, got {path!r}")
    path = Path(path)
    if field is not None and (not isinstance(field, str) or not field):
        raise InvalidArgument(f"load_traffic: field must be a non-empty str, got {field!r}")
    if sample is not None:
        if isinstance(sample, bool) or not isinstance(sample, (int, float)):
            raise InvalidArgument(f"load_traffic: sample must be an int or a float, got {sample!r}")
        if isinstance(sample, int) and sample < 1:
            raise InvalidArgument(f"load_traffic: sample={sample!r} must be >= 1 rows")
        if isinstance(sample, float) and not 0 < sample <= 1:
            raise InvalidArgument(f"load_traffic: sample={sample!r} must be a fraction in (0, 1]")
    scrubber: Callable[[str], str] | None
    if scrub is True:
        scrubber = scrub_pii
    elif scrub is False or scrub is None:
        scrubber = None
    elif callable(scrub):
        scrubber = scrub
    else:
        raise InvalidArgument(f"load_traffic: scrub must be a bool or a function, got {scrub!r}")
    records: list[TrafficRecord] = []
    for line, row in _rows(path):
        value = row
        if field is not None:
            for part in field.split("."):
                if not isinstance(value, dict) or part not in value:
                    keys = ", ".join(map(str, value)) if isinstance(value, dict) else "none"
                    raise TrafficError(
                        f"{path}:{line}: row has no field {field!r} (its fields: {keys})"
                    )
                value = value[part]
        if scrubber is not None:
            value = _scrub_value(value, scrubber)
        records.append(TrafficRecord(value, str(path), line))
    if sample is not None and records:
        k = sample if isinstance(sample, int) else max(1, round(sample * len(records)))
        if k < len(records):
            keep = sorted(random.Random(seed).sample(range(len(records)), k))
            records = [records[i] for i in keep]
    return records
