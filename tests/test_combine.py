from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def _good() -> dict[str, Any]:
    record = TestRecord("t.py::a", "passed", evidence=(Evidence("time_budget", True),))
    return RunReport.from_records([record], runs=[RunInfo(seed=1)]).to_json()


def _mutated(change: Callable[[dict[str, Any]], object]) -> bytes:
    data = _good()
    change(data)
    return json.dumps(data).encode()


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return change


_DELETE = object()

# Each row: the input file's bytes (None: no file), extra arguments, and the one error line
# (a glob) that names the problem and the fix.
BAD_INPUTS: list[tuple[str, bytes | None, list[str], str]] = [
    ("missing file", None, [], "cannot read 'in.json': No such file or directory"),
    ("not JSON", b"{not json", [], "'in.json' is not valid JSON (line 1, column 2: *); pass *"),
    ("not UTF-8", b'{"a": "\xff\xfe"}', [], "'in.json' is not UTF-8 text (byte 0xff *); pass *"),
    ("deep nesting", b"[" * 100000, [], "'in.json' is not * nested too deeply; pass files *"),
    ("NaN", b'{"schema": NaN}', [], "'in.json' is not valid JSON (NaN is not valid JSON); *"),
    ("huge integer", b"1" * 5000, [], "'in.json' is not valid JSON (*digits*); pass files *"),
    ("a list", b"[]", [], "'in.json' is not a pytest-prodreal JSON report (the document is a *"),
    ("no schema", b'{"a": 1}', [], "'in.json' is not a pytest-prodreal JSON report (no 'sch*"),
    (
        "another schema",
        _mutated(_set("schema", "other")),
        [],
        "'in.json' is not a pytest-prodreal JSON report ('schema' is \"other\", not *",
    ),
    (
        "version as text",
        _mutated(_set("schema_version", "1")),
        [],
        "'in.json': 'schema_version' must be a whole number (this release reads *), got \"1\"; *",
    ),
    (
        "unknown version",
        _mutated(_set("schema_version", 7)),
        [],
        "'in.json': report schema_version 7 is not supported (this release reads *); combine *",
    ),
    (
        "seed as text",
        _mutated(_set("runs.0.seed", "x")),
        [],
        "'in.json': runs[0].seed must be a whole number or null, got \"x\"; pass files written*",
    ),
    (
        "duration as text",
        _mutated(_set("tests.0.duration", "fast")),
        [],
        "'in.json': tests[0].duration must be a number, got \"fast\"; pass files *",
    ),
    (
        "held as text",
        _mutated(_set("tests.0.evidence.0.held", "yes")),
        [],
        "'in.json': tests[0].evidence[0].held must be true or false, got \"yes\"; pass *",
    ),
    (
        "unknown remedy",
        _mutated(_set("tests.0.evidence.0.remedy", "nope")),
        [],
        "'in.json': tests[0].evidence[0].remedy \"nope\" is not a remedy of the report's *",
    ),
    (
        "integer nodeid",
        _mutated(_set("tests.0.nodeid", 5)),
        [],
        "'in.json': tests[0].nodeid must be text, got 5; pass files *",
    ),
    (
        "no tests member",
        _mutated(_set("tests", _DELETE)),
        [],
        "'in.json': the report has no 'tests' member; pass files written by --prodreal-report*",
    ),
    (
        "empty runs",
        _mutated(_set("runs", [])),
        [],
        "'in.json': 'runs' is empty: a report comes from at least one run*; pass files *",
    ),
    (
        "unknown outcome",
        _mutated(_set("tests.0.outcome", "won")),
        [],
        '\'in.json\': tests[0].outcome must be one of "passed", *, got "won"; pass *',
    ),
    (
        "lone surrogate",
        _mutated(_set("tests.0.nodeid", "\ud800")),
        [],
        "'in.json': tests[0].nodeid must be text, got \"\\ud800\"; pass *",
    ),
    ("unknown gate id", b"GOOD", ["--require=nope"], "--require: unknown prodreal id 'nope'*"),
    ("bad max-unchecked", b"GOOD", ["--max-unchecked=-2"], "--max-unchecked: expected a whole*"),
    ("unicode digit", b"GOOD", ["--max-unchecked=\u00b2"], "--max-unchecked: expected a whole*"),
    (
        "md is a directory",
        b"GOOD",
        ["--md", "."],
        "--md: '.' is a directory; give a file path",
    ),
    (
        "html in a missing directory",
        b"GOOD",
        ["--html", "/proc/none/x.html"],
        "--html: cannot write '/proc/none/x.html': directory '/proc/none' does not exist; *",
    ),
]


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [pytest.param(c, a, m, id=i) for i, c, a, m in BAD_INPUTS],
)
def test_bad_input_is_one_line_exit_two_and_writes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
    args: list[str],
    message: str,
) -> None:
    import fnmatch

    monkeypatch.chdir(tmp_path)
    if content == b"GOOD":
        content = json.dumps(_good()).encode()
    if content is not None:
        (tmp_path / "in.json").write_bytes(content)
    before = sorted(tmp_path.iterdir())
    assert main(["combine", "out.json", "in.json", *args]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1, err
    pattern = ("prodreal combine: error: " + message).replace("[", "[[]")
    assert fnmatch.fnmatchcase(err[0], pattern), err[0]
    assert "Traceback" not in captured.err + captured.out
    assert sorted(tmp_path.iterdir()) == before  # nothing written, no temporary file left


def test_a_failed_write_leaves_no_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The last output fails to rename: the outputs already renamed are removed again."""
    import pytest_prodreal._atomic as atomic

    good = tmp_path / "good.json"
    good.write_text(json.dumps(_good()))
    real = os.replace
    calls: list[str] = []

    def flaky(src: str, dst: str) -> None:
        calls.append(str(dst))
        if str(dst).endswith(".html"):
            raise OSError(28, "No space left on device", dst)
        real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", flaky)
    args = ["combine", str(tmp_path / "o.json"), str(good)]
    args += ["--md", str(tmp_path / "o.md"), "--html", str(tmp_path / "o.html")]
    assert main(args) == 2
    assert len(calls) == 3
    assert "No space left on device; nothing was written" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.json"]


def test_every_shipped_schema_uses_only_known_keywords() -> None:
    from importlib import resources

    from pytest_prodreal.report import validate

    names = [
        p.name
        for p in resources.files("pytest_prodreal.report").joinpath("schema").iterdir()
        if p.name.endswith(".schema.json")
    ]
    assert names
    for name in names:
        version = int(name.removeprefix("report-v").removesuffix(".schema.json"))
        assert validate.schema_for(version)["type"] == "object"


def test_the_validator_agrees_with_jsonschema_on_real_reports() -> None:
    """Valid per the published schema (checked by jsonschema, a test dependency) passes ours."""
    import jsonschema

    from pytest_prodreal.report import validate

    data = _good()
    jsonschema.validate(data, validate.schema_for(data["schema_version"]))
    validate.validate_report(data)


def _json_values() -> st.SearchStrategy[object]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )


def _spliced() -> st.SearchStrategy[bytes]:
    """A good report with one member somewhere replaced by an arbitrary JSON value."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        data: Any = _good()
        target = data
        key: Any = None
        parent: Any = None
        while True:
            keys = list(target) if isinstance(target, dict) else list(range(len(target)))
            if not keys or draw(st.booleans()):
                break
            key = draw(st.sampled_from(keys))
            parent, target = target, target[key]
            if not isinstance(target, (dict, list)):
                break
        value = draw(_json_values())
        if parent is None:
            data = value
        else:
            parent[key] = value
        return json.dumps(data, allow_nan=True).encode()

    return build()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    content=st.binary(max_size=200)
    | _json_values().map(lambda v: json.dumps(v).encode())
    | _spliced()
)
def test_combine_never_tracebacks_or_writes_a_partial_output(content: bytes) -> None:
    """Arbitrary bytes or JSON: exit 0/1 with every output, or exit 2 with one line and none."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "in.json").write_bytes(content)
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            status = main(
                ["combine", "-q", str(base / "o.json"), str(base / "in.json"),
                 "--md", str(base / "o.md")]
            )  # fmt: skip
        written = sorted(p.name for p in base.iterdir())
        if status == 2:
            assert len(err.getvalue().strip().splitlines()) == 1, err.getvalue()
            assert err.getvalue().startswith("prodreal combine: error: ")
            assert written == ["in.json"]
        else:
            # Accepted: it must really be a report, and both outputs are whole.
            from pytest_prodreal.report.validate import validate_report

            validate_report(json.loads(content))
            assert status in (0, 1)
            assert written == ["in.json", "o.json", "o.md"]
            assert json.loads((base / "o.json").read_text())["schema"] == "pytest-prodreal/report"


def test_module_entry_point(tmp_path: Path, shards: list[Path]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest_prodreal", "combine", str(tmp_path / "o.json"),
         *map(str, shards), "--require=all"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stdout.count("gate failed") == 13
    assert "Traceback" not in proc.stderr
