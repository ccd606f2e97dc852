"""Messy JSON: an example document (or one built from a JSON Schema) with realistic damage.

Like the text strategies, it draws a plan of steps (kind, field, choice) and applies it to a
fresh copy of the clean document, so examples shrink toward the clean document with one field
missing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from ...errors import InvalidArgument
from ..perturbations import Step, split_code
from ._draw import Drawn, note_if_final
from ._validate import check_bounds, check_size

__all__ = ["JSON_DAMAGE", "example_from_schema", "messy_json"]

#: The kinds of damage, mildest first (shrinking prefers earlier ones).
JSON_DAMAGE: tuple[str, ...] = ("missing", "null", "wrong_type", "extra", "huge", "deep")

Path = tuple[Any, ...]


def _paths(doc: Any, prefix: Path = ()) -> list[Path]:
    out: list[Path] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.append((*prefix, key))
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out.append((*prefix, i))
            out.extend(_paths(value, (*prefix, i)))
    return out


def _parent(doc: Any, path: Path) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


def _wrong_type(value: Any, choice: int) -> Any:
    if isinstance(value, bool):
        return ("true", 1, "yes")[choice % 3]
    if isinstance(value, (int, float)):
        return (str(value), f"{value:,}", "NaN", [value])[choice % 4]
    if isinstance(value, str):
        return (0, True, [value], {"value": value})[choice % 4]
    if isinstance(value, list):
        return ({"items": value}, json.dumps(value), None)[choice % 3]
    if isinstance(value, dict):
        return ([value], json.dumps(value), "")[choice % 3]
    return ("", 0, [])[choice % 3]


def _huge(value: Any, choice: int) -> Any:
    # Absolute sizes, so damaging the same field twice does not multiply them.
    if isinstance(value, bool):
        return "true" * 25_000
    if isinstance(value, (int, float)):
        return (2**64, 1e308, -(2**63) - 1, 10**100)[choice % 4]
    if isinstance(value, list):
        first = value[0] if value else 0
        small = (
            first is None
            or isinstance(first, (int, float))
            or (isinstance(first, str) and len(first) <= 100)
        )
        return [first if small else 0] * 10_000  # never 10,000 copies of a huge value
    if isinstance(value, dict):
        return {f"key{i}": i for i in range(10_000)}
    return ((value or "x")[:1]) * 100_000


_EXTRA: tuple[tuple[str, Any], ...] = (
    ("extra", "unexpected"),
    ("__proto__", {"admin": True}),
    ("id", None),
    ("", ""),
    ("debug", True),
)


def _damage(doc: Any, step: Step, paths: list[Path], dicts: list[Path]) -> Any:
    """Apply one step to ``doc``.

    Paths come from the clean document, and a path damaged away by an earlier step makes this
    one a no-op (walking a 10,000-item list per step would be slow).
    """
    kind = JSON_DAMAGE[step[0]]
    if kind == "extra" or not paths:
        if not dicts:
            return doc
        try:
            target = _get(doc, dicts[step[1] % len(dicts)])
        except (KeyError, IndexError, TypeError):
            return doc
        if not isinstance(target, dict):
            return doc
        key, value = _EXTRA[step[2] % len(_EXTRA)]
        target[key if key not in target else f"{key}_"] = copy.deepcopy(value)
        return doc
    path = paths[step[1] % len(paths)]
    try:
        parent = _parent(doc, path)
        last = path[-1]
        current = parent[last]
    except (KeyError, IndexError, TypeError):
        return doc
    if not isinstance(parent, dict if isinstance(last, str) else list):
        return doc  # an earlier step changed the container's type (say, into a JSON string)
    if kind == "missing":
        del parent[last]
    elif kind == "null":
        parent[last] = None
    elif kind == "wrong_type":
        parent[last] = _wrong_type(current, step[2])
    elif kind == "huge":
        parent[last] = _huge(current, step[2])
    else:  # deep: bury the value under many levels, which breaks naive recursive code
        buried: Any = current
        for i in range(50 + step[2] % 150):  # <= 200 levels per step: json can still dump it
            buried = [buried] if i % 2 else {"a": buried}
        parent[last] = buried
    return doc


def _get(doc: Any, path: Path) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _check_json(value: Any, where: str = "example") -> None:
    if value is None or isinstance(value, (str, int, float, bool)):
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidArgument(f"messy_json: {where} has a non-str key {key!r}")
            _check_json(item, f"{where}[{key!r}]")
        return
    raise InvalidArgument(
        f"messy_json: {where} is a {type(value).__name__}, not JSON data "
        "(dict, list, str, int, float, bool, None)"
    )


_FORMAT_EXAMPLES = {
    "date": "2024-03-05",
    "date-time": "2024-03-05T14:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
}


def example_from_schema(schema: Mapping[str, Any]) -> Any:
    """A small valid document for a JSON Schema.

    Understands types, properties, items, enum, const, default, examples and common formats;
    ``$ref`` is not followed and ``anyOf``/``oneOf``/``allOf`` take their first branch.
    """
    if not isinstance(schema, Mapping):
        raise InvalidArgument(f"messy_json: schema must be a JSON object, got {schema!r}")
    for key in ("const", "default"):
        if key in schema:
            return copy.deepcopy(schema[key])
    if schema.get("examples"):
        return copy.deepcopy(schema["examples"][0])
    if schema.get("enum"):
        return copy.deepcopy(schema["enum"][0])
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return example_from_schema(schema[key][0])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        props = schema.get("properties", {})
        return {name: example_from_schema(sub) for name, sub in props.items()}
    if kind == "array":
        items = schema.get("items", {})
        count = max(1, int(schema.get("minItems", 1)))
        return [example_from_schema(items) for _ in range(count)]
    if kind == "string":
        text = _FORMAT_EXAMPLES.get(str(schema.get("format")), "text")
        return (
            text * max(1, int(schema.get("minLength", 0)) // len(text) + 1)
            if schema.get("minLength")
            else text
        )
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    raise InvalidArgument(f"messy_json: schema has an unknown type {kind!r}")


def messy_json(
    example: Any = None,
    *,
    schema: Mapping[str, Any] | None = None,
    damage: tuple[str, ...] = JSON_DAMAGE,
    min_damage: int = 1,
    max_damage: int = 3,
    as_text: bool = False,
) -> st.SearchStrategy[Any]:
    """A JSON document damaged as real payloads are.

    Starts from ``example`` (or a document built from ``schema``) and applies up to
    ``max_damage`` of: ``missing`` (a field dropped), ``null``, ``wrong_type`` (``"42"`` for
    42, a list for a string), ``extra`` (unexpected keys, ``__proto__``), ``huge``
    (100k-character strings, 2**64, 10,000-item lists) and ``deep`` (a value buried 50-200
    levels deep). ``as_text`` yields the document serialised with ``json.dumps``.

    Shrinks toward the clean document with its first field missing.
    """
    if (example is None) == (schema is None):
        raise InvalidArgument("messy_json: pass exactly one of example= or schema=")
    doc = example_from_schema(schema) if schema is not None else example
    _check_json(doc)
    lo = check_size("messy_json", "min_damage", min_damage)
    hi = check_size("messy_json", "max_damage", max_damage)
    check_bounds("messy_json", "min_damage", lo, "max_damage", hi)
    if isinstance(damage, str):
        damage = (damage,)
    if not damage:
        raise InvalidArgument("messy_json: damage is empty; name at least one kind of damage")
    for kind in damage:
        if kind not in JSON_DAMAGE:
            raise InvalidArgument(
                f"messy_json: unknown damage {kind!r}; valid kinds: {', '.join(JSON_DAMAGE)}"
            )
    kinds = [JSON_DAMAGE.index(k) for k in damage]
    frozen = json.dumps(doc)  # a fresh copy per example: damage must never leak between them

    paths = _paths(doc)
    dicts = [p for p in [(), *paths] if isinstance(_get(doc, p), dict)]

    def build(codes: list[int]) -> Any:
        out = json.loads(frozen)
        applied: list[str] = []
        for code in codes:
            k, pos, choice = split_code(code, len(kinds))
            out = _damage(out, (kinds[k], pos, choice), paths, dicts)
            applied.append(JSON_DAMAGE[kinds[k]])
        note_if_final(lambda: f"messy_json: {len(applied)} damage step(s): {', '.join(applied)}")
        return json.dumps(out) if as_text else out

    # One integer per step, as for text (see Perturber.decode): fast, and shrinks to kind 0.
    code = st.integers(0, (len(kinds) << 32) - 1)
    return Drawn(st.lists(code, min_size=lo, max_size=hi), build, "messy_json(...)")
