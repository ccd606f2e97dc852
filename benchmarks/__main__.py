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


def discover() -> dict[str, Bench]:
    found: dict[str, Bench] = {}
    here = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda i: i.name):
        if info.name.startswith("bench_"):
            module = importlib.import_module(f"benchmarks.{info.name}")
            found.update(module.BENCHMARKS)
    return found


def main(argv: list[str]) -> int:
    benches = discover()
    names = argv or list(benches)
    unknown = [n for n in names if n not in benches]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(benches)}",
            file=sys.stderr,
        )
        return 2
    for name in names:
        result = benches[name]()
        print(json.dumps({"bench": name, **result}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
