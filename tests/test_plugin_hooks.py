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


# -- markers added by hooks (issue 9 item 5) -----------------------------------------------

_ADDING_CONFTEST = """
import pytest

def pytest_collection_modifyitems(items):
    for item in items:
        if item.name == "test_target":
            item.add_marker(pytest.mark.{mark})
"""


def _collection_error_exit(xdist_args: list[str]) -> pytest.ExitCode:
    """pytest ends a run with collection errors with 2; pytest-xdist's controller with 1."""
    return pytest.ExitCode.TESTS_FAILED if xdist_args else pytest.ExitCode.INTERRUPTED


# Each row: the mark a conftest hook adds, a test body that passes only if it took effect
# (no other test carries the mark directly), and a bad form of the mark with its error (glob).
HOOK_ADDED = [
    (
        "prodreal_clock",
        "import time\ndef test_target():\n    t0 = time.monotonic()\n    time.sleep(3600)\n"
        "    assert time.monotonic() - t0 >= 3600\n",
        "prodreal_clock(start='tomorrow')",
        "*test_hooked.py::test_target: @pytest.mark.prodreal_clock(start=...) must be a "
        "datetime.datetime*",
    ),
    (
        "prodreal_concurrent(n=3)",
        # The runs wait (in wall time, no clock here) so that they overlap, as the check demands.
        "import time\ndef test_target():\n    with open('runs.txt', 'a') as f:\n"
        "        f.write('x')\n    time.sleep(0.05)\n",
        "prodreal_concurrent(n=0)",
        "*test_hooked.py::test_target: prodreal_concurrent: n must be a positive integer*",
    ),
    (
        "prodreal('slo')",
        "def test_target(request):\n    assert request.node.get_closest_marker('prodreal')\n",
        "prodreal('bogus')",
        "*test_hooked.py::test_target: unknown prodreal id 'bogus'*",
    ),
]


@pytest.mark.parametrize(
    ("mark", "body", "bad", "message"), HOOK_ADDED, ids=[r[0].partition("(")[0] for r in HOOK_ADDED]
)
def test_a_marker_added_by_a_hook_takes_effect(
    pytester: pytest.Pytester, xdist_args: list[str], mark: str, body: str, bad: str, message: str
) -> None:
    pytester.makeconftest(_ADDING_CONFTEST.format(mark=mark))
    pytester.makepyfile(test_hooked=body)
    result = pytester.runpytest(*xdist_args)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    if mark.startswith("prodreal_concurrent"):
        assert (pytester.path / "runs.txt").read_text() == "xxx"


@pytest.mark.parametrize(
    ("mark", "body", "bad", "message"), HOOK_ADDED, ids=[r[0].partition("(")[0] for r in HOOK_ADDED]
)
def test_a_bad_marker_added_by_a_hook_is_a_collection_error(
    pytester: pytest.Pytester, xdist_args: list[str], mark: str, body: str, bad: str, message: str
) -> None:
    pytester.makeconftest(_ADDING_CONFTEST.format(mark=bad))
    pytester.makepyfile(test_hooked=body)
    result = pytester.runpytest(*xdist_args)
    assert result.ret == _collection_error_exit(xdist_args), result.stdout.str()
    result.stdout.fnmatch_lines([message, "*error*"])
    assert "Traceback" not in result.stdout.str()


def test_a_prodreal_marker_added_by_a_hook_is_declared_in_the_report(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    import json

    pytester.makeconftest(_ADDING_CONFTEST.format(mark="prodreal('slo')"))
    pytester.makepyfile(test_hooked="def test_target():\n    pass\n")
    result = pytester.runpytest(*xdist_args, "--prodreal-report=json:r.json")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    tests = json.loads((pytester.path / "r.json").read_text())["tests"]
    assert [t["declared"] for t in tests] == [["slo"]]


def test_a_traffic_marker_added_by_a_hook_is_a_collection_error_naming_the_fix(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    """Traffic parametrizes while tests are generated: too late once a hook adds it."""
    pytester.makeconftest(_ADDING_CONFTEST.format(mark="prodreal_traffic('q.jsonl', field='q')"))
    pytester.makefile(".jsonl", q='{"q": "hello"}\n')
    pytester.makepyfile(test_hooked="def test_target():\n    pass\n")
    result = pytester.runpytest(*xdist_args)
    assert result.ret == _collection_error_exit(xdist_args), result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*test_hooked.py::test_target: @pytest.mark.prodreal_traffic was added by a hook "
            "after collection, when it can no longer parametrize the test; mark the test "
            "function or its module instead (pytestmark = pytest.mark.prodreal_traffic(...))"
        ]
    )


def test_a_corpus_marker_added_by_a_hook_takes_effect(pytester: pytest.Pytester) -> None:
    """The corpus saves the failing example of a test only a hook marked."""
    pytester.makeconftest(_ADDING_CONFTEST.format(mark="prodreal_corpus"))
    pytester.makepyfile(
        test_hooked="""
        from hypothesis import given, strategies as st
        @given(st.integers())
        def test_target(x):
            assert x < 10
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    saved = list((pytester.path / "prodreal-corpus").rglob("*.jsonl"))
    assert saved, result.stdout.str()


def test_an_observability_marker_added_by_a_hook_takes_effect(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    """The hook-marked test swallows a fault without a log: the marker's check fails it."""
    pytest.importorskip("respx")
    pytester.makeconftest(_ADDING_CONFTEST.format(mark="prodreal_observability"))
    pytester.makepyfile(
        test_hooked="""
        import httpx

        def test_target(chaos):
            chaos.route("GET", "https://api.test/x", json={}).fault(503, rate=1.0)
            with httpx.Client() as client:
                assert client.get("https://api.test/x").status_code == 503

        def test_unmarked(chaos):
            chaos.route("GET", "https://api.test/y", json={}).fault(503, rate=1.0)
            with httpx.Client() as client:
                assert client.get("https://api.test/y").status_code == 503
        """
    )
    result = pytester.runpytest(*xdist_args)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAILED test_hooked.py::test_target*"])


def test_a_bad_observability_marker_added_by_a_hook_is_a_collection_error(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makeconftest(_ADDING_CONFTEST.format(mark="prodreal_observability(max_noise=-1)"))
    pytester.makepyfile(test_hooked="def test_target():\n    pass\n")
    result = pytester.runpytest(*xdist_args)
    assert result.ret == _collection_error_exit(xdist_args), result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*test_hooked.py::test_target: @pytest.mark.prodreal_observability takes only max_noise*"]
    )
