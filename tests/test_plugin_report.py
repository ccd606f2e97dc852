from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

SCHEMA = json.loads(
    files("pytest_prodreal").joinpath("report/schema/report-v2.schema.json").read_text()
)

SUITE = """
import pytest
from pytest_prodreal import record_evidence

@pytest.mark.prodreal("dependencies", "circuit_breaker")
def test_breaker():
    record_evidence("circuit_breaker", held=True, figures={"calls": 3}, summary="opened")

@pytest.mark.prodreal("time_budget")
def test_declared_only():
    assert 1

def test_check_failed():
    record_evidence("canary", held=False, summary="12% disagree")
    raise AssertionError("canary disagreed")

@pytest.mark.skip(reason="later")
@pytest.mark.prodreal("slo")
def test_skipped():
    pass

@pytest.mark.xfail(strict=True)
def test_xfailed():
    record_evidence("abstain", held=True)
    assert False

def test_in_thread():
    import threading
    t = threading.Thread(target=record_evidence, args=("determinism",), kwargs={"held": True})
    t.start(); t.join()

@pytest.fixture
def checked():
    yield
    record_evidence("observability", held=True, summary="teardown check")

def test_teardown_evidence(checked):
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_terminal_report(suite: pytest.Pytester, xdist_args: list[str]) -> None:
    result = suite.runpytest("--prodreal-report", "--prodreal-seed=7", *xdist_args)
    result.assert_outcomes(passed=4, failed=1, skipped=1, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "prodreal: seed 7 (reproduce with --prodreal-seed=7)",
            "*= prodreal: launch checklist =*",
            "inputs — Input distribution shifts",
            "  [[]!] canary * failing   test_suite.py::test_check_failed",
            "dependencies — Dependencies multiply  (marked by 1 test)",
            "  [[]~] time_budget * declared  test_suite.py::test_declared_only",
            "  [[]x] circuit_breaker * verified  test_suite.py::test_breaker",
            "  [[]~] abstain * declared  test_suite.py::test_xfailed",
            "  [[]x] determinism * verified  test_suite.py::test_in_thread",
            "  [[]~] slo * declared  test_suite.py::test_skipped",
            "  [[]x] observability * verified  test_suite.py::test_teardown_evidence",
            "3 verified, 1 failing, 3 declared only, 8 missing · 7 tests · seed 7",
            "NOT READY to launch: 12 of 15 remedies not verified (launch rule: at most 2)",
        ]
    )


def test_json_report_follows_the_schema(suite: pytest.Pytester, xdist_args: list[str]) -> None:
    result = suite.runpytest("--prodreal-report=json:out/r.json", "--prodreal-seed=3", *xdist_args)
    result.stdout.fnmatch_lines(["prodreal: wrote json report to *out*r.json"])
    data = json.loads((suite.path / "out" / "r.json").read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["runs"][0]["seed"] == 3
    assert data["runs"][0]["workers"] == (2 if xdist_args else 0)
    outcomes = {t["nodeid"].split("::")[1]: t["outcome"] for t in data["tests"]}
    assert outcomes == {
        "test_breaker": "passed",
        "test_declared_only": "passed",
        "test_check_failed": "failed",
        "test_skipped": "skipped",
        "test_xfailed": "xfailed",
        "test_in_thread": "passed",
        "test_teardown_evidence": "passed",
    }
    breaker = next(t for t in data["tests"] if t["nodeid"].endswith("test_breaker"))
    assert breaker["evidence"] == [
        {
            "remedy": "circuit_breaker",
            "held": True,
            "check": "circuit_breaker",
            "summary": "opened",
            "figures": {"calls": 3},
        }
    ]
    assert data["summary"]["ready"] is False
    assert "term" not in result.stdout.str().split("launch checklist")[0][-5:]


def test_plain_and_xdist_reports_are_equal(suite: pytest.Pytester) -> None:
    def strip(path: Path) -> dict[str, object]:
        data = json.loads(path.read_text())
        for run in data["runs"]:
            run.pop("workers")
        for t in data["tests"]:
            t.pop("duration")
        return data

    suite.runpytest("--prodreal-report=json:plain.json", "--prodreal-seed=5")
    suite.runpytest("--prodreal-report=json:x.json", "--prodreal-seed=5", "-n", "2")
    assert strip(suite.path / "plain.json") == strip(suite.path / "x.json")


def test_markdown_and_github_step_summary(
    suite: pytest.Pytester, xdist_args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = suite.path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    suite.runpytest("--prodreal-report=md", *xdist_args)
    md = (suite.path / "prodreal-report.md").read_text()
    assert "## pytest-prodreal: launch checklist" in md
    assert "| ✅ | `circuit_breaker` | dependencies | verified |" in md
    text = summary.read_text()
    assert text.startswith("earlier step\n") and md in text


def test_github_summary_can_be_turned_off(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = suite.path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    suite.makeini("[pytest]\nprodreal_github_summary = false\n")
    suite.runpytest("--prodreal-report=json")
    assert (suite.path / "prodreal-report.json").exists()
    assert not summary.exists()


def test_html_report_is_self_contained(suite: pytest.Pytester) -> None:
    suite.runpytest("--prodreal-report=html:r.html")
    page = (suite.path / "r.html").read_text()
    assert "<style>" in page and "src=" not in page and "http" not in page
    # Two scripts only: the embedded JSON data and the helper that opens details for printing.
    assert page.count("<script") == 2 and "<script type='application/json'" in page
    assert "test_suite.py::test_breaker" in page


def test_ini_twin_and_repeatable_option(suite: pytest.Pytester, xdist_args: list[str]) -> None:
    suite.makeini("[pytest]\nprodreal_report = json:ini.json md:ini.md\n")
    suite.runpytest(*xdist_args)
    assert (suite.path / "ini.json").exists() and (suite.path / "ini.md").exists()
    # The command line replaces the ini list.
    suite.runpytest("--prodreal-report=json:cli.json", "--prodreal-report=term", *xdist_args)
    assert (suite.path / "cli.json").exists()


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        (
            "--prodreal-report=xml",
            "ERROR: --prodreal-report: unknown report type 'xml'; use one of term, json, md, "
            "html, optionally as TYPE:PATH (e.g. json:out/prodreal.json)",
        ),
        ("--prodreal-report=json:", "ERROR: --prodreal-report: 'json:' has an empty PATH*"),
        (
            "--prodreal-report=json:afile/r.json",
            "ERROR: --prodreal-report: cannot write the json report to '*afile*r.json': "
            "cannot create directory '*afile'*; choose another path",
        ),
        (
            "--prodreal-report=json:adir",
            "ERROR: --prodreal-report: cannot write the json report to '*adir': it is a "
            "directory; give a file path",
        ),
    ],
)
def test_bad_report_options(
    pytester: pytest.Pytester, xdist_args: list[str], arg: str, message: str
) -> None:
    pytester.makepyfile("def test_x(): pass")
    (pytester.path / "afile").write_text("not a directory")
    (pytester.path / "adir").mkdir()
    result = pytester.runpytest(arg, *xdist_args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()


@pytest.mark.parametrize("path", ["sub", "test_x.py", "test_x.py::test_x"])
def test_a_bare_report_option_before_a_path_says_so(
    pytester: pytest.Pytester, xdist_args: list[str], path: str
) -> None:
    """``pytest --prodreal-report sub`` reads ``sub`` as the option's value (argparse's
    ``nargs='?'``): the error says to put the paths first or write the type."""
    pytester.makepyfile(test_x="def test_x(): pass")
    (pytester.path / "sub").mkdir()
    result = pytester.runpytest("--prodreal-report", path, *xdist_args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: --prodreal-report: took {path!r} as its report type, but it is a test "
            f"path; put the paths first (pytest {path} --prodreal-report) or write "
            f"--prodreal-report=term {path}"
        ]
    )
    assert "Traceback" not in result.stderr.str()


def test_reports_are_written_atomically(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    target = pytester.path / "r.json"
    target.write_text("previous")
    pytester.runpytest("--prodreal-report=json:r.json")
    assert json.loads(target.read_text())["schema"] == "pytest-prodreal/report"
    assert [p.name for p in pytester.path.iterdir() if p.name.startswith(".r.json")] == []


def test_failed_write_keeps_the_old_file_and_fails_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile("def test_x(): pass")
    target = pytester.path / "r.json"
    target.write_text("previous")

    import pytest_prodreal._atomic as atomic

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    result = pytester.runpytest("--prodreal-report=json:r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["prodreal: error: could not write the json report to *r.json: No space left on device*"]
    )
    assert target.read_text() == "previous"
    assert [p.name for p in pytester.path.iterdir() if p.name.startswith(".r.json")] == []
