from __future__ import annotations

import math
import threading

import pytest

from pytest_prodreal import (
    Evidence,
    EvidenceError,
    InvalidArgument,
    collecting_evidence,
    record_evidence,
)


def test_outside_a_test_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    with pytest.raises(EvidenceError, match="outside a running test"):
        record_evidence("canary", held=True)


def test_collecting_evidence_in_a_script(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    with collecting_evidence() as sink:
        ev = record_evidence("canary", held=True, figures={"rate": 0.01}, summary="ok")
    assert sink.items == (ev,)
    assert ev.check == "canary"  # defaults to the remedy id
    assert ev.to_json() == {
        "remedy": "canary",
        "held": True,
        "check": "canary",
        "summary": "ok",
        "figures": {"rate": 0.01},
    }
    assert Evidence.from_json(ev.to_json()) == ev


def test_nested_collecting_restores_the_outer_sink() -> None:
    with collecting_evidence() as outer:
        with collecting_evidence() as inner:
            record_evidence("slo", held=True)
        record_evidence("abstain", held=False)
    assert [e.remedy for e in inner.items] == ["slo"]
    assert [e.remedy for e in outer.items] == ["abstain"]


def test_unknown_remedy_is_rejected_with_a_suggestion() -> None:
    with pytest.raises(InvalidArgument, match=r"unknown remedy 'idempotence'.*'idempotency'"):
        record_evidence("idempotence", held=True)


def test_a_category_is_not_a_remedy() -> None:
    with pytest.raises(InvalidArgument, match="unknown remedy 'inputs'"):
        record_evidence("inputs", held=True)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"held": "yes"}, "held must be True or False"),
        ({"held": True, "figures": {"x": [1, 2]}}, "figure 'x' must be a number"),
        ({"held": True, "figures": {1: 2}}, "figure names must be text"),
        ({"held": True, "figures": [1]}, "figures must be a mapping"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        record_evidence("canary", **kwargs)  # type: ignore[arg-type]


def test_non_finite_figures_become_null() -> None:
    with collecting_evidence() as sink:
        record_evidence("slo", held=True, figures={"p99": math.inf})
    assert sink.items[0].figures == {"p99": None}


def test_threads_record_into_the_same_sink() -> None:
    with collecting_evidence() as sink:
        threads = [
            threading.Thread(target=record_evidence, args=("determinism",), kwargs={"held": True})
            for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(sink.items) == 8


def test_from_json_rejects_bad_documents() -> None:
    with pytest.raises(InvalidArgument, match="missing the 'held' field"):
        Evidence.from_json({"remedy": "slo"})
    with pytest.raises(InvalidArgument, match="must be a JSON object"):
        Evidence.from_json([1])


def test_a_failing_check_shows_the_users_frame_and_none_of_ours(pytester: pytest.Pytester) -> None:
    """The AssertionError of a check (and a misused record_evidence) points at the test's line."""
    pytester.makepyfile(
        test_frames="""
        from pytest_prodreal import record_evidence
        from pytest_prodreal._kit import conclude

        def test_check_fails():
            conclude("slo", "my_check", held=False, exercised=3, what="request(s)",
                     summary="3 requests", figures={"p99_s": 2.5},
                     explanation="p99 2.5 s > 1 s budget; add a timeout")  # USER LINE

        def test_misuse():
            record_evidence("no_such_remedy", held=True)  # MISUSE LINE
        """
    )
    result = pytester.runpytest("--tb=long", "-p", "no:randomly")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "# USER LINE" in out and "# MISUSE LINE" in out
    assert "my_check: p99 2.5 s > 1 s budget; add a timeout" in out
    # Not one frame of the plugin: every traceback entry is the test file's.
    plugin_frames = [line for line in result.outlines if "/pytest_prodreal/" in line]
    assert plugin_frames == [], plugin_frames
