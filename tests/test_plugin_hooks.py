from __future__ import annotations

import json

import pytest

CONFTEST = """
def pytest_prodreal_taxonomy(taxonomy):
    taxonomy.add_category("security", "Security", "Attackers arrive")
    taxonomy.add_remedy("security", "authz", "Authorisation", "Every route checks it")
    taxonomy.add_remedy("trust", "toxicity", "Toxicity filter", "Outputs are screened")
"""


def test_conftest_extends_the_taxonomy(pytester: pytest.Pytester, xdist_args: list[str]) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        import pytest
        from pytest_prodreal import record_evidence

        @pytest.mark.prodreal("security", "authz")
        def test_authz():
            record_evidence("authz", held=True)

        @pytest.mark.prodreal("toxicity")
        def test_tox():
            pass
        """
    )
    result = pytester.runpytest(
        "--prodreal-report", "--prodreal-report=json:r.json", "--prodreal-require=authz",
        *xdist_args,
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*toxicity * declared  test_*::test_tox",
            "security — Security  (marked by 1 test)",
            "*authz * verified  test_*::test_authz",
            "*NOT READY to launch: 16 of 17 remedies not verified*",
        ]
    )
    data = json.loads((pytester.path / "r.json").read_text())
    assert data["taxonomy"]["categories"][-1]["id"] == "security"
    assert data["summary"]["remedies"] == 17


def test_extended_ids_are_accepted_by_record_evidence_without_a_report(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        from pytest_prodreal import record_evidence

        def test_authz():
            record_evidence("authz", held=True)
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_bad_hook_use_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        def pytest_prodreal_taxonomy(taxonomy):
            taxonomy.add_remedy("inputs", "canary", "again", "")
        """
    )
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: pytest_prodreal_taxonomy: remedy id 'canary' is already defined; pick another id"]
    )
