"""The ``prodreal_concurrent`` marker: whole test bodies run N times at once, plain and xdist."""

from __future__ import annotations

import json

import pytest

SUITE = """
import asyncio
import threading

import pytest

lock = threading.Lock()
state = {"count": 0}


@pytest.mark.prodreal_concurrent(n=6)
def test_overlapping_bodies():
    # Opens only when all six bodies are inside at once: proves they overlap.
    test_overlapping_bodies.barrier.wait()

test_overlapping_bodies.barrier = threading.Barrier(6, timeout=10)


@pytest.mark.prodreal_concurrent(4, concurrency=2)
def test_with_fixtures(tmp_path, request):
    assert tmp_path.exists()
    test_with_fixtures.barrier.wait()  # both runs of a wave are in flight at once
    return "same answer"

test_with_fixtures.barrier = threading.Barrier(2, timeout=10)


@pytest.mark.prodreal_concurrent(n=4)
def test_lost_update():
    with lock:
        state["count"] += 1
        mine = state["count"]
    assert mine % 2 == 1, f"run saw count {mine}"


@pytest.mark.prodreal_concurrent(n=4)
def test_disagreeing_returns():
    with lock:
        state["count"] += 1
        return state["count"] % 2


@pytest.mark.asyncio
@pytest.mark.prodreal_concurrent(n=5)
async def test_async_body():
    test_async_body.inside += 1
    await asyncio.sleep(0.01)
    test_async_body.peak = max(test_async_body.peak, test_async_body.inside)
    test_async_body.inside -= 1
    assert test_async_body.peak == 5

test_async_body.inside = 0
test_async_body.peak = 0


@pytest.mark.prodreal_concurrent(n=2, timeout=0.3)
def test_deadlock():
    threading.Event().wait(5)


@pytest.mark.prodreal_concurrent(n=3)
def test_skipping_body():
    pytest.skip("not on this platform")


@pytest.mark.prodreal_concurrent(n=3)
def test_pytest_fail_body():
    pytest.fail("explicit failure")


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.prodreal_concurrent(n=4)
async def test_anyio_body():
    test_anyio_body.inside += 1
    await asyncio.sleep(0.01)
    test_anyio_body.peak = max(test_anyio_body.peak, test_anyio_body.inside)
    test_anyio_body.inside -= 1
    assert test_anyio_body.peak == 4

test_anyio_body.inside = 0
test_anyio_body.peak = 0


class TestMethods:
    barrier = threading.Barrier(3, timeout=10)

    @pytest.mark.prodreal_concurrent(n=3)
    def test_method(self):
        self.barrier.wait()
        return "same"


def test_unmarked_runs_once():
    state.setdefault("unmarked", 0)
    state["unmarked"] += 1
    assert state["unmarked"] == 1
"""


# pytester drops PYTEST_ADDOPTS; keep pytest-asyncio's "loop scope unset" warning out, and
# leave out the plugins of Faker and Hypothesis (unused here) that cost seconds per xdist worker.
QUIET = (
    "-o",
    "asyncio_default_fixture_loop_scope=function",
    "-p",
    "no:faker",
    "-p",
    "no:hypothesispytest",
)


def test_marker_runs_bodies_concurrently_and_fails_on_failures_or_disagreement(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest(*xdist_args, *QUIET, "--prodreal-report=json:out.json", "-q")
    result.assert_outcomes(passed=6, failed=4, skipped=1)
    data = json.loads((pytester.path / "out.json").read_text())
    outcome = {t["nodeid"].split("::")[-1]: t["outcome"] for t in data["tests"]}
    assert outcome == {
        "test_overlapping_bodies": "passed",
        "test_with_fixtures": "passed",
        "test_lost_update": "failed",
        "test_disagreeing_returns": "failed",
        "test_async_body": "passed",
        "test_deadlock": "failed",
        "test_skipping_body": "skipped",
        "test_pytest_fail_body": "failed",
        "test_anyio_body": "passed",
        "test_method": "passed",
        "test_unmarked_runs_once": "passed",
    }
    evidence = {t["nodeid"].split("::")[-1]: t["evidence"] for t in data["tests"]}
    assert [(e["remedy"], e["held"]) for e in evidence["test_overlapping_bodies"]] == [
        ("determinism", True)
    ]
    assert evidence["test_overlapping_bodies"][0]["figures"]["runs"] == 6
    assert [(e["remedy"], e["held"]) for e in evidence["test_lost_update"]] == [
        ("determinism", False)
    ]
    assert evidence["test_unmarked_runs_once"] == []
    out = result.stdout.str()
    assert "2 of 4 concurrent runs of the test body failed" in out
    assert "run saw count" in out
    assert "not deterministic: the runs disagree" in out
    assert "2x  returned 0" in out
    assert "2x  returned 1" in out
    assert "2 of 2 concurrent runs of the test body failed" in out
    assert "timed out" in out
    assert "3 of 3 concurrent runs of the test body failed" in out
    assert "explicit failure" in out


BAD_MARKERS = [
    ("prodreal_concurrent(n=0)", "n must be a positive integer"),
    ("prodreal_concurrent('8')", "n must be a positive integer"),
    ("prodreal_concurrent(n=2, concurrency=0)", "concurrency must be a positive integer"),
    ("prodreal_concurrent(n=2, timeout=-1)", "timeout must be a positive, finite number"),
    ("prodreal_concurrent(n=2, timeout=float('inf'))", "timeout must be a positive, finite"),
    ("prodreal_concurrent(n=10**6)", "too large"),
    ("prodreal_concurrent(n=2, workers=3)", "unknown argument(s) workers"),
    ("prodreal_concurrent(2, 3)", "at most one positional argument"),
]


def test_bad_markers_are_collection_errors(pytester: pytest.Pytester) -> None:
    # One file per bad marker, one run: each file reports its own collection error.
    for n, (marker, _) in enumerate(BAD_MARKERS):
        pytester.makepyfile(
            **{
                f"test_bad{n}": f"""
                import pytest

                @pytest.mark.{marker}
                def test_it():
                    pass
                """
            }
        )
    pytester.makepyfile(test_good="def test_fine():\n    pass\n")
    result = pytester.runpytest(*QUIET)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"*{len(BAD_MARKERS)} errors*"])
    for n, (_, message) in enumerate(BAD_MARKERS):
        result.stdout.fnmatch_lines(
            [f"*ERROR collecting test_bad{n}.py*", f"test_bad{n}.py::test_it: *{message}*"]
        )


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*QUIET, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.prodreal_concurrent(n=8, *"])


def test_library_and_glue_import_nothing_heavy() -> None:
    # The library must work from a script without pytest; the glue must stay inert.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import pytest_prodreal.state\n"
        "assert 'pytest' not in sys.modules and '_pytest' not in sys.modules\n"
        "import pytest_prodreal._glue.state\n"
        "heavy = ('respx', 'httpx', 'freezegun', 'hypothesis', 'faker', 'openai')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


# Issue 9: a racy cache passed ``prodreal_concurrent`` in 11 of 15 runs, because on the virtual
# clock the "concurrent" runs never overlapped. Now they interleave at the model call's virtual
# latency: the racy cache fails on every (derived) seed and its single-flight twin passes.
RACES = """
import threading
import time

import pytest


class Cache:
    def __init__(self, single_flight):
        self.data = {}
        self.calls = 0
        self.lock = threading.Lock() if single_flight else None

    def get(self, key):
        if self.lock is None:
            return self._get(key)
        with self.lock:
            return self._get(key)

    def _get(self, key):
        if key not in self.data:
            time.sleep(0.05)  # the model call: virtual time
            self.calls += 1
            self.data[key] = f"answer #{self.calls}"
        return self.data[key]


@pytest.fixture
def cache(single_flight):
    return Cache(single_flight)


def test_something_else_first():
    time.sleep(0)  # in the issue, the race hid when another test ran first


@pytest.mark.prodreal_clock
@pytest.mark.prodreal_concurrent(n=4)
@pytest.mark.parametrize("case", range(20))
@pytest.mark.parametrize("single_flight", [False, True], ids=["racy", "single_flight"])
def test_same_question(cache, single_flight, case):
    return cache.get("capital of France?")
"""

EMPTY = """
import pytest

@pytest.mark.prodreal_concurrent(n=2)
def test_concurrent_does_nothing():
    pass
"""


def test_a_racy_cache_fails_on_every_seed_and_its_locked_twin_passes(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_races=RACES)
    result = pytester.runpytest(
        *xdist_args, *QUIET, "-p", "no:randomly", "--prodreal-report=json:out.json", "-q"
    )
    result.assert_outcomes(passed=21, failed=20)
    data = json.loads((pytester.path / "out.json").read_text())
    for test in data["tests"]:
        if "test_same_question" not in test["nodeid"]:
            continue
        (evidence,) = test["evidence"]
        assert evidence["figures"]["peak_in_flight"] == 4
        assert evidence["held"] is ("single_flight" in test["nodeid"])
        assert test["outcome"] == ("passed" if evidence["held"] else "failed")
    assert "not deterministic: the runs disagree" in result.stdout.str()


def test_an_empty_concurrent_body_is_declared_only(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_empty=EMPTY)
    result = pytester.runpytest(
        *xdist_args,
        *QUIET,
        "-p",
        "no:randomly",
        # The warning is the message; the outer suite's "error" filter must not turn it into
        # a failure of the inner test.
        "-W",
        "default::pytest_prodreal.errors.ProdrealWarning",
        "--prodreal-report=json:out.json",
        "--prodreal-require=determinism",
    )
    result.assert_outcomes(passed=1)
    assert result.ret != 0  # the gate is not met
    data = json.loads((pytester.path / "out.json").read_text())
    status = {r["id"]: r["status"] for r in data["remedies"]}
    assert status["determinism"] == "declared"
    assert data["tests"][0]["evidence"] == []
