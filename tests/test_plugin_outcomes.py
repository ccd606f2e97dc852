from __future__ import annotations

import json

import pytest


def test_errors_verify_nothing(pytester: pytest.Pytester, xdist_args: list[str]) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_prodreal import record_evidence

        @pytest.fixture
        def broken_setup():
            record_evidence("slo", held=True)
            raise RuntimeError("setup")

        @pytest.fixture
        def broken_teardown():
            yield
            raise RuntimeError("teardown")

        def test_setup_error(broken_setup):
            pass

        def test_teardown_error(broken_teardown):
            record_evidence("canary", held=True)

        @pytest.mark.xfail(strict=False)
        def test_xpassed():
            record_evidence("abstain", held=True)
        """
    )
    result = pytester.runpytest("--prodreal-report=json:r.json", *xdist_args)
    data = json.loads((pytester.path / "r.json").read_text())
    outcomes = {t["nodeid"].split("::")[1]: t["outcome"] for t in data["tests"]}
    assert outcomes == {
        "test_setup_error": "error",
        "test_teardown_error": "error",
        "test_xpassed": "xpassed",
    }
    status = {r["id"]: r["status"] for r in data["remedies"]}
    assert status["slo"] == status["canary"] == status["abstain"] == "declared"
    assert data["summary"]["verified"] == 0
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_evidence_outside_a_test_is_an_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The inner run is in this process, where this (outer) test's variable is set.
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    pytester.makepyfile(
        """
        from pytest_prodreal import record_evidence

        record_evidence("slo", held=True)  # at import: no test is running

        def test_x():
            pass
        """
    )
    result = pytester.runpytest("--prodreal-report=json:r.json")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["E   pytest_prodreal.errors.EvidenceError: record_evidence('slo') was called outside a "
         "running test*"]
    )  # fmt: skip


def test_evidence_without_a_report_is_accepted_and_checked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_prodreal import record_evidence, InvalidArgument

        def test_ok():
            record_evidence("slo", held=True)

        def test_typo():
            with pytest.raises(InvalidArgument, match="Did you mean 'slo'"):
                record_evidence("sloo", held=True)
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)
