"""Benchmarks of the spine (issues 2 and 8): plugin overhead and report building.

``python -m benchmarks inert_overhead_ratio marked_report_overhead_ratio``; with
``PRODREAL_BENCH_CALLGRIND=1`` (valgrind installed) both also report ``instructions_ratio``,
which a shared machine's load does not move. Each also reports ``control_ratio``: the
baseline measured against itself in the same rounds, the run's own noise floor.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

N_TESTS = 2_000
ROUNDS = 11
# Other installed plugins (Hypothesis's, Faker's, anyio's...) cost seconds of start-up and most
# of the run-to-run noise, the same with or without ours: both arms run without them.
OTHERS_OFF = [
    "-p", "no:hypothesispytest", "-p", "no:faker", "-p", "no:anyio", "-p", "no:asyncio",
    "-p", "no:respx", "-p", "no:time_machine", "-p", "no:xdist",
]  # fmt: skip


def _write_suite(root: Path, marked: bool) -> None:
    per_file = 100
    mark = '@pytest.mark.prodreal("dependencies", "circuit_breaker")\n' if marked else ""
    for f in range(N_TESTS // per_file):
        body = "import pytest\n\n" + "".join(
            f"{mark}def test_{i}():\n    pass\n\n" for i in range(per_file)
        )
        (root / f"test_bench_{f}.py").write_text(body)
    ini = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
    if marked:
        # Without the plugin the marker is unknown: 2,000 PytestUnknownMarkWarnings (and their
        # summary) would slow the baseline arm and flatter the ratio. Registered in both arms.
        ini += "markers =\n    prodreal: pytest-prodreal's marker (registered for -p no:prodreal)\n"
    (root / "pytest.ini").write_text(ini)


def _env() -> dict[str, str]:
    """The environment of a user's run: Python's default bytecode caching on.

    Some CI images set PYTHONDONTWRITEBYTECODE=1; then every run recompiles (and pytest
    re-rewrites) the plugin's modules, a cost no installed user pays.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _run(root: Path, extra: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *OTHERS_OFF, *extra],
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(),
    )
    return time.perf_counter() - start


def _ratio(marked: bool, with_args: list[str]) -> tuple[float, float]:
    """Median per-round ratio with the plugin, and the same for a second baseline arm.

    Each round runs three arms: the baseline, the plugin, and the baseline again (an A/A
    control), in an order that rotates from round to round so drift and position hit all
    three alike. The control's ratio is this run's noise floor: on a quiet machine it reads
    1.00; on a shared VM with load below 0.2 it read 0.94 to 1.01 (2026-12-03), and the
    plugin's ratio moves as much.
    """
    off = ["-p", "no:prodreal"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write_suite(root, marked)
        _run(root, [])  # warm the file system and bytecode caches
        _run(root, off)
        arms: dict[str, list[str]] = {"off": off, "on": with_args, "control": off}
        order = list(arms)
        times: dict[str, list[float]] = {name: [] for name in arms}
        for i in range(ROUNDS):
            for name in order[i % 3 :] + order[: i % 3]:
                times[name].append(_run(root, arms[name]))
        on = statistics.median(a / b for a, b in zip(times["on"], times["off"], strict=True))
        ctl = statistics.median(a / b for a, b in zip(times["control"], times["off"], strict=True))
        return on, ctl


def _instructions(root: Path, extra: list[str]) -> int:
    """Instructions executed by one run under callgrind: immune to a shared machine's noise."""
    out = root / "callgrind.out"
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-m",
         "pytest", "-q", "-p", "no:cacheprovider", *OTHERS_OFF, *extra],
        cwd=root, check=True, capture_output=True, text=True, env=_env(),
    )  # fmt: skip
    refs = [ln for ln in proc.stderr.splitlines() if "refs:" in ln][-1]
    return int(refs.split(":")[1].replace(",", "").strip())


def _instructions_ratio(marked: bool, with_args: list[str]) -> float | None:
    """Instructions with the plugin over without (``None`` unless asked for and possible).

    Wall time on a shared 2-core machine varies by +-20 % between identical runs; with
    PRODREAL_BENCH_CALLGRIND=1 (and valgrind installed) the instruction ratio is added.
    """
    if not (os.environ.get("PRODREAL_BENCH_CALLGRIND") and shutil.which("valgrind")):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write_suite(root, marked)
        _run(root, [])  # fill the bytecode caches first
        off = _instructions(root, ["-p", "no:prodreal"])
        on = _instructions(root, with_args)
    return round(on / off, 4)


def inert_overhead_ratio() -> dict[str, object]:
    value, control = _ratio(False, [])
    result: dict[str, object] = {
        "value": round(value, 4),
        "unit": "ratio",
        "goal": "<= 1.02 (2,000 trivial tests, installed but unused vs -p no:prodreal)",
        "control_ratio": round(control, 4),
    }
    instructions = _instructions_ratio(False, [])
    if instructions is not None:
        result["instructions_ratio"] = instructions
    return result


def marked_report_overhead_ratio() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as out:
        args = [f"--prodreal-report=json:{out}/r.json"]
        value, control = _ratio(True, args)
        result: dict[str, object] = {
            "value": round(value, 4),
            "unit": "ratio",
            "goal": "<= 1.10 (2,000 marked tests with --prodreal-report=json vs -p no:prodreal)",
            "control_ratio": round(control, 4),
        }
        instructions = _instructions_ratio(True, args)
    if instructions is not None:
        result["instructions_ratio"] = instructions
    return result


def report_build_10k_s() -> dict[str, object]:
    from pytest_prodreal._atomic import write_text_atomic
    from pytest_prodreal.evidence import Evidence
    from pytest_prodreal.report.model import RunInfo, RunReport, TestRecord
    from pytest_prodreal.report.render import render_json, render_term
    from pytest_prodreal.taxonomy import DEFAULT_TAXONOMY

    remedies = [r.id for r in DEFAULT_TAXONOMY.remedies]
    records = [
        TestRecord(
            nodeid=f"tests/test_{i // 100}.py::test_{i}",
            outcome="passed" if i % 17 else "failed",
            declared=(remedies[i % 15],),
            evidence=(
                Evidence(
                    remedies[i % 15], held=bool(i % 5), check="c", summary="s",
                    figures={"calls": i, "virtual_s": i / 7},
                ),
            ),
            duration=0.001,
        )
        for i in range(10_000)
    ]  # fmt: skip
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(5):
            start = time.perf_counter()
            report = RunReport.from_records(records, runs=[RunInfo(seed=1)])
            write_text_atomic(Path(tmp) / "r.json", render_json(report))
            render_term(report)
            times.append(time.perf_counter() - start)
    return {
        "value": round(statistics.median(times), 4),
        "unit": "s",
        "goal": "<= 0.5 (build + write json + term for 10,000 tests with evidence)",
    }


def _records_10k(subjects: tuple[str, ...] = ("",)) -> list[Any]:
    from pytest_prodreal.evidence import Evidence
    from pytest_prodreal.report.model import TestRecord
    from pytest_prodreal.taxonomy import DEFAULT_TAXONOMY

    remedies = [r.id for r in DEFAULT_TAXONOMY.remedies]
    out: list[Any] = []
    for i in range(10_000):
        rid = remedies[i % 15]
        figures: dict[str, float | int | str | None] = {"calls": i, "virtual_s": i / 7}
        if rid == "slo":  # soak figures, so the latency and budget charts have data
            figures |= {"scenario": f"s{i % 40}", "p50_s": 0.2, "p95_s": 0.9, "p99_s": 2.0,
                        "max_s": 4.0, "budget_consumed": 0.3, "burn_rate_1h": 2.0}  # fmt: skip
        if i % 17 == 0:
            figures["fault_timeline"] = "0.5:search:timeout;2:llm:http_500"
        out.append(
            TestRecord(
                nodeid=f"tests/test_{i // 100}.py::test_{i}",
                outcome="passed" if i % 17 else "failed",
                declared=(rid,),
                evidence=(
                    Evidence(rid, held=bool(i % 5), check="c", summary="s", figures=figures),
                ),
                duration=0.001,
                subject=subjects[i % len(subjects)],
            )
        )
    return out


def report_html_10k_s() -> dict[str, object]:
    from pytest_prodreal._atomic import write_text_atomic
    from pytest_prodreal.report.model import RunInfo, RunReport
    from pytest_prodreal.report.render import render_html

    records = _records_10k(("demo", "prod"))
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(5):
            start = time.perf_counter()
            report = RunReport.from_records(records, runs=[RunInfo(seed=1)])
            write_text_atomic(Path(tmp) / "r.html", render_html(report))
            times.append(time.perf_counter() - start)
    return {
        "value": round(statistics.median(times), 4),
        "unit": "s",
        "goal": "<= 1 (build + write the HTML report, two subjects, charts and embedded JSON, "
        "for 10,000 tests with evidence)",
    }


BENCHMARKS = {
    "inert_overhead_ratio": inert_overhead_ratio,
    "marked_report_overhead_ratio": marked_report_overhead_ratio,
    "report_build_10k_s": report_build_10k_s,
    "report_html_10k_s": report_html_10k_s,
}
