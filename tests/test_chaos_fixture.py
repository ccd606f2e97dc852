"""The ``chaos`` fixture in a pytest run, plain and under ``-n 2``."""

from __future__ import annotations

import sys

import pytest

HEADER = """
import httpx, pytest
URL = "https://api.test/v1/x"
"""


def test_fixture_routes_requests_on_the_virtual_clock(pytester, xdist_args):
    pytester.makepyfile(
        HEADER
        + """
def test_it(chaos, prodreal_clock):
    r = chaos.route("GET", URL, json={"ok": 1}).latency(600).fail_times(1)
    with httpx.Client(timeout=None) as c:
        assert c.get(URL).status_code == 503
        assert c.get(URL).json() == {"ok": 1}
    assert prodreal_clock.elapsed == 1200
    assert chaos.clock is prodreal_clock and r.retries == 1

def test_async_clients_too(chaos):
    import asyncio, httpx
    chaos.route("GET", URL, text="hi")
    async def main():
        async with httpx.AsyncClient() as c:
            return (await c.get(URL)).text
    assert asyncio.run(main()) == "hi"
"""
    )
    result = pytester.runpytest(*xdist_args, "-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_unmatched_request_fails_the_test_naming_it(pytester, xdist_args):
    pytester.makepyfile(
        HEADER
        + """
def test_swallowed(chaos):
    chaos.route("GET", URL)
    try:
        httpx.post("https://real.example/api")
    except Exception:
        pass   # a client that hides the error still fails the test
"""
    )
    result = pytester.runpytest(*xdist_args)
    result.assert_outcomes(passed=1, errors=1)  # the call passed; the teardown says no
    result.stdout.fnmatch_lines(["*matched no route*POST https://real.example/api*"])


def test_failing_test_report_shows_the_schedule_and_seed(pytester, xdist_args):
    pytester.makepyfile(
        HEADER
        + """
def test_fails(chaos):
    chaos.route("GET", URL, name="items").fail_times(1, 502)
    httpx.get(URL)
    assert False, "boom"
"""
    )
    result = pytester.runpytest(*xdist_args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*prodreal chaos (call)*",
            "*chaos schedule (seed=*",
            "*items[[]0[]]*-> http_502*",
            "*replay this test's schedule: --prodreal-seed=*",
        ]
    )


def test_a_route_never_called_warns_at_teardown(pytester, xdist_args):
    pytester.makepyfile(
        HEADER
        + """
def test_forgot(chaos):
    chaos.route("GET", URL, name="search").fault(503, rate=0.2)
"""
    )
    result = pytester.runpytest(*xdist_args, "-W", "error::pytest_prodreal.ProdrealWarning")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*'search' was never called*503 rate=0.2*"])


def test_importing_the_glue_imports_no_http_library():
    code = (
        "import sys, pytest_prodreal._glue.chaos, pytest_prodreal.chaos, "
        "pytest_prodreal.dependencies;"
        "bad = [m for m in ('respx', 'httpx', 'httpx2', 'freezegun', 'openai') if m in sys.modules];"
        "print(bad); raise SystemExit(1 if bad else 0)"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("scenario", ["brownout", "flaky_network"])
def test_scenarios_parametrize_in_a_run(pytester, scenario):
    pytester.makepyfile(
        HEADER
        + f"""
from pytest_prodreal.chaos import Chaos

def test_s(prodreal_clock):
    with Chaos(seed=3) as chaos:
        chaos.route("GET", URL, json={{}}).scenario({scenario!r})
        with httpx.Client(timeout=5) as c:
            for _ in range(50):
                try:
                    c.get(URL)
                except httpx.HTTPError:
                    pass
    assert chaos.faults_fired > 0
"""
    )
    pytester.runpytest().assert_outcomes(passed=1)
