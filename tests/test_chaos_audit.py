"""Audit findings on chaos and operations, each pinned by a test against the real clients.

- The SDKs' retry back-off jitter comes from the chaos seed, not the global ``random``.
- Bad route/healthy arguments and unknown SLO objectives raise one-line ``InvalidArgument``.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from pytest_prodreal import InvalidArgument
from pytest_prodreal.chaos import Chaos
from pytest_prodreal.chaos.llm import anthropic_message, chat_completion
from pytest_prodreal.clock import VirtualClock
from pytest_prodreal.operations import Poisson, check_slo, soak

OAI = "https://api.openai.com/v1/chat/completions"
ANT = "https://api.anthropic.com/v1/messages"
MSGS = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture
def global_random() -> Iterator[None]:
    """Put the global ``random`` state back after a test that reseeds it."""
    state = random.getstate()
    yield
    random.setstate(state)


def _openai_call() -> Any:
    client = openai.OpenAI(api_key="sk-test", timeout=10.0, max_retries=2)

    def call(question: str) -> str:
        try:
            reply = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
            )
            return str(reply.choices[0].message.content)
        except openai.APIError:
            return "FALLBACK"

    return call


def _anthropic_call() -> Any:
    client = anthropic.Anthropic(api_key="sk-ant-test", timeout=10.0, max_retries=2)

    def call(question: str) -> str:
        try:
            msg = client.messages.create(
                model="claude-sonnet-4-5",
                max_tokens=64,
                messages=[{"role": "user", "content": question}],
            )
            return str(msg.content[0].text)  # type: ignore[union-attr]
        except anthropic.APIError:
            return "FALLBACK"

    return call


def _brownout_soak(sdk: str, global_seed: int) -> tuple[list[float], int]:
    """One brownout soak through the real SDK; its latencies and how many calls it made."""
    random.seed(global_seed)  # whatever the global state, the soak must not depend on it
    with VirtualClock(), Chaos(seed=3) as chaos:
        if sdk == "openai":
            chaos.route("POST", OAI, name="llm", json=chat_completion("Paris.")).scenario(
                "brownout"
            )
            call = _openai_call()
        else:
            chaos.route("POST", ANT, name="llm", json=anthropic_message("Paris.")).scenario(
                "brownout"
            )
            call = _anthropic_call()
        result = soak(
            call,
            ["What is the capital of France?"],
            requests=100,
            arrivals=Poisson(0.1),
            seed=3,
            fallback=lambda a: a == "FALLBACK",
        )
    return [r.latency for r in result.requests], result.calls


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_sdk_retry_jitter_comes_from_the_chaos_seed_not_the_global_random(
    sdk: str, global_random: None
) -> None:
    first, calls = _brownout_soak(sdk, global_seed=1)
    assert calls > 110  # the SDK retried (brownout: 15% 503, 5% read timeouts), so it jittered
    second, _ = _brownout_soak(sdk, global_seed=2)
    assert second == first


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_a_soak_through_the_sdk_leaves_the_global_random_alone(
    sdk: str, global_random: None
) -> None:
    random.seed(5)
    before = random.getstate()
    with VirtualClock(), Chaos(seed=1) as chaos:
        url, body = (
            (OAI, chat_completion("hi")) if sdk == "openai" else (ANT, anthropic_message("hi"))
        )
        chaos.route("POST", url, json=body).fault(503, rate=1.0)
        call = _openai_call() if sdk == "openai" else _anthropic_call()
        assert call("q") == "FALLBACK"  # 3 attempts, 2 jittered back-offs
    assert random.getstate() == before  # neither drawn from nor reseeded


def test_the_sdk_jitter_is_restored_exactly_and_nested_chaos_is_safe() -> None:
    from anthropic import _base_client as ant
    from openai import _base_client as oai

    originals = (oai.random, ant.random)
    with Chaos(seed=1):
        patched = oai.random
        assert patched is not originals[0] and ant.random is not originals[1]
        outer = [oai.random() for _ in range(3)]
        with Chaos(seed=2):
            inner = [oai.random() for _ in range(3)]
            assert inner != outer
        assert oai.random is patched  # still the outer chaos's after the inner one stopped
    assert (oai.random, ant.random) == originals
    # The same seed gives the same jitter from the start of each chaos.
    with Chaos(seed=1):
        assert [oai.random() for _ in range(3)] == outer
    with Chaos(seed=2):
        assert [oai.random() for _ in range(3)] == inner
    assert (oai.random, ant.random) == originals


def test_the_sdk_jitter_patch_imports_no_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] in ("openai", "anthropic")]:
        monkeypatch.delitem(sys.modules, name)
    with Chaos(seed=1):
        assert "openai" not in sys.modules and "anthropic" not in sys.modules
    assert "openai" not in sys.modules and "anthropic" not in sys.modules


def test_an_sdk_imported_while_the_chaos_runs_gets_the_seeded_jitter_at_its_first_request(
    monkeypatch: pytest.MonkeyPatch, global_random: None
) -> None:
    from openai import _base_client as oai

    original = oai.random
    monkeypatch.delitem(sys.modules, "openai._base_client")  # "not imported yet"
    random.seed(5)
    before = random.getstate()
    with VirtualClock(), Chaos(seed=1) as chaos:
        assert oai.random is original
        monkeypatch.setitem(sys.modules, "openai._base_client", oai)  # "imported in the test"
        chaos.route("POST", OAI, json=chat_completion("hi")).fault(503, rate=1.0)
        assert _openai_call()("q") == "FALLBACK"
        assert oai.random is not original
    assert oai.random is original
    assert random.getstate() == before


# -- bad arguments: one line, naming the argument and the fix ----------------------------------


@pytest.mark.parametrize(
    ("configure", "message"),
    [
        (lambda c: c.route("GET", "https://api.test/x", headers=5), r"^chaos.route: headers=5 "),
        (lambda c: c.route("GET", "https://api.test/x", headers="a: b"), r"headers='a: b' must"),
        (lambda c: c.route("GET", "https://api.test/x", headers=[1]), r"headers=\[1\] must"),
        (
            lambda c: c.route("GET", "https://api.test/x", headers={"a": 5}),
            r"^chaos.route: header 'a' has the value 5 \(int\).*str.*'5'",
        ),
        (
            lambda c: c.route("GET", "https://api.test/x", headers={5: "a"}),
            r"^chaos.route: header name 5 \(int\) must be a str",
        ),
        (
            lambda c: c.route("GET", "https://api.test/x").healthy(headers=5),
            r"^route.healthy: headers=5 ",
        ),
        (
            lambda c: c.route("GET", "https://api.test/x").healthy(headers={"retry-after": 2}),
            r"^route.healthy: header 'retry-after' has the value 2 \(int\)",
        ),
    ],
)
def test_bad_route_headers_are_invalid_arguments(configure: Any, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message) as info:
        configure(Chaos(seed=1))
    assert "\n" not in str(info.value)


def test_good_route_headers_are_served(prodreal_clock: Any) -> None:
    import httpx

    with Chaos(seed=1) as chaos:
        route = chaos.route("GET", "https://api.test/x", headers=[("x-a", "1")], text="ok")
        assert httpx.get("https://api.test/x").headers["x-a"] == "1"
        route.healthy(headers={b"x-b": b"2"}, text="ok")
        assert httpx.get("https://api.test/x").headers["x-b"] == "2"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"p97_s": 1},
            r"^check_slo: unknown objective p97_s=1\. Did you mean 'p9\d_s'\? .*latency_s=\{97: 1\}"
            r".*Objectives: success_rate, fallback_rate, p50_s, p90_s, p95_s, p99_s, max_s",
        ),
        (
            {"succes_rate": 0.9},
            r"unknown objective succes_rate=0.9\. Did you mean 'success_rate'\?",
        ),
        ({"banana": 1}, r"unknown objective banana=1\. Objectives: success_rate"),
    ],
)
def test_an_unknown_slo_objective_is_an_invalid_argument(
    prodreal_clock: Any, kwargs: dict[str, Any], message: str
) -> None:
    result = soak(str, [1], requests=3)
    with pytest.raises(InvalidArgument, match=message) as info:
        check_slo(result, **kwargs)
    assert "\n" not in str(info.value)


def test_unknown_keywords_of_the_other_operations_checks(prodreal_clock: Any) -> None:
    from pytest_prodreal.operations import check_cost_cap, check_error_budget

    result = soak(str, [1], requests=3)
    with pytest.raises(
        InvalidArgument,
        match=r"^check_cost_cap: unknown argument max_cals=3\. "
        r"Did you mean 'max_calls'\?",
    ):
        check_cost_cap(result, max_cals=3)  # type: ignore[call-arg]
    with pytest.raises(InvalidArgument, match=r"^check_error_budget: unknown argument sl=0.9"):
        check_error_budget(result, sl=0.9)  # type: ignore[call-arg]


# -- chaos's own argument checks are _kit.validate's, with chaos's wording ----------------------


@pytest.mark.parametrize(
    ("configure", "message"),
    [
        (lambda r: r.fault(503, rate=float("nan")), r"^rate=nan is not a probability"),
        (lambda r: r.fault(503, rate=True), r"^rate=True is not a probability"),
        (lambda r: r.latency(float("inf")), r"^latency seconds=inf is not a duration"),
        (lambda r: r.latency(10**400), r"is not a duration"),
        (lambda r: r.fail_times(1.5), r"^fail_times n=1.5 must be a whole number >= 1"),
        (lambda r: r.rate_limit(1, limit=True), r"^rate_limit limit=True must be a whole number"),
    ],
)
def test_chaos_argument_checks_agree_with_the_kit(configure: Any, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        configure(Chaos(seed=1).route("GET", "https://api.test/x"))


def test_chaos_checks_are_the_kit_validators() -> None:
    from unittest import mock

    from pytest_prodreal._kit import validate
    from pytest_prodreal.chaos import _latency

    for check, kit, args in [
        (_latency.check_rate, "rate", (0.5,)),
        (_latency.check_seconds, "non_negative_number", (1.0, "x")),
        (_latency.check_count, "positive_int", (2, "n")),
    ]:
        with mock.patch.object(validate, kit, wraps=getattr(validate, kit)) as spy:
            check(*args)  # type: ignore[operator]
        assert spy.called, check


def test_the_operations_checks_still_warn_at_the_users_line(prodreal_clock: Any) -> None:
    import dataclasses
    import warnings

    from pytest_prodreal import ProdrealWarning
    from pytest_prodreal.operations import check_cost_cap, check_error_budget, check_observability

    result = soak(str, [1], requests=1)  # nothing went wrong: nothing to observe
    empty = dataclasses.replace(result, requests=[])  # no request: nothing to judge
    for check in (
        lambda: check_slo(empty, p99_s=60),
        lambda: check_cost_cap(empty, max_calls=3),
        lambda: check_error_budget(empty),
        lambda: check_observability(result),
    ):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            check()
        assert [w.filename for w in seen if issubclass(w.category, ProdrealWarning)] == [__file__]
