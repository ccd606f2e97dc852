"""The fast path: httpx and httpx2 requests served at the client's default transport."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import httpx2
import pytest
from respx.patterns import M

from pytest_prodreal.chaos import Chaos
from pytest_prodreal.chaos._transport import _compile, _fast_match

URL = "https://api.test/v1/items"
HX2 = httpx2.Client()

PATTERNS = [
    {"method": "GET", "url": URL},
    {"method": "POST", "url": URL},
    {"url": "https://api.test"},
    {"url": "https://api.test:8443/v1/items"},
    {"url": "http://api.test/v1/items"},
    {"method": "GET", "url": "https://api.test/v1/a b"},
    {"host": "api.test"},
    {"path": "/v1/items"},
]
REQUESTS = [
    ("GET", URL),
    ("POST", URL),
    ("GET", URL + "?page=2"),
    ("GET", "https://api.test:8443/v1/items"),
    ("GET", "https://api.test:443/v1/items"),
    ("GET", "http://api.test/v1/items"),
    ("GET", "https://api.test/v1/a%20b"),
    ("GET", "https://other.test/v1/items"),
    ("DELETE", "https://api.test/"),
]


@pytest.mark.parametrize("mod", [httpx, httpx2])
def test_precompiled_matching_gives_respxs_answer(mod):
    compiled = 0
    for patterns, (method, url) in itertools.product(PATTERNS, REQUESTS):
        pattern = M(**patterns)
        fast = _compile(pattern)
        if fast is None:
            continue
        compiled += 1
        request = mod.Request(method, url)
        assert _fast_match(fast, request) == bool(pattern.match(request)), (patterns, url)
    assert compiled == len(PATTERNS) * len(REQUESTS)  # every pattern above is a plain one


def test_patterns_beyond_plain_fields_stay_with_respx():
    for patterns in (
        {"url__regex": r"https://api\.test/.*"},
        {"url": URL + "?page=2"},
        {"method__in": ["GET", "POST"]},
        {"url": "https://*.api.test/"},
        {"headers": {"x-a": "1"}},
    ):
        assert _compile(M(**patterns)) is None, patterns


def test_httpx2_requests_are_served_from_the_clients_own_objects(prodreal_clock):
    pool_calls = []
    original = httpx2.HTTPTransport.handle_request
    with Chaos(seed=1) as chaos:
        route = chaos.route("GET", URL, json={"ok": True})
        pool = HX2._transport._pool
        real = type(pool).handle_request
        type(pool).handle_request = lambda self, r: pool_calls.append(r) or real(self, r)
        try:
            response = HX2.get(URL)
        finally:
            type(pool).handle_request = real
        assert httpx2.HTTPTransport.handle_request is not original
    assert httpx2.HTTPTransport.handle_request is original  # unpatched at stop
    assert response.json() == {"ok": True}
    assert isinstance(response, httpx2.Response)
    assert isinstance(route.calls[0].request, httpx2.Request)
    assert pool_calls == []  # the pool (and respx's conversions) never saw it


@pytest.mark.parametrize(
    ("kind", "exc"),
    [
        ("connect_refused", httpx2.ConnectError),
        ("connect_timeout", httpx2.ConnectTimeout),
        ("connection_reset", httpx2.ReadError),
        ("read_timeout", httpx2.ReadTimeout),
        ("stream_cut", httpx2.RemoteProtocolError),
    ],
)
def test_faults_at_the_transport_are_httpx2s_own_exceptions(prodreal_clock, kind, exc):
    with Chaos(seed=1, warn_unexercised=False) as chaos:
        chaos.route("GET", URL, json={"text": "x" * 40}).fault(kind)
        with pytest.raises(exc) as caught:
            HX2.get(URL, timeout=3)
    assert caught.value.request.url == URL  # it carries the request, as a real one does


def test_async_httpx2_faults_and_streams_at_the_transport(prodreal_clock):
    async def go():
        async with Chaos(seed=1) as chaos, httpx2.AsyncClient(timeout=3) as client:
            route = chaos.route("GET", URL).stream(["a", "b", "c", "d"])
            route.fault("stream_cut", rate=1.0)
            with pytest.raises(httpx2.RemoteProtocolError):
                await client.get(URL)
            route.reset_faults()
            ok = await client.get(URL)
            return ok.text

    assert asyncio.run(go()) == "data: a\n\ndata: b\n\ndata: c\n\ndata: d\n\n"


def test_a_respond_callable_may_answer_with_either_librarys_response(prodreal_clock):
    with Chaos(seed=1) as chaos:
        chaos.route("GET", URL, respond=lambda r: httpx.Response(201, json={"v": 1}))
        chaos.route("GET", URL + "/2", respond=lambda r: httpx2.Response(202, json={"v": 2}))
        one, two = HX2.get(URL), HX2.get(URL + "/2")
    assert (one.status_code, one.json()) == (201, {"v": 1})
    assert (two.status_code, two.json()) == (202, {"v": 2})


def test_an_unmatched_request_still_goes_to_the_pool_and_fails(prodreal_clock):
    chaos = Chaos(seed=1).start()
    chaos.route("GET", URL)
    with pytest.raises(AssertionError, match=r"no route matches GET https://nowhere\.test/"):
        HX2.get("https://nowhere.test/")
    chaos.stop(check=False)
    assert chaos.unmatched == ["GET https://nowhere.test/"]


# A streamed request body (a generator, a multipart upload) is not read when the transport sees
# it: chaos used to touch ``request.content`` and crash with ``httpx.RequestNotRead``.
@pytest.mark.parametrize("mod", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_a_streamed_request_body_is_served_and_logged(prodreal_clock, mod):
    def body():
        yield b"chunk-1;"
        yield b"chunk-2"

    with Chaos(seed=1) as chaos:
        route = chaos.post("https://upload.test/put", json={"ok": True}, name="up")
        with mod.Client() as client:
            assert client.post("https://upload.test/put", content=body()).json() == {"ok": True}
            files = {"file": ("notes.txt", b"hello upload", "text/plain")}
            assert client.post("https://upload.test/put", files=files).status_code == 200
    first, second = route.calls
    assert first.request.content == b"chunk-1;chunk-2"
    assert b"hello upload" in second.request.content


def test_an_async_streamed_request_body_is_served(prodreal_clock):
    async def body():
        yield b"async-"
        yield b"chunk"

    async def main() -> bytes:
        async with httpx.AsyncClient() as client:
            response = await client.post("https://upload.test/put", content=body())
            assert response.status_code == 200
        return route.calls[0].request.content

    with Chaos(seed=1) as chaos:
        route = chaos.post("https://upload.test/put", json={}, name="up")
        assert asyncio.run(main()) == b"async-chunk"


def test_an_openai_file_upload_goes_through_chaos(prodreal_clock):
    import io

    import openai

    with Chaos(seed=1) as chaos:
        route = chaos.post(
            "https://api.openai.com/v1/files",
            json={
                "id": "file-1",
                "object": "file",
                "bytes": 5,
                "created_at": 0,
                "filename": "kb.jsonl",
                "purpose": "assistants",
                "status": "processed",
            },
        ).fail_times(1, 503)
        client = openai.OpenAI(api_key="sk-test", max_retries=2)
        made = client.files.create(file=("kb.jsonl", io.BytesIO(b"{}\n")), purpose="assistants")
    assert made.id == "file-1"
    assert len(route.calls) == 2  # the SDK retried the 503 with the same multipart body
    assert all(b"kb.jsonl" in call.request.content for call in route.calls)
