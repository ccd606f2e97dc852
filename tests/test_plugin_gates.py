from __future__ import annotations

import pytest

SUITE = """
import pytest
from pytest_prodreal import record_evidence

@pytest.mark.prodreal("dependencies")
def test_budget():
    record_evidence("time_budget", held=True)

@pytest.mark.prodreal("circuit_breaker")
def test_breaker_declared():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_met_gate_keeps_exit_zero(suite: pytest.Pytester, xdist_args: list[str]) -> None:
    result = suite.runpytest("--prodreal-require=time_budget", *xdist_args)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["prodreal: all gates met"])


def test_unmet_require_fails_with_one_line_per_item(
    suite: pytest.Pytester, xdist_args: list[str]
) -> None:
    result = suite.runpytest("--prodreal-require=dependencies,slo", *xdist_args)
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "prodreal: gate failed: required remedy 'circuit_breaker' (required via "
            "'dependencies') is not verified: declared only, no passing evidence "
            "(test_suite.py::test_breaker_declared)",
            "prodreal: gate failed: required remedy 'graceful_degradation' (required via "
            "'dependencies') is not verified: missing: *",
            "prodreal: gate failed: required remedy 'slo' is not verified: missing: *",
        ]
    )
    assert result.stdout.str().count("gate failed") == 3
    # Gates work without the terminal report.
    assert "launch checklist" not in result.stdout.str()


def test_require_all(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--prodreal-require=all")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.stdout.str().count("gate failed") == 14


def test_max_unchecked(suite: pytest.Pytester, xdist_args: list[str]) -> None:
    result = suite.runpytest("--prodreal-max-unchecked=14", *xdist_args)
    assert result.ret == pytest.ExitCode.OK
    result = suite.runpytest("--prodreal-max-unchecked=2", *xdist_args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "prodreal: gate failed: 14 remedies are not verified, more than "
            "max-unchecked=2 allows: shadow_traffic, canary, *"
        ]
    )


def test_ini_twins(suite: pytest.Pytester) -> None:
    suite.makeini("[pytest]\nprodreal_require = time_budget slo\nprodreal_max_unchecked = 20\n")
    result = suite.runpytest()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["prodreal: gate failed: required remedy 'slo' *"])
    # The command line wins over the ini file.
    result = suite.runpytest("--prodreal-require=time_budget")
    assert result.ret == pytest.ExitCode.OK


def test_a_failed_run_keeps_its_own_exit_code(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    assert False\n")
    result = pytester.runpytest("--prodreal-require=all")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["prodreal: gate failed: *"])
    pytester.makepyfile("import pytest\ndef test_x():\n    pytest.exit('stop', returncode=3)\n")
    result = pytester.runpytest("--prodreal-require=all")
    assert result.ret == 3


def test_no_tests_collected_keeps_exit_five(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--prodreal-require=all")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_collect_only_applies_no_gate(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--collect-only", "--prodreal-require=all")
    assert result.ret == pytest.ExitCode.OK
    assert "gate failed" not in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (
            ["--prodreal-require=dependncies"],
            "",
            "ERROR: --prodreal-require: unknown prodreal id 'dependncies'. Did you mean "
            "'dependencies'? Valid categories: *",
        ),
        (["--prodreal-require=,"], "", "ERROR: --prodreal-require: give category or remedy ids*"),
        (
            ["--prodreal-max-unchecked=-1"],
            "",
            "ERROR: --prodreal-max-unchecked: expected a whole number >= 0, got '-1'",
        ),
        (
            ["--prodreal-max-unchecked=two"],
            "",
            "ERROR: --prodreal-max-unchecked: expected a whole number >= 0, got 'two'",
        ),
        (
            ["--prodreal-seed=1.5"],
            "",
            "ERROR: --prodreal-seed: expected a whole number >= 0, got '1.5'",
        ),
        (
            [],
            "prodreal_max_unchecked = lots",
            "ERROR: ini option 'prodreal_max_unchecked': expected a whole number >= 0, got 'lots'",
        ),
        (
            [],
            "prodreal_seed = -3",
            "ERROR: ini option 'prodreal_seed': expected a whole number >= 0, got '-3'",
        ),
        (
            [],
            "prodreal_require = nope",
            "ERROR: ini option 'prodreal_require': unknown prodreal id 'nope'*",
        ),
        (
            [],
            "prodreal_report = pdf",
            "ERROR: ini option 'prodreal_report': unknown report type 'pdf'*",
        ),
    ],
)
def test_bad_values_are_usage_errors(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    pytester.makepyfile("def test_x(): pass")
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()
