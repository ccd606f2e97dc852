"""The VirtualClock library class and its event loop, without the pytest glue."""

from __future__ import annotations

import asyncio
import asyncio.base_events
import datetime as dt
import math
import socket
import sys
import threading
import time
import types
from collections.abc import Iterator

import anyio
import anyio._backends._asyncio
import pytest

from pytest_prodreal.clock import ClockError, VirtualClock, VirtualTimeEventLoop, current_clock, run
from pytest_prodreal.errors import InvalidArgument

START = dt.datetime(2030, 1, 2, 3, 4, 5)
# In a dict, not module globals: the clock rebinds module-level clock aliases while it runs.
REAL = {
    "sleep": time.sleep,
    "monotonic": time.monotonic,
    "new_loop": asyncio.new_event_loop,
    "async_sleep": asyncio.sleep,
    "loop_time": asyncio.base_events.BaseEventLoop.time,
}


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    with VirtualClock(start=START) as started:
        yield started


def test_one_clock_for_every_reading(clock: VirtualClock) -> None:
    assert clock.active
    assert current_clock() is clock
    assert clock.now() == START.replace(tzinfo=dt.timezone.utc)
    assert time.time() == clock.time() == START.replace(tzinfo=dt.timezone.utc).timestamp()
    assert time.monotonic() == clock.monotonic() == time.perf_counter()
    assert time.monotonic_ns() == clock.monotonic() * 1e9
    assert dt.datetime.now(dt.timezone.utc) == clock.now()
    assert dt.date.today() == START.date()
    clock.advance(90.5)
    assert clock.elapsed == 90.5
    assert time.time() == clock.time() == START.timestamp() + 90.5 - _utc_offset(START)
    assert dt.datetime.now(dt.timezone.utc) == clock.now()
    assert clock.now() - START.replace(tzinfo=dt.timezone.utc) == dt.timedelta(seconds=90.5)


def _utc_offset(naive: dt.datetime) -> float:
    # ``naive.timestamp()`` reads a naive datetime as local time; the clock reads it as UTC.
    return naive.timestamp() - naive.replace(tzinfo=dt.timezone.utc).timestamp()


def test_time_sleep_advances_at_once(clock: VirtualClock) -> None:
    began = REAL["monotonic"]()
    t0 = time.monotonic()
    time.sleep(3600)
    time.sleep(0)
    assert time.monotonic() - t0 == 3600.0
    assert clock.elapsed == 3600.0
    assert REAL["monotonic"]() - began < 60  # a real sleep would take an hour


def test_advances_round_up_to_a_whole_microsecond(clock: VirtualClock) -> None:
    clock.advance(1e-9)
    assert clock.elapsed == 1e-6
    time.sleep(0.0000015)
    assert clock.elapsed == pytest.approx(3e-6)


def test_aware_start_is_converted_to_utc() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    with VirtualClock(start=dt.datetime(2030, 1, 1, 13, 0, tzinfo=paris)) as clock:
        assert clock.now() == dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.timezone.utc)


def test_default_start_is_the_real_current_second() -> None:
    before = dt.datetime.now(dt.timezone.utc)
    with VirtualClock() as clock:
        assert clock.now().microsecond == 0
        assert abs((clock.now() - before).total_seconds()) < 2


def test_readings_stay_after_stop() -> None:
    with VirtualClock(start=START) as clock:
        time.sleep(12)
    assert not clock.active
    assert current_clock() is None
    assert clock.elapsed == 12.0
    assert clock.now() == START.replace(tzinfo=dt.timezone.utc) + dt.timedelta(seconds=12)
    assert "stopped" in repr(clock)
    clock.stop()  # a second stop is harmless


def test_everything_is_put_back_after_stop() -> None:
    module = types.ModuleType("prodreal_alias_probe")
    module.monotonic = time.monotonic  # type: ignore[attr-defined]
    module.datetime = dt.datetime  # type: ignore[attr-defined]
    module.sleep = time.sleep  # type: ignore[attr-defined]  # ``from time import sleep``
    sys.modules[module.__name__] = module
    try:
        with VirtualClock(start=START):
            # ``from time import monotonic`` aliases read the virtual clock too.
            assert module.monotonic() == time.monotonic()  # type: ignore[attr-defined]
            assert module.datetime.now().year == 2030  # type: ignore[attr-defined]
            module.sleep(100)  # type: ignore[attr-defined]
            assert dt.datetime.now() == START + dt.timedelta(seconds=100)
            late = types.ModuleType("prodreal_alias_late")
            late.perf_counter = time.perf_counter  # type: ignore[attr-defined]
            late.sleep = time.sleep  # type: ignore[attr-defined]
            sys.modules[late.__name__] = late
        assert module.monotonic is REAL["monotonic"]  # type: ignore[attr-defined]
        assert module.datetime is dt.datetime  # type: ignore[attr-defined]
        # A module imported during the freeze bound a fake: it gets the real clock back.
        assert late.perf_counter() < 1e9  # type: ignore[attr-defined]
        assert late.sleep is REAL["sleep"]  # type: ignore[attr-defined]
        assert module.sleep is REAL["sleep"]  # type: ignore[attr-defined]
    finally:
        sys.modules.pop("prodreal_alias_probe", None)
        sys.modules.pop("prodreal_alias_late", None)
    assert time.sleep is REAL["sleep"]
    assert time.monotonic is REAL["monotonic"]
    assert asyncio.new_event_loop is REAL["new_loop"]
    assert asyncio.sleep is REAL["async_sleep"]
    assert anyio._backends._asyncio.sleep is REAL["async_sleep"]
    assert asyncio.base_events.BaseEventLoop.time is REAL["loop_time"]
    assert dt.datetime.now().year != 2030


def test_stop_puts_back_even_when_the_block_raises() -> None:
    def sleep_then_fail() -> None:
        with VirtualClock(start=START):
            time.sleep(5)
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        sleep_then_fail()
    assert time.sleep is REAL["sleep"]
    assert current_clock() is None


BAD_SECONDS = [-1, -0.001, math.nan, math.inf, -math.inf, True, "5", None]


@pytest.mark.parametrize("seconds", BAD_SECONDS)
def test_advance_rejects_bad_seconds(clock: VirtualClock, seconds: object) -> None:
    with pytest.raises(InvalidArgument, match="seconds"):
        clock.advance(seconds)  # type: ignore[arg-type]
    assert clock.elapsed == 0.0


def test_negative_sleep_is_a_value_error_like_time_sleep(clock: VirtualClock) -> None:
    with pytest.raises(ValueError, match=r"sleep length must be a finite number of seconds >= 0"):
        time.sleep(-1)


@pytest.mark.parametrize("start", ["2030-01-01", 0, dt.date(2030, 1, 1)])
def test_start_must_be_a_datetime(start: object) -> None:
    with pytest.raises(InvalidArgument, match=r"start must be a datetime\.datetime"):
        VirtualClock(start=start)  # type: ignore[arg-type]


def test_advance_before_start_is_a_clock_error() -> None:
    clock = VirtualClock(start=START)
    with pytest.raises(ClockError, match=r"is not running: call start\(\)"):
        clock.advance(1)
    assert clock.elapsed == 0.0
    assert clock.now() == START.replace(tzinfo=dt.timezone.utc)


def test_a_clock_runs_once() -> None:
    clock = VirtualClock(start=START)
    with clock:
        pass
    with pytest.raises(ClockError, match="already started; a VirtualClock runs once"):
        clock.start()


def test_one_clock_at_a_time(clock: VirtualClock) -> None:
    with pytest.raises(ClockError, match=r"another VirtualClock is already running.*current_clock"):
        VirtualClock().start()
    assert current_clock() is clock


def test_an_active_freezegun_freeze_is_a_clear_error() -> None:
    from freezegun import freeze_time

    with freeze_time("2020-05-06"), pytest.raises(ClockError) as info:
        VirtualClock().start()
    message = str(info.value)
    assert "freezegun freeze_time(...) (frozen at 2020-05-06T00:00:00) is already active" in message
    assert "Stop it first" in message
    assert current_clock() is None


def test_an_active_time_machine_travel_is_a_clear_error() -> None:
    time_machine = pytest.importorskip("time_machine")
    with time_machine.travel(0, tick=False), pytest.raises(ClockError) as info:
        VirtualClock().start()
    assert "a time-machine travel(...) is already active" in str(info.value)
    assert "Stop it first" in str(info.value)
    assert current_clock() is None


def test_threads_share_the_clock_and_their_sleeps_add_up(clock: VirtualClock) -> None:
    threads = [threading.Thread(target=time.sleep, args=(2,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.elapsed == 8.0


# -- the virtual event loop ----------------------------------------------------------------------


def test_concurrent_async_sleeps_overlap(clock: VirtualClock) -> None:
    async def main() -> float:
        await asyncio.gather(*(asyncio.sleep(5) for _ in range(3)))
        return clock.elapsed

    assert asyncio.run(main()) == 5.0


def test_async_timeouts_are_virtual(clock: VirtualClock) -> None:
    async def main() -> list[float]:
        seen = []
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.sleep(100), timeout=3)
        seen.append(clock.elapsed)
        with pytest.raises(asyncio.TimeoutError):  # asyncio.timeout() needs 3.11
            await asyncio.wait_for(asyncio.sleep(100), timeout=7)
        seen.append(clock.elapsed)
        loop = asyncio.get_running_loop()
        fired = loop.create_future()
        loop.call_later(0.25, fired.set_result, None)
        await fired
        seen.append(clock.elapsed)
        return seen

    assert asyncio.run(main()) == [3.0, 10.0, 10.25]


def test_anyio_sleeps_and_deadlines_are_virtual(clock: VirtualClock) -> None:
    async def main() -> list[float]:
        await anyio.sleep(3600)
        with anyio.move_on_after(5):
            await anyio.sleep(60)
        return [clock.elapsed, anyio.current_time() - clock.monotonic()]

    assert anyio.run(main) == [3605.0, 0.0]


def test_a_timer_due_now_does_not_spin(clock: VirtualClock) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        fired = loop.create_future()
        loop.call_at(loop.time(), fired.set_result, None)
        await asyncio.wait_for(fired, timeout=1)

    asyncio.run(main())
    assert clock.elapsed <= 1e-5


def test_loops_made_while_the_clock_runs_are_virtual(clock: VirtualClock) -> None:
    loop = asyncio.new_event_loop()
    try:
        assert isinstance(loop, VirtualTimeEventLoop)
        assert loop.time() == time.monotonic()
    finally:
        loop.close()


def test_async_sleep_on_a_virtual_loop_overlaps(clock: VirtualClock) -> None:
    async def main() -> None:
        await asyncio.gather(clock.async_sleep(4), clock.async_sleep(4))

    asyncio.run(main())
    assert clock.elapsed == 4.0


def test_async_sleep_on_another_loop_advances_and_yields(clock: VirtualClock) -> None:
    # A loop the clock did not make (say a session-wide one) cannot wait for virtual timers;
    # clock.async_sleep still works there, one sleeper after another.
    loop = asyncio.SelectorEventLoop()
    try:
        loop.run_until_complete(clock.async_sleep(30))
    finally:
        loop.close()
    assert clock.elapsed == 30.0


def test_foreign_loops_fall_back_instead_of_hanging(clock: VirtualClock) -> None:
    # The real_asyncio fallback: real timers (no hang on the frozen clock), virtual sleeps.
    async def main() -> float:
        loop = asyncio.get_running_loop()
        fired = loop.create_future()
        loop.call_later(0.01, fired.set_result, None)  # a real 10 ms timer
        await asyncio.wait_for(fired, timeout=5)
        await asyncio.gather(asyncio.sleep(30), asyncio.sleep(30))  # these add up
        await anyio.sleep(15)
        return clock.elapsed

    began = REAL["monotonic"]()
    loop = asyncio.SelectorEventLoop()
    try:
        assert loop.run_until_complete(main()) == 75.0
    finally:
        loop.close()
    assert REAL["monotonic"]() - began < 30  # real timers would take 75 s
    assert anyio.run(main, backend_options={"loop_factory": asyncio.SelectorEventLoop}) == 150.0


def test_real_io_under_a_virtual_timeout_is_not_cut_short(clock: VirtualClock) -> None:
    left, right = socket.socketpair()

    def answer_later() -> None:
        threading.Event().wait(0.05)  # real time: Event.wait is not virtual
        right.sendall(b"pong")

    async def main() -> bytes:
        reader, writer = await asyncio.open_connection(sock=left)
        threading.Thread(target=answer_later).start()
        try:
            return await asyncio.wait_for(reader.read(4), timeout=5)
        finally:
            writer.close()

    try:
        assert asyncio.run(main()) == b"pong"
    finally:
        right.close()
    # The clock moved with the real wait, not to the 5 s deadline.
    assert 0.04 <= clock.elapsed < 5


def test_executor_work_under_a_virtual_timeout_is_not_cut_short(clock: VirtualClock) -> None:
    async def main() -> str:
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(None, lambda: threading.Event().wait(0.05) or "done")
        return await asyncio.wait_for(work, timeout=2)

    assert asyncio.run(main()) == "done"
    assert clock.elapsed < 2


def test_joining_the_executor_lets_real_time_flow(clock: VirtualClock) -> None:
    # Found on Python 3.12+/3.13: asyncio.run joins the default executor under a 300 s timeout,
    # and the idle virtual loop jumped to it ("did not finishing joining its threads within
    # 300 seconds"). Here a 100 s timer stands for that timeout, on every Python version.
    async def main() -> tuple[float, list[int]]:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lambda: None)  # the default executor now exists
        executor = loop._default_executor  # type: ignore[attr-defined]
        executor.submit(threading.Event().wait, 0.05)  # real work the loop does not track
        fired: list[int] = []
        loop.call_later(100, fired.append, 1)
        before = clock.elapsed
        await loop.shutdown_default_executor()
        return clock.elapsed - before, fired

    moved, fired = asyncio.run(main())
    assert fired == []
    assert moved < 1


def test_run_starts_a_clock_for_a_script() -> None:
    async def main() -> float:
        before = time.monotonic()
        await asyncio.sleep(86_400)
        return time.monotonic() - before

    assert run(main()) == 86_400.0
    assert current_clock() is None
    assert time.sleep is REAL["sleep"]


def test_a_virtual_loop_without_a_clock_runs_in_real_time() -> None:
    loop = VirtualTimeEventLoop()
    try:
        began = REAL["monotonic"]()
        loop.run_until_complete(asyncio.sleep(0.01))
        assert REAL["monotonic"]() - began >= 0.009
        assert abs(loop.time() - REAL["monotonic"]()) < 1
    finally:
        loop.close()


def test_importing_the_clock_glue_is_light() -> None:
    import subprocess

    code = (
        "import sys, pytest_prodreal._glue.clock\n"
        "heavy = [m for m in ('freezegun', 'asyncio', 'respx', 'httpx') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_freezegun_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "freezegun", None)
    with pytest.raises(
        ClockError, match=r"needs freezegun: pip install 'pytest-prodreal\[chaos\]'"
    ):
        VirtualClock().start()
    assert current_clock() is None
    assert time.sleep is REAL["sleep"]


def test_run_on_a_given_clock_starts_and_stops_it() -> None:
    clock = VirtualClock(start=START)

    async def main() -> None:
        await asyncio.gather(asyncio.sleep(10), clock.async_sleep(10))

    run(main(), clock=clock)
    assert not clock.active
    assert clock.elapsed == 10.0


def test_async_sleep_rejects_bad_seconds(clock: VirtualClock) -> None:
    async def main() -> None:
        await clock.async_sleep(-5)

    with pytest.raises(InvalidArgument, match="sleep length must be a finite number"):
        asyncio.run(main())
    assert clock.elapsed == 0.0


def test_a_module_replaced_under_the_same_name_is_rescanned() -> None:
    # pytester re-imports test modules under one name: the alias cache must notice.
    first = types.ModuleType("prodreal_replaced_probe")
    sys.modules[first.__name__] = first
    try:
        with VirtualClock(start=START):
            pass
        second = types.ModuleType("prodreal_replaced_probe")
        second.monotonic = time.monotonic  # type: ignore[attr-defined]
        sys.modules[second.__name__] = second
        with VirtualClock(start=START) as clock:
            time.sleep(5)
            assert second.monotonic() == clock.monotonic()  # type: ignore[attr-defined]
        assert second.monotonic is REAL["monotonic"]  # type: ignore[attr-defined]
    finally:
        sys.modules.pop("prodreal_replaced_probe", None)


class _LazyModule(types.ModuleType):
    def __getattribute__(self, name: str) -> object:
        if name == "__dict__":
            raise ImportError("a lazy module that imports on first attribute access")
        return super().__getattribute__(name)


def test_a_module_that_fails_on_attribute_access_is_skipped() -> None:
    sys.modules["prodreal_lazy_probe"] = _LazyModule("prodreal_lazy_probe")
    try:
        with VirtualClock(start=START) as clock:
            time.sleep(1)
        assert clock.elapsed == 1.0
    finally:
        sys.modules.pop("prodreal_lazy_probe", None)
