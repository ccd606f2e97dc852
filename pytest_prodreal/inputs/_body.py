"""What a test body does, read from its source: whether it checks and what it reads.

The marker-driven remedies (``prodreal_traffic``, ``prodreal_corpus``) record evidence only when
the test could have seen a failure: its body holds an ``assert`` statement or calls a check
(``check_*``, ``acheck_*``, ``assert_*``, ``pytest.raises``...), and, for traffic, reads the
argument the recorded input arrives in. An assertion-free body (``pass``) verifies nothing.

This is a static reading of the test function's own source (a nested function or class counts
only when the body uses it, by calling or passing it; helpers defined elsewhere are not
followed), cached per function; a function whose source cannot be read counts as checking (the
plugin cannot tell, and refusing would punish compiled or generated tests).
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

__all__ = ["BodyFacts", "body_facts"]

#: Call names that count as a check about the result.
_CHECK_PREFIXES = ("check_", "acheck_", "assert_", "expect")
_CHECK_NAMES = frozenset({"raises", "approx", "fail", "warns"})


class BodyFacts:
    """What the body of one test function does: ``checks`` and the names it reads."""

    __slots__ = ("checks", "names", "readable")

    def __init__(self, checks: bool, names: frozenset[str], readable: bool) -> None:
        self.checks, self.names, self.readable = checks, names, readable

    def reads(self, name: str) -> bool:
        """Whether the body reads ``name`` (always true when the source could not be read)."""
        return not self.readable or name in self.names


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def body_facts(fn: Callable[..., Any]) -> BodyFacts:
    """Read ``fn``'s source once: whether it checks (assert / check call) and what it reads."""
    fn = inspect.unwrap(fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return BodyFacts(True, frozenset(), False)
    return _cached(code)


@functools.lru_cache(maxsize=4096)
def _cached(code: Any) -> BodyFacts:
    try:
        lines, _ = inspect.getsourcelines(code)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):
        return BodyFacts(True, frozenset(), False)
    top = next((n for n in tree.body if isinstance(n, _DEFS)), None)
    if top is None:
        return BodyFacts(True, frozenset(), False)
    checks, names = _read(top.body)
    return BodyFacts(checks, frozenset(names), True)


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _read(body: list[ast.stmt]) -> tuple[bool, set[str]]:
    """Checks and names of ``body``; a nested def or class counts only if the body uses it.

    ``def inner(): assert q`` that is never called (nor passed anywhere) checks nothing.
    """
    checks = False
    names: set[str] = set()
    nested: dict[str, list[ast.stmt]] = {}
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (*_DEFS, ast.ClassDef)):
            nested[node.name] = node.body
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, ast.Assert):
            checks = True
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if name.startswith(_CHECK_PREFIXES) or name in _CHECK_NAMES:
                checks = True
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            names.add(node.id)
        stack.extend(ast.iter_child_nodes(node))
    done: set[str] = set()
    while True:
        used = [n for n in nested if n in names and n not in done]
        if not used:
            return checks, names
        for name in used:
            done.add(name)
            inner_checks, inner_names = _read(nested[name])
            checks = checks or inner_checks
            names |= inner_names
