from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.usefixtures("xdist_args")


def test_marker_is_registered_under_strict_markers(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.prodreal("dependencies", "circuit_breaker")
        def test_ok():
            pass
        """
    )
    result = pytester.runpytest("--strict-markers", *xdist_args)
    result.assert_outcomes(passed=1)
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.prodreal(*ids)*"])


def test_module_and_class_marks_are_declared(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.prodreal("inputs")

        @pytest.mark.prodreal("canary")
        class TestCanary:
            @pytest.mark.prodreal("slo")
            def test_one(self):
                pass
        """
    )
    result = pytester.runpytest("--prodreal-report=json:r.json", *xdist_args)
    result.assert_outcomes(passed=1)
    data = json.loads((pytester.path / "r.json").read_text())
    assert data["tests"][0]["declared"] == ["canary", "inputs", "slo"]


@pytest.mark.parametrize(
    ("mark", "expected"),
    [
        (
            '"dependncies"',
            "*test_bad.py::test_x: unknown prodreal id 'dependncies'. "
            "Did you mean 'dependencies'? Valid categories: inputs, *; valid remedies: *",
        ),
        ("", "*test_bad.py::test_x: @pytest.mark.prodreal needs at least one*"),
        ("remedy='slo'", "*takes ids only, not keyword arguments (remedy)*"),
        ("42", "*unknown prodreal id '42'*"),
    ],
)
def test_bad_marker_fails_collection(
    pytester: pytest.Pytester, xdist_args: list[str], mark: str, expected: str
) -> None:
    pytester.makepyfile(
        test_bad=f"""
        import pytest

        @pytest.mark.prodreal({mark})
        def test_x():
            pass
        """
    )
    result = pytester.runpytest(*xdist_args)
    # pytest stops on a collection error; pytest-xdist reports it as a failed run.
    expected_ret = pytest.ExitCode.TESTS_FAILED if xdist_args else pytest.ExitCode.INTERRUPTED
    assert result.ret == expected_ret
    result.stdout.fnmatch_lines(["*ERROR collecting test_bad.py*", expected])
    assert "Traceback" not in result.stdout.str()


def test_inherited_marks_of_other_parts_are_seen_and_validated(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    # Marks on the module and the class reach their tests: the clock is on (an hour of sleep
    # takes no time), and a bad class-level mark of another part fails collection.
    pytester.makepyfile(
        test_mod="""
        import time
        import pytest

        pytestmark = pytest.mark.prodreal_clock

        class TestSleepy:
            def test_hour(self):
                start = time.monotonic()
                time.sleep(3600)
                assert time.monotonic() - start == 3600

        @pytest.mark.prodreal_concurrent(n=0)
        class TestBad:
            def test_x(self):
                pass
        """
    )
    result = pytester.runpytest("test_mod.py::TestSleepy", *xdist_args)
    result.assert_outcomes(passed=1)
    result = pytester.runpytest("test_mod.py", *xdist_args)
    assert result.ret != pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*test_mod.py::TestBad::test_x: prodreal_concurrent: n must be*"])
