from __future__ import annotations

import json
import re

import pytest

from pytest_prodreal import derive_seed, rng_for

SUITE = """
import pytest

@pytest.mark.parametrize("i", range(4))
def test_seed(prodreal_seed, prodreal_random, i):
    print(f"SEED {prodreal_seed} {prodreal_random.random():.12f}")
"""


def seeds(result: pytest.RunResult) -> dict[str, str]:
    # -rA prints each passing test's captured output under its own header.
    out: dict[str, str] = {}
    current = ""
    for line in result.stdout.lines:
        m = re.match(r"_+ (test_\S+) _+$", line)
        if m:
            current = m.group(1)
        m = re.match(r"SEED (\d+) (\S+)$", line)
        if m:
            out[current] = line
    return out


def test_per_test_seed_is_independent_of_order_selection_and_xdist(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_s=SUITE)
    full = seeds(pytester.runpytest("--prodreal-seed=11", "-rA"))
    assert len(full) == 4 and len(set(full.values())) == 4
    selected = seeds(pytester.runpytest("--prodreal-seed=11", "-rA", "-k", "2 or 3"))
    assert selected == {k: v for k, v in full.items() if k[-2] in "23"}
    xdist = seeds(pytester.runpytest("--prodreal-seed=11", "-rA", "-n", "2"))
    assert xdist == full
    other = seeds(pytester.runpytest("--prodreal-seed=12", "-rA"))
    assert set(other.values()).isdisjoint(full.values())


def test_fixture_matches_the_library_derivation(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_s="""
        from pytest_prodreal import derive_seed

        def test_x(prodreal_seed, request):
            assert prodreal_seed == derive_seed(99, request.node.nodeid)
        """
    )
    pytester.runpytest("--prodreal-seed=99").assert_outcomes(passed=1)


def test_header_shows_the_seed_when_asked(pytester: pytest.Pytester, xdist_args: list[str]) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--prodreal-report=json", *xdist_args)
    result.stdout.fnmatch_lines(["prodreal: seed * (reproduce with --prodreal-seed=*)"])
    result = pytester.runpytest("--prodreal-seed=5", *xdist_args)
    result.stdout.fnmatch_lines(["prodreal: seed 5 (reproduce with --prodreal-seed=5)"])


def test_fresh_seed_per_run_is_passed_to_workers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_s="""
        import pytest
        from pytest_prodreal import derive_seed

        @pytest.mark.parametrize("i", range(4))
        def test_x(prodreal_seed, request, i):
            print("RUN", request.config.getoption("prodreal_seed"), prodreal_seed)
        """
    )
    result = pytester.runpytest("--prodreal-report=json", "-n", "2", "-rA")
    (header,) = [ln for ln in result.stdout.lines if ln.startswith("prodreal: seed ")]
    run_seed = int(header.split()[2])
    lines = [ln for ln in result.stdout.lines if ln.startswith("RUN ")]
    assert len(lines) == 4
    for nodeid_suffix in range(4):
        nodeid = f"test_s.py::test_x[{nodeid_suffix}]"
        assert f"RUN None {derive_seed(run_seed, nodeid)}" in lines


def test_derivation_is_stable() -> None:
    # Pinned: a change here changes every user's reproduction of a failure.
    assert derive_seed(0, "t.py::a") == derive_seed(0, "t.py::a")
    assert derive_seed(1, "t.py::a") != derive_seed(0, "t.py::a")
    assert derive_seed(1, "t.py::a", salt="x") != derive_seed(1, "t.py::a")
    assert rng_for(3, "n").random() == rng_for(3, "n").random()
    assert derive_seed(12345, "tests/test_x.py::test_y") == 2070148029


RESEEDING_CONFTEST = """
import os
import random

import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # As pytest-randomly does: reseed the global random state before every test.
    random.seed(int(os.environ["RESEED"]) + len(item.nodeid))
"""

RANDOM_CHOICES = """
import json
import httpx
import pytest

@pytest.mark.parametrize("i", range(3))
def test_choices(prodreal_seed, prodreal_random, chaos, i):
    api = chaos.route("GET", "https://api.test/x", json={}).fault(503, rate=0.5)
    statuses = []
    with httpx.Client() as client:
        for _ in range(20):
            statuses.append(client.get("https://api.test/x").status_code)
    with open("choices.jsonl", "a") as f:
        f.write(json.dumps([i, prodreal_seed, prodreal_random.random(), statuses]) + "\\n")
"""


def test_a_plugin_reseeding_random_changes_none_of_our_choices(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, xdist_args: list[str]
) -> None:
    """Our random choices derive from the run seed and node id, never the global ``random``."""
    pytest.importorskip("respx")
    pytester.makeconftest(RESEEDING_CONFTEST)
    pytester.makepyfile(test_choices=RANDOM_CHOICES)
    runs = []
    for reseed in ("1", "999"):
        monkeypatch.setenv("RESEED", reseed)
        (pytester.path / "choices.jsonl").unlink(missing_ok=True)
        pytester.runpytest(*xdist_args, "--prodreal-seed=11").assert_outcomes(passed=3)
        lines = (pytester.path / "choices.jsonl").read_text().splitlines()
        runs.append(sorted(lines))
    assert runs[0] == runs[1]
    statuses = [s for line in runs[0] for s in json.loads(line)[3]]
    assert 503 in statuses and 200 in statuses  # the faults really were random choices
