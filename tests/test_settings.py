"""Every bad option, ini value and ``prodreal`` marker is one line naming it and the fix.

One table per surface: options, ini keys (in all three config forms), the ``prodreal`` marker.
"""

from __future__ import annotations

import fnmatch
import json
import textwrap
from pathlib import Path

import pytest

PASSING = "def test_ok():\n    pass\n"


def _one_error_line(result: pytest.RunResult, pattern: str) -> None:
    """Exactly one ``ERROR:`` line matching ``pattern``; no traceback anywhere."""
    text = "\n".join(result.outlines + result.errlines)
    assert "Traceback" not in text, text
    errors = [line for line in result.errlines + result.outlines if line.startswith("ERROR:")]
    assert len(errors) == 1, text
    assert fnmatch.fnmatchcase(errors[0], pattern.replace("[", "[[]")), errors[0]


# Each row: command-line arguments, and the one error line (a glob).
BAD_OPTIONS = [
    ("--prodreal-seed=", "ERROR: --prodreal-seed: empty value; give a whole number >= 0 (e.g. "
     "--prodreal-seed=5) or leave the option out"),
    ("--prodreal-seed=x", "ERROR: --prodreal-seed: expected a whole number >= 0, got 'x'"),
    ("--prodreal-seed=-1", "ERROR: --prodreal-seed: expected a whole number >= 0, got '-1'"),
    ("--prodreal-max-unchecked=", "ERROR: --prodreal-max-unchecked: empty value; give a whole "
     "number >= 0 (e.g. --prodreal-max-unchecked=5) or leave the option out"),
    ("--prodreal-max-unchecked=²", "ERROR: --prodreal-max-unchecked: expected a whole number*"),
    ("--prodreal-corpus-dir=", "ERROR: --prodreal-corpus-dir: empty value; name a directory "
     "(e.g. --prodreal-corpus-dir=prodreal-corpus) or leave the option out"),
    ("--prodreal-corpus-dir=/proc/foo", "ERROR: --prodreal-corpus-dir: cannot create the corpus "
     "directory '/proc/foo': cannot create a directory in '/proc' (*); choose another directory"),
    ("--prodreal-corpus-dir=afile/sub", "ERROR: --prodreal-corpus-dir: cannot create the corpus "
     "directory '*afile/sub': '*afile' is a file; choose another directory"),
    ("--prodreal-corpus=sometimes", "ERROR: --prodreal-corpus: invalid value 'sometimes'; "
     "choose one of record, replay, off"),
    ("--prodreal-report=pdf", "ERROR: --prodreal-report: unknown report type 'pdf'; use one of*"),
    ("--prodreal-require=nope", "ERROR: --prodreal-require: unknown prodreal id 'nope'*"),
]  # fmt: skip


@pytest.mark.parametrize(("arg", "message"), BAD_OPTIONS, ids=[a for a, _ in BAD_OPTIONS])
def test_bad_option_is_one_usage_error(pytester: pytest.Pytester, arg: str, message: str) -> None:
    pytester.makepyfile(PASSING)
    pytester.path.joinpath("afile").write_text("x")
    result = pytester.runpytest(arg)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    _one_error_line(result, message)


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(
    "bad",
    [
        "--prodreal-report=md:/proc/none/r.md",
        "--prodreal-report=md:afile/r.md",
        "--prodreal-seed=x",
        "--prodreal-corpus-dir=/proc/foo",
    ],
)
def test_a_usage_error_writes_nothing(pytester: pytest.Pytester, bad: str) -> None:
    # A good report target in a new directory, then a bad option: not even the directory is
    # made (the error is the run's only output).
    pytester.makepyfile(PASSING)
    pytester.path.joinpath("afile").write_text("x")
    before = _tree(pytester.path)
    result = pytester.runpytest("-p", "no:cacheprovider", "--prodreal-report=json:new/r.json", bad)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    _one_error_line(result, "ERROR: --prodreal-*")
    assert _tree(pytester.path) == before


# Each row: key, value as TOML, value as ini text (None: not expressible), the error (a glob).
BAD_INI = [
    ("prodreal_seed", '""', "", "ERROR: ini option 'prodreal_seed': empty value; give a whole "
     "number >= 0 (e.g. prodreal_seed = 5) or leave the option out"),
    ("prodreal_max_unchecked", '""', "", "ERROR: ini option 'prodreal_max_unchecked': empty "
     "value; give a whole number >= 0 (e.g. prodreal_max_unchecked = 5) or leave the option out"),
    ("prodreal_max_unchecked", '"many"', "many", "ERROR: ini option 'prodreal_max_unchecked': "
     "expected a whole number >= 0, got 'many'"),
    ("prodreal_github_summary", '"maybe"', "maybe", "ERROR: ini option 'prodreal_github_summary'"
     ": expected true or false, got 'maybe'; write e.g. prodreal_github_summary = false"),
    ("prodreal_corpus_dir", '["a"]', None, "ERROR: ini option 'prodreal_corpus_dir': expected *"
     "; write e.g. prodreal_corpus_dir = \"...\""),
    ("prodreal_corpus_dir", '""', "", "ERROR: ini option 'prodreal_corpus_dir': empty value; "
     "name a directory (e.g. prodreal_corpus_dir = prodreal-corpus) or leave the option out"),
    ("prodreal_corpus", '"sometimes"', "sometimes", "ERROR: ini option 'prodreal_corpus': "
     "invalid value 'sometimes'; choose one of record, replay, off"),
]  # fmt: skip

FORMS = ["pytest.ini", "ini_options", "native"]


def _write_config(pytester: pytest.Pytester, form: str, key: str, toml: str, ini: str) -> None:
    if form == "pytest.ini":
        pytester.makeini(f"[pytest]\n{key} = {ini}\n")
    elif form == "ini_options":
        pytester.makepyprojecttoml(f"[tool.pytest.ini_options]\n{key} = {toml}\n")
    else:
        pytester.makepyprojecttoml(f"[tool.pytest]\n{key} = {toml}\n")


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    ("key", "toml", "ini", "message"), BAD_INI, ids=[f"{k}={t}" for k, t, _, _ in BAD_INI]
)
def test_bad_ini_value_is_one_usage_error(
    pytester: pytest.Pytester, form: str, key: str, toml: str, ini: str | None, message: str
) -> None:
    if form == "native" and pytest.version_tuple < (9, 0):
        pytest.skip("pytest 9's native [tool.pytest] table")
    if ini is None and form == "pytest.ini":
        pytest.skip("a list is not expressible in pytest.ini")
    pytester.makepyfile(PASSING)
    _write_config(pytester, form, key, toml, ini or "")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    _one_error_line(result, message)


# Good values in every form, ints and bools natively in [tool.pytest]: the run seed shows.
GOOD_INI = [
    ("prodreal_seed", "5", "5", "prodreal: seed 5 (reproduce with --prodreal-seed=5)"),
    ("prodreal_seed", '"7"', "7", "prodreal: seed 7 (reproduce with --prodreal-seed=7)"),
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("key", "toml", "ini", "line"), GOOD_INI, ids=["int", "text"])
def test_good_ini_values_work_in_every_form(
    pytester: pytest.Pytester, form: str, key: str, toml: str, ini: str, line: str
) -> None:
    if form == "native" and pytest.version_tuple < (9, 2):
        pytest.skip("typed ini keys need pytest >= 9.2")
    pytester.makepyfile(PASSING)
    _write_config(pytester, form, key, toml, ini)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines([line])


@pytest.mark.parametrize("form", FORMS)
def test_native_ints_and_bools_gate_the_run(pytester: pytest.Pytester, form: str) -> None:
    """``prodreal_max_unchecked = 2`` and ``prodreal_github_summary = false`` as typed values."""
    if form == "native" and pytest.version_tuple < (9, 2):
        pytest.skip("typed ini keys need pytest >= 9.2")
    pytester.makepyfile(PASSING)
    if form == "pytest.ini":
        pytester.makeini("[pytest]\nprodreal_max_unchecked = 2\nprodreal_github_summary = no\n")
    else:
        table = "[tool.pytest.ini_options]" if form == "ini_options" else "[tool.pytest]"
        body = "prodreal_max_unchecked = 2\nprodreal_github_summary = false\n"
        if form == "ini_options":
            body = 'prodreal_max_unchecked = "2"\nprodreal_github_summary = "false"\n'
        pytester.makepyprojecttoml(f"{table}\n{body}")
    summary = pytester.path / "summary.md"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GITHUB_STEP_SUMMARY", str(summary))
        result = pytester.runpytest("--prodreal-report=json:r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # 15 unchecked > 2
    result.stdout.fnmatch_lines(["*more than max-unchecked=2 allows*"])
    assert not summary.exists()  # github summary off


# Each row: the test file's body, and the collection error line (a glob).
BAD_MARKERS = [
    ("@pytest.mark.prodreal('bogus')\ndef test_a():\n    pass\n",
     "*test_marker.py::test_a: unknown prodreal id 'bogus'*"),
    ("@pytest.mark.prodreal\ndef test_a():\n    pass\n",
     "*test_marker.py::test_a: @pytest.mark.prodreal needs at least one category or remedy id*"),
    ("@pytest.mark.prodreal(5)\ndef test_a():\n    pass\n",
     "*test_marker.py::test_a: unknown prodreal id '5'*"),
    ("@pytest.mark.prodreal(ids='slo')\ndef test_a():\n    pass\n",
     "*test_marker.py::test_a: @pytest.mark.prodreal takes ids only, not keyword arguments*"),
    ("pytestmark = pytest.mark.prodreal('bogus')\ndef test_a():\n    pass\n",
     "*test_marker.py::test_a: unknown prodreal id 'bogus'*"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), BAD_MARKERS)
def test_bad_prodreal_marker_is_a_collection_error(
    pytester: pytest.Pytester, body: str, message: str
) -> None:
    pytester.makepyfile(test_marker="import pytest\n" + body)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([message, "*1 error*"])
    assert "Traceback" not in result.stdout.str()


def test_prodreal_marker_added_at_run_time_is_checked(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    """``request.node.add_marker(pytest.mark.prodreal('bogus'))`` fails the test, naming the id.

    A body that fails on its own keeps its own failure (the check runs only after a body that
    passed), and a test expected to fail stays xfailed.
    """
    pytester.makepyfile(
        test_late=textwrap.dedent(
            """
            import pytest
            def test_a(request):
                request.node.add_marker(pytest.mark.prodreal("bogus"))
            def test_b(request):
                request.node.add_marker(pytest.mark.prodreal("slo"))
            def test_c(request):
                request.node.add_marker(pytest.mark.prodreal("bogus"))
                assert 0, "the body's own failure"
            @pytest.mark.xfail(reason="known")
            def test_d(request):
                request.node.add_marker(pytest.mark.prodreal("bogus"))
            """
        )
    )
    result = pytester.runpytest("--prodreal-report=json:r.json", "-rfEx", *xdist_args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, failed=2, xfailed=1)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(["*test_late.py::test_a: unknown prodreal id 'bogus'*"])
    assert "the body's own failure" in out
    assert "test_late.py::test_c: unknown prodreal id" not in out
    assert "Traceback" not in out
    tests = {
        t["nodeid"]: t["outcome"]
        for t in json.loads((pytester.path / "r.json").read_text())["tests"]
    }
    assert tests == {
        "test_late.py::test_a": "failed",
        "test_late.py::test_b": "passed",
        "test_late.py::test_c": "failed",
        "test_late.py::test_d": "xfailed",
    }
