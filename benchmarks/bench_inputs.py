"""Benchmarks of the inputs category: messy_text speed, health checks, corpus saves.

Run with ``python -m benchmarks messy_text_examples_per_s messy_text_vs_st_text_ratio
health_check_failures corpus_save_2000_s``.
"""

from __future__ import annotations

import functools
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

EXAMPLES = 1_000
ROUNDS = 3


def _timed_given(make: Callable[[], object]) -> tuple[float, int]:
    """Seconds for one ``@given`` test of EXAMPLES examples, and how many examples ran."""
    from hypothesis import given, settings

    calls = [0]

    @settings(max_examples=EXAMPLES, database=None, deadline=None)
    @given(make())
    def test(value: object) -> None:
        calls[0] += 1

    start = time.perf_counter()
    test()
    return time.perf_counter() - start, calls[0]


@functools.cache  # both speed benchmarks report the same run
def _rounds() -> tuple[list[float], list[float], list[int]]:
    from hypothesis import strategies as st

    from pytest_prodreal import strategies as ps

    _timed_given(ps.messy_text)  # warm-up: imports, Faker's first instance, caches
    _timed_given(st.text)
    messy: list[float] = []
    text: list[float] = []
    counts: list[int] = []
    for _ in range(ROUNDS):  # alternate, so machine load hits both alike
        seconds, count = _timed_given(ps.messy_text)
        messy.append(seconds / count)
        counts.append(count)
        seconds, count = _timed_given(st.text)
        text.append(seconds / count)
    return messy, text, counts


def examples_per_s() -> dict[str, object]:
    messy, _, counts = _rounds()
    return {
        "value": round(1 / statistics.median(messy)),
        "unit": "examples/s",
        "goal": ">= 2000",
        "examples": counts[0],
        "st_text_examples_per_s": round(1 / statistics.median(_rounds()[1])),
    }


def _readable_examples() -> bool:
    """Whether a failing ``messy_text`` example reports the text and its steps (issue 14).

    The ratio is quoted with them on: this runs one failing test and reads its report.
    """
    from hypothesis import given, settings

    from pytest_prodreal import strategies as ps

    @settings(database=None, derandomize=True)
    @given(text=ps.messy_text("What is the capital of France?"))
    def failing(text: str) -> None:
        assert "capital" in text

    try:
        failing()
    except AssertionError as exc:
        report = "\n".join(getattr(exc, "__notes__", ()))
        return "messy_text: 'What is the capital" in report and "build((" not in report
    return False


def ratio_to_st_text() -> dict[str, object]:
    messy, text, _ = _rounds()
    return {
        "value": round(statistics.median(messy) / statistics.median(text), 2),
        "unit": "x st.text() time per example",
        "goal": "<= 1.5",
        "st_text_examples_per_s": round(1 / statistics.median(text)),
        "readable_examples": _readable_examples(),
    }


DEFAULT_USE = (
    "ps.messy_text()",
    "ps.perturbed()",
    "ps.typos()",
    "ps.abbreviations()",
    "ps.slang()",
    "ps.case_noise()",
    "ps.whitespace_noise()",
    "ps.unicode_noise()",
    "ps.truncations()",
    "ps.repetitions()",
    "ps.mojibake()",
    "ps.markup()",
    "ps.injections()",
    "ps.pii_text()",
    "ps.empty_like()",
    "ps.long_text()",
    "ps.messy_numbers()",
    "ps.messy_dates()",
    "ps.messy_datetimes()",
    "ps.messy_phone_numbers()",
    "ps.messy_json({'id': 1, 'name': 'Ada', 'tags': ['a'], 'address': {'city': 'Paris'}})",
    "ps.messy_json(schema={'type': 'object', 'properties': {'q': {'type': 'string'}}})",
)

_PROBE = """
import sys
from hypothesis import given, settings
from hypothesis.errors import FailedHealthCheck
from pytest_prodreal import strategies as ps

@settings(database=None)  # otherwise Hypothesis's defaults: 100 examples, every health check
@given(eval(sys.argv[1]))
def test(value):
    pass

try:
    test()
except FailedHealthCheck as exc:
    print(exc)
    sys.exit(1)
"""


def health_check_failures() -> dict[str, object]:
    # One fresh interpreter per strategy: a first use pays for imports (Faker), as users' do.
    def probe(expr: str) -> tuple[str, int, str]:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, expr], capture_output=True, text=True, check=False
        )
        return expr, done.returncode, (done.stdout + done.stderr).strip()[-300:]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(probe, DEFAULT_USE))
    failing = [f"{expr}: {out}" for expr, code, out in results if code]
    return {
        "value": len(failing),
        "unit": "strategies",
        "goal": "0",
        "checked": len(results),
        "failing": failing,
    }


def _saves(n: int) -> float:
    """Seconds for ``n`` saves of distinct failing examples into one test's corpus file."""
    import tempfile
    from pathlib import Path

    from pytest_prodreal.inputs import FailureCorpus, TestCorpus

    with tempfile.TemporaryDirectory() as tmp:
        corpus = TestCorpus(FailureCorpus(Path(tmp) / "c.jsonl"), "record", run="bench")
        start = time.perf_counter()
        for i in range(n):
            corpus.save({"text": f"example {i}", "n": i})
        corpus.close()  # what the plugin does when the test ends
        return time.perf_counter() - start


def corpus_save_2000_s() -> dict[str, object]:
    # Each save is locked and appended (fsync at most every 0.1 s and at the end): the cost per
    # save must not grow with the file.
    small = _saves(500)
    seconds = _saves(2000)
    return {
        "value": round(seconds, 3),
        "unit": "s",
        "goal": "<= 1 (linear in saves)",
        "saves_500_s": round(small, 3),
        "growth_500_to_2000": round(seconds / small, 2),
    }


BENCHMARKS: dict[str, Callable[[], dict[str, object]]] = {
    "corpus_save_2000_s": corpus_save_2000_s,
    "messy_text_examples_per_s": examples_per_s,
    "messy_text_vs_st_text_ratio": ratio_to_st_text,
    "health_check_failures": health_check_failures,
}
