"""Run the benchmarks the issues name; print one JSON object per line.

Usage: ``python -m benchmarks [NAME...]`` (no names: all of them).

Each ``benchmarks/bench_*.py`` module defines ``BENCHMARKS``, a mapping from a benchmark's name to a
function that returns ``{"value": NUMBER, "unit": UNIT, "goal": TEXT}``; this runner adds
``"bench": NAME``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path

Bench = Callable[[], dict[str, object]]


def discover(broken: dict[str, str] | None = None) -> dict[str, Bench]:
    """Every module's ``BENCHMARKS``; a module that fails to import is noted in ``broken``.

    One broken module (a half-edited category on a shared tree) must not stop the benchmarks of
    the others: its failure is reported only when a benchmark it would define is asked for, or
    when all of them are.
    """
    found: dict[str, Bench] = {}
    here = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda i: i.name):
        if info.name.startswith("bench_"):
            try:
                module = importlib.import_module(f"benchmarks.{info.name}")
            except Exception as exc:
                if broken is None:
                    raise
                broken[info.name] = f"{type(exc).__name__}: {exc}"
                continue
            found.update(module.BENCHMARKS)
    return found


def main(argv: list[str]) -> int:
    broken: dict[str, str] = {}
    benches = discover(broken)
    names = argv or list(benches)
    unknown = [n for n in names if n not in benches]
    for module, error in broken.items():
        if unknown or not argv:
            print(f"benchmarks.{module} failed to import: {error}", file=sys.stderr)
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(benches)}",
            file=sys.stderr,
        )
        return 2
    for name in names:
        result = benches[name]()
        print(json.dumps({"bench": name, **result}), flush=True)
    return 1 if broken and not argv else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
