"""The chaos router: interception of httpx and httpx2, faults, timeouts, the log and schedule."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import time

import httpx
import httpx2
import pytest

from pytest_prodreal import InvalidArgument, ProdrealWarning
from pytest_prodreal.chaos import SCENARIOS, Chaos, UnmatchedRequestError, describe_scenario

URL = "https://api.test/v1/items"
# One client per library for the module: building a client (its SSL context) costs ~30 ms.
HX = httpx.Client()
HX2 = httpx2.Client()


def run(coro):  # a fresh virtual-time loop (the clock fixture makes new loops virtual)
    return asyncio.run(coro)


# -- interception -------------------------------------------------------------------------------


def test_httpx_and_httpx2_sync_and_async_all_reach_the_same_route(prodreal_clock):
    with Chaos(seed=1) as chaos:
        route = chaos.route("GET", URL, json={"ok": True})
        assert HX.get(URL).json() == {"ok": True}
        assert HX2.get(URL).json() == {"ok": True}

        async def both():
            async with httpx.AsyncClient() as a, httpx2.AsyncClient() as b:
                return (await a.get(URL)).status_code, (await b.get(URL)).status_code

        assert run(both()) == (200, 200)
    assert route.call_count == 4
    assert [c.request.method for c in route.calls] == ["GET"] * 4
    assert str(chaos.calls[1].request.url) == URL
    assert chaos.calls[0].response.status_code == 200


def test_an_unmatched_request_fails_naming_method_and_url(prodreal_clock):
    chaos = Chaos(seed=1).start()
    chaos.route("GET", URL)
    with pytest.raises(AssertionError, match=r"no route matches POST https://elsewhere.test/x"):
        HX.post("https://elsewhere.test/x")
    # Even when the client swallows the error (anthropic retries it), the chaos still fails.
    with contextlib.suppress(AssertionError):
        HX2.get("https://elsewhere.test/y")
    with pytest.raises(UnmatchedRequestError, match=r"GET https://elsewhere.test/y"):
        chaos.stop()
    assert chaos.unmatched == ["POST https://elsewhere.test/x", "GET https://elsewhere.test/y"]


def test_request_bodies_are_logged_for_other_checks(prodreal_clock):
    with Chaos(seed=1) as chaos:
        llm = chaos.route("POST", URL, json={})
        HX.post(URL, json={"temperature": 0, "seed": 7})
        HX.post(URL, json={"temperature": 0, "seed": 7})
        HX.post(URL, json={"temperature": 1})
    assert json.loads(llm.calls[0].request.content) == {"temperature": 0, "seed": 7}
    # The same request again after a success is a duplicate, not a retry (issue 9).
    assert (llm.call_count, llm.distinct_requests, llm.retries, llm.duplicates) == (3, 2, 0, 1)
    assert llm.stats()["retries"] == 0


def test_decorator_passes_the_chaos_and_stops_after(prodreal_clock):
    made = Chaos(seed=3)

    @made
    def probe(chaos):
        chaos.route("GET", URL, status=204)
        return HX.get(URL).status_code

    assert probe() == 204
    assert not made.running


def test_async_context_manager(prodreal_clock):
    async def main():
        async with Chaos(seed=1) as chaos:
            chaos.route("GET", URL, text="hi")
            async with httpx2.AsyncClient() as c:
                return (await c.get(URL)).text

    assert run(main()) == "hi"


# -- latency and timeouts -----------------------------------------------------------------------


def test_latency_advances_the_virtual_clock_not_the_wall(prodreal_clock):
    wall = time.perf_counter
    with Chaos(seed=1) as chaos:
        chaos.route("GET", URL).latency(120)
        t0 = prodreal_clock.elapsed
        HX.get(URL, timeout=None)
        assert prodreal_clock.elapsed - t0 == pytest.approx(120)
    del wall


@pytest.mark.parametrize(
    ("lib", "exc"),
    [(httpx, httpx.ReadTimeout), (httpx2, httpx2.ReadTimeout)],
    ids=["httpx", "httpx2"],
)
def test_latency_over_the_client_read_timeout_is_its_own_timeout(prodreal_clock, lib, exc):
    client = HX if lib is httpx else HX2
    with Chaos(seed=1) as chaos:
        route = chaos.route("GET", URL).latency(45)
        t0 = prodreal_clock.elapsed
        with pytest.raises(exc):
            client.get(URL, timeout=lib.Timeout(30, connect=2))
        assert prodreal_clock.elapsed - t0 == pytest.approx(30)  # gave up after its timeout
    assert route.faults_fired == {"read_timeout": 1}
    assert "latency 45.000s > read timeout 30s" in chaos.format_schedule()


def test_async_latency_over_timeout_on_the_virtual_loop(prodreal_clock):
    async def main():
        async with httpx2.AsyncClient(timeout=5) as c:
            return await c.get(URL)

    with Chaos(seed=1) as chaos:
        chaos.route("GET", URL).latency(9)
        t0 = prodreal_clock.elapsed
        with pytest.raises(httpx2.ReadTimeout):
            run(main())
        assert prodreal_clock.elapsed - t0 == pytest.approx(5)


def test_connect_timeout_uses_the_connect_timeout(prodreal_clock):
    with Chaos(seed=1) as chaos:
        chaos.route("GET", URL).fault("connect_timeout")
        t0 = prodreal_clock.elapsed
        with pytest.raises(httpx.ConnectTimeout):
            HX.get(URL, timeout=httpx.Timeout(60, connect=2.5))
        assert prodreal_clock.elapsed - t0 == pytest.approx(2.5)


def test_log_normal_latency_has_its_median_and_tail(prodreal_clock):
    with Chaos(seed=5, warn_unexercised=False) as chaos:
        r = chaos.wrap(lambda: None, name="dep").latency(median=0.2, p99=3.0)
        for _ in range(2000):
            r()
    lat = sorted(c.latency for c in r.calls)
    assert lat[1000] == pytest.approx(0.2, rel=0.15)
    assert lat[1980] == pytest.approx(3.0, rel=0.35)


# -- faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "exc"),
    [
        ("connect_refused", httpx2.ConnectError),
        ("connection_reset", httpx2.ReadError),
        ("read_timeout", httpx2.ReadTimeout),
    ],
)
def test_network_faults_raise_the_client_libraries_errors(prodreal_clock, kind, exc):
    with Chaos(seed=1) as chaos:
        chaos.route("GET", URL).fault(kind)
        with pytest.raises(exc):
            HX2.get(URL, timeout=3)


def test_fail_times_then_succeed(prodreal_clock):
    with Chaos(seed=1) as chaos:
        r = chaos.route("GET", URL, json={"v": 1}).fail_times(2, 502)
        codes = [HX.get(URL).status_code for _ in range(4)]
    assert codes == [502, 502, 200, 200]
    assert r.faults_fired == {"http_502": 2}


def test_outage_window_and_flapping_follow_virtual_time(prodreal_clock):
    with Chaos(seed=1) as chaos:
        out = chaos.route("GET", URL).outage(10, 20)
        flap = chaos.route("GET", "https://flap.test/").flap(period=10, down_for=3)
        seen = []
        for _ in range(6):
            seen.append((HX.get(URL).status_code, HX.get("https://flap.test/").status_code))
            prodreal_clock.advance(5)
    assert [a for a, _ in seen] == [200, 200, 503, 503, 200, 200]
    assert [b for _, b in seen] == [503, 200, 503, 200, 503, 200]
    assert out.faults_fired == {"http_503": 2}
    assert flap.call_count == 6


def test_probabilistic_faults_are_seeded_and_reproducible(prodreal_clock):
    def schedule(seed):
        with Chaos(seed=seed, warn_unexercised=False) as chaos:
            chaos.route("GET", URL).fault(503, rate=0.3).fault("connection_reset", rate=0.1)
            for _ in range(300):
                with contextlib.suppress(httpx.ReadError):
                    HX.get(URL)
        return [e.fault for e in chaos.schedule()]

    a, b, c = schedule(11), schedule(11), schedule(12)
    assert a == b
    assert a != c
    assert 60 <= a.count("http_503") <= 120  # ~30% of 300
    assert 10 <= a.count("connection_reset") <= 45


def test_adding_a_route_does_not_shift_another_routes_schedule(prodreal_clock):
    def faults(extra):
        with Chaos(seed=4, warn_unexercised=False) as chaos:
            r = chaos.route("GET", URL).fault(503, rate=0.5)
            if extra:
                chaos.route("GET", "https://other.test/").fault(500, rate=0.5)
            for _ in range(40):
                HX.get(URL)
                if extra:
                    HX.get("https://other.test/")
        return [c.fault for c in r.calls]

    assert faults(False) == faults(True)


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("malformed_json", lambda r: r.status_code == 200 and r.content.startswith(b'{"id"')),
        ("truncated_json", lambda r: r.content == b'{"answe'),
        ("empty", lambda r: r.content == b"" and "json" in r.headers["content-type"]),
        ("html_error", lambda r: r.status_code == 502 and b"<html>" in r.content),
        ("wrong_content_type", lambda r: r.headers["content-type"] == "text/plain"),
        ("wrong_shape", lambda r: r.json() == {"unexpected": True}),
    ],
)
def test_bad_payloads(prodreal_clock, kind, check):
    with Chaos(seed=1) as chaos:
        chaos.route("GET", URL, json={"answer": 42}).bad_payload(kind)
        response = HX.get(URL)
    assert check(response), response.content
    if kind in ("malformed_json", "truncated_json", "empty"):
        with pytest.raises(json.JSONDecodeError):
            response.json()


def test_an_exception_as_fault_is_raised_from_the_transport(prodreal_clock):
    class Boom(Exception):
        pass

    with Chaos(seed=1) as chaos:
        chaos.route("GET", URL).fault(Boom)
        with pytest.raises(Boom):
            HX.get(URL)


# -- 429 and Retry-After -------------------------------------------------------------------------


def test_rate_limit_retry_after_seconds_and_violations(prodreal_clock):
    with Chaos(seed=1) as chaos:
        r = chaos.route("GET", URL).rate_limit(3, times=1)
        first = HX.get(URL)
        assert (first.status_code, first.headers["retry-after"]) == (429, "3")
        assert HX.get(URL).status_code == 429  # came back at once: a violation
        prodreal_clock.advance(3)
        assert HX.get(URL).status_code == 200
    assert r.rate_limit_stats() == {"rate_limited": 2, "violations": 1, "min_wait_s": 0.0}


def test_rate_limit_headers_ms_and_http_date(prodreal_clock):
    with Chaos(seed=1) as chaos:
        chaos.route("GET", URL).rate_limit(1.5, header="ms")
        chaos.route("GET", "https://date.test/").rate_limit(30, header="http-date")
        assert HX.get(URL).headers["retry-after-ms"] == "1500"
        date = HX.get("https://date.test/").headers["retry-after"]
    when = email.utils.parsedate_to_datetime(date).timestamp()
    assert when - prodreal_clock.time() == pytest.approx(30, abs=1)


def test_rate_limit_per_window(prodreal_clock):
    with Chaos(seed=1) as chaos:
        chaos.route("GET", URL).rate_limit(1, limit=2, window=1)
        codes = [HX.get(URL).status_code for _ in range(3)]
        prodreal_clock.advance(1.5)
        codes.append(HX.get(URL).status_code)
    assert codes == [200, 200, 429, 200]


# -- token expiry --------------------------------------------------------------------------------


def _token(client):
    return client.post("https://auth.test/token").json()["access_token"]


def test_token_expires_after_ttl_and_refreshes_are_counted(prodreal_clock):
    with Chaos(seed=1) as chaos:
        api = chaos.route("GET", URL, json={}).token_expiry("https://auth.test/token", ttl=60)
        c = HX
        assert c.get(URL).status_code == 401  # no token yet
        tok = _token(c)
        assert c.get(URL, headers={"Authorization": f"Bearer {tok}"}).status_code == 200
        prodreal_clock.advance(61)
        stale = c.get(URL, headers={"Authorization": f"Bearer {tok}"})
        assert stale.status_code == 401
        assert "expired" in stale.json()["error"]["message"]
        c.get(URL, headers={"Authorization": f"Bearer {tok}"})  # the same stale token again
        tok2 = _token(c)
        assert c.get(URL, headers={"Authorization": f"Bearer {tok2}"}).status_code == 200
    assert api.token_stats() == {"refreshes": 2, "rejected": 3, "stale_retries": 1, "stampedes": 0}
    assert api.faults_fired == {"token_expired": 3}


def test_token_expiry_by_calls_and_stampede(prodreal_clock):
    with Chaos(seed=1) as chaos:
        api = chaos.route("GET", URL).token_expiry("https://auth.test/token", calls=2)
        c = HX
        tok = _token(c)
        auth = {"Authorization": f"Bearer {tok}"}
        assert [c.get(URL, headers=auth).status_code for _ in range(3)] == [200, 200, 401]
        _token(c)
        _token(c)  # a second refresh at the same instant: a stampede
    assert api.token_stats()["stampedes"] == 2  # first refresh too: within 1 s of the first
    assert api.token_route is not None and api.token_route.call_count == 3


# -- streams -------------------------------------------------------------------------------------


def test_sse_stream_healthy_cut_and_stalled(prodreal_clock):
    events = ['{"d": 1}', '{"d": 2}', '{"d": 3}', "[DONE]"]
    with Chaos(seed=1) as chaos:
        chaos.route("GET", URL).stream(events, delay=0.5)
        chaos.route("GET", "https://cut.test/").stream(events).fault("stream_cut")
        chaos.route("GET", "https://stall.test/").stream(events).fault("stream_stall", stall_s=90)
        with HX.stream("GET", URL) as r:
            body = b"".join(r.iter_bytes())
        assert body.count(b"data: ") == 4
        assert r.headers["content-type"] == "text/event-stream"
        with pytest.raises(httpx.RemoteProtocolError), HX.stream("GET", "https://cut.test/") as r:
            r.read()
        t0 = prodreal_clock.elapsed
        with (
            pytest.raises(httpx.ReadTimeout),
            HX.stream("GET", "https://stall.test/", timeout=20) as r,
        ):
            r.read()
        assert prodreal_clock.elapsed - t0 == pytest.approx(20)


def test_async_stream_cut_on_httpx2(prodreal_clock):
    async def main():
        async with httpx2.AsyncClient() as c, c.stream("GET", URL) as r:
            got = []
            async for chunk in r.aiter_bytes():
                got.append(chunk)
            return got

    with Chaos(seed=1) as chaos:
        chaos.route("GET", URL).stream(["a", "b", "c", "d"]).fault("stream_cut")
        with pytest.raises(httpx2.RemoteProtocolError):
            run(main())


# -- scenarios -----------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_applies_and_fires_faults(prodreal_clock, scenario):
    with Chaos(seed=2) as chaos:
        chaos.route("GET", URL, json={"a": 1}).scenario(scenario)
        for _ in range(60):
            with contextlib.suppress(httpx.HTTPError):
                HX.get(URL, timeout=10)
            prodreal_clock.advance(1)
    assert chaos.faults_fired > 0, chaos.format_schedule()
    assert describe_scenario(scenario)


def test_scenario_on_the_chaos_applies_to_every_route_and_wrapped_callable(prodreal_clock):
    with Chaos(seed=1, warn_unexercised=False) as chaos:
        a = chaos.route("GET", URL)
        b = chaos.wrap(lambda: 1, name="db")
        chaos.scenario("outage", duration=30)
        assert HX.get(URL).status_code == 503
        with pytest.raises(ConnectionRefusedError):
            b()
        prodreal_clock.advance(31)
        assert HX.get(URL).status_code == 200
        assert b() == 1
    assert a.faults_fired and b.faults_fired


# -- callables -----------------------------------------------------------------------------------


def test_wrap_a_callable_with_latency_timeout_and_faults(prodreal_clock):
    with Chaos(seed=1) as chaos:
        search = chaos.wrap(lambda q: [q], name="vector_search", timeout=2).latency(0.5)
        assert search("x") == ["x"]
        assert prodreal_clock.elapsed == pytest.approx(0.5)
        search.latency(5)
        with pytest.raises(TimeoutError):
            search("y")
        assert prodreal_clock.elapsed == pytest.approx(2.5)
        search.reset_faults()
        search.fail_times(1, "connection_reset")
        with pytest.raises(ConnectionResetError):
            search("z")
        assert search("z") == ["z"]
    assert search.call_count == 4
    assert search.retries == 1
    assert search.calls[0].request.args == ("x",)


def test_patch_a_method_then_restore_it(prodreal_clock):
    class Store:
        def get(self, key):
            return f"value:{key}"

        async def aget(self, key):
            return f"avalue:{key}"

    original = Store.get
    with Chaos(seed=1) as chaos:
        r = chaos.patch(Store, "get").fail_times(1, KeyError)
        ra = chaos.patch(Store, "aget").latency(3)
        with pytest.raises(KeyError):
            Store().get("a")
        assert Store().get("a") == "value:a"
        assert run(Store().aget("b")) == "avalue:b"
    assert Store.get is original
    assert r.call_count == 2 and ra.log.virtual_latency == 3


def test_patch_one_object_or_a_module_function(prodreal_clock):
    import os.path

    class Client:
        def fetch(self, key):
            return key * 2

    one, other = Client(), Client()
    with Chaos(seed=1) as chaos:
        r = chaos.patch(one, "fetch").fail_times(1, "connect_refused")
        m = chaos.patch(os.path, "basename").latency(2)
        with pytest.raises(ConnectionRefusedError):
            one.fetch(1)
        assert (one.fetch(2), other.fetch(3)) == (4, 6)  # only that object is under chaos
        assert os.path.basename("/a/b") == "b"
    assert "fetch" not in vars(one) and one.fetch(5) == 10  # the method is bound again
    assert os.path.basename.__name__ == "basename"
    assert r.call_count == 2 and m.call_count == 1


# -- the schedule and unexercised faults ---------------------------------------------------------


def test_schedule_names_the_seed_and_each_call(prodreal_clock):
    with Chaos(seed=77) as chaos:
        chaos.route("GET", URL, name="items").latency(1).fail_times(1)
        HX.get(URL)
        HX.get(URL)
    text = chaos.format_schedule()
    assert "seed=77" in text
    assert "items[0]" in text and "-> http_503" in text
    assert "items[1] retry" in text and "-> ok" in text
    assert [(e.index, e.fault) for e in chaos.schedule()] == [(0, "http_503"), (1, None)]


def test_a_fault_on_a_route_never_called_warns(prodreal_clock):
    chaos = Chaos(seed=1).start()
    chaos.route("GET", URL, name="search").fault(503, rate=0.5)
    with pytest.warns(ProdrealWarning, match=r"'search' was never called.*503 rate=0.5"):
        chaos.stop()


def test_faults_that_never_fired_warn(prodreal_clock):
    chaos = Chaos(seed=1).start()
    chaos.route("GET", URL, name="search").fault(503, rate=0.0)
    HX.get(URL)
    with pytest.warns(ProdrealWarning, match=r"'search' was called 1 time\(s\) but none"):
        chaos.stop()
    assert not chaos.exercised


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("configure", "message"),
    [
        (lambda r: r.fault(503, rate=1.5), r"rate=1.5 is not a probability"),
        (lambda r: r.fault(503, rate=-0.1), r"rate=-0.1 is not a probability"),
        (lambda r: r.latency(-1), r"latency seconds=-1 is not a duration"),
        (lambda r: r.latency(median=1, p99=0.5), r"p99=0.5 is below median"),
        (lambda r: r.latency(1, median=2), r"exactly one of"),
        (lambda r: r.scenario("brownut"), r"unknown chaos scenario 'brownut'.*'brownout'"),
        (lambda r: r.fault("explode"), r"unknown fault 'explode' for an HTTP route"),
        (lambda r: r.fault(200), r"not an error status"),
        (lambda r: r.outage(5, 2), r"end=2 must be after start=5"),
        (lambda r: r.flap(2, 3), r"down_for=3 must be > 0 and shorter"),
        (lambda r: r.rate_limit(-1), r"retry_after=-1 is not a duration"),
        (lambda r: r.rate_limit(1, times=1, rate=0.5), r"only one of"),
        (lambda r: r.rate_limit(1, header="date"), r"header='date' is unknown"),
        (lambda r: r.token_expiry("https://a.test/t"), r"pass ttl="),
        (lambda r: r.bad_payload("junk"), r"bad_payload kind='junk'"),
        (lambda r: r.fail_times(0), r"fail_times n=0"),
        (lambda r: r.scenario("outage", length=3), r"takes no option\(s\) length"),
    ],
)
def test_bad_arguments_are_clear_errors(configure, message):
    chaos = Chaos(seed=1)
    route = chaos.route("GET", URL)
    with pytest.raises(InvalidArgument, match=message):
        configure(route)


def test_bad_arguments_of_chaos_and_wrap():
    with pytest.raises(InvalidArgument, match=r"seed"):
        Chaos(seed="x")  # type: ignore[arg-type]
    chaos = Chaos(seed=1)
    with pytest.raises(InvalidArgument, match=r"must be callable"):
        chaos.wrap(3)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"for a wrapped callable"):
        chaos.wrap(print).fault(503)
    with pytest.raises(InvalidArgument, match=r"needs an HTTP route"):
        chaos.wrap(print).scenario("rate_limited")
    with pytest.raises(InvalidArgument, match=r"add routes first"):
        Chaos(seed=1).scenario("brownout")
    with pytest.raises(InvalidArgument, match=r"has no attribute 'nope'"):
        chaos.patch(object(), "nope")


def test_works_beside_a_users_own_respx_mock_in_either_order(prodreal_clock):
    import respx

    with respx.mock(assert_all_called=False) as mock, Chaos(seed=1) as chaos:
        mock.get("https://respx.test/").respond(201)
        chaos.route("GET", URL, status=202)
        assert HX.get("https://respx.test/").status_code == 201
        assert HX.get(URL).status_code == 202
    chaos = Chaos(seed=1).start()
    chaos.route("GET", URL, status=202)
    with respx.mock(assert_all_called=False) as mock:
        mock.get("https://respx.test/").respond(201)
        assert HX2.get(URL).status_code == 202  # respx patches httpcore only; chaos both
        assert HX.get("https://respx.test/").status_code == 201
    chaos.stop()
    # Everything is unpatched: the pools' methods are the originals again.
    import httpcore
    import httpcore2

    assert "mock" not in httpcore.ConnectionPool.handle_request.__name__
    assert "mock" not in httpcore2.ConnectionPool.handle_request.__name__


@pytest.mark.asyncio
async def test_concurrent_async_latency_overlaps_and_app_timeouts_fire(prodreal_clock):
    async with Chaos(seed=1) as chaos, httpx2.AsyncClient(timeout=60) as client:
        chaos.route("GET", URL).latency(5)
        t0 = prodreal_clock.elapsed
        await asyncio.gather(*(client.get(URL) for _ in range(3)))
        assert prodreal_clock.elapsed - t0 == pytest.approx(5)  # overlapped, as in production
        t1 = prodreal_clock.elapsed
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.get(URL), 2)  # the app's own deadline cuts in at 2 s
        assert prodreal_clock.elapsed - t1 == pytest.approx(2)
    assert "CancelledError (cancelled by the client while waiting)" in chaos.format_schedule()


@pytest.mark.asyncio
async def test_concurrent_token_refresh_is_detected_as_a_stampede(prodreal_clock):
    async with Chaos(seed=1) as chaos, httpx.AsyncClient() as c:
        api = chaos.route("GET", URL).token_expiry("https://auth.test/token", ttl=30)

        async def caller():  # a naive client: every caller refreshes on its own 401
            r = await c.get(URL)
            if r.status_code == 401:
                tok = (await c.post("https://auth.test/token")).json()["access_token"]
                r = await c.get(URL, headers={"Authorization": f"Bearer {tok}"})
            return r.status_code

        assert await asyncio.gather(*(caller() for _ in range(5))) == [200] * 5
    assert api.token_stats() == {"refreshes": 5, "rejected": 5, "stale_retries": 0, "stampedes": 4}
    assert api.stats()["amplification"] == 10.0  # 10 calls of one request (headers aside)


def test_respx_patterns_and_a_dynamic_respond(prodreal_clock):
    with Chaos(seed=1) as chaos:
        item = chaos.route(
            "GET",
            url__regex=r"https://api\.test/v1/items/(?P<id>\d+)",
            respond=lambda request: httpx.Response(200, json={"path": request.url.path}),
        )
        host = chaos.get(host="other.test", status=418)
        assert HX.get("https://api.test/v1/items/7").json() == {"path": "/v1/items/7"}
        assert HX2.get("https://other.test/anything").status_code == 418
    assert item.call_count == 1 and host.call_count == 1
    assert item.name.startswith("GET") and "url__regex" in item.name
