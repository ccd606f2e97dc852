"""Subjects: one checklist, verdict and gate result per service under test; -k by remedy ids."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

SCHEMA = json.loads(
    files("pytest_prodreal").joinpath("report/schema/report-v2.schema.json").read_text()
)

# The same two checks against two services: the hardened one holds, the demo does not.
BY_PARAM = """
import pytest
from pytest_prodreal import record_evidence

class Demo:
    hardened = False

class Prod:
    hardened = True

@pytest.fixture(params=[Demo, Prod], ids=["demo", "prod"])
def service(request):
    return request.param()

@pytest.mark.prodreal("time_budget")
def test_budget(service):
    record_evidence("time_budget", held=service.hardened, figures={"virtual_s": 30.0})
    assert service.hardened, "no timeout"

@pytest.mark.prodreal("inputs")
@pytest.mark.parametrize("text", ["a", "b"])
def test_inputs(service, text):
    record_evidence("canary", held=True, figures={"inputs": 10})
    assert service.hardened or text == "a", "crashed on a messy input"
"""


def _json(pytester: pytest.Pytester, name: str = "r.json") -> dict[str, object]:
    data: dict[str, object] = json.loads((pytester.path / name).read_text())
    jsonschema.validate(data, SCHEMA)
    return data


def test_subjects_from_a_parametrized_fixture(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_svc=BY_PARAM)
    result = pytester.runpytest(
        "--prodreal-subject-param=service",
        "--prodreal-report",
        "--prodreal-report=json:r.json",
        "--prodreal-report=md:r.md",
        "--prodreal-report=html:r.html",
        "--prodreal-require=prod:time_budget",
        *xdist_args,
    )
    result.assert_outcomes(passed=4, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*subject*demo*prod",
            "  [[]!] shadow_traffic * [[]!] failing * [[] ] missing",
            "  [[]!] canary * [[]!] failing * [[]x] verified",
            "  [[]!] time_budget * [[]!] failing * [[]x] verified",
            "demo: 0 verified, 4 failing, 0 declared only, 11 missing · 3 tests",
            "  [[]!] time_budget failing in test_svc.py::test_budget[[]demo]",
            "  totals: 30 virtual seconds covered · 0 faults fired · 0 calls through chaos routes"
            " · 0 requests driven · 20 inputs generated",
            "  demo: NOT READY to launch: 15 of 15 remedies not verified*",
            "prod: 2 verified, 0 failing, 0 declared only, 13 missing · 3 tests",
            "  prod: NOT READY to launch: 13 of 15 remedies not verified*",
            "2 subjects · 6 tests · seed *",
            "prodreal: all gates met",
        ]
    )
    data = _json(pytester)
    subjects = {s["id"]: s for s in data["subjects"]}  # type: ignore[attr-defined,index]
    assert set(subjects) == {"demo", "prod"}
    assert subjects["demo"]["totals"]["virtual_s"] == 30.0
    assert subjects["prod"]["totals"]["inputs"] == 20
    status = {r["id"]: r["status"] for r in subjects["prod"]["remedies"]}
    assert status["time_budget"] == status["canary"] == "verified"
    demo = {r["id"]: r for r in subjects["demo"]["remedies"]}
    # The failing test marked only "inputs" counts against every inputs remedy of demo.
    assert demo["canary"]["status"] == demo["shadow_traffic"]["status"] == "failing"
    assert demo["shadow_traffic"]["failing_by"] == ["test_svc.py::test_inputs[demo-b]"]
    md = (pytester.path / "r.md").read_text()
    assert "| remedy | category | demo | prod |" in md
    assert "| `time_budget` | dependencies | ❌ failing | ✅ verified |" in md
    page = (pytester.path / "r.html").read_text()
    assert "data-subject='demo'" in page and "data-subject='prod'" in page


def test_gates_hold_for_every_subject_unless_one_is_named(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_svc=BY_PARAM)
    result = pytester.runpytest(
        "--prodreal-subject-param=service", "--prodreal-require=time_budget", *xdist_args
    )
    result.stdout.fnmatch_lines(
        [
            "prodreal: gate failed: subject 'demo': required remedy 'time_budget' is not "
            "verified: failing in test_svc.py::test_budget[[]demo]*"
        ]
    )
    assert result.stdout.str().count("gate failed") == 1
    result = pytester.runpytest(
        "--prodreal-subject-param=service", "--prodreal-require=stage:all", *xdist_args
    )
    result.stdout.fnmatch_lines(
        ["prodreal: gate failed: subject 'stage' has no tests in this run (subjects: demo, prod)*"]
    )


def test_subject_from_the_marker_and_from_a_hook(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makeconftest(
        """
        def pytest_prodreal_subject(item):
            if "v2" in item.name:
                return "model-v2"
        """
    )
    pytester.makepyfile(
        test_m="""
        import pytest
        from pytest_prodreal import record_evidence

        pytestmark = pytest.mark.prodreal(subject="model-v1")

        @pytest.mark.prodreal("slo")
        def test_slo():
            record_evidence("slo", held=True)

        def test_slo_v2():
            record_evidence("slo", held=True)

        @pytest.mark.prodreal("canary", subject="canary-build")
        def test_own_subject():
            record_evidence("canary", held=True)
        """
    )
    result = pytester.runpytest("--prodreal-report=json:r.json", *xdist_args)
    result.assert_outcomes(passed=3)
    tests = {t["nodeid"].split("::")[1]: t["subject"] for t in _json(pytester)["tests"]}  # type: ignore[attr-defined]
    assert tests == {
        "test_slo": "model-v1",
        "test_slo_v2": "model-v2",  # the user's hook runs before the marker's default
        "test_own_subject": "canary-build",  # the closest mark wins
    }


def test_bad_subjects_are_one_line_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
        import pytest

        @pytest.mark.prodreal("slo", subject="a b")
        def test_x():
            pass
        """
    )
    result = pytester.runpytest("--prodreal-report=json:r.json")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*test_bad.py::test_x: @pytest.mark.prodreal: subject 'a b' is not a valid subject id*"]
    )
    pytester.makeconftest("def pytest_prodreal_subject(item):\n    return 'x:y'\n")
    pytester.makepyfile(test_bad="def test_y():\n    pass\n")
    result = pytester.runpytest("--prodreal-report=json:r.json")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*test_bad.py::test_y: pytest_prodreal_subject: subject 'x:y' is not a valid subject id*"]
    )
    for bad, kind in (("0", "int"), ("False", "bool"), ("b'prod'", "bytes")):  # falsy too
        pytester.makeconftest(f"def pytest_prodreal_subject(item):\n    return {bad}\n")
        result = pytester.runpytest("--prodreal-report=json:r.json")
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(
            [f"*test_bad.py::test_y: pytest_prodreal_subject: a subject must be text, got {kind}*"]
        )
    result = pytester.runpytest("--prodreal-require=:all")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --prodreal-require: ':all': an empty subject; write SUBJECT:ID, e.g. prod:all"]
    )
    result = pytester.runpytest("--prodreal-subject-param=no such")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --prodreal-subject-param: expected the name of a parametrized fixture or "
         "argument, got 'no such'"]
    )  # fmt: skip
    assert "Traceback" not in result.stderr.str()


KEYWORDS = """
import pytest

@pytest.mark.prodreal("inputs", "canary")
def test_a():
    pass

@pytest.mark.prodreal("dependencies", "circuit_breaker")
def test_b():
    pass

@pytest.mark.prodreal("dependencies", "time_budget")
def test_c():
    pass

@pytest.mark.prodreal("slo", subject="staging")
def test_d():
    pass

def test_plain():
    pass
"""


@pytest.mark.parametrize(
    ("expr", "selected"),
    [
        ("canary", ["test_a"]),
        ("dependencies and not circuit_breaker", ["test_c"]),
        ("staging", ["test_d"]),
        ("not prodreal", ["test_plain"]),
    ],
)
def test_k_selects_by_marker_ids(
    pytester: pytest.Pytester, xdist_args: list[str], expr: str, selected: list[str]
) -> None:
    pytester.makepyfile(test_k=KEYWORDS)
    result = pytester.runpytest("-k", expr, "-v", "-p", "no:randomly", *xdist_args)
    result.assert_outcomes(passed=len(selected))
    for name in selected:
        assert f"test_k.py::{name}" in result.stdout.str()


def test_combine_merges_version_1_and_version_2_shards(tmp_path: Path) -> None:
    from pytest_prodreal import Evidence
    from pytest_prodreal.report.combine import main
    from pytest_prodreal.report.model import RunInfo, RunReport, TestRecord
    from pytest_prodreal.report.render import render_json

    old = RunReport.from_records(
        [TestRecord("t::old", "passed", evidence=(Evidence("slo", True),))], runs=[RunInfo(1)]
    ).to_json()
    old["schema_version"] = 1
    del old["totals"], old["subjects"]
    old["summary"].pop("subjects")  # type: ignore[attr-defined]
    for t in old["tests"]:  # type: ignore[attr-defined]
        del t["subject"]
    (tmp_path / "v1.json").write_text(json.dumps(old))
    new = RunReport.from_records(
        [TestRecord("t::new", "passed", evidence=(Evidence("slo", True),), subject="prod")],
        runs=[RunInfo(2)],
    )
    (tmp_path / "v2.json").write_text(render_json(new))
    out = tmp_path / "out.json"
    code = main(["combine", str(out), str(tmp_path / "v1.json"), str(tmp_path / "v2.json"), "-q",
                 "--require=prod:slo"])  # fmt: skip
    assert code == 0
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    assert [s["id"] for s in data["subjects"]] == ["prod", ""]
    assert {t["nodeid"]: t["subject"] for t in data["tests"]} == {"t::new": "prod", "t::old": ""}
