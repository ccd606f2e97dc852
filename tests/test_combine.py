from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_prodreal.evidence import Evidence
from pytest_prodreal.report.combine import main
from pytest_prodreal.report.model import RunInfo, RunReport, TestRecord


def shard(path: Path, seed: int, records: list[TestRecord]) -> Path:
    report = RunReport.from_records(records, runs=[RunInfo(seed=seed)])
    path.write_text(json.dumps(report.to_json()))
    return path


@pytest.fixture
def shards(tmp_path: Path) -> list[Path]:
    return [
        shard(
            tmp_path / "a.json",
            1,
            [TestRecord("t.py::a", "passed", evidence=(Evidence("time_budget", True),))],
        ),
        shard(
            tmp_path / "b.json",
            2,
            [
                TestRecord("t.py::b", "passed", declared=("circuit_breaker",)),
                TestRecord("t.py::c", "passed", evidence=(Evidence("canary", True),)),
            ],
        ),
    ]


def test_combine_is_order_independent(
    tmp_path: Path, shards: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["combine", str(tmp_path / "ab.json"), *map(str, shards)]) == 0
    assert main(["combine", "-q", str(tmp_path / "ba.json"), *map(str, reversed(shards))]) == 0
    ab = json.loads((tmp_path / "ab.json").read_text())
    ba = json.loads((tmp_path / "ba.json").read_text())
    assert ab == ba
    assert [r["seed"] for r in ab["runs"]] == [1, 2]
    assert ab["summary"]["verified"] == 2 and ab["summary"]["tests"] == 3
    out = capsys.readouterr().out
    assert "[x] time_budget" in out and "NOT READY to launch: 13 of 15" in out


def test_combine_applies_the_same_gates(
    tmp_path: Path, shards: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    assert main(["combine", "-q", str(out), *map(str, shards), "--require", "time_budget"]) == 0
    status = main(
        ["combine", "-q", str(out), *map(str, shards), "--require=dependencies",
         "--max-unchecked", "12", "--md", str(tmp_path / "r.md")]
    )  # fmt: skip
    assert status == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "prodreal: gate failed: required remedy 'circuit_breaker' (required via 'dependencies') "
        "is not verified: declared only, no passing evidence (t.py::b)",
        "prodreal: gate failed: required remedy 'graceful_degradation' (required via "
        "'dependencies') is not verified: missing: no test marks it or records evidence for it",
        "prodreal: gate failed: 13 remedies are not verified, more than max-unchecked=12 allows: "
        "shadow_traffic, failure_corpus, circuit_breaker, graceful_degradation, guardrails, "
        "abstain, evidence_first, determinism, caching_policy, idempotency, slo, error_budget, "
        "observability",
    ]
    assert json.loads(out.read_text())["gates"]["failures"]
    assert "Gates not met" in (tmp_path / "r.md").read_text()


def test_combining_real_shards_matches_one_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_one="""
        from pytest_prodreal import record_evidence
        def test_a():
            record_evidence("slo", held=True)
        """,
        test_two="""
        import pytest
        @pytest.mark.prodreal("canary")
        def test_b():
            pass
        """,
    )
    pytester.runpytest("test_one.py", "--prodreal-report=json:s1.json", "--prodreal-seed=1")
    pytester.runpytest("test_two.py", "--prodreal-report=json:s2.json", "--prodreal-seed=1")
    pytester.runpytest("--prodreal-report=json:all.json", "--prodreal-seed=1")
    assert main(["combine", "-q", "c.json", "s2.json", "s1.json"]) == 0
    combined = json.loads((pytester.path / "c.json").read_text())
    single = json.loads((pytester.path / "all.json").read_text())
    for data in (combined, single):
        data.pop("runs")
        for t in data["tests"]:
            t.pop("duration")
    assert combined == single


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ["missing.json"], "cannot read 'missing.json': No such file or directory"),
        ("{not json", ["bad.json"], "'bad.json' is not valid JSON (line 1, column 2: *"),
        ('{"a": 1}', ["bad.json"], "'bad.json': not a pytest-prodreal JSON report*"),
        (
            '{"schema": "pytest-prodreal/report", "schema_version": 7}',
            ["bad.json"],
            "'bad.json': report schema_version 7 is not supported*",
        ),
        ("GOOD", ["good.json", "--require=nope"], "--require: unknown prodreal id 'nope'*"),
        ("GOOD", ["good.json", "--max-unchecked=-2"], "--max-unchecked: expected a whole*"),
    ],
)
def test_bad_input_is_one_line_and_exit_two(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setup: str | None,
    args: list[str],
    message: str,
) -> None:
    import fnmatch

    monkeypatch.chdir(tmp_path)
    if setup == "GOOD":
        shard(tmp_path / "good.json", 1, [])
    elif setup is not None:
        (tmp_path / "bad.json").write_text(setup)
    assert main(["combine", "out.json", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert fnmatch.fnmatch(err[0], "prodreal combine: error: " + message), err[0]
    assert not (tmp_path / "out.json").exists()


def test_module_entry_point(tmp_path: Path, shards: list[Path]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest_prodreal", "combine", str(tmp_path / "o.json"),
         *map(str, shards), "--require=all"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stdout.count("gate failed") == 13
    assert "Traceback" not in proc.stderr
