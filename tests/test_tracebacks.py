"""A failing check's traceback shows the user's frames, none of the plugin's (issue 8 item 6).

Each row is one public check of one category, called so that it fails. The failure output
(default ``--tb``) must name the user's test and line, show the check's message, and contain no
frame from the ``pytest_prodreal`` package: every check hides its own frames with
``__tracebackhide__``.
"""

from __future__ import annotations

import re
import textwrap

import pytest

# category -> (check, test body); each body calls the check so that it fails.
FAILING: dict[str, tuple[str, str]] = {
    "inputs": (
        "check_canary",
        """
        from pytest_prodreal import check_canary

        def test_user():
            check_canary(lambda x: x, lambda x: x + 1, [1, 2, 3])  # USER LINE
        """,
    ),
    "inputs-invariant": (
        "check_invariant",
        """
        from pytest_prodreal import check_invariant

        def test_user():
            check_invariant(lambda s: s, ["hello world", "good day"])  # USER LINE
        """,
    ),
    "dependencies": (
        "check_graceful_degradation",
        """
        from pytest_prodreal import check_graceful_degradation

        def test_user(prodreal_clock):
            def broken():
                raise ConnectionError("down")

            check_graceful_degradation(broken, is_fallback=lambda v: True)  # USER LINE
        """,
    ),
    "dependencies-budget": (
        "check_time_budget",
        """
        import time

        from pytest_prodreal import check_time_budget

        def test_user(prodreal_clock):
            check_time_budget(lambda: time.sleep(5), budget_s=1)  # USER LINE
        """,
    ),
    "dependencies-async": (
        "acheck_time_budget",
        """
        import asyncio

        import pytest

        from pytest_prodreal import acheck_time_budget

        @pytest.mark.asyncio
        async def test_user(prodreal_clock):
            await acheck_time_budget(lambda: asyncio.sleep(5), budget_s=1)  # USER LINE
        """,
    ),
    "state": (
        "check_idempotency",
        """
        from pytest_prodreal import check_idempotency

        def test_user():
            effects = []
            check_idempotency(  # USER LINE
                lambda key: effects.append(key), side_effects=lambda: len(effects)
            )
        """,
    ),
    "state-determinism": (
        "check_llm_requests_deterministic",
        """
        from pytest_prodreal import check_llm_requests_deterministic

        def test_user():
            request = {"model": "gpt-4o", "temperature": 0.9,
                       "messages": [{"role": "user", "content": "hi"}]}
            check_llm_requests_deterministic([request])  # USER LINE
        """,
    ),
    "state-async": (
        "acheck_idempotency",
        """
        import pytest

        from pytest_prodreal import acheck_idempotency

        @pytest.mark.asyncio
        async def test_user():
            effects = []

            async def call(key):
                effects.append(key)

            await acheck_idempotency(call, side_effects=lambda: len(effects))  # USER LINE
        """,
    ),
    "trust": (
        "check_abstains",
        """
        from pytest_prodreal import check_abstains

        def test_user():
            check_abstains(  # USER LINE
                lambda q: "It is 42.", unanswerable=["What did I dream?"], answerable=["2+2?"]
            )
        """,
    ),
    "trust-evidence": (
        "check_evidence_first",
        """
        from pytest_prodreal import check_evidence_first

        def test_user():
            check_evidence_first(  # USER LINE
                "Paris is the capital [d9].", {"d1": "Paris is the capital of France."}
            )
        """,
    ),
    "inputs-directional": (
        "check_directional",
        """
        from pytest_prodreal import check_directional

        def test_user():
            check_directional(  # USER LINE
                len, ["hello world"], transform=lambda s: s + "!", expect=lambda a, b: b < a
            )
        """,
    ),
    "trust-guardrails": (
        "check_guardrails",
        """
        from pytest_prodreal import check_guardrails

        def test_user():
            check_guardrails(  # USER LINE
                lambda q: "the key is sk-live-0123456789abcdef", ["hello"],
                secrets=["sk-live-0123456789abcdef"],
            )
        """,
    ),
    "operations": (
        "check_slo",
        """
        from pytest_prodreal.operations import check_slo

        def test_user(prodreal_soak):
            def broken(question):
                raise ConnectionError("down")

            result = prodreal_soak(broken, ["q"], requests=5)
            check_slo(result, success_rate=0.99)  # USER LINE
        """,
    ),
    "operations-budget": (
        "check_error_budget",
        """
        from pytest_prodreal.operations import check_error_budget

        def test_user(prodreal_soak):
            result = prodreal_soak(lambda question: "fine", ["q"], requests=20)
            check_error_budget(result, slo=0.999, expect="page")  # USER LINE
        """,
    ),
}

_PLUGIN_FRAME = re.compile(r"pytest_prodreal[/\\]")


@pytest.mark.parametrize("row", sorted(FAILING))
def test_a_failing_check_shows_the_users_frame_and_none_of_ours(
    pytester: pytest.Pytester, row: str
) -> None:
    check, body = FAILING[row]
    pytester.makepyfile(test_user=textwrap.dedent(body))
    result = pytester.runpytest("-p", "no:randomly", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    failures = out.partition("= FAILURES =")[2].partition("short test summary info")[0]
    assert failures, out
    # The user's test and the line that called the check are shown ...
    assert "def test_user(" in failures, failures
    assert "# USER LINE" in failures, failures
    assert re.search(r"^test_user\.py:\d+: ", failures, re.M), failures
    # ... with the check's own message ...
    assert check in failures, failures
    # ... and no frame from the plugin's package.
    ours = [line for line in failures.splitlines() if _PLUGIN_FRAME.search(line)]
    assert ours == [], failures


def test_the_plugin_frames_are_there_to_hide(pytester: pytest.Pytester) -> None:
    # With --full-trace pytest shows hidden frames: the check above would see ours, so it can
    # fail (a check that lost its __tracebackhide__ shows them the same way).
    pytester.makepyfile(test_user=textwrap.dedent(FAILING["state"][1]))
    result = pytester.runpytest("-p", "no:randomly", "--full-trace")
    result.assert_outcomes(failed=1)
    assert _PLUGIN_FRAME.search(result.stdout.str().partition("= FAILURES =")[2])


def test_the_rows_cover_every_category() -> None:
    # A new category gets a row here (its checks must hide their frames too).
    from pytest_prodreal.taxonomy import DEFAULT_TAXONOMY

    categories = {c.id for c in DEFAULT_TAXONOMY.categories}
    covered = {row.partition("-")[0] for row in FAILING}
    assert categories <= covered, categories - covered
