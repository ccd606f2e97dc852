"""The ``chaos`` fixture in a pytest run, plain and under ``-n 2``."""

from __future__ import annotations

import sys

import pytest

HEADER = """
import httpx, pytest
URL = "https://api.test/v1/x"
"""


# One pytester run covers every fixture behaviour: each extra xdist run costs seconds of startup.
BEHAVIOURS = """
def test_it(chaos, prodreal_clock):
    r = chaos.route("GET", URL, json={"ok": 1}).latency(600).fail_times(1)
    with httpx.Client(timeout=None) as c:
        assert c.get(URL).status_code == 503
        assert c.get(URL).json() == {"ok": 1}
    assert prodreal_clock.elapsed == 1200
    assert chaos.clock is prodreal_clock and r.retries == 1

def test_async_clients_too(chaos):
    import asyncio
    chaos.route("GET", URL, text="hi")
    async def main():
        async with httpx.AsyncClient() as c:
            return (await c.get(URL)).text
    assert asyncio.run(main()) == "hi"

def test_swallowed(chaos):
    chaos.route("GET", URL)
    try:
        httpx.post("https://real.example/api")
    except Exception:
        pass   # a client that hides the error still fails the test

def test_fails(chaos):
    chaos.route("GET", URL, name="items").fail_times(1, 502)
    httpx.get(URL)
    assert False, "boom"

def test_forgot(chaos):
    chaos.route("GET", URL, name="search").fault(503, rate=0.2)
"""


def test_fixture_behaviours(pytester, xdist_args):
    pytester.makepyfile(HEADER + BEHAVIOURS)
    result = pytester.runpytest(*xdist_args, "-W", "error::pytest_prodreal.ProdrealWarning")
    # test_swallowed and test_forgot pass their call phase, then error at teardown.
    result.assert_outcomes(passed=4, failed=1, errors=2)
    out = result.stdout.str()
    assert (
        "matched no route (tests must not reach the real network): POST https://real.example/api"
        in out
    )
    assert "'search' was never called, so its faults (http_503 rate=0.2) never fired" in out
    result.stdout.fnmatch_lines(
        [
            "*prodreal chaos (call)*",
            "*chaos schedule (seed=*",
            "*items[[]0[]]*-> http_502*",
            "*replay this test's schedule: --prodreal-seed=*",
        ]
    )
    for name in ("test_swallowed", "test_forgot"):  # in any order: xdist finishes as it can
        result.stdout.fnmatch_lines([f"ERROR *{name}*"])


def test_importing_the_glue_imports_no_http_library():
    code = (
        "import sys, pytest_prodreal._glue.chaos, pytest_prodreal.chaos, "
        "pytest_prodreal.dependencies;"
        "heavy = ('respx', 'httpx', 'httpx2', 'freezegun', 'openai');"
        "bad = [m for m in heavy if m in sys.modules];"
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


EVIDENCE = """
import pybreaker
from pytest_prodreal.dependencies import circuit_breaker, graceful_degradation, time_budget

def test_breaker(chaos):
    dep = chaos.route("GET", URL, json={"ok": True})
    breaker = pybreaker.CircuitBreaker(fail_max=2, reset_timeout=10)
    client = httpx.Client()
    call = breaker(lambda: client.get(URL).raise_for_status().json())
    circuit_breaker(call, dep, threshold=2, reset_timeout=10)

def test_budget(chaos):
    chaos.route("GET", URL, json={}).latency(2).fail_times(1)
    client = httpx.Client()
    def fetch():
        for _ in range(3):
            r = client.get(URL)
            if r.status_code < 500:
                return r.json()
    time_budget(fetch, 5)

def test_no_fault_no_evidence(chaos):
    chaos.route("GET", URL, json={"hits": 1})
    client = httpx.Client()
    graceful_degradation(lambda: client.get(URL).json(), is_fallback=lambda r: True)
"""


def test_checks_verify_remedies_only_when_faults_fired(pytester, xdist_args):
    import json

    pytester.makepyfile(HEADER + EVIDENCE)
    result = pytester.runpytest(*xdist_args, "--prodreal-report=json:out.json", "-W", "default")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*0 fault(s) fired during the check*records no*evidence*"])
    report = json.loads((pytester.path / "out.json").read_text())
    status = {r["id"]: r["status"] for r in report["remedies"]}
    assert status["circuit_breaker"] == "verified"
    assert status["time_budget"] == "verified"
    assert status["graceful_degradation"] != "verified"  # its only check saw no fault
    figures = {ev["check"]: ev["figures"] for t in report["tests"] for ev in t.get("evidence", [])}
    assert figures["circuit_breaker"]["opened_after"] == 2
    assert figures["time_budget"]["elapsed_s"] == 4.0


SEEDED = """
import json, pathlib

def _run(chaos, name):
    chaos.route("GET", URL, json={}).fault(503, rate=0.4).latency(median=0.5, p99=5)
    with httpx.Client(timeout=3) as c:
        for _ in range(30):
            try:
                c.get(URL)
            except httpx.HTTPError:
                pass
    faults = [(e.fault, round(e.latency, 6)) for e in chaos.schedule()]
    pathlib.Path(name + "-" + str(chaos.seed) + ".json").write_text(json.dumps(faults))

def test_a(chaos):
    _run(chaos, "a")

def test_b(chaos):
    _run(chaos, "b")
"""


def test_same_run_seed_same_schedules_plain_and_xdist(pytester):
    pytester.makepyfile(HEADER + SEEDED)
    pytester.runpytest("--prodreal-seed=5").assert_outcomes(passed=2)
    first = {p.name: p.read_text() for p in pytester.path.glob("*-*.json")}
    for p in pytester.path.glob("*-*.json"):
        p.unlink()
    pytester.runpytest("-n", "2", "--prodreal-seed=5").assert_outcomes(passed=2)
    second = {p.name: p.read_text() for p in pytester.path.glob("*-*.json")}
    assert len(first) == 2 and first == second
    a, b = sorted(first)
    assert first[a] != first[b]  # each test has its own seed, hence its own schedule
