from __future__ import annotations

import re
import subprocess
import sys

import pytest

SUITE = """
import pytest

def test_pass():
    print("hello")

def test_fail():
    assert 1 == 2

@pytest.mark.skip(reason="why")
def test_skip():
    pass

@pytest.mark.xfail
def test_xfail():
    assert 0

@pytest.fixture
def broken():
    raise RuntimeError("setup")

def test_error(broken):
    pass

@pytest.mark.parametrize("x", [1, 2])
def test_param(x):
    assert x
"""


def normalise(text: str) -> str:
    text = re.sub(r"in \d+\.\d+s", "in Ns", text)
    text = re.sub(r"^plugins: .*$", "plugins: ...", text, flags=re.M)
    return text


def test_unused_plugin_changes_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE)
    on = pytester.runpytest("-rA")
    off = pytester.runpytest("-rA", "-p", "no:prodreal")
    assert on.ret == off.ret == pytest.ExitCode.TESTS_FAILED
    assert on.parseoutcomes() == off.parseoutcomes()
    assert normalise(on.stdout.str()) == normalise(off.stdout.str())


def test_disabled_plugin_has_no_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("-p", "no:prodreal", "--prodreal-report")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unrecognized arguments: --prodreal-report*"])


HEAVY = ("respx", "freezegun", "hypothesis", "faker", "httpx", "httpx2", "openai", "anthropic")


def test_loading_the_plugin_imports_no_optional_dependency(pytester: pytest.Pytester) -> None:
    # Other installed plugins (Hypothesis's, Faker's, respx's, anyio's) import these themselves,
    # so they are switched off: what is left is pytest and pytest-prodreal.
    pytester.makeconftest(
        f"""
        import sys

        def pytest_sessionfinish(session):
            heavy = [m for m in {HEAVY!r} if m in sys.modules]
            print("HEAVY", heavy)
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.prodreal("dependencies")
        def test_x(prodreal_seed):
            pass
        """
    )
    result = pytester.runpytest_subprocess(
        "-s",
        "-p", "no:hypothesispytest",
        "-p", "no:faker",
        "-p", "no:respx",
        "-p", "no:anyio",
        "-p", "no:asyncio",
        "-p", "no:xdist",
        "-p", "no:time_machine",
        "-p", "no:randomly",  # imports faker itself
        "--prodreal-report=json",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*HEAVY []"])


def test_importing_the_package_is_light() -> None:
    code = (
        "import sys, pytest_prodreal, pytest_prodreal.plugin; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_every_public_name_resolves_and_heavy_parts_load_lazily() -> None:
    code = (
        "import sys, pytest_prodreal as p\n"
        "assert 'pytest_prodreal.state' not in sys.modules\n"
        "missing = [n for n in p.__all__ if getattr(p, n, None) is None]\n"
        "assert 'pytest_prodreal.state' in sys.modules\n"
        "print(missing)\n"
        "try:\n    p.no_such_name\nexcept AttributeError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "module 'pytest_prodreal' has no attribute 'no_such_name'"]
