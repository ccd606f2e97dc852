"""The operations glue: ``prodreal_soak``, the observability marker and their evidence (pytester,
plain and ``-n 2``)."""

from __future__ import annotations

import json

import pytest

COMMON = """
import logging

import httpx
import pytest

from pytest_prodreal.operations import Poisson, check_error_budget, check_observability, check_slo

SEARCH = "https://search.example.test/v1/search"
log = logging.getLogger("svc")


def make_service(logs=True):
    http = httpx.Client(timeout=2.0)

    def answer(q):
        for attempt in range(3):
            try:
                response = http.get(SEARCH, params={"q": q})
                response.raise_for_status()
                return "ok"
            except httpx.HTTPError as exc:
                if logs:
                    log.warning("search attempt %d failed: %s", attempt, exc)
        return "FALLBACK"

    return answer


def is_fallback(value):
    return value == "FALLBACK"
"""

GOOD = (
    COMMON
    + """

@pytest.mark.prodreal("slo")
def test_slo(chaos, prodreal_soak):
    chaos.route("GET", SEARCH, name="search", json={"hits": [1]}).scenario("flaky_network")
    result = prodreal_soak(make_service(), ["a", "b"], requests=200, arrivals=Poisson(0.1),
                           fallback=is_fallback)
    check_slo(result, success_rate=0.95, p99_s=10)


@pytest.mark.prodreal("error_budget")
def test_outage_pages(chaos, prodreal_soak):
    chaos.route("GET", SEARCH, name="search", json={"hits": [1]}).outage(600, 1200)
    result = prodreal_soak(make_service(), ["a"], duration=3600, arrivals=Poisson(0.1),
                           fallback=is_fallback)
    check_error_budget(result, slo=0.999, expect="page")


@pytest.mark.prodreal_observability
def test_observed(chaos, prodreal_soak, monkeypatch):
    monkeypatch.setattr("pytest_prodreal.operations._plan._PROGRESS_AFTER_S", 0.0)
    chaos.route("GET", SEARCH, name="search", json={"hits": [1]}).fault(503, rate=0.3)
    prodreal_soak(make_service(), ["a"], requests=30)
"""
)

BAD = (
    COMMON
    + """

@pytest.mark.prodreal("slo")
def test_slo_declared_only(chaos, prodreal_soak):
    pass


@pytest.mark.prodreal("error_budget")
def test_budget_burnt(chaos, prodreal_soak):
    chaos.route("GET", SEARCH, name="search", json={"hits": [1]}).outage(0, 600)
    result = prodreal_soak(make_service(), ["a"], duration=1800, arrivals=Poisson(0.1),
                           fallback=is_fallback)
    check_error_budget(result, slo=0.999)


@pytest.mark.prodreal_observability
def test_silent(chaos, prodreal_soak):
    chaos.route("GET", SEARCH, name="search", json={"hits": [1]}).fail_times(1, 503)
    prodreal_soak(make_service(logs=False), ["the question"], requests=3)


@pytest.mark.prodreal_observability
def test_silent_outside_soaks(chaos):
    chaos.route("GET", SEARCH, name="search", json={"hits": [1]}).fail_times(1, 503)
    assert make_service(logs=False)("q") == "ok"
"""
)

QUIET = ("-p", "no:faker", "-p", "no:hypothesispytest")


def _statuses(path: object) -> tuple[dict[str, str], dict[str, list[dict[str, object]]]]:
    data = json.loads(path.read_text())  # type: ignore[attr-defined]
    statuses = {r["id"]: r["status"] for r in data["remedies"]}
    evidence = {t["nodeid"].split("::")[-1]: t["evidence"] for t in data["tests"]}
    return statuses, evidence


def test_soak_fixture_and_marker_verify_the_operations_remedies(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_ops=GOOD)
    result = pytester.runpytest(*xdist_args, *QUIET, "--prodreal-report=json:out.json")
    result.assert_outcomes(passed=3)
    statuses, evidence = _statuses(pytester.path / "out.json")
    assert {k: statuses[k] for k in ("slo", "error_budget", "observability")} == {
        "slo": "verified",
        "error_budget": "verified",
        "observability": "verified",
    }
    slo = evidence["test_slo"][0]["figures"]
    assert slo["requests"] == 200 and slo["virtual_s"] > 1000
    budget = evidence["test_outage_pages"][0]["figures"]
    assert budget["would_page"] is True and budget["virtual_s"] > 3500
    observed = evidence["test_observed"][0]
    assert (
        observed["check"] == "prodreal_observability"
        and observed["figures"]["silent_failures"] == 0
    )
    out = result.stdout.str()
    # Progress is shown on the terminal, but not from xdist workers.
    assert ("prodreal soak: 30/30 requests" in out) is (not xdist_args)


def test_progress_is_quiet_under_q(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_ops=GOOD)
    result = pytester.runpytest(*QUIET, "-q", "-k", "observed")
    result.assert_outcomes(passed=1)
    assert "prodreal soak:" not in result.stdout.str()


def test_empty_or_broken_bodies_end_declared_only_or_failing(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_ops=BAD)
    result = pytester.runpytest(*xdist_args, *QUIET, "--prodreal-report=json:out.json")
    result.assert_outcomes(passed=1, failed=3)
    statuses, _ = _statuses(pytester.path / "out.json")
    assert {k: statuses[k] for k in ("slo", "error_budget", "observability")} == {
        "slo": "declared",
        "error_budget": "failing",
        "observability": "failing",
    }
    out = result.stdout.str()
    assert "check_error_budget: fast burn (14.4x over 1 h and 5 min) paged" in out
    assert "prodreal_observability: 1 of 1 requests handled trouble in silence" in out
    assert "request #0 ('the question')" in out and "fault http_503 on route 'search'" in out
    assert "the test body outside soaks (test_silent_outside_soaks)" in out


def test_a_malformed_marker_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
        import pytest

        @pytest.mark.prodreal_observability(3, noise=1)
        def test_x():
            pass
        """
    )
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*test_x: @pytest.mark.prodreal_observability takes only max_noise=<int >= 0 or None>*"]
    )
