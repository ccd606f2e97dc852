"""Benchmarks of the ``state`` category (issues 5 and 9)."""

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


def _two_waits() -> int:
    time.sleep(1.0)  # virtual: where the concurrent runs interleave
    time.sleep(0.5)
    return 1


def interleaved_runs_per_s(rounds: int = 5) -> dict[str, object]:
    """Issue 9: 1,000 runs at concurrency 200 on the virtual clock, each with two virtual waits.

    Every run goes through the discrete-event scheduler (one run at a time, switching at its
    waits); the figure is runs per wall second, the median of ``rounds``.
    """
    from pytest_prodreal.clock import VirtualClock

    walls: list[float] = []
    virtual = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        with VirtualClock() as clock:
            outcomes = repeat(_two_waits, 1_000, concurrency=200, timeout=60)
        walls.append(time.perf_counter() - start)
        assert outcomes.all_ok
        assert outcomes.peak_in_flight == 200
        virtual = clock.elapsed
    wall = statistics.median(walls)
    return {
        "value": round(1_000 / wall),
        "unit": "runs/s",
        "goal": "informational (issue 9 names no figure); 7.5 virtual s per 1,000 runs",
        "virtual_s": virtual,
        "wall_median_s": round(wall, 4),
    }


BENCHMARKS = {
    "runner_overhead_ratio": runner_overhead_ratio,
    "interleaved_runs_per_s": interleaved_runs_per_s,
}
