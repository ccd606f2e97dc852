from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest requires tomli before 3.11
    import tomli as tomllib

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


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement string (``"Foo_bar>=1; ..."``)."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\s\[<>=!~;(]", requirement, maxsplit=1)[0]).lower()


def _closure(names: set[str]) -> set[str]:
    """``names`` and every installed distribution they require (not counting extras)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for req in requires:
            if "extra ==" in req:
                continue
            marker = req.partition(";")[2].strip()
            if marker and not _marker_holds(marker):
                continue
            todo.append(_name(req))
    return seen


def _marker_holds(marker: str) -> bool:
    try:
        from packaging.markers import Marker
    except ImportError:  # pragma: no cover - pytest requires packaging
        return True
    return Marker(marker).evaluate()


def _extras() -> dict[str, list[str]]:
    with open(Path(__file__).parents[1] / "pyproject.toml", "rb") as f:
        extras: dict[str, list[str]] = tomllib.load(f)["project"]["optional-dependencies"]
    return extras


#: pytest-prodreal's required dependencies and theirs: what loading the plugin may import.
CORE = _closure({"pytest", "pluggy", "pytest-prodreal"}) | {"setuptools"}  # setuptools: .pth hook
#: Every distribution named in an extra of pyproject.toml (chaos, inputs, trust, otel, test,
#: bench, dev, ...), with what they pull in: loading the plugin must import none of them.
OPTIONAL = (
    _closure(
        {
            _name(r)
            for reqs in _extras().values()
            for r in reqs
            if not r.startswith("pytest-prodreal")
        }
    )
    - CORE
)

# Run in the pytester subprocess: which distributions own the imported top-level modules.
REPORT_DISTS = """
import importlib.metadata
import re
import sys

def _owners():
    # importlib.metadata.packages_distributions(), also on Python 3.10, whose version reads only
    # top_level.txt (which wheels built by hatchling or flit, httpx's say, do not have): a
    # distribution's top-level names are then taken from the files it installed.
    owners = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        tops = (dist.read_text("top_level.txt") or "").split()
        if not tops:
            for f in dist.files or ():
                first = f.parts[0] if f.parts else ""
                if len(f.parts) > 1 and not first.endswith((".dist-info", ".egg-info")):
                    tops.append(first)
                elif f.suffix == ".py" and len(f.parts) == 1:
                    tops.append(f.stem)
        for top in set(tops):
            owners.setdefault(top, []).append(name)
    return owners

def pytest_unconfigure(config):
    owners = _owners()
    tops = {name.partition(".")[0] for name in list(sys.modules)}
    dists = {re.sub(r"[-_.]+", "-", d).lower() for t in tops for d in owners.get(t, ())}
    print("DISTS", " ".join(sorted(dists)))
"""

EVERY_FEATURE_UNUSED = """
import pytest

@pytest.mark.prodreal("dependencies")
def test_marked(prodreal_seed, prodreal_random):
    assert prodreal_random.random() < 1

@pytest.mark.parametrize("x", [1, 2])
def test_plain(x):
    assert x
"""


def _loaded(result: pytest.RunResult) -> set[str]:
    lines = [ln for ln in result.stdout.lines if ln.startswith("DISTS")]
    assert lines, result.stdout.str()
    return set(lines[-1].split()[1:])


def test_the_optional_set_covers_every_extra() -> None:
    # Every direct requirement of every extra is checked (the brief's list is a sample of them).
    direct = {_name(r) for reqs in _extras().values() for r in reqs}
    direct.discard("pytest-prodreal")
    assert direct - CORE <= OPTIONAL
    for name in ("faker", "hypothesis", "respx", "httpx", "freezegun", "openai", "requests",
                 "aiohttp", "phonenumbers", "python-stdnum", "opentelemetry-sdk"):  # fmt: skip
        assert name in OPTIONAL, name


def test_loading_the_plugin_imports_no_optional_dependency(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Only pytest and pytest-prodreal are loaded (other plugins import these themselves), and
    # the run uses the marker, the seed fixtures, every report type and a gate.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest(REPORT_DISTS)
    pytester.makepyfile(test_suite=EVERY_FEATURE_UNUSED)
    result = pytester.runpytest_subprocess(
        "-s",
        "-p", "prodreal",
        f"--prodreal-report=json:{tmp_path / 'r.json'}",
        f"--prodreal-report=md:{tmp_path / 'r.md'}",
        f"--prodreal-report=html:{tmp_path / 'r.html'}",
        "--prodreal-max-unchecked=15",
    )  # fmt: skip
    result.assert_outcomes(passed=3)
    assert "pytest-prodreal" in _loaded(result)
    assert _loaded(result) & OPTIONAL == set()


def test_the_import_check_sees_an_optional_dependency(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control: a test module that imports one is seen, so the check above can fail.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest(REPORT_DISTS)
    pytester.makepyfile("import respx\n\ndef test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-s", "-p", "prodreal")
    result.assert_outcomes(passed=1)
    assert {"respx", "httpx"} <= _loaded(result) & OPTIONAL


def test_with_other_plugins_ours_adds_no_import(pytester: pytest.Pytester) -> None:
    # As installed with the test extra: whatever the other plugins import, ours adds nothing.
    pytester.makeconftest(REPORT_DISTS)
    pytester.makepyfile(test_suite=EVERY_FEATURE_UNUSED)
    off = pytester.runpytest_subprocess("-s", "-p", "no:randomly", "-p", "no:prodreal",
                                        "-k", "plain")  # fmt: skip
    on = pytester.runpytest_subprocess("-s", "-p", "no:randomly", "--prodreal-report=json")
    assert off.ret == on.ret == pytest.ExitCode.OK
    assert _loaded(on) - _loaded(off) == {"pytest-prodreal"}


def test_importing_the_package_is_light() -> None:
    code = (
        "import importlib.metadata, sys, pytest_prodreal, pytest_prodreal.plugin; "
        "owners = importlib.metadata.packages_distributions(); "
        "print(sorted({d for m in list(sys.modules) for d in owners.get(m.partition('.')[0], ())}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = {_name(d) for d in ast.literal_eval(out.strip())}
    assert "pytest-prodreal" in loaded
    assert loaded & OPTIONAL == set()


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
