"""docs/benchmarks.md lists every benchmark, with the benchmark's own goal and its command.

The benchmarks' tables are read from their source (no import: a benchmark module may need the
bench extra), so a new benchmark without a row, a row for a removed one, or a goal changed in
one place only fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _goals() -> dict[str, str]:
    """Benchmark name -> the ``goal`` text its function returns (from the source)."""
    out: dict[str, str] = {}
    for path in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        tree = ast.parse(path.read_text())
        funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        for node in tree.body:
            target = node.targets[0] if isinstance(node, ast.Assign) else None
            if isinstance(node, ast.AnnAssign):
                target = node.target
            if not (isinstance(target, ast.Name) and target.id == "BENCHMARKS"):
                continue
            assert isinstance(node.value, ast.Dict), path
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                assert isinstance(key, ast.Constant) and isinstance(value, ast.Name), path
                goals = [
                    ast.literal_eval(v)
                    for d in ast.walk(funcs[value.id])
                    if isinstance(d, ast.Dict)
                    for k, v in zip(d.keys, d.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "goal"
                ]
                assert len(goals) == 1, (path.name, key.value, goals)
                out[str(key.value)] = str(goals[0])
    return out


def _rows() -> dict[str, list[str]]:
    text = (ROOT / "docs" / "benchmarks.md").read_text()
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        m = re.match(r"\| `(\w+)` \|", line)
        if m:
            assert m.group(1) not in rows, f"two rows for {m.group(1)}"
            rows[m.group(1)] = [c.strip() for c in line.strip().strip("|").split(" | ")]
    return rows


def _goal_head(goal: str) -> str:
    """The comparison and figure a goal starts with (``"<= 1.02 (...)"`` -> ``"≤ 1.02"``)."""
    m = re.match(r"(<=|>=)\s*([\d,.]+)", goal)
    if m is None:
        return goal.split()[0].rstrip(";")
    sign = {"<=": "≤", ">=": "≥"}[m.group(1)]
    return f"{sign} {m.group(2).replace(',', '')}"


def test_every_benchmark_has_one_row_and_every_row_is_a_benchmark() -> None:
    goals, rows = _goals(), _rows()
    assert len(goals) >= 20  # the parse found the tables
    assert sorted(rows) == sorted(goals)


def test_each_row_states_the_benchmarks_goal_and_its_command() -> None:
    rows = _rows()
    for name, goal in _goals().items():
        _bench, doc_goal, measured, _met, command, _notes = rows[name]
        assert doc_goal.replace(",", "").startswith(_goal_head(goal)), (name, doc_goal, goal)
        assert measured, name
        assert f"python -m benchmarks {name}`" in command, (name, command)


def test_goal_heads_are_read_as_meant() -> None:
    assert _goal_head("<= 1.02 (2,000 trivial tests)") == "≤ 1.02"
    assert _goal_head(">= 2,000 (a day)") == "≥ 2000"
    assert _goal_head("informational (issue 9 names no figure); x") == "informational"
    assert _goal_head("0") == "0"
