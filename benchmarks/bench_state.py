"""Benchmarks of the ``state`` category (issue 5)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pytest_prodreal.state import repeat

CALLS = 10_000
THREADS = 16


def _trivial() -> int:
    return 1


def _raw_pool() -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(_trivial) for _ in range(CALLS)]
        results = [f.result() for f in futures]
    assert len(results) == CALLS
    return time.perf_counter() - start


def _runner() -> float:
    start = time.perf_counter()
    outcomes = repeat(_trivial, CALLS, concurrency=THREADS, timeout=60)
    assert outcomes.all_ok
    assert len(outcomes) == CALLS
    return time.perf_counter() - start


def runner_overhead_ratio(rounds: int = 7) -> dict[str, object]:
    """10,000 trivial calls at 16 threads: the runner's wall time over a raw ThreadPoolExecutor's.

    Both run in the same process, interleaved, ``rounds`` times; the ratio of the medians.
    """
    raw: list[float] = []
    ours: list[float] = []
    timers: list[tuple[list[float], Callable[[], float]]] = [(raw, _raw_pool), (ours, _runner)]
    _raw_pool(), _runner()  # warm up both (thread start-up, imports)
    for _ in range(rounds):
        for sink, timer in timers:
            sink.append(timer())
    ratio = statistics.median(ours) / statistics.median(raw)
    return {
        "value": round(ratio, 3),
        "unit": "ratio",
        "goal": "<= 1.5",
        "runner_median_s": round(statistics.median(ours), 4),
        "raw_pool_median_s": round(statistics.median(raw), 4),
    }


BENCHMARKS = {"runner_overhead_ratio": runner_overhead_ratio}
