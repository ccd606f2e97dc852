"""trio on the virtual clock (issue 9): trio.run gets a virtual trio clock, never hangs."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

trio = pytest.importorskip("trio")

from pytest_prodreal.clock import VirtualClock  # noqa: E402

_SCRIPT = """
import time, trio
from pytest_prodreal.clock import VirtualClock
with VirtualClock() as clock:
    trio.run(trio.sleep, 0.001)
    time.sleep(5)
    print("ok", clock.elapsed)
"""


def test_trio_run_under_the_clock_does_not_hang_and_is_virtual() -> None:
    # A subprocess with a timeout guard: a hang fails the test instead of hanging the suite.
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ok", "5.001"]


_LAZY_SCRIPT = """
import sys, time
from pytest_prodreal.clock import VirtualClock
assert "trio" not in sys.modules
with VirtualClock():
    pass  # never imported trio: the hook leaves with the clock
assert not any(type(f).__name__ == "_ImportHook" for f in sys.meta_path)
with VirtualClock() as clock:
    import trio  # first imported while the clock runs
    trio.run(trio.sleep, 3600)
    print("ok", clock.elapsed)
trio.run(trio.sleep, 0.001)  # after the clock: trio's real clock again
hooked = any(type(f).__name__ == "_ImportHook" for f in sys.meta_path)
print("after", hasattr(trio.run, "__wrapped__"), hooked)
"""


def test_trio_first_imported_under_the_clock_is_virtual_too() -> None:
    # Before, only a trio imported before the clock started was patched: this hung forever.
    done = subprocess.run(
        [sys.executable, "-c", _LAZY_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ok", "3600.0", "after", "False", "False"]


async def _day_of_timers() -> float:
    start = trio.current_time()
    await trio.sleep(5)
    with trio.move_on_after(10):
        await trio.sleep(100)  # cancelled at 10 virtual seconds
    async with trio.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(trio.sleep, 7)  # concurrent sleeps overlap: 7, not 21
    time.sleep(2)  # a sync sleep inside a trio task moves trio's time too
    with pytest.raises(trio.TooSlowError), trio.fail_after(30):
        await trio.sleep(3600)
    return float(trio.current_time() - start)


def test_trio_timers_sleeps_and_timeouts_take_virtual_time() -> None:
    began = time.perf_counter()
    with VirtualClock() as clock:
        took = trio.run(_day_of_timers)
    assert took == pytest.approx(54.0)
    assert clock.elapsed == pytest.approx(54.0)
    assert time.perf_counter() - began < 30  # a real-time trio would need 54 s


def test_anyio_on_the_trio_backend_is_virtual() -> None:
    anyio = pytest.importorskip("anyio")

    async def main() -> None:
        await anyio.sleep(120)

    with VirtualClock() as clock:
        anyio.run(main, backend="trio")
    assert clock.elapsed == pytest.approx(120.0)


def test_a_clock_the_caller_passes_is_left_alone_and_trio_is_restored() -> None:
    original = trio.run
    mock = trio.testing.MockClock(autojump_threshold=0)
    with VirtualClock() as clock:
        assert trio.run is not original
        trio.run(trio.sleep, 50, clock=mock)
        assert clock.elapsed == 0.0  # the caller's clock moved, not ours
        assert mock.current_time() == pytest.approx(50.0)
    assert trio.run is original


def test_trio_under_the_plugin_clock(pytester: pytest.Pytester, xdist_args: list[str]) -> None:
    pytester.makepyfile(
        """
        import pytest, trio

        @pytest.mark.prodreal_clock
        def test_backoff(prodreal_clock):
            async def retry():
                for attempt in range(6):
                    await trio.sleep(2 ** attempt)
            trio.run(retry)
            assert prodreal_clock.elapsed == pytest.approx(63.0)
        """
    )
    result = pytester.runpytest("-p", "no:randomly", *xdist_args)
    result.assert_outcomes(passed=1)
