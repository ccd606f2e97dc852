"""Invariance, directional and canary checks: rates, minimal examples, evidence, bad arguments."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from pytest_prodreal.errors import InvalidArgument, ProdrealWarning
from pytest_prodreal.evidence import collecting_evidence
from pytest_prodreal.inputs import check_canary, check_directional, check_invariant


def robust_intent(text: str) -> str:
    return "refund" if "refund" in text.lower().replace("\u200b", "") else "other"


def brittle_intent(text: str) -> str:
    return "refund" if "refund" in text else "other"


QUERIES = ["I want a refund", "refund my order please", "how do refunds work"]


def test_invariance_holds_for_a_robust_function_and_records_evidence() -> None:
    with collecting_evidence() as sink:
        result = check_invariant(robust_intent, QUERIES, perturb=["case", "whitespace"], n=20)
    assert result.held and result.failures == 0 and result.total == 60
    (ev,) = sink.items
    assert (ev.remedy, ev.held, ev.check) == ("shadow_traffic", True, "invariant")
    assert ev.figures["perturbed"] == 60 and ev.figures["rate"] == 0


def test_invariance_failure_reports_rate_and_minimal_examples() -> None:
    with collecting_evidence() as sink, pytest.raises(AssertionError) as info:
        check_invariant(brittle_intent, QUERIES, perturb="case", n=10, max_perturbations=3, seed=1)
    message = str(info.value)
    assert "perturbed inputs" in message and "the limit is 0.0%" in message
    *examples, fix = message.splitlines()[1:]
    assert examples and all(" via case: " in line for line in examples)  # one step each
    assert fix.startswith("Make the service give the same answer")  # it ends with the fix
    assert sink.items[0].held is False and sink.items[0].figures["failures"] > 0


def test_invariance_tolerance_allows_a_small_rate() -> None:
    calls = {"n": 0}

    def sometimes_wrong(text: str) -> int:
        calls["n"] += 1
        return 1 if calls["n"] % 50 == 0 else 0  # 2% of calls disagree

    result = check_invariant(sometimes_wrong, ["a b c"], n=100, max_rate=0.05)
    assert 0 < result.rate <= 0.05


def test_invariance_counts_a_crash_as_a_change() -> None:
    def crashes_on_tabs(text: str) -> str:
        if "\t" in text:
            raise ValueError("tab!")
        return "ok"

    with pytest.raises(AssertionError, match=r"<raised ValueError: tab!>"):
        check_invariant(crashes_on_tabs, ["a b c d e"], perturb="whitespace", n=40)


def test_invariance_is_reproducible_from_the_seed() -> None:
    def run(seed: int) -> str:
        try:
            check_invariant(brittle_intent, QUERIES, perturb="case", n=5, seed=seed)
        except AssertionError as exc:
            return str(exc)
        return ""

    assert run(3) == run(3)


def test_directional_check_with_a_transform() -> None:
    def urgency(text: str) -> int:
        return text.count("!") + text.lower().count("urgent")

    result = check_directional(
        urgency,
        QUERIES,
        transform=lambda s: s + " URGENT",
        expect=lambda before, after: after > before,
    )
    assert result.held and result.total == 3

    with pytest.raises(AssertionError, match="3 of 3 perturbed inputs"):
        check_directional(
            urgency,
            QUERIES,
            transform=lambda s: s + " asap",
            expect=lambda before, after: after > before,
        )


def test_canary_reports_disagreements_and_records_evidence() -> None:
    def baseline(x: int) -> int:
        return x * 2

    def candidate(x: int) -> int:
        if x == 7:
            raise RuntimeError("boom")
        return x * 2 if x % 10 else x * 3

    with collecting_evidence() as sink, pytest.raises(AssertionError) as info:
        check_canary(baseline, candidate, range(100), max_rate=0.05)
    text = str(info.value)
    assert "disagreed on 10 of 100 inputs (10.0%)" in text
    assert "<raised RuntimeError: boom>" in text
    ev = sink.items[0]
    assert (ev.remedy, ev.held) == ("canary", False)
    assert ev.figures["candidate_errors"] == 1

    result = check_canary(baseline, candidate, range(100), max_rate=0.2)
    assert result.held and result.disagreements == 10


def test_canary_with_an_equivalence() -> None:
    result = check_canary(
        str.strip, str.lower, ["a", "b "], equivalent=lambda a, b: a.strip() == b.strip()
    )
    assert result.rate == 0


def test_a_check_without_inputs_records_nothing_and_warns() -> None:
    from pytest_prodreal.errors import ProdrealWarning

    with collecting_evidence() as sink:
        with pytest.warns(ProdrealWarning, match="canary: 0 input.s. compared.*proves nothing"):
            result = check_canary(str, str, [])
        with pytest.warns(ProdrealWarning, match="invariant: 0 perturbed input"):
            check_invariant(str.lower, [])
    assert not result.held
    assert sink.drain() == []


BAD = [
    (lambda: check_invariant(str, "abc"), "inputs must be an iterable of str"),
    (lambda: check_invariant(str, [1]), "inputs must be str"),
    (lambda: check_invariant(str, ["a"], max_rate=2), "max_rate must be at least 0 and below 1"),
    (lambda: check_invariant(str, ["a"], max_rate=1.0), "1 tolerates every input failing"),
    (lambda: check_canary(str, str, [1], max_rate=1), "1 tolerates every input disagreeing"),
    (lambda: check_invariant(str, ["a"], n=0), "n must be an int >= 1"),
    (lambda: check_invariant(str, ["a"], perturb="nope"), "unknown perturbation 'nope'"),
    (lambda: check_invariant(str, ["a"], max_perturbations=0), "max_perturbations must be"),
    (
        lambda: check_directional(str, ["a"], transform=str.upper, expect=3),
        "expect must be callable",
    ),
    (lambda: check_canary(1, str, [1]), "baseline must be callable"),
    (lambda: check_canary(str, str, 5), "inputs must be an iterable"),
    (lambda: check_canary(str, str, [1], max_rate=-0.1), "max_rate must be at least 0"),
]


@pytest.mark.parametrize(("call", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_arguments(call: object, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message.replace("(", r"\(")):
        call()  # type: ignore[operator]


def _boom(text: str) -> str:
    raise ValueError(f"cannot parse {text!r}")


def test_replicas_that_both_raise_do_not_agree() -> None:
    # Two replicas crashing the same way is two failures, not agreement (issue 9).
    with collecting_evidence() as sink, pytest.raises(AssertionError) as info:
        check_canary(_boom, _boom, ["a", "b"])
    message = str(info.value)
    assert message.startswith("canary: baseline and candidate disagreed on 2 of 2 inputs")
    assert "<raised ValueError: cannot parse 'a'>" in message  # the exception is shown
    (ev,) = sink.drain()
    assert not ev.held and ev.figures["baseline_errors"] == ev.figures["candidate_errors"] == 2


def test_an_exception_on_one_side_is_a_disagreement_or_an_error_by_choice() -> None:
    with pytest.raises(AssertionError, match=r"(?s)disagreed on 1 of 2.*raised ValueError"):
        check_canary(str.lower, lambda t: _boom(t) if t == "b" else t.lower(), ["a", "b"])
    with pytest.raises(ValueError, match="cannot parse 'b'"):  # on_error="raise": propagates
        check_canary(
            str.lower, lambda t: _boom(t) if t == "b" else t.lower(), ["a", "b"], on_error="raise"
        )
    with pytest.raises(InvalidArgument, match="on_error='ignore' must be 'disagree'"):
        check_canary(str, str, ["a"], on_error="ignore")


@pytest.mark.parametrize(
    ("old", "new", "call"),
    [
        ("assert_canary", "check_canary", lambda f: f(str, str, ["a"])),
        ("assert_invariant", "check_invariant", lambda f: f(str.lower, ["a"], perturb="case")),
        (
            "assert_directional",
            "check_directional",
            lambda f: f(len, ["a"], transform=lambda t: t + "!", expect=lambda a, b: b >= a),
        ),
    ],
)
def test_old_check_names_are_deprecated_aliases(old: str, new: str, call: Any) -> None:
    import pytest_prodreal
    import pytest_prodreal.inputs as inputs

    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated; use {new}"):
        result = call(getattr(inputs, old))
    assert result.held and result == call(getattr(pytest_prodreal, new))


def test_on_error_raise_records_failing_evidence_and_names_the_replica() -> None:
    with collecting_evidence() as sink, pytest.raises(ValueError) as info:
        check_canary(str.lower, _boom, ["a", "b"], on_error="raise")
    (ev,) = sink.drain()
    assert (ev.remedy, ev.held, ev.figures["candidate_errors"]) == ("canary", False, 1)
    assert "the candidate raised ValueError: cannot parse 'a' on input 1" in ev.summary
    notes = getattr(info.value, "__notes__", None)
    if sys.version_info >= (3, 11):
        assert notes and "check_canary: the candidate raised ValueError" in notes[0]


def test_inputs_results_are_check_kit_results() -> None:
    from pytest_prodreal._kit import CheckResult

    with collecting_evidence():
        canary = check_canary(str.lower, str.lower, ["A", "b"])
        invariant = check_invariant(str.lower, ["a b"], perturb="case", n=3)
    for result in (canary, invariant):
        assert isinstance(result, CheckResult)
        assert result.held and result.counted and bool(result)
        assert result.summary and result.explanation == ""
    assert canary.figures["inputs"] == 2 and canary.figures["disagreements"] == 0
    assert invariant.figures["perturbed"] == 3
    assert canary.explain().startswith("canary: baseline and candidate disagreed on 0 of 2")
    assert invariant.explain().startswith("invariant: 0 of 3 perturbed inputs")

    with collecting_evidence(), pytest.warns(ProdrealWarning, match="0 input"):
        empty = check_canary(str, str, [])
    assert not empty.held and not empty.counted
