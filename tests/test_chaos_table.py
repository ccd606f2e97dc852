"""The fault table, bad library arguments (one row per case), duplicates vs retries, and
changing a route's healthy answer mid-test."""

from __future__ import annotations

import contextlib
import re
import threading
from pathlib import Path

import httpx
import pytest

from pytest_prodreal.chaos import FAULT_TABLE, FAULTS, Chaos, Fault
from pytest_prodreal.chaos._faults import Outcome
from pytest_prodreal.errors import InvalidArgument

DOCS = Path(__file__).parent.parent / "docs" / "chaos.md"
URL = "https://api.test/items"


def test_docs_fault_table_matches_the_fault_table():
    text = DOCS.read_text()
    # Every marked table counts (the LLM faults may live in their own section).
    sections = [
        part.split("<!-- /fault-table -->")[0] for part in text.split("<!-- fault-table -->")[1:]
    ]
    assert sections, "docs/chaos.md has no <!-- fault-table --> section"
    rows = {}
    for section in sections:
        rows.update(re.findall(r"^\| `([a-z_0-9]+)` \| (.+?) \|$", section, flags=re.M))
    assert set(rows) == set(FAULTS), "docs/chaos.md's fault table and FAULT_TABLE differ"
    for fault in FAULT_TABLE:
        assert fault.doc in rows[fault.name], fault.name


def test_every_row_is_dispatched_by_both_route_kinds():
    for fault in FAULT_TABLE:
        assert fault.http is not None or fault.call is not None, fault.name
        if fault.call is not None:
            assert fault.raises is not None, f"{fault.name}: a callable fault needs its exception"
            with Chaos() as chaos:
                route = chaos.wrap(lambda: "ok", name=fault.name).fault(fault.name)
                with pytest.raises(BaseException) as info:
                    route()
                assert isinstance(info.value, type(fault.raises("x")))
        if fault.http is not None:
            with Chaos(warn_unexercised=False) as chaos:
                chaos.route("GET", URL, json={"a": 1}, name=fault.name).fault(fault.name)
                with contextlib.suppress(httpx.HTTPError):
                    httpx.get(URL, timeout=1).read()
                assert chaos.routes[fault.name].faults_fired == {fault.name: 1}


def test_a_new_row_is_one_row(monkeypatch):
    """Adding a fault is one row: both dispatchers pick it up, nothing else to edit."""
    import pytest_prodreal.chaos._faults as faults

    def teapot(route, call, request, rule):
        return Outcome(call.latency, response=route._error(418, "teapot", "teapot", request))

    row = Fault("teapot", "test", "418 I'm a teapot", teapot, raises=RuntimeError)
    row = Fault(**{**row.__dict__, "call": faults._raise_call})
    monkeypatch.setitem(faults.FAULTS, "teapot", row)
    with Chaos() as chaos:
        chaos.route("GET", URL).fault("teapot")
        assert httpx.get(URL).status_code == 418
        with pytest.raises(RuntimeError, match="teapot"):
            chaos.wrap(lambda: 1).fault("teapot")()


@pytest.mark.parametrize(
    ("where", "name"), [("http", "read_timout"), ("callable", "connection_rest")]
)
def test_unknown_fault_names_suggest_the_right_one(where, name):
    with Chaos() as chaos:
        route = chaos.route("GET", URL) if where == "http" else chaos.wrap(print)
        with pytest.raises(InvalidArgument, match=r"unknown fault .*Did you mean"):
            route.fault(name)


def test_http_only_fault_on_a_callable_names_the_fix():
    with Chaos() as chaos, pytest.raises(InvalidArgument, match="cannot happen to a wrapped"):
        chaos.wrap(print).fault("truncated_json")


def _f():
    return 1


BAD = [
    # (call, the argument named, a word of the fix)
    (lambda ch: ch.route(5, URL), "method=5", "HTTP method"),
    (lambda ch: ch.route("GET", URL, url__regexx="x"), "url__regexx", "Did you mean"),
    (lambda ch: ch.route("GET", URL).token_expiry(123, ttl=5), "token_url=123", "token endpoint"),
    (lambda ch: ch.route("GET", URL).stream(5), "chunks=5", "list of str"),
    (lambda ch: ch.route("GET", URL).scenario("outage", duration="long"), "duration", ">= 0"),
    (lambda ch: ch.wrap(_f).bad_payload("empty"), "bad_payload()", "HTTP routes"),
    (lambda ch: ch.patch(dict, "get"), "dict", "chaos.wrap"),
    (lambda ch: ch.route(respond=5), "respond=5", "json="),
    (lambda ch: ch.route("GET", URL).latency(float("inf")), "inf", "finite"),
    (lambda ch: ch.route("GET", "not a url"), "url='not a url'", "https://"),
    (lambda ch: [ch.route("GET", URL, name="a"), ch.route("GET", URL, name="a")], "name='a'",
     "own name"),
    (lambda ch: [ch.wrap(_f, name="w"), ch.wrap(_f, name="w")], "name='w'", "own name"),
    (lambda ch: ch.route("GET", URL).healthy(status=5), "status=5", "HTTP status"),
    (lambda ch: ch.route("GET", URL).fault("read_timeout", stall_s=-1), "stall_s", ">= 0"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "named", "fix"), BAD, ids=[b[1] for b in BAD])
def test_bad_library_arguments_are_one_clear_line(call, named, fix):
    ch = Chaos()
    with pytest.raises(InvalidArgument) as info:
        call(ch)
    message = str(info.value)
    assert named in message and fix in message, message
    assert "\n" not in message


def test_concurrent_identical_requests_are_duplicates_not_retries():
    with Chaos() as chaos:
        api = chaos.route("GET", URL, json={"ok": True})
        start = threading.Barrier(4)

        def one():
            start.wait()
            httpx.get(URL)

        threads = [threading.Thread(target=one) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert (api.call_count, api.retries, api.duplicates) == (4, 0, 3)
        assert api.stats()["duplicates"] == 3
        assert sum(e.duplicate for e in chaos.schedule()) == 3
        assert "duplicate" in chaos.format_schedule()


def test_a_repeat_after_a_failure_from_the_same_caller_is_a_retry():
    with Chaos() as chaos:
        api = chaos.route("GET", URL, json={"ok": True}).fail_times(2, 503)
        for _ in range(3):
            httpx.get(URL)
        httpx.get(URL)  # again after a success: a repeat, not a retry
        assert [c.retry for c in api.calls] == [False, True, True, False]
        assert [c.duplicate for c in api.calls] == [False, False, False, True]
        assert sum(e.retry for e in chaos.schedule()) == 2


@pytest.mark.asyncio
async def test_concurrent_tasks_are_duplicates(chaos):
    import asyncio

    api = chaos.route("GET", URL, json={}).latency(1)
    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(client.get(URL) for _ in range(3)))
    assert (api.retries, api.duplicates) == (0, 2)


def test_changing_the_healthy_response_mid_test(chaos):
    api = chaos.route("GET", URL, json={"v": 1}).fault(503, rate=0.0)
    assert httpx.get(URL).json() == {"v": 1}
    api.healthy(json={"v": 2}, headers={"x-model": "new"})
    r = httpx.get(URL)
    assert (r.json(), r.headers["x-model"]) == ({"v": 2}, "new")
    api.healthy(respond=lambda request: httpx.Response(201, text=request.url.path))
    assert (httpx.get(URL).status_code, httpx.get(URL).text) == (201, "/items")
    api.reset_faults()
    assert api.call_count == 4  # one log across the changes


def test_a_new_thread_on_a_reused_ident_is_not_the_old_caller_retrying():
    with Chaos() as chaos:
        api = chaos.route("GET", URL, json={"ok": True}).fail_times(1, 503)
        for _ in range(3):  # one after another: the OS may hand each the same thread ident
            t = threading.Thread(target=lambda: httpx.get(URL))
            t.start()
            t.join()
        assert [c.retry for c in api.calls] == [False, False, False]
        assert [c.duplicate for c in api.calls] == [False, True, True]
