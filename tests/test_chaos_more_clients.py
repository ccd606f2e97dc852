"""One route table for requests, urllib3, botocore/boto3 and aiohttp: real clients, real retries,
each fault in the client's own exception, in virtual time."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import boto3
import botocore.config
import botocore.exceptions
import pytest
import requests
import urllib3
from requests.adapters import HTTPAdapter

URL = "https://api.test/items"


def _session(total=3, **kw):
    s = requests.Session()
    retry = urllib3.Retry(total=total, status_forcelist=[429, 500, 503], backoff_factor=0.5, **kw)
    s.mount("https://", HTTPAdapter(max_retries=retry))
    return s


def test_requests_with_urllib3_retry_honours_retry_after(chaos, prodreal_clock):
    api = chaos.route("GET", URL, json={"items": [1]}).rate_limit(3, times=2)
    r = _session().get(URL, timeout=5)
    assert r.json() == {"items": [1]}
    assert (api.call_count, api.retries) == (3, 2)  # urllib3's own Retry retried twice
    assert api.rate_limit_stats() == {"rate_limited": 2, "violations": 0, "min_wait_s": 3.0}
    assert prodreal_clock.elapsed == pytest.approx(6.0)  # each Retry-After, virtual


def test_requests_retry_gives_up_on_503_with_its_own_error(chaos, prodreal_clock):
    api = chaos.route("GET", URL, json={}).fault(503)
    with pytest.raises(requests.exceptions.RetryError):
        _session(total=2).get(URL, timeout=5)
    assert api.call_count == 3
    assert prodreal_clock.elapsed > 0  # urllib3's back-off slept on the virtual clock


@pytest.mark.parametrize(
    ("fault", "raised"),
    [
        ("read_timeout", requests.exceptions.ReadTimeout),
        ("connect_timeout", requests.exceptions.ConnectTimeout),
        ("connect_refused", requests.exceptions.ConnectionError),
        ("connection_reset", requests.exceptions.ConnectionError),
        ("stream_cut", requests.exceptions.ChunkedEncodingError),
    ],
)
def test_requests_faults_are_requests_exceptions(chaos, prodreal_clock, fault, raised):
    chaos.route("GET", URL, json={"a": "b" * 64}).fault(fault)
    with pytest.raises(raised):
        requests.get(URL, timeout=(1.5, 4))
    waited = {"read_timeout": 4.0, "connect_timeout": 1.5}.get(fault, 0.0)
    assert prodreal_clock.elapsed == pytest.approx(waited)  # the client's own timeouts


def test_requests_latency_over_its_timeout_is_its_read_timeout(chaos, prodreal_clock):
    chaos.route("GET", URL, json={}).latency(10)
    with pytest.raises(requests.exceptions.ReadTimeout, match="Read timed out"):
        requests.get(URL, timeout=2)
    assert prodreal_clock.elapsed == pytest.approx(2.0)


def test_urllib3_directly_sees_read_timeout_error(chaos):
    chaos.route("GET", URL, json={}).fault("read_timeout")
    pool = urllib3.PoolManager(retries=False)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        pool.request("GET", URL, timeout=urllib3.Timeout(connect=1, read=3))


def test_urllib3_retry_counts_calls_and_body(chaos):
    api = chaos.route("POST", URL, json={"ok": True}).fail_times(2, 500)
    pool = urllib3.PoolManager(
        retries=urllib3.Retry(total=3, status_forcelist=[500], allowed_methods=None)
    )
    r = pool.request("POST", URL, body=json.dumps({"q": 1}), headers={"x-k": "v"})
    assert r.json() == {"ok": True}
    assert api.call_count == 3
    assert json.loads(api.calls[0].request.content) == {"q": 1}
    assert api.calls[0].request.headers["x-k"] == "v"  # what trust scans can read


def _s3(retries=3):
    return boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
        config=botocore.config.Config(
            retries={"total_max_attempts": retries, "mode": "standard"}, read_timeout=5
        ),
    )


def test_boto3_s3_retry_handler_retries_503_then_succeeds(chaos, prodreal_clock):
    s3 = chaos.route(
        "GET", url__regex=r"https://(bucket\.)?s3\.amazonaws\.com/.*key\.txt", content=b"hello"
    ).fail_times(2, 503)
    body = _s3().get_object(Bucket="bucket", Key="key.txt")["Body"].read()
    assert body == b"hello"
    assert s3.call_count == 3  # botocore's retry handler, through urllib3
    assert s3.calls[0].request.headers["authorization"].startswith("AWS4-HMAC-SHA256")
    assert prodreal_clock.elapsed > 0  # its back-off was virtual


def test_boto3_read_timeout_is_botocore_read_timeout_error(chaos, prodreal_clock):
    s3 = chaos.route("GET", url__regex=r"https://.*amazonaws\.com/.*", content=b"x")
    s3.fault("read_timeout")
    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        _s3(retries=2).get_object(Bucket="bucket", Key="key.txt")
    assert s3.call_count == 2
    assert prodreal_clock.elapsed >= 10  # two 5 s read timeouts, virtual


def test_boto3_refused_is_endpoint_connection_error(chaos):
    chaos.route(url__regex=r"https://.*amazonaws\.com/.*").fault("connect_refused")
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        _s3(retries=1).get_object(Bucket="bucket", Key="key.txt")


async def _fetch_with_retries(session, url, attempts=4):
    for attempt in range(attempts):
        try:
            async with session.get(url) as resp:
                if resp.status in (429, 503):
                    await asyncio.sleep(float(resp.headers.get("retry-after", 1)))
                    continue
                return await resp.json()
        except (aiohttp.ClientConnectionError, TimeoutError):
            await asyncio.sleep(2**attempt)
    raise RuntimeError("gave up")


@pytest.mark.asyncio
async def test_aiohttp_retry_loop_under_rate_limit_and_resets(chaos, prodreal_clock):
    api = chaos.route("GET", URL, json={"items": []}).rate_limit(2, times=1)
    api.fail_times(1, "connection_reset")
    async with aiohttp.ClientSession() as session:
        assert await _fetch_with_retries(session, URL) == {"items": []}
    assert api.call_count == 3
    assert api.rate_limit_stats()["violations"] == 0
    assert prodreal_clock.elapsed >= 2  # the Retry-After and the back-off, virtual


@pytest.mark.parametrize(
    ("fault", "timeout", "raised", "waited"),
    [
        ("read_timeout", aiohttp.ClientTimeout(sock_read=3), aiohttp.SocketTimeoutError, 3.0),
        ("read_timeout", aiohttp.ClientTimeout(total=7), TimeoutError, 7.0),
        ("connect_timeout", aiohttp.ClientTimeout(connect=2), aiohttp.ConnectionTimeoutError, 2),
        ("connect_refused", None, aiohttp.ClientConnectorError, 0.0),
        ("connection_reset", None, aiohttp.ClientOSError, 0.0),
    ],
)
@pytest.mark.asyncio
async def test_aiohttp_faults_are_aiohttp_exceptions(
    chaos, prodreal_clock, fault, timeout, raised, waited
):
    chaos.route("GET", URL, json={}).fault(fault)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        with pytest.raises(raised):
            async with session.get(URL) as resp:
                await resp.read()
    assert prodreal_clock.elapsed == pytest.approx(waited)


@pytest.mark.asyncio
async def test_aiohttp_read_timeout_is_a_server_timeout_error(chaos):
    chaos.route("GET", URL, json={}).latency(30)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=5)) as session:
        with pytest.raises(aiohttp.ServerTimeoutError):
            await session.get(URL)


@pytest.mark.asyncio
async def test_aiohttp_stream_cut_and_raise_for_status(chaos):
    chaos.route("GET", URL).stream(["a", "b", "c", "d"]).fault("stream_cut")
    chaos.route("GET", "https://api.test/down", json={}).fault(503)
    async with aiohttp.ClientSession() as session:
        resp = await session.get(URL)
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()
        with pytest.raises(aiohttp.ClientResponseError) as info:
            await session.get("https://api.test/down", raise_for_status=True)
        assert info.value.status == 503


def test_unmatched_requests_request_fails_at_once_and_at_teardown(pytester):
    pytester.makepyfile(
        """
        import requests

        def test_swallowed(chaos):
            try:
                requests.get("https://elsewhere.test/x", timeout=1)
            except BaseException as exc:
                assert "elsewhere.test" in str(exc)
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*matched no route*GET https://elsewhere.test/x*"])


def test_a_chaos_imports_no_client_that_was_not_imported():
    import subprocess
    import sys

    code = (
        "import sys; from pytest_prodreal.chaos import Chaos; Chaos().start().stop(); "
        "print(sorted(m for m in ('aiohttp', 'requests', 'botocore') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# Streamed aiohttp bodies (a multipart form with a file, an async generator, a file object) were
# logged as their repr: a route, the call log and the canary check saw "<FormData ...>". They
# are built with aiohttp's own payloads now, and still reach an allowed host whole.
def _forms():
    import io

    form = aiohttp.FormData()
    form.add_field("file", io.BytesIO(b"file-bytes"), filename="kb.txt")
    form.add_field("email", "bob@example.com")

    async def chunks():
        yield b"part-1;"
        yield b"part-2"

    return [form, chunks(), io.BytesIO(b"a file object")]


def test_aiohttp_streamed_bodies_are_seen_by_the_route(prodreal_clock):
    from pytest_prodreal import Chaos

    async def main():
        async with aiohttp.ClientSession() as session:
            for data in _forms():
                async with session.post("https://upload.test/put", data=data) as response:
                    assert response.status == 200

    with Chaos(seed=1) as chaos:
        route = chaos.post("https://upload.test/put", json={})
        asyncio.run(main())
    form, chunks, fileobj = (call.request for call in route.calls)
    assert form.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b"file-bytes" in form.content and b"bob@example.com" in form.content
    assert chunks.content == b"part-1;part-2"
    assert fileobj.content == b"a file object"


def test_aiohttp_streamed_bodies_reach_an_allowed_host_whole():
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from pytest_prodreal import Chaos

    got: list[bytes] = []

    class Echo(BaseHTTPRequestHandler):
        def do_POST(self):
            if self.headers.get("Transfer-Encoding") == "chunked":
                body = b""
                while size := int(self.rfile.readline().strip(), 16):
                    body += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
            else:
                body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append(body)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=lambda: [server.handle_request() for _ in range(3)])
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/up"

    async def main():
        async with aiohttp.ClientSession() as session:
            for data in _forms():
                async with session.post(url, data=data) as response:
                    assert response.status == 204

    with Chaos(allow_loopback=True) as chaos:
        chaos.post("https://elsewhere.test/up", json={})
        asyncio.run(main())
    thread.join(10)
    server.server_close()
    assert b"file-bytes" in got[0] and b"bob@example.com" in got[0]
    assert got[1:] == [b"part-1;part-2", b"a file object"]


# The requests fast path (issue 13, chaos_requests_vs_responses_ratio): with requests' default
# adapter (Retry(0), no redirects in urllib3) a route's response is built at HTTPAdapter.send,
# taking no pool connection; a network fault still runs urllib3's and requests' own code.
def _mixed_run(session, monkeypatch):
    from urllib3.connectionpool import HTTPConnectionPool

    from pytest_prodreal import Chaos
    from pytest_prodreal.clock import VirtualClock

    taken = []
    original = HTTPConnectionPool._get_conn
    monkeypatch.setattr(
        HTTPConnectionPool,
        "_get_conn",
        lambda self, timeout=None: taken.append(1) or original(self, timeout),
    )
    outcomes = []
    with VirtualClock() as clock, Chaos(seed=7) as chaos:
        route = chaos.route("GET", URL, json={"ok": True}).latency(median=0.05, p99=0.5)
        route.fault(503, rate=0.15).fault(429, rate=0.1).fault("read_timeout", rate=0.05)
        route.fault("connection_reset", rate=0.05)
        for _ in range(80):
            try:
                outcomes.append(session.get(URL, timeout=(1, 2)).status_code)
            except requests.RequestException as exc:
                outcomes.append(type(exc).__name__)
        elapsed = clock.elapsed
    monkeypatch.undo()
    return outcomes, elapsed, len(taken)


def test_the_requests_fast_path_answers_as_urllib3_would(monkeypatch):
    fast = requests.Session()  # the default adapter: the fast path
    slow = requests.Session()  # a forcelist that never matches sends it all through urllib3
    slow.mount(
        "https://", HTTPAdapter(max_retries=urllib3.Retry(0, read=False, status_forcelist=[599]))
    )
    fast_outcomes, fast_elapsed, fast_taken = _mixed_run(fast, monkeypatch)
    slow_outcomes, slow_elapsed, slow_taken = _mixed_run(slow, monkeypatch)
    assert fast_outcomes == slow_outcomes
    assert fast_elapsed == pytest.approx(slow_elapsed)
    assert {"ReadTimeout", "ConnectionError", 503, 429, 200} <= set(fast_outcomes)
    errors = sum(isinstance(o, str) for o in fast_outcomes)
    assert fast_taken == errors  # only a network fault goes through the pool
    assert slow_taken == len(slow_outcomes)


def test_the_requests_adapter_is_patched_only_while_chaos_runs():
    from pytest_prodreal import Chaos

    before = HTTPAdapter.send
    with Chaos(seed=1) as chaos:
        assert HTTPAdapter.send.__module__ == "pytest_prodreal.chaos._clients_requests"
        route = chaos.post(URL, json={"ok": True})
        assert requests.post(URL, data=iter([b"a=", b"1"]), timeout=2).json() == {"ok": True}
        assert route.calls[0].request.content == b"a=1"  # a generator body, read for the route
    assert HTTPAdapter.send is before


def test_aiohttp_form_pairs_are_sent_as_aiohttp_sends_them(prodreal_clock):
    from pytest_prodreal import Chaos

    async def main():
        async with aiohttp.ClientSession() as session:
            pairs = [("email", "bob@example.com"), ("plan", "pro")]
            async with session.post("https://upload.test/form", data=pairs) as response:
                assert response.status == 200

    with Chaos(seed=1) as chaos:
        route = chaos.post("https://upload.test/form", json={})
        asyncio.run(main())
    (call,) = route.calls
    assert call.request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert call.request.content == b"email=bob%40example.com&plan=pro"
