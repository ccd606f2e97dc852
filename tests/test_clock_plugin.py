"""The prodreal_clock fixture and marker, through pytester (plain and under ``-n 2``)."""

from __future__ import annotations

import importlib.util
import re
import time

import pytest

# One file for the end-to-end run (each pytester run costs seconds, an xdist one more):
# an hour of virtual sleep per test, sync, pytest-asyncio and anyio (real sleeps would take
# hours), the marker alone and with start=, a test that sleeps two virtual hours for
# --durations, and tests that do not ask for the clock.
END_TO_END = """
import asyncio, datetime, sys, time
import anyio
import pytest

def test_sync(prodreal_clock):
    t0 = time.monotonic()
    time.sleep(3600)
    assert time.monotonic() - t0 == 3600.0 == prodreal_clock.elapsed

@pytest.mark.asyncio
async def test_asyncio(prodreal_clock):
    await asyncio.gather(asyncio.sleep(3600), asyncio.sleep(3600))
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.sleep(60), timeout=5)
    assert prodreal_clock.elapsed == 3605.0

@pytest.mark.anyio
async def test_anyio(prodreal_clock):
    await anyio.sleep(3600)
    with anyio.move_on_after(5):
        await anyio.sleep(60)
    assert prodreal_clock.elapsed == 3605.0

@pytest.mark.prodreal_clock
def test_marker_alone():
    time.sleep(3600)
    from pytest_prodreal.clock import current_clock
    assert current_clock().elapsed == 3600.0

@pytest.mark.prodreal_clock(start=datetime.datetime(2031, 3, 4, 5, 6, 7))
def test_marker_start(prodreal_clock):
    assert datetime.datetime.now() == datetime.datetime(2031, 3, 4, 5, 6, 7)
    assert prodreal_clock.now().year == 2031

def test_durations(prodreal_clock):
    time.sleep(7200)

def test_untouched_sync():
    began = time.perf_counter()
    time.sleep(0.02)
    assert time.perf_counter() - began >= 0.015

@pytest.mark.asyncio
async def test_untouched_loop():
    assert type(asyncio.get_running_loop()).__name__ == "_UnixSelectorEventLoop"
"""


def test_clock_end_to_end(pytester: pytest.Pytester, xdist_args: list[str]) -> None:
    pytester.makepyfile(END_TO_END)
    began = time.perf_counter()
    result = pytester.runpytest(*xdist_args, "-p", "no:cacheprovider", "--durations=0", "-vv")
    wall = time.perf_counter() - began
    # anyio runs test_anyio on trio too when trio is installed (the test extra has it): trio's
    # timers are virtual as well (issue 9).
    has_trio = importlib.util.find_spec("trio") is not None
    result.assert_outcomes(passed=8 + has_trio)
    # Over five virtual hours of sleep. The budget is generous (interpreter and xdist worker
    # start-up on a loaded CI machine); real sleeps would take hours.
    assert wall < 120
    durations = {
        m.group(2): float(m.group(1))
        for line in result.outlines
        if (m := re.match(r"^(\d+\.\d+)s (setup|call|teardown) .*::test_durations$", line))
    }
    # pytest's own timer stays real: not 7200 s, nor the epoch-sized fake (~1.9e9 s).
    assert set(durations) == {"setup", "call", "teardown"}, result.outlines
    assert all(d < 30 for d in durations.values()), durations


def test_no_leak_after_a_failing_test(pytester: pytest.Pytester) -> None:
    # One process on purpose: each "after" test runs where the failing one ran.
    pytester.makepyfile(
        """
        import asyncio, datetime, time
        import pytest

        REAL = {"sleep": time.sleep, "new_loop": asyncio.new_event_loop}

        def check_real_time():
            from pytest_prodreal.clock import current_clock
            assert current_clock() is None
            assert time.sleep is REAL["sleep"]
            assert asyncio.new_event_loop is REAL["new_loop"]
            wall = datetime.datetime.now(datetime.timezone.utc).timestamp()
            assert abs(time.time() - wall) < 5
            assert time.monotonic() < 1e9  # not the epoch-sized fake
            began = time.perf_counter()
            time.sleep(0.02)
            assert time.perf_counter() - began >= 0.015

        @pytest.fixture
        def broken_setup(prodreal_clock):
            raise RuntimeError("setup boom")

        @pytest.fixture
        def broken_teardown(prodreal_clock):
            yield
            raise RuntimeError("teardown boom")

        def test_1_fails(prodreal_clock):
            time.sleep(86400)
            assert False, "boom"

        def test_2_after():
            check_real_time()

        @pytest.mark.asyncio
        async def test_3_fails_async(prodreal_clock):
            await asyncio.sleep(86400)
            raise RuntimeError("async boom")

        @pytest.mark.asyncio
        async def test_4_after_on_a_real_loop():
            assert type(asyncio.get_running_loop()).__name__ != "VirtualTimeEventLoop"
            check_real_time()

        def test_5_setup(broken_setup):
            pass

        def test_6_after():
            check_real_time()

        def test_7_teardown(broken_teardown):
            time.sleep(10)

        def test_8_after():
            check_real_time()

        # A module-scoped loop made before any clock: the clock cannot make it virtual, but it
        # must not hang on the frozen clock either (real timers, virtual sleeps).
        @pytest.mark.asyncio(loop_scope="module")
        async def test_9_module_loop_made_outside():
            await asyncio.sleep(0)

        @pytest.mark.asyncio(loop_scope="module")
        async def test_10_module_loop_with_clock(prodreal_clock):
            await asyncio.sleep(3600)
            assert prodreal_clock.elapsed == 3600.0
            loop = asyncio.get_running_loop()
            fired = loop.create_future()
            loop.call_later(0.01, fired.set_result, "fired")  # a real 10 ms timer
            assert await fired == "fired"

        def test_11_after():
            check_real_time()
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=8, failed=2, errors=2)
    result.stdout.fnmatch_lines_random(
        [
            "*AssertionError: boom",
            "*RuntimeError: async boom",
            "*RuntimeError: setup boom",
            "*RuntimeError: teardown boom",
        ]
    )


def test_bad_marker_is_a_collection_error(pytester: pytest.Pytester) -> None:
    cases = {
        "test_args": ('prodreal_clock("soon")', "takes only start=<datetime>, got 'soon'"),
        "test_kwargs": ("prodreal_clock(begin=1)", "takes only start=<datetime>, got begin"),
        "test_start": (
            'prodreal_clock(start="2030-01-01")',
            "start=...) must be a datetime.datetime (naive means UTC), got str '2030-01-01'",
        ),
    }
    for name, (marker, _) in cases.items():
        pytester.makepyfile(**{name: f"import pytest\n@pytest.mark.{marker}\ndef test_x(): pass\n"})
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines_random(
        [
            f"*{name}.py::test_x: @pytest.mark.prodreal_clock*{message}*"
            for name, (_, message) in cases.items()
        ]
    )


def test_another_freeze_is_a_setup_error_naming_it(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import freezegun

        def pytest_configure(config):
            config._prodreal_test_freeze = freezegun.freeze_time("2020-01-01")
            config._prodreal_test_freeze.start()

        def pytest_unconfigure(config):
            config._prodreal_test_freeze.stop()
        """
    )
    pytester.makepyfile(
        """
        def test_x(prodreal_clock):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*ClockError: cannot start a VirtualClock: a freezegun freeze_time(...)*already active*"]
    )
