"""Report audit: Markdown code spans per context, the empty subject option, the subject-id
message, and the totals that dependencies checks and soak runs feed (pytester, plain and -n 2).
"""

from __future__ import annotations

import fnmatch
import json
import time
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from pytest_prodreal import collecting_evidence
from pytest_prodreal.clock import VirtualClock
from pytest_prodreal.dependencies import check_graceful_degradation, check_time_budget
from pytest_prodreal.errors import InvalidArgument
from pytest_prodreal.evidence import Evidence
from pytest_prodreal.report.combine import main as combine
from pytest_prodreal.report.gates import subject_problem
from pytest_prodreal.report.model import RunInfo, RunReport, TestRecord
from pytest_prodreal.report.render import render_markdown
from pytest_prodreal.report.validate import validate_report

# -- 1. Markdown: `\|` in table cells only ------------------------------------------------------

_MD = MarkdownIt("commonmark").enable("table")


def _code_spans(markdown: str) -> dict[str, list[str]]:
    """The rendered text of every code span, by where it sits: ``table`` or ``list``."""
    out: dict[str, list[str]] = {"table": [], "list": [], "other": []}
    where = "other"
    for token in _MD.parse(markdown):
        if token.type in ("table_open", "bullet_list_open"):
            where = "table" if token.type == "table_open" else "list"
        elif token.type in ("table_close", "bullet_list_close"):
            where = "other"
        elif token.type == "inline":
            out[where] += [c.content for c in token.children or () if c.type == "code_inline"]
    return out


MD_SUITE = """
import pytest

@pytest.mark.prodreal("slo")
@pytest.mark.parametrize("x", [1], ids=["fail|ing`x"])
def test_f(x):
    assert False
"""


def test_markdown_code_spans_render_the_node_id_in_table_and_list(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_md=MD_SUITE)
    result = pytester.runpytest("--prodreal-report=md:r.md", *xdist_args)
    result.assert_outcomes(failed=1)
    text = (pytester.path / "r.md").read_text()
    nodeid = "test_md.py::test_f[fail|ing`x]"
    spans = _code_spans(text)
    assert nodeid in spans["table"], text
    assert nodeid in spans["list"], text
    assert not any("\\" in s for s in spans["table"] + spans["list"]), spans


ODD_IDS = [
    "t.py::test_a[a|b]",
    "t.py::test_b[`tick`]",
    "t.py::test_c[``x|`]",
    "`t.py::test_d[x]",
    "t.py::test_e[x]`",
    "t.py::test_f[a\\|b]",
    "t.py::test_g[two  spaces]",
    " t.py::test_h[padded] ",
]


@pytest.mark.parametrize("nodeid", ODD_IDS)
def test_markdown_code_spans_keep_odd_ids_exactly(nodeid: str) -> None:
    records = [
        TestRecord(nodeid, "failed", declared=("slo",), evidence=(Evidence("slo", False),)),
    ]
    text = render_markdown(RunReport.from_records(records))
    spans = _code_spans(text)
    assert nodeid in spans["table"], text
    assert nodeid in spans["list"], text


# -- 2. An empty --prodreal-subject-param is a usage error --------------------------------------


def _one_error_line(result: pytest.RunResult, pattern: str) -> None:
    text = "\n".join(result.outlines + result.errlines)
    assert "Traceback" not in text, text
    errors = [line for line in result.errlines + result.outlines if line.startswith("ERROR:")]
    assert len(errors) == 1, text
    assert fnmatch.fnmatchcase(errors[0], pattern), errors[0]


EMPTY_SUBJECT_PARAM = [
    ("option", "ERROR: --prodreal-subject-param: empty value; name the parametrized fixture or "
     "argument whose parameter id names each test's subject (e.g. "
     "--prodreal-subject-param=service) or leave the option out"),
    ("option-blank", "ERROR: --prodreal-subject-param: empty value; *"),
    ("pytest.ini", "ERROR: ini option 'prodreal_subject_param': empty value; name the "
     "parametrized fixture or argument whose parameter id names each test's subject (e.g. "
     "prodreal_subject_param = service) or leave the option out"),
    ("ini_options", "ERROR: ini option 'prodreal_subject_param': empty value; *"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("form", "message"), EMPTY_SUBJECT_PARAM, ids=[f for f, _ in EMPTY_SUBJECT_PARAM]
)
def test_an_empty_subject_param_is_a_usage_error(
    pytester: pytest.Pytester, xdist_args: list[str], form: str, message: str
) -> None:
    pytester.makepyfile("def test_ok():\n    pass\n")
    args = list(xdist_args)
    if form == "option":
        args.append("--prodreal-subject-param=")
    elif form == "option-blank":
        args.append("--prodreal-subject-param= ")
    elif form == "pytest.ini":
        pytester.makeini("[pytest]\nprodreal_subject_param =\n")
    else:
        pytester.makepyprojecttoml('[tool.pytest.ini_options]\nprodreal_subject_param = ""\n')
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    _one_error_line(result, message)


def test_an_unset_subject_param_is_still_fine(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nprodreal_seed = 3\n")
    pytester.makepyfile("def test_ok():\n    pass\n")
    assert pytester.runpytest("--prodreal-report=json:r.json").ret == pytest.ExitCode.OK


# -- 3. The subject-id message says exactly what is accepted ------------------------------------

RULE = "1 to 100 ASCII letters, digits and _.-, starting with a letter or digit"
ACCEPTED = ["prod", "demo-v2.X", "9lives", "a_b", "A" * 100]
REFUSED = ["a b", "-demo", ".x", "_x", "x:y", "é", "A" * 101, "a/b"]


@pytest.mark.parametrize("subject", ACCEPTED)
def test_subjects_the_rule_accepts(subject: str) -> None:
    assert subject_problem(subject) is None


@pytest.mark.parametrize("subject", REFUSED)
def test_a_refused_subject_is_told_the_exact_rule(subject: str) -> None:
    problem = subject_problem(subject)
    assert problem is not None and RULE in problem, problem


def _report_json(subject: str) -> dict[str, object]:
    record = TestRecord(
        "t.py::a", "passed", evidence=(Evidence("time_budget", True),), subject="prod"
    )
    data = json.loads(
        json.dumps(RunReport.from_records([record], runs=[RunInfo(seed=1)]).to_json())
    )
    text = json.dumps(data).replace('"prod"', json.dumps(subject))
    loaded: dict[str, object] = json.loads(text)
    return loaded


def test_combine_accepts_and_refuses_subjects_by_the_stated_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_report_json("demo-v2.X")))
    assert combine(["combine", "-q", str(tmp_path / "out.json"), str(good)]) == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_report_json("bad id!")))
    capsys.readouterr()
    assert combine(["combine", "-q", str(tmp_path / "out2.json"), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "lower-case" not in err, err
    assert RULE in err and '"bad id!"' in err, err


def test_a_bad_taxonomy_id_is_told_the_exact_id_rule() -> None:
    data = _report_json("prod")
    data["taxonomy"]["categories"][0]["id"] = "Bad-Id"  # type: ignore[index]
    with pytest.raises(InvalidArgument) as info:
        validate_report(data)
    assert "lower-case letters, digits and _, starting with a lower-case letter" in str(info.value)


def _patterns(node: object) -> set[str]:
    if isinstance(node, dict):
        own = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
        return own.union(*(_patterns(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_patterns(v) for v in node))
    return set()


def test_every_schema_pattern_has_words_and_the_subject_pattern_is_the_rules() -> None:
    from pytest_prodreal.report.gates import SUBJECT_PATTERN
    from pytest_prodreal.report.validate import _PATTERN_WORDS, readable_versions, schema_for

    for version in readable_versions():
        assert _patterns(schema_for(version)) <= set(_PATTERN_WORDS), version
    assert schema_for(2)["$defs"]["subject"]["pattern"] == f"^$|{SUBJECT_PATTERN}"
    assert subject_problem("prod\n") is not None  # `$` alone would take a final newline


def test_the_marker_takes_and_refuses_subjects_by_the_stated_rule(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(
        test_s="""
        import pytest

        @pytest.mark.prodreal("slo", subject="demo-v2.X")
        def test_ok():
            pass
        """
    )
    result = pytester.runpytest("--prodreal-report=json:r.json", *xdist_args)
    result.assert_outcomes(passed=1)
    data = json.loads((pytester.path / "r.json").read_text())
    assert [s["id"] for s in data["subjects"]] == ["demo-v2.X"]
    pytester.makepyfile(
        test_s="""
        import pytest

        @pytest.mark.prodreal("slo", subject="-demo")
        def test_bad():
            pass
        """
    )
    result = pytester.runpytest("--prodreal-report=json:r.json", *xdist_args)
    assert result.ret != pytest.ExitCode.OK
    assert RULE in result.stdout.str(), result.stdout.str()


# -- 4. Totals: virtual seconds of dependencies checks, calls of soak runs ----------------------


def test_time_budget_records_the_virtual_seconds_it_covered() -> None:
    with VirtualClock(), collecting_evidence() as sink, pytest.raises(AssertionError):
        check_time_budget(lambda: time.sleep(30), budget_s=10, runs=2)
    [ev] = sink.items
    assert ev.figures["elapsed_s"] == 30.0  # the slowest run
    assert ev.figures["virtual_s"] == 60.0  # both runs


def test_graceful_degradation_records_the_virtual_seconds_it_covered() -> None:
    with VirtualClock(), collecting_evidence() as sink, pytest.raises(AssertionError):
        check_graceful_degradation(lambda: time.sleep(1.5), is_fallback=lambda r: False, runs=3)
    [ev] = sink.items
    assert ev.figures["virtual_s"] == 4.5


def test_totals_read_a_soaks_calls_from_requests_and_calls_per_request() -> None:
    from pytest_prodreal.report.totals import totals_of

    soak = {"requests": 883, "calls_per_request": round(1090 / 883, 4), "virtual_s": 91.5}
    records = [
        TestRecord("t::soak", "passed", evidence=(Evidence("slo", True, figures=soak),)),
        TestRecord(
            "t::both",  # a route_calls figure wins over the product
            "passed",
            evidence=(Evidence("slo", True, figures={**soak, "route_calls": 7}),),
        ),
    ]
    totals = totals_of(records)
    assert totals["route_calls"] == 1090 + 7
    assert totals["requests"] == 2 * 883
    assert totals["virtual_s"] == 183.0


TOTALS_SUITE = """
import json
import time
from pathlib import Path

import httpx
import pybreaker
import pytest

from pytest_prodreal.dependencies import (
    check_circuit_breaker,
    check_graceful_degradation,
    check_time_budget,
)
from pytest_prodreal.operations import Poisson, check_slo

URL = "https://dep.test/v1/search"
SEARCH = "https://search.example.test/v1/search"


@pytest.mark.prodreal("time_budget")
def test_budget(prodreal_clock):
    with pytest.raises(AssertionError, match="over its budget"):
        check_time_budget(lambda: time.sleep(30), budget_s=10)


@pytest.mark.prodreal("circuit_breaker")
def test_breaker(chaos):
    dep = chaos.route("GET", URL, json={"ok": True}).latency(0.5)
    breaker = pybreaker.CircuitBreaker(fail_max=3, reset_timeout=30)
    http = httpx.Client()

    @breaker
    def call():
        return http.get(URL).raise_for_status().json()

    check_circuit_breaker(call, dep, threshold=3, reset_timeout=30)


@pytest.mark.prodreal("graceful_degradation")
def test_degradation(chaos):
    chaos.route("GET", URL, json={}).latency(2).outage()
    http = httpx.Client()

    def answer():
        try:
            return http.get(URL, timeout=5).raise_for_status().json()
        except httpx.HTTPError:
            return "cached"

    check_graceful_degradation(answer, is_fallback=lambda r: r == "cached", runs=3)


@pytest.mark.prodreal("slo")
def test_soak(chaos, prodreal_soak):
    chaos.route("GET", SEARCH, name="search", json={"hits": [1]}).scenario("flaky_network")
    http = httpx.Client(timeout=2.0)

    def answer(q):
        for _ in range(3):
            try:
                http.get(SEARCH, params={"q": q}).raise_for_status()
                return "ok"
            except httpx.HTTPError:
                pass
        return "FALLBACK"

    result = prodreal_soak(answer, ["a", "b"], requests=150, arrivals=Poisson(0.1),
                           fallback=lambda v: v == "FALLBACK")
    check_slo(result, success_rate=0.5)
    Path(__file__).with_name("calls.json").write_text(json.dumps(len(chaos.calls)))
"""


def test_json_totals_count_dependencies_checks_and_soak_calls(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_totals=TOTALS_SUITE)
    result = pytester.runpytest("--prodreal-report=json:r.json", "--prodreal-seed=7", *xdist_args)
    result.assert_outcomes(passed=4)
    data = json.loads((pytester.path / "r.json").read_text())
    figures = {
        t["nodeid"].split("::")[1]: {e["remedy"]: e["figures"] for e in t["evidence"]}
        for t in data["tests"]
    }
    budget = figures["test_budget"]["time_budget"]
    assert budget["virtual_s"] == 30.0  # "0 virtual seconds covered" before
    # The breaker covers its two cool-downs (30.001 s each) and every call that reached the
    # route (0.5 s each): the outage's calls, the half-open probe, the recovered probe and call.
    breaker = figures["test_breaker"]["circuit_breaker"]
    reached = breaker["dependency_calls"] + 1 + breaker["probe_calls"] + 1
    assert breaker["virtual_s"] == pytest.approx(2 * 30.001 + 0.5 * reached)
    degradation = figures["test_degradation"]["graceful_degradation"]
    assert degradation["virtual_s"] == 6.0  # three runs of 2 s
    soak = figures["test_soak"]["slo"]
    soak_calls = json.loads((pytester.path / "calls.json").read_text())
    assert soak_calls > soak["requests"] > 0  # flaky_network: some requests retried
    virtual = sum(f["virtual_s"] for f in (budget, breaker, degradation, soak))
    # The soak's calls ("0 calls through chaos routes" before) and the checks' dependency calls.
    assert degradation["dependency_calls"] == 3
    checks = (budget, breaker, degradation)
    route_calls = soak_calls + sum(f["dependency_calls"] for f in checks)
    for totals in (data["totals"], data["subjects"][0]["totals"]):
        assert totals["virtual_s"] == pytest.approx(virtual, abs=1e-6)
        assert totals["route_calls"] == route_calls
        assert totals["requests"] == soak["requests"]


@pytest.mark.parametrize("check", ["check_error_budget", "check_observability", "check_cost_cap"])
def test_a_soak_judged_by_one_other_operations_check_counts_its_calls(check: str) -> None:
    """A soak checked only by ``check_error_budget``, ``check_observability`` or
    ``check_cost_cap`` (no ``check_slo``) read "0 calls through chaos routes" before."""
    import logging

    import httpx

    from pytest_prodreal import operations
    from pytest_prodreal.chaos import Chaos
    from pytest_prodreal.report.totals import totals_of

    url = "https://search.example.test/v1/search"
    with VirtualClock(), Chaos(seed=7) as chaos, collecting_evidence() as sink:
        chaos.route("GET", url, json={"hits": [1]}).scenario("flaky_network")
        http = httpx.Client(timeout=2.0)

        def answer(q: str) -> str:
            for _ in range(3):
                try:
                    http.get(url, params={"q": q}).raise_for_status()
                    return "ok"
                except httpx.HTTPError:
                    logging.getLogger("svc").warning("search failed; retrying")
            return "FALLBACK"

        result = operations.soak(answer, ["a", "b"], requests=200, seed=7)
        kwargs: dict[str, object] = {"max_calls": 10} if check == "check_cost_cap" else {}
        getattr(operations, check)(result, **kwargs)
    assert result.calls > len(result.requests)  # some requests retried
    [ev] = sink.items
    assert ev.figures["route_calls"] == result.calls
    totals = totals_of([TestRecord("t::soak", "passed", evidence=(ev,))])
    assert totals["route_calls"] == result.calls
