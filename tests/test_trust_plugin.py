"""The ``prodreal_canaries`` fixture and trust evidence in the report (pytester, plain and -n 2)."""

from __future__ import annotations

import json

import pytest

SUITE = """
import logging

import httpx
import pytest

from pytest_prodreal import check_abstains, check_evidence_first, check_guardrails


def service(question, docs, log=True):
    # A RAG service: it sends the retrieved documents to the LLM and answers.
    httpx.post("https://llm.test/v1/chat", json={"q": question, "docs": docs})
    if log:
        logging.getLogger("svc").info("answered %s", question)
    return "Your order ships tomorrow [d1]."


def test_canaries_clean(prodreal_canaries, chaos):
    person = prodreal_canaries.person()
    chaos.post("https://llm.test/v1/chat", json={}, name="llm")
    prodreal_canaries.allow("llm")
    out = service("when does it ship?", [f"customer {person}"])
    prodreal_canaries.check(out)


def test_canaries_leak(prodreal_canaries, chaos):
    email = prodreal_canaries.email()
    chaos.post("https://llm.test/v1/chat", json={}, name="llm")
    out = service(f"mail me at {email}", [])
    prodreal_canaries.check(out)


def test_canaries_empty_body(prodreal_canaries):
    prodreal_canaries.email()
    prodreal_canaries.check("")


def test_guardrails_broken_body():
    check_guardrails(lambda q: None, ["x"], violation=lambda q, out: out is None)


def test_abstain_ok():
    check_abstains(lambda q: "I don't know" if q == "?" else "yes [d1]",
                   unanswerable=["?"], answerable=["ok"])


def test_evidence_empty_body():
    check_evidence_first("", {"d1": "text"})
"""


def _report(pytester: pytest.Pytester, args: list[str]) -> tuple[pytest.RunResult, dict[str, str]]:
    pytester.makepyfile(test_rag=SUITE)
    result = pytester.runpytest("--prodreal-report=json:out.json", "-W", "default", *args)
    data = json.loads((pytester.path / "out.json").read_text())
    status = {r["id"]: r["status"] for r in data["remedies"]}
    return result, status


def test_fixture_and_report(pytester: pytest.Pytester, xdist_args: list[str]) -> None:
    result, status = _report(pytester, xdist_args)
    result.assert_outcomes(passed=3, failed=3)
    out = result.stdout.str()
    assert "email canary in request (route 'llm' body)" in out
    assert "0 canaries reached the service" in out
    assert status["guardrails"] == "failing"  # a leak and a broken body
    assert status["abstain"] == "verified"
    assert status["evidence_first"] == "failing"


def test_clean_canaries_verify(pytester: pytest.Pytester, xdist_args: list[str]) -> None:
    result, status = _report(pytester, ["-k", "canaries_clean", *xdist_args])
    result.assert_outcomes(passed=1)
    assert status["guardrails"] == "verified"


def test_empty_bodies_never_verify(pytester: pytest.Pytester) -> None:
    result, status = _report(pytester, ["-k", "empty_body or broken_body"])
    result.assert_outcomes(passed=1, failed=2)
    assert status["guardrails"] == "failing"
    assert status["evidence_first"] == "failing"
    result2, status2 = _report(pytester, ["-k", "canaries_empty_body"])
    result2.assert_outcomes(passed=1)
    assert status2["guardrails"] != "verified"


def test_canaries_are_seeded_from_the_run_seed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_a(prodreal_canaries):
            print("VALUE", prodreal_canaries.email())
            prodreal_canaries.check("ok")
        """
    )
    pytester.makeconftest("")
    runs = [
        pytester.runpytest("--prodreal-seed=5", "-s", "-W", "ignore::UserWarning").stdout.str()
        for _ in range(2)
    ]
    other = pytester.runpytest("--prodreal-seed=6", "-s", "-W", "ignore::UserWarning").stdout.str()

    def value(text: str) -> str:
        return next(line for line in text.splitlines() if "VALUE" in line)

    assert value(runs[0]) == value(runs[1]) != value(other)


def test_unchecked_canaries_warn_and_no_channel_is_invalid(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_prodreal import InvalidArgument

        def test_unchecked(prodreal_canaries):
            prodreal_canaries.card()

        def test_no_channel(prodreal_canaries):
            prodreal_canaries.card()
            with pytest.raises(InvalidArgument, match="use the chaos fixture with routes"):
                prodreal_canaries.check(logs=False)
        """
    )
    result = pytester.runpytest("-W", "error::pytest_prodreal.ProdrealWarning")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*planted but never checked*"])


# Issue 11 item 3, end to end with the official openai SDK: the canary planted in a retrieved
# document reaches the LLM prompt (an allowed route) and, through a careless log line and a
# search API call, a third party. Each leak names its channel; the fixed service verifies.
OPENAI_SUITE = """
import logging

import openai
import pytest

from pytest_prodreal.trust import mask

COMPLETION = {
    "id": "c1", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "Your order ships tomorrow [d1]."}}],
}


def answer(question, document, careful):
    client = openai.OpenAI(api_key="sk-test", max_retries=2)
    import httpx
    who = mask(document.split("email ")[1].split()[0]) if careful else document
    httpx.get("https://search.test/find", params={"q": question, "who": who})
    logging.getLogger("rag").warning("retrieved %s", who)
    reply = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": document}, {"role": "user", "content": question}],
    )
    return reply.choices[0].message.content


@pytest.mark.parametrize("careful", [True, False], ids=["masked", "leaky"])
def test_no_canary_leaves(prodreal_canaries, chaos, careful):
    person = prodreal_canaries.person()
    document = f"Customer {person.name}, email {person.email}, card {person.card}."
    llm = chaos.post("https://api.openai.com/v1/chat/completions", json=COMPLETION)
    llm.fail_times(1, 429)  # the SDK retries: the prompt is sent twice
    chaos.get("https://search.test/find", json={"hits": []}, name="search")
    prodreal_canaries.allow(llm)
    out = answer("When does my order ship?", document, careful)
    assert out == "Your order ships tomorrow [d1]."
    assert len(llm.calls) == 2
    prodreal_canaries.check(out)
"""


def test_canaries_through_the_openai_sdk(pytester: pytest.Pytester, xdist_args: list[str]) -> None:
    pytester.makepyfile(test_openai_rag=OPENAI_SUITE)
    result = pytester.runpytest("--prodreal-report=json:out.json", "-W", "default", *xdist_args)
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "email canary in request (route 'search' query)" in out
    assert "email canary in log (logger 'rag' at WARNING)" in out
    # Only the failure section's "E" lines: with CI set, pytest's short summary repeats the
    # whole message untruncated, so counting every line would depend on the environment.
    lines = out.splitlines()
    leak_lines = [line for line in lines if line.startswith("E") and " canary in " in line]
    assert len(leak_lines) == 6  # name, email, card: in the log and in the search query
    assert not [line for line in leak_lines if "openai" in line]  # the LLM route is allowed
    data = json.loads((pytester.path / "out.json").read_text())
    status = {r["id"]: r["status"] for r in data["remedies"]}
    assert status["guardrails"] == "failing"  # the leaky twin fails and counts against it
    by_test = {t["nodeid"].split("[")[-1]: t for t in data["tests"] if "[" in t["nodeid"]}
    (masked,) = by_test["masked]"]["evidence"]
    assert masked["held"] is True
    assert masked["figures"]["canaries_reached"] >= 1  # it reached the service: it was exercised
    assert masked["figures"]["leaks"] == 0 and masked["figures"]["requests"] == 3
