"""The dependencies checks: check_time_budget, check_circuit_breaker, check_graceful_degradation."""

from __future__ import annotations

import asyncio

import httpx
import pybreaker
import pytest
import tenacity

from pytest_prodreal import InvalidArgument, ProdrealWarning, collecting_evidence
from pytest_prodreal.chaos import Chaos
from pytest_prodreal.dependencies import (
    acheck_graceful_degradation,
    acheck_time_budget,
    check_circuit_breaker,
    check_graceful_degradation,
    check_time_budget,
)

URL = "https://dep.test/v1/search"
HX = httpx.Client()


def _retrying_fetch(attempts=3, wait=2.0):
    @tenacity.retry(
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_fixed(wait),
        reraise=True,
    )
    def fetch():
        return HX.get(URL, timeout=5).raise_for_status().json()

    return fetch


# -- time_budget ---------------------------------------------------------------------------------


def test_time_budget_holds_and_records_evidence(chaos):
    chaos.route("GET", URL, json={"hits": 1}).latency(1).fail_times(1)
    with collecting_evidence() as sink:
        result = check_time_budget(_retrying_fetch(), budget_s=10)
    assert result.held and result.counted
    assert result.value == {"hits": 1}
    assert result.elapsed_s == pytest.approx(4.0)  # 1 s, 2 s back-off, 1 s
    [ev] = sink.items
    assert (ev.remedy, ev.held) == ("time_budget", True)
    assert ev.figures["faults_fired"] == 1
    assert ev.figures["dependency_calls"] == 2


def test_time_budget_fails_with_the_virtual_figure(chaos):
    chaos.route("GET", URL).latency(4).outage()
    with (
        collecting_evidence() as sink,
        pytest.raises(AssertionError, match=r"took 16.000 virtual s, over its budget of 10 s"),
    ):
        check_time_budget(_retrying_fetch(attempts=3), budget_s=10)
    assert [(e.remedy, e.held) for e in sink.items] == [("time_budget", False)]


def test_time_budget_counts_a_timely_error_unless_told_not_to(chaos):
    chaos.route("GET", URL).fault("read_timeout")
    fetch = _retrying_fetch(attempts=2, wait=1)
    with collecting_evidence():
        ok = check_time_budget(fetch, budget_s=20)
        assert isinstance(ok.error, httpx.ReadTimeout)
        with pytest.raises(
            AssertionError, match=r"1 of 1 run\(s\) raised \(ReadTimeout.*allow_errors=False"
        ):
            check_time_budget(fetch, budget_s=20, allow_errors=False)


def test_time_budget_without_a_fault_is_not_evidence(chaos):
    chaos.route("GET", URL, json={})
    with (
        collecting_evidence() as sink,
        pytest.warns(ProdrealWarning, match=r"0 fault\(s\) fired.*fired no fault"),
    ):
        result = check_time_budget(_retrying_fetch(), budget_s=10)
    assert result.held and not result.counted
    assert sink.items == ()


@pytest.mark.asyncio
async def test_async_time_budget(chaos):
    chaos.route("GET", URL, json={}).latency(3).fail_times(1, 500)

    async def fetch():
        async with httpx.AsyncClient() as c:
            for _ in range(2):
                r = await c.get(URL)
                if r.status_code < 500:
                    return r.json()
        return None

    with collecting_evidence():
        result = await acheck_time_budget(fetch, 7)
    assert result.held and result.elapsed_s == pytest.approx(6)


# -- graceful_degradation ------------------------------------------------------------------------


def _answer():
    try:
        return {"answer": HX.get(URL, timeout=2).raise_for_status().json(), "degraded": False}
    except httpx.HTTPError:
        return {"answer": None, "degraded": True}


def test_graceful_degradation_holds_under_an_outage(chaos):
    chaos.route("GET", URL, json={}).scenario("outage")
    with collecting_evidence() as sink:
        result = check_graceful_degradation(
            _answer, is_fallback=lambda r: r["degraded"], budget_s=5
        )
    assert result.held and result.fallbacks == 1
    assert sink.items[0].remedy == "graceful_degradation"


def test_graceful_degradation_fails_when_the_call_raises(chaos):
    chaos.route("GET", URL).outage()

    def fragile():
        return HX.get(URL).raise_for_status()

    with collecting_evidence() as sink, pytest.raises(AssertionError, match=r"1 of 1 run\(s\)"):
        check_graceful_degradation(fragile, is_fallback=lambda r: True)
    assert sink.items[0].held is False


def test_graceful_degradation_fails_without_a_fallback_or_over_budget(chaos):
    chaos.route("GET", URL, json={"x": 1}).latency(median=3, p99=3).fault(503, rate=0.5)
    with collecting_evidence(), pytest.raises(AssertionError, match=r"over the 1 s budget"):
        check_graceful_degradation(_answer, is_fallback=lambda r: r["degraded"], budget_s=1, runs=8)


@pytest.mark.asyncio
async def test_async_graceful_degradation(chaos):
    search = chaos.wrap(_async_search, name="vector_search").outage()

    async def answer():
        try:
            return await search("q")
        except ConnectionError:
            return "cached"

    with collecting_evidence():
        result = await acheck_graceful_degradation(answer, is_fallback=lambda r: r == "cached")
    assert result.held


async def _async_search(q):
    return [q]


# -- circuit_breaker -----------------------------------------------------------------------------


def _breaker_call(fail_max=3, reset_timeout=30, retries=0):
    breaker = pybreaker.CircuitBreaker(fail_max=fail_max, reset_timeout=reset_timeout)

    @breaker
    def call():
        for attempt in range(retries + 1):
            r = HX.get(URL)
            if r.status_code < 500 or attempt == retries:
                return r.raise_for_status().json()
        return None

    return call


def test_circuit_breaker_holds_for_pybreaker(chaos):
    dep = chaos.route("GET", URL, json={"ok": True})
    with collecting_evidence() as sink:
        result = check_circuit_breaker(_breaker_call(), dep, threshold=3, reset_timeout=30)
    assert result.held and result.recovered
    assert result.opened_after == 3
    assert result.hits == (1, 1, 1, 0, 0, 0, 0, 0, 0)
    [ev] = sink.items
    assert (ev.remedy, ev.held, ev.figures["amplification"]) == ("circuit_breaker", True, 1.0)


def test_circuit_breaker_reports_a_retry_storm_with_its_amplification(chaos):
    dep = chaos.route("GET", URL, json={"ok": True})
    call = _breaker_call(retries=4)
    with (
        collecting_evidence() as sink,
        pytest.raises(AssertionError, match=r"retry storm: one request made 5 calls.*5.00"),
    ):
        check_circuit_breaker(call, dep, threshold=3, reset_timeout=30, max_amplification=2)
    assert sink.items[0].figures["amplification"] == 5.0


def test_circuit_breaker_fails_without_a_breaker(chaos):
    dep = chaos.route("GET", URL, json={"ok": True})

    def no_breaker():
        return HX.get(URL).raise_for_status().json()

    with collecting_evidence(), pytest.raises(AssertionError, match=r"never opened"):
        check_circuit_breaker(no_breaker, dep, threshold=3, reset_timeout=30)


def test_circuit_breaker_fails_when_the_call_misses_the_route(chaos):
    dep = chaos.route("GET", URL)
    with collecting_evidence(), pytest.raises(AssertionError, match=r"0 of 6 calls reached route"):
        check_circuit_breaker(lambda: None, dep, threshold=2, reset_timeout=5)


def test_circuit_breaker_fails_when_it_never_half_opens(chaos):
    dep = chaos.route("GET", URL, json={"ok": True})
    call = _breaker_call(reset_timeout=10_000)
    with (
        collecting_evidence(),
        pytest.raises(AssertionError, match=r"0 probes reached.*reset timeout of at most 30 s"),
    ):
        check_circuit_breaker(call, dep, threshold=3, reset_timeout=30)


# -- bad input -----------------------------------------------------------------------------------


def test_checks_reject_bad_arguments(chaos):
    dep = chaos.route("GET", URL)
    with pytest.raises(InvalidArgument, match=r"check_time_budget: budget_s=-1 must be a positive"):
        check_time_budget(lambda: None, -1)
    with pytest.raises(InvalidArgument, match=r"is async"):
        check_time_budget(_async_search, 1)
    with pytest.raises(InvalidArgument, match=r"runs=0"):
        check_graceful_degradation(lambda: 1, is_fallback=bool, runs=0)
    with pytest.raises(InvalidArgument, match=r"check_circuit_breaker: threshold=0"):
        check_circuit_breaker(lambda: None, dep, threshold=0, reset_timeout=1)
    with pytest.raises(
        InvalidArgument, match=r"check_circuit_breaker: calls=2 must be an int > threshold"
    ):
        check_circuit_breaker(lambda: None, dep, threshold=3, reset_timeout=1, calls=2)


def test_checks_need_virtual_time():
    with pytest.raises(InvalidArgument, match=r"no virtual clock or chaos is running"):
        check_time_budget(lambda: None, 1)
    with Chaos(seed=1) as chaos:
        dep = chaos.route("GET", URL)
        with pytest.raises(InvalidArgument, match=r"needs a running virtual clock"):
            check_circuit_breaker(lambda: None, dep, threshold=1, reset_timeout=1)


class _AsyncBreaker:
    """A home-grown breaker on time.monotonic: open after N failures, one probe after reset."""

    def __init__(self, fail_max, reset_timeout):
        import time

        self.fail_max, self.reset_timeout, self.clock = fail_max, reset_timeout, time.monotonic
        self.failures, self.opened_at = 0, None

    async def call(self, fn):
        if self.opened_at is not None:
            if self.clock() - self.opened_at < self.reset_timeout:
                raise RuntimeError("breaker open")
            self.opened_at = None  # half-open: let this one through
            self.failures = self.fail_max - 1
        try:
            result = await fn()
        except Exception:
            self.failures += 1
            if self.failures >= self.fail_max:
                self.opened_at = self.clock()
            raise
        self.failures = 0
        return result


@pytest.mark.asyncio
async def test_acheck_circuit_breaker_with_a_home_grown_breaker(chaos):
    from pytest_prodreal.dependencies import acheck_circuit_breaker

    dep = chaos.route("GET", URL, json={"ok": True})
    breaker = _AsyncBreaker(fail_max=2, reset_timeout=15)

    async def fetch():
        async with httpx.AsyncClient() as c:
            return (await c.get(URL)).raise_for_status().json()

    with collecting_evidence() as sink:
        result = await acheck_circuit_breaker(
            lambda: breaker.call(fetch), dep, threshold=2, reset_timeout=15
        )
    assert result.held and result.hits == (1, 1, 0, 0, 0, 0)
    assert sink.items[0].figures["recovered"] is True


# -- runs= (issue 14), deprecations, failure frames ----------------------------------------------


def test_time_budget_runs_counts_faults_over_all_runs(chaos):
    # Only the third call fails: runs 1-2 are quiet, run 3 meets the fault. Per-run counting
    # would have warned "no fault fired" on the quiet runs; over all runs it is evidence.
    chaos.route("GET", URL, json={"hits": 1}).latency(1).outage(1.5, 2.5, 503)
    with collecting_evidence() as sink:
        result = check_time_budget(_retrying_fetch(), budget_s=10, runs=4)
    assert result.held and result.counted
    assert result.runs == 4 and result.run_elapsed_s == pytest.approx((1, 1, 4, 1))
    assert result.elapsed_s == pytest.approx(4)
    [ev] = sink.items
    assert ev.figures["faults_fired"] == 1 and ev.figures["runs"] == 4


def test_time_budget_runs_fails_on_the_slowest_run(chaos):
    chaos.route("GET", URL, json={}).latency(median=2, p99=30)
    with (
        collecting_evidence() as sink,
        pytest.raises(AssertionError, match=r"time_budget: \d+ of 20 runs; the slowest took"),
    ):
        check_time_budget(lambda: HX.get(URL, timeout=60).json(), budget_s=5, runs=20)
    assert sink.items[0].held is False
    assert "Cap retries and timeouts" in sink.items[0].summary  # the fix travels with evidence


def test_time_budget_runs_with_no_fault_in_any_run_warns(chaos):
    chaos.warn_unexercised = False  # the point of this test is a quiet route
    chaos.route("GET", URL, json={}).fault(503, rate=0.0)
    with collecting_evidence() as sink, pytest.warns(ProdrealWarning, match=r"0 fault\(s\)"):
        result = check_time_budget(_retrying_fetch(), budget_s=10, runs=5)
    assert result.held and not result.counted and sink.items == ()


def test_an_empty_body_is_never_verified(chaos):
    chaos.warn_unexercised = False  # the route is never called, on purpose
    chaos.route("GET", URL, json={}).scenario("outage")
    with collecting_evidence() as sink, pytest.warns(ProdrealWarning, match=r"0 fault\(s\)"):
        check_time_budget(lambda: None, budget_s=1)  # the body never calls the dependency
    with collecting_evidence() as sink2, pytest.raises(AssertionError, match=r"0 of 1 result"):
        check_graceful_degradation(lambda: None, is_fallback=lambda r: r is not None)
    assert sink.items == () and [e.held for e in sink2.items] == [False]


def test_results_explain_themselves(chaos):
    chaos.route("GET", URL, json={}).fail_times(1)
    with collecting_evidence():
        result = check_time_budget(_retrying_fetch(), budget_s=10)
    assert result.explain() == result.summary and result.explanation == ""
    assert result.figures["budget_s"] == 10


@pytest.mark.asyncio
async def test_acheck_time_budget_runs(chaos):
    chaos.route("GET", URL, json={}).latency(1).fail_times(1, 500)

    async def fetch():
        async with httpx.AsyncClient() as c:
            return (await c.get(URL)).status_code

    with collecting_evidence() as sink:
        result = await acheck_time_budget(fetch, 2, runs=3)
    assert result.runs == 3 and result.errors == 0 and sink.items[0].figures["faults_fired"] == 1


def test_a_sync_check_refuses_an_async_callable(chaos):
    dep = chaos.route("GET", URL)
    with pytest.raises(InvalidArgument, match=r"use `await acheck_graceful_degradation"):
        check_graceful_degradation(_async_search, is_fallback=bool)
    with pytest.raises(InvalidArgument, match=r"use `await acheck_circuit_breaker"):
        check_circuit_breaker(_async_search, dep, threshold=1, reset_timeout=1)
    with pytest.raises(InvalidArgument, match=r"check_time_budget: fn must be callable"):
        check_time_budget("not callable", 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"is_fallback must be callable"):
        check_graceful_degradation(lambda: 1, is_fallback=None)  # type: ignore[arg-type]


_BAD_CALLS = {  # each raises InvalidArgument inside the new check: proof that it ran
    "time_budget": lambda f: f(lambda: 1, -1),
    "async_time_budget": lambda f: asyncio.run(f(_async_search, -1)),
    "circuit_breaker": lambda f: f(lambda: 1, None, threshold=0, reset_timeout=1),
    "async_circuit_breaker": lambda f: asyncio.run(
        f(_async_search, None, threshold=0, reset_timeout=1)
    ),
    "graceful_degradation": lambda f: f(lambda: 1, is_fallback=bool, runs=0),
    "async_graceful_degradation": lambda f: asyncio.run(f(_async_search, is_fallback=bool, runs=0)),
}


@pytest.mark.parametrize("old", sorted(_BAD_CALLS))
def test_old_names_are_deprecated_aliases(old):
    import pytest_prodreal
    from pytest_prodreal import dependencies

    new = ("acheck_" if old.startswith("async_") else "check_") + old.removeprefix("async_")
    alias = getattr(dependencies, old)
    assert getattr(pytest_prodreal, old) is alias
    assert getattr(pytest_prodreal, new) is getattr(dependencies, new)
    with (
        pytest.warns(DeprecationWarning, match=rf"dependencies\.{old} is deprecated; use {new} "),
        pytest.raises(InvalidArgument, match=rf"^{new}: "),
    ):
        _BAD_CALLS[old](alias)


def test_old_name_still_works_under_chaos(chaos):
    from pytest_prodreal.dependencies import time_budget

    chaos.route("GET", URL, json={"hits": 1}).fail_times(1)
    with collecting_evidence() as sink, pytest.warns(DeprecationWarning, match="check_time_budget"):
        result = time_budget(_retrying_fetch(), budget_s=10)
    assert result.held and sink.items[0].remedy == "time_budget"


def test_a_failing_check_shows_the_users_frame(pytester, xdist_args):
    pytester.makepyfile(
        """
        import httpx
        from pytest_prodreal.dependencies import check_time_budget

        def test_slow(chaos):
            chaos.route("GET", "https://dep.test/", json={}).latency(4).fail_times(1)
            check_time_budget(lambda: httpx.get("https://dep.test/"), budget_s=1)
        """
    )
    result = pytester.runpytest(*xdist_args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*check_time_budget(lambda*", "*time_budget: the call took 4.000 virtual s*Cap retries*"]
    )
    result.stdout.no_fnmatch_line("*_budget.py:*")
    result.stdout.no_fnmatch_line("*def conclude*")
