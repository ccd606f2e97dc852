"""Strict validation of a JSON report before :meth:`RunReport.from_json` reads it.

``combine`` reads files from other machines; anything wrong with one must become one line
naming the member and the fix, never a traceback and never a silently accepted report. The
structure is checked against the report's own published JSON Schema
(``report/schema/report-v<N>.schema.json``) by a small interpreter of the keywords those files
use, so the validator follows the schema as it grows (a new member, a new schema version)
without a second hand-kept description. No ``jsonschema`` at run time: the interpreter knows
the keywords below and refuses a schema that uses any other (a test loads every shipped schema).

After the structure, the meaning: evidence must be about a remedy of the file's own taxonomy,
``declared`` ids must be its categories or remedies, and a report comes from at least one run.

Library layer: no pytest.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

from ..errors import InvalidArgument
from . import model
from .gates import SUBJECT_PATTERN, SUBJECT_RULE

__all__ = [
    "REPORT_SCHEMA_ID",
    "parse_report_bytes",
    "readable_versions",
    "schema_for",
    "validate_report",
]

REPORT_SCHEMA_ID = "pytest-prodreal/report"

_FIX = "pass files written by --prodreal-report=json:PATH"

# Keywords that only describe; the interpreter ignores them.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples"}
)
# Keywords the interpreter checks. A schema using anything else is refused when loaded.
_ASSERTIONS = frozenset(
    {
        "type",
        "const",
        "enum",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "$ref",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "minItems",
        "maxItems",
        "minLength",
        "anyOf",
        "oneOf",
    }
)

_TYPE_WORDS = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def readable_versions() -> tuple[int, ...]:
    """The report schema versions this release reads (from the model)."""
    versions = getattr(model, "READ_SCHEMA_VERSIONS", None)
    return tuple(versions) if versions else (model.SCHEMA_VERSION,)


@functools.cache
def schema_for(version: int) -> dict[str, Any]:
    """The published JSON Schema of one report version (checked to use known keywords only)."""
    name = f"report-v{version}.schema.json"
    text = (
        resources.files(__package__).joinpath("schema").joinpath(name).read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    for where, keyword in _keywords(schema, "#"):
        if keyword not in _ANNOTATIONS and keyword not in _ASSERTIONS:
            raise RuntimeError(f"{name}: keyword {keyword!r} at {where} is not supported")
    return schema


def _keywords(schema: object, where: str) -> Iterator[tuple[str, str]]:
    if not isinstance(schema, dict):
        return
    for key, sub in schema.items():
        yield where, key
        if key in ("properties", "$defs"):
            for name, s in sub.items():
                yield from _keywords(s, f"{where}/{key}/{name}")
        elif key in ("items", "additionalProperties"):
            yield from _keywords(sub, f"{where}/{key}")
        elif key in ("anyOf", "oneOf"):
            for i, s in enumerate(sub):
                yield from _keywords(s, f"{where}/{key}/{i}")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def parse_report_bytes(data: bytes) -> object:
    """Decode and parse a report file's bytes (raises ``InvalidArgument`` with one line)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); {_FIX}"
        ) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidArgument(
            f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); {_FIX}"
        ) from None
    except RecursionError:
        raise InvalidArgument(f"is not a report: its JSON is nested too deeply; {_FIX}") from None
    except ValueError as exc:  # NaN/Infinity, or an integer past Python's digit limit
        raise InvalidArgument(f"is not valid JSON ({exc}); {_FIX}") from None


def validate_report(data: object) -> None:
    """Raise ``InvalidArgument`` unless ``data`` is a report this release reads.

    Checked in structure (the schema of its version) and in meaning; the message is one line
    naming the member, what is wrong with it, and the fix.
    """
    if not isinstance(data, dict):
        raise InvalidArgument(
            f"is not a pytest-prodreal JSON report (the document is {_shown_type(data)}, not an "
            f'object with "schema": {REPORT_SCHEMA_ID!r}); {_FIX}'
        )
    if "schema" not in data:
        raise InvalidArgument(f"is not a pytest-prodreal JSON report (no 'schema' member); {_FIX}")
    if data["schema"] != REPORT_SCHEMA_ID:
        raise InvalidArgument(
            f"is not a pytest-prodreal JSON report ('schema' is {_show(data['schema'])}, not "
            f"{REPORT_SCHEMA_ID!r}); {_FIX}"
        )
    version = data.get("schema_version")
    versions = readable_versions()
    reads = ", ".join(map(str, versions))
    if not isinstance(version, int) or isinstance(version, bool):
        shown = "missing" if "schema_version" not in data else f"{_show(version)}"
        raise InvalidArgument(
            f"'schema_version' must be a whole number (this release reads {reads}), got "
            f"{shown}; {_FIX}"
        )
    if version not in versions:
        raise InvalidArgument(
            f"report schema_version {version} is not supported (this release reads {reads}); "
            "combine reports made by the same pytest-prodreal release"
        )
    schema = schema_for(version)
    problem = _check(data, schema, schema, "the report")
    if problem:
        raise InvalidArgument(f"{problem}; {_FIX}")
    _check_meaning(data)


# -- the schema interpreter ----------------------------------------------------------------


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=True) if _jsonable(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _jsonable(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _shown_type(value: object) -> str:
    for name, test in _TYPES.items():
        if test(value):
            return _TYPE_WORDS[name]
    return type(value).__name__  # pragma: no cover - JSON has only the types above


def _is_text(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")  # a lone surrogate ("\ud800") parses but cannot be written
    except UnicodeEncodeError:
        return False
    return True


_TYPES: dict[str, Callable[[object], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": _is_text,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: (
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    ),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _resolve(root: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise RuntimeError(f"only local $ref is supported, got {ref!r}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        schema = target
    return schema


@functools.lru_cache(maxsize=64)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


#: What each pattern of the shipped schemas accepts, in words (``tests/test_report_audit.py``
#: checks that every pattern they use is here).
_PATTERN_WORDS: dict[str, str] = {
    "^[a-z][a-z0-9_]*$": "an id of lower-case letters, digits and _, starting with a lower-case "
    "letter",
    f"^$|{SUBJECT_PATTERN}": f"'' (no subject) or a subject id of {SUBJECT_RULE}",
}


def _pattern_words(pattern: str) -> str:
    return _PATTERN_WORDS.get(pattern, f"text matching the pattern {pattern!r}")


def _check(value: object, schema: dict[str, Any], root: dict[str, Any], where: str) -> str | None:
    """The first problem of ``value`` against ``schema`` as a phrase, or ``None``."""
    schema = _resolve(root, schema)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            want = " or ".join(_TYPE_WORDS[t] for t in types)
            return f"{where} must be {want}, got {_show(value)}"
    if "const" in schema and (value != schema["const"] or type(value) is not type(schema["const"])):
        return f"{where} must be {_show(schema['const'])}, got {_show(value)}"
    if "enum" in schema and not any(value == e and type(value) is type(e) for e in schema["enum"]):
        return f"{where} must be one of {', '.join(map(_show, schema['enum']))}, got {_show(value)}"
    for alt in ("anyOf", "oneOf"):
        if alt in schema:
            fits = [s for s in schema[alt] if _check(value, s, root, where) is None]
            if not fits or (alt == "oneOf" and len(fits) > 1):
                first = _check(value, schema[alt][0], root, where) if not fits else None
                return first or f"{where} matches {len(fits)} of the allowed forms, not one"
    if isinstance(value, dict):
        return _check_object(value, schema, root, where)
    if isinstance(value, list):
        return _check_array(value, schema, root, where)
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            return (
                f"{where} must not be empty"
                if schema["minLength"] == 1
                else (f"{where} must be at least {schema['minLength']} characters long")
            )
        if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
            return f"{where} must be {_pattern_words(schema['pattern'])}, got {_show(value)}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{where} must be at least {schema['minimum']}, got {_show(value)}"
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return f"{where} must be more than {schema['exclusiveMinimum']}, got {_show(value)}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{where} must be at most {schema['maximum']}, got {_show(value)}"
    return None


def _member(where: str, key: str) -> str:
    if where == "the report":
        return key if key.isidentifier() else f"[{key!r}]"
    return f"{where}.{key}" if key.isidentifier() else f"{where}[{key!r}]"


def _check_object(
    value: dict[str, Any], schema: dict[str, Any], root: dict[str, Any], where: str
) -> str | None:
    owner = "the report" if where == "the report" else where
    for key in schema.get("required", ()):
        if key not in value:
            return f"{owner} has no {key!r} member"
    props: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        sub = props.get(key)
        if sub is None:
            if extra is False:
                return f"{owner} has an unknown member {_show(key)}"
            if isinstance(extra, dict):
                problem = _check(item, extra, root, _member(where, key))
                if problem:
                    return problem
            continue
        problem = _check(item, sub, root, _member(where, key))
        if problem:
            return problem
    return None


def _check_array(
    value: list[Any], schema: dict[str, Any], root: dict[str, Any], where: str
) -> str | None:
    if "minItems" in schema and len(value) < schema["minItems"]:
        return f"{where} must hold at least {schema['minItems']} item(s), got {len(value)}"
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return f"{where} must hold at most {schema['maxItems']} item(s), got {len(value)}"
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            problem = _check(item, items, root, f"{where}[{i}]")
            if problem:
                return problem
    return None


# -- meaning ---------------------------------------------------------------------------------


def _check_meaning(data: dict[str, Any]) -> None:
    """What the schema cannot say: ids must be the file's own, and some run must be there."""
    if "runs" in data and not data["runs"]:
        raise InvalidArgument(
            f"'runs' is empty: a report comes from at least one run, and this one names none; "
            f"{_FIX}"
        )
    categories: set[object] = set()
    remedies: set[object] = set()
    taxonomy = data.get("taxonomy")
    if isinstance(taxonomy, dict):
        for cat in _dicts(taxonomy.get("categories")):
            categories.add(cat.get("id"))
            remedies.update(r.get("id") for r in _dicts(cat.get("remedies")))
    for i, test in enumerate(_dicts(data.get("tests"))):
        for j, ev in enumerate(_dicts(test.get("evidence"))):
            if ev.get("remedy") not in remedies:
                raise InvalidArgument(
                    f"tests[{i}].evidence[{j}].remedy {_show(ev['remedy'])} is not a remedy of "
                    f"the report's taxonomy; {_FIX}"
                )
        for j, xid in enumerate(test.get("declared") or ()):
            if xid not in remedies and xid not in categories:
                raise InvalidArgument(
                    f"tests[{i}].declared[{j}] {_show(xid)} is not a category or remedy of the "
                    f"report's taxonomy; {_FIX}"
                )


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
