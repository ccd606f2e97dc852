"""Benchmarks of the virtual clock: its start/stop cost, and how fast virtual time runs.

``clock_start_stop_ms`` is the clock's share of the issue's ``chaos_fixture_overhead_ms`` (goal
5 ms for the whole chaos fixture), measured with the openai and anthropic SDKs imported, as there.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time

# In a dict: the clock rebinds module-level clock aliases (a global ``P = time.perf_counter``
# would read virtual time while a clock runs).
REAL = {"perf_counter": time.perf_counter}


def _heavy_imports() -> None:
    # The modules a real suite has loaded: the clock's start cost grows with sys.modules.
    import anthropic  # noqa: F401
    import httpx  # noqa: F401
    import httpx2  # noqa: F401
    import openai  # noqa: F401
    import respx  # noqa: F401


def clock_start_stop_ms() -> dict[str, object]:
    from pytest_prodreal.clock import VirtualClock

    _heavy_imports()
    VirtualClock().start().stop()  # the first start scans every module once
    perf = REAL["perf_counter"]
    samples = []
    for _ in range(200):
        began = perf()
        clock = VirtualClock().start()
        clock.stop()
        samples.append((perf() - began) * 1000)
    return {
        "value": round(statistics.median(samples), 3),
        "unit": "ms",
        "goal": "<= 3 ms median start+stop with the openai and anthropic SDKs imported",
    }


def clock_virtual_to_wall_ratio() -> dict[str, object]:
    import tenacity

    from pytest_prodreal.clock import VirtualClock

    perf = REAL["perf_counter"]

    class Down(Exception):
        pass

    def fail() -> None:
        raise Down

    async def async_retries() -> None:
        # 600 sequential 1 s sleeps and a 600 s timeout, on the virtual event loop.
        for _ in range(600):
            await asyncio.sleep(1)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.sleep(3600), timeout=600)

    began = perf()
    with VirtualClock() as clock:
        # tenacity: 1 s back-off until a one-hour deadline (3,601 attempts).
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_delay(3600), wait=tenacity.wait_fixed(1), reraise=True
        )
        with contextlib.suppress(Down):
            retrying(fail)
        asyncio.run(async_retries())
        virtual = clock.elapsed
    wall = perf() - began
    return {
        "value": round(virtual / wall),
        "unit": "virtual s per wall s",
        "goal": ">= 1000 (4,800 virtual s of sync and async back-off and timeouts)",
    }


BENCHMARKS = {
    "clock_start_stop_ms": clock_start_stop_ms,
    "clock_virtual_to_wall_ratio": clock_virtual_to_wall_ratio,
}
