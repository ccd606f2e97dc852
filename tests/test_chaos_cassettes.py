"""Recorded responses as the healthy response (chaos/cassettes.py): VCR.py cassettes and JSONL."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
import respx
import vcr

from pytest_prodreal import InvalidArgument, ProdrealWarning
from pytest_prodreal.chaos import Chaos, UnmatchedRequestError
from pytest_prodreal.chaos.cassettes import Cassette
from pytest_prodreal.chaos.llm import chat_completion

OAI = "https://api.openai.com/v1/chat/completions"
SEARCH = "https://search.test/v1/search"
RECORDED = chat_completion("Paris, as recorded in production.", model="gpt-4o-2024-08-06")


@pytest.fixture(scope="module")
def cassette(tmp_path_factory):
    """A cassette recorded by vcrpy itself (its own format), from a respx-mocked 'production'."""
    path = tmp_path_factory.mktemp("cassettes") / "answer.yaml"
    with respx.mock:
        respx.post(OAI).respond(json=RECORDED)
        respx.get(f"{SEARCH}?q=paris").respond(json={"hits": ["Paris"]})
        respx.get(f"{SEARCH}?q=lyon").respond(json={"hits": ["Lyon"]})
        with vcr.use_cassette(str(path), record_mode="all"):
            httpx.post(OAI, json={"model": "gpt-4o", "messages": []})
            httpx.get(f"{SEARCH}?q=paris")
            httpx.get(f"{SEARCH}?q=lyon")
    assert "interactions:" in path.read_text()
    return path


def test_the_openai_sdk_gets_the_recorded_answer_with_faults_on_top(chaos, cassette):
    llm = chaos.route("POST", OAI).respond_with(cassette).fail_times(2, "overloaded_error")
    search = chaos.route("GET", url__startswith=SEARCH).respond_with(cassette)
    client = openai.OpenAI(api_key="sk-test")
    reply = client.chat.completions.create(model="gpt-4o", messages=[])
    assert reply.choices[0].message.content == "Paris, as recorded in production."
    assert (reply.model, reply.usage.completion_tokens) == ("gpt-4o-2024-08-06", 8)
    assert llm.call_count == 3 and llm.faults_fired == {"overloaded_error": 2}
    assert httpx.get(f"{SEARCH}?q=paris").json() == {"hits": ["Paris"]}
    assert httpx.get(f"{SEARCH}?q=lyon").json() == {"hits": ["Lyon"]}
    assert search.call_count == 2


def test_an_entry_no_request_used_is_reported(cassette):
    chaos = Chaos(seed=1).start()
    chaos.route("GET", url__startswith=SEARCH).respond_with(cassette)
    chaos.route("POST", OAI).respond_with(cassette)  # the same file: one shared cassette
    httpx.get(f"{SEARCH}?q=paris")
    httpx.post(OAI, json={})
    unused = r"1 of 3 recorded entries were never requested \(entry 2 \(GET .*q=lyon\)"
    with pytest.warns(ProdrealWarning, match=unused):
        chaos.stop()


def test_a_request_no_entry_matches_fails_at_teardown(cassette):
    chaos = Chaos(seed=1).start()
    chaos.route("GET", url__startswith=SEARCH).respond_with(cassette)
    with pytest.raises(httpx.ConnectError, match=r"no recorded response for GET .*q=nice"):
        httpx.get(f"{SEARCH}?q=nice")  # the client may swallow this: teardown still fails
    with pytest.raises(UnmatchedRequestError, match=r"q=nice \(no entry in cassette .*answer"):
        chaos.stop()


def test_jsonl_pairs_replay_in_order_and_the_last_repeats(chaos, tmp_path):
    path = tmp_path / "traffic.jsonl"
    rows = [
        {"request": {"method": "GET", "url": SEARCH}, "response": {"status": 503}},
        {"request": {"method": "GET", "url": SEARCH}, "response": {"status": 200, "json": [1]}},
        {"request": {"method": "POST", "url": SEARCH, "json": {"q": "a"}},
         "response": {"status": 200, "body": "A", "headers": {"x-from": "recording"}}},
        {"request": {"method": "POST", "url": SEARCH, "json": {"q": "b"}},
         "response": {"status": 200, "body": "B"}},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    recorded = Cassette.load(path, match_body=True)  # one cassette for both routes
    chaos.route("GET", SEARCH).respond_with(recorded)
    assert [httpx.get(SEARCH).status_code for _ in range(3)] == [503, 200, 200]
    posted = chaos.route("POST", SEARCH).respond_with(recorded)
    b = httpx.post(SEARCH, content=json.dumps({"q": "b"}))
    a = httpx.post(SEARCH, content=json.dumps({"q": "a"}))
    assert (a.text, b.text, a.headers["x-from"]) == ("A", "B", "recording")
    assert posted.respond.unused() == []


def test_respond_equals_a_cassette_works_too(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"request": {"method": "GET", "url": SEARCH},
                                "response": {"status": 200, "json": {"ok": 1}}}))  # fmt: skip
    with Chaos(seed=3) as chaos:
        chaos.route("GET", SEARCH, respond=Cassette.load(path))
        assert httpx.get(SEARCH).json() == {"ok": 1}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.yaml", "interactions: [", r"bad.yaml: not a readable VCR.py cassette"),
        ("list.yaml", "- 1\n- 2\n", r"list.yaml: not a VCR.py cassette .*'interactions' list"),
        ("nostatus.yaml", "interactions:\n- request: {method: GET, uri: 'https://a.test/'}\n"
         "  response: {body: {string: x}}\n", r"nostatus.yaml: interaction 0: response has no"),
        ("norequest.yaml", "interactions:\n- response: {status: {code: 200}}\n",
         r"norequest.yaml: interaction 0: needs both a 'request' and a 'response'"),
        ("badcode.jsonl", '{"request": {"method": "GET", "url": "https://a.test/"}, '
         '"response": {"status": 99}}', r"badcode.jsonl: line 1: response has no valid status"),
        ("notjson.jsonl", '{"request": 1}\n{oops', r"notjson.jsonl: line 1: needs both"),
        ("broken.jsonl", '\n{oops', r"broken.jsonl: line 2: not JSON"),
        ("nourl.jsonl", '{"request": {"method": "GET"}, "response": {"status": 200}}',
         r"nourl.jsonl: line 1: the request needs a 'method' and a 'url'"),
        ("empty.jsonl", "\n", r"empty.jsonl: no recorded interactions"),
        ("data.txt", "x", r"data.txt is neither a VCR.py cassette .* nor JSONL"),
    ],
)  # fmt: skip
def test_a_malformed_cassette_names_the_file_and_the_entry(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InvalidArgument, match=message):
        Cassette.load(path)


def test_an_unreadable_cassette_is_invalid_argument(tmp_path):
    with pytest.raises(InvalidArgument, match=r"cannot read .*missing.yaml"):
        Cassette.load(tmp_path / "missing.yaml")
