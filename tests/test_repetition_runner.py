"""The repeat-runner: modes, overlap, grouping, timeouts, assert_deterministic, bad input."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import threading
import time

import pytest

from pytest_prodreal import InvalidArgument, collecting_evidence
from pytest_prodreal.state import Outcomes, arepeat, repeat


def test_sequential_runs_one_at_a_time_in_order() -> None:
    active = 0
    peak = 0
    order: list[int] = []
    counter = itertools.count()
    lock = threading.Lock()

    def call() -> int:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        n = next(counter)
        order.append(n)
        time.sleep(0.001)
        with lock:
            active -= 1
        return n

    outcomes = repeat(call, 5, mode="sequential")
    assert peak == 1
    assert outcomes.values == [0, 1, 2, 3, 4]
    assert [o.index for o in outcomes] == [0, 1, 2, 3, 4]
    assert outcomes.mode == "sequential"
    assert outcomes.concurrency == 1


def test_threads_overlap_behind_the_start_barrier() -> None:
    # An inner barrier that only opens when all 8 calls are inside at once: it proves overlap.
    inner = threading.Barrier(8, timeout=5)
    outcomes = repeat(inner.wait, 8, mode="threads")
    assert outcomes.all_ok, outcomes.describe()
    assert sorted(outcomes.values) == list(range(8))  # Barrier.wait returns distinct indices


def test_threads_concurrency_caps_calls_in_flight() -> None:
    active = 0
    peak = 0
    lock = threading.Lock()

    def call() -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.005)
        with lock:
            active -= 1

    outcomes = repeat(call, 12, concurrency=3)
    assert outcomes.all_ok
    assert len(outcomes) == 12
    assert peak == 3


def test_asyncio_mode_overlaps_tasks() -> None:
    inside = 0
    peak = 0

    async def call() -> str:
        nonlocal inside, peak
        inside += 1
        peak = max(peak, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        return "ok"

    outcomes = repeat(call, 6, mode="asyncio")
    assert outcomes.values == ["ok"] * 6
    assert peak == 6


@pytest.mark.parametrize("mode", ["sequential", "threads"])
def test_async_callables_run_in_thread_modes(mode: str) -> None:
    async def call() -> int:
        await asyncio.sleep(0)
        return 7

    assert repeat(call, 3, mode=mode).values == [7, 7, 7]  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_arepeat_runs_on_the_running_loop() -> None:
    loop = asyncio.get_running_loop()
    seen: list[asyncio.AbstractEventLoop] = []

    async def call() -> int:
        seen.append(asyncio.get_running_loop())
        await asyncio.sleep(0)
        return 1

    outcomes = await arepeat(call, 4)
    assert outcomes.values == [1] * 4
    assert seen == [loop] * 4
    sequential = await arepeat(call, 2, concurrency=1)
    assert sequential.mode == "sequential"


def test_args_kwargs_and_context_reach_the_call() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    var.set("from the test")

    def call(a: int, *, b: int) -> tuple[int, int, str]:
        return a, b, var.get()

    outcomes = repeat(call, 3, args=(1,), kwargs={"b": 2})
    assert outcomes.values == [(1, 2, "from the test")] * 3


def test_exceptions_are_outcomes_grouped_by_type_and_message() -> None:
    counter = itertools.count()
    lock = threading.Lock()

    def call() -> str:
        with lock:
            n = next(counter)
        if n % 3 == 2:
            raise ValueError("upstream said no")
        return "Paris"

    outcomes = repeat(call, 9, mode="sequential")
    groups = outcomes.groups()
    assert [(g.example.describe(), g.count) for g in groups] == [
        ("returned 'Paris'", 6),
        ("raised ValueError: upstream said no", 3),
    ]
    assert groups[1].runs == (2, 5, 8)
    assert outcomes.counts() == [
        ("returned 'Paris'", 6),
        ("raised ValueError: upstream said no", 3),
    ]
    assert len(outcomes.errors) == 3
    assert not outcomes.all_ok


def test_unhashable_values_group_by_equality() -> None:
    outcomes = repeat(lambda: {"answer": [1, 2]}, 4)
    assert [g.count for g in outcomes.groups()] == [4]


def test_a_deadlocked_call_is_reported_and_the_runner_returns() -> None:
    lock = threading.Lock()
    lock.acquire()  # never released: every run but none deadlocks on it

    counter = itertools.count()
    guard = threading.Lock()

    def call() -> str:
        with guard:
            n = next(counter)
        if n == 1:
            lock.acquire()  # deadlocks
        return "done"

    start = time.perf_counter()
    outcomes = repeat(call, 6, concurrency=2, timeout=0.3)
    elapsed = time.perf_counter() - start
    kinds = sorted(o.kind for o in outcomes)
    assert kinds == ["returned"] * 5 + ["timed_out"]
    assert outcomes[1].kind == "timed_out"
    assert outcomes.timeouts == 1
    assert elapsed < 30.0  # the deadlocked call never returns: the runner did not wait for it
    assert "timed out" in outcomes.describe()


def test_a_hanging_coroutine_is_cancelled_and_reported() -> None:
    cancelled = threading.Event()

    async def call() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    outcomes = repeat(call, 3, mode="asyncio", timeout=0.2)
    assert [o.kind for o in outcomes] == ["timed_out"] * 3
    assert cancelled.wait(2)


def test_a_call_blocking_the_event_loop_does_not_hang_the_runner() -> None:
    release = threading.Event()

    async def call() -> None:
        release.wait(120)  # blocks the whole loop, synchronously

    start = time.perf_counter()
    outcomes = repeat(call, 3, mode="asyncio", timeout=0.2)
    elapsed = time.perf_counter() - start
    release.set()
    assert outcomes.timeouts == 3
    assert {o.kind for o in outcomes} <= {"timed_out", "not_run"}
    assert elapsed < 60.0  # the blocked loop would hold it 120 s


@pytest.mark.asyncio
async def test_arepeat_times_out_a_hanging_task() -> None:
    outcomes = await arepeat(lambda: asyncio.Event().wait(), 2, timeout=0.2)
    assert [o.kind for o in outcomes] == ["timed_out", "timed_out"]


# -- assert_deterministic --------------------------------------------------------------------


def test_assert_deterministic_returns_the_common_value_and_records_evidence() -> None:
    from pytest_prodreal.clock import VirtualClock, pause

    def answer() -> str:
        pause(0.01)  # a wait where the concurrent runs interleave
        return " Paris "

    with VirtualClock(), collecting_evidence() as sink:
        value = repeat(answer, 4).assert_deterministic(normalize=str.strip)
    assert value == "Paris"
    (evidence,) = sink.items
    assert evidence.remedy == "determinism"
    assert evidence.held is True
    assert evidence.figures["runs"] == 4
    assert evidence.figures["distinct_outcomes"] == 1


def test_assert_deterministic_failure_shows_distinct_outcomes_and_counts() -> None:
    answers = itertools.cycle(["Paris", "Paris", "paris", "Lyon"])
    lock = threading.Lock()

    def call() -> str:
        with lock:
            return next(answers)

    outcomes = repeat(call, 8, mode="sequential")
    with collecting_evidence() as sink, pytest.raises(AssertionError) as info:
        outcomes.assert_deterministic()
    message = str(info.value)
    assert "the runs disagree" in message
    assert "8 runs (sequential, timeout 30s) gave 3 distinct outcomes" in message
    assert "4x  returned 'Paris'" in message
    assert "2x  returned 'paris'" in message
    assert "2x  returned 'Lyon'" in message
    assert sink.items[0].held is False
    assert sink.items[0].figures["distinct_outcomes"] == 3
    # The normaliser merges what should count as the same answer.
    with collecting_evidence(), pytest.raises(AssertionError) as info:
        outcomes.assert_deterministic(str.lower)  # type: ignore[arg-type]
    message = str(info.value)
    assert "6x  returned 'Paris' (normalised: 'paris')" in message


def test_assert_deterministic_fails_on_errors_unless_allowed_and_on_timeouts() -> None:
    def boom() -> None:
        raise KeyError("k")

    # Sequential: real threads that raise at once may not overlap, and then the check (rightly)
    # records nothing; the rule under test here is about errors, not overlap.
    failing = repeat(boom, 3, mode="sequential")
    with collecting_evidence(), pytest.raises(AssertionError, match="every run raised"):
        failing.assert_deterministic()
    with collecting_evidence():
        assert failing.assert_deterministic(allow_errors=True) is None

    hung = repeat(lambda: threading.Event().wait(5), 2, timeout=0.1)
    with collecting_evidence(), pytest.raises(AssertionError, match="hung"):
        hung.assert_deterministic()


def test_a_normaliser_that_raises_is_a_clear_error() -> None:
    outcomes = repeat(lambda: None, 2)
    with pytest.raises(InvalidArgument, match=r"normalize raised AttributeError.*run 0.*fix the"):
        outcomes.assert_deterministic(normalize=lambda v: v.lower())  # type: ignore[attr-defined]
    with pytest.raises(InvalidArgument, match="normalize must be a callable"):
        outcomes.groups(normalize="lower")  # type: ignore[arg-type]


# -- bad input -------------------------------------------------------------------------------

BAD = [
    ({"times": 0}, "times must be a positive integer"),
    ({"times": -3}, "times must be a positive integer"),
    ({"times": True}, "times must be a positive integer"),
    ({"times": 2.5}, "times must be a positive integer"),
    ({"concurrency": 0}, "concurrency must be a positive integer"),
    ({"concurrency": -1}, "concurrency must be a positive integer"),
    ({"timeout": 0}, "timeout must be a positive number"),
    ({"timeout": float("inf")}, "timeout must be a positive number"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD)
def test_bad_arguments_raise_invalid_argument(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        repeat(lambda: None, **kwargs)  # type: ignore[arg-type]


@pytest.mark.asyncio
@pytest.mark.parametrize(("kwargs", "message"), BAD)
async def test_bad_arguments_raise_invalid_argument_async(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        await arepeat(lambda: None, **kwargs)  # type: ignore[arg-type]


def test_a_non_callable_and_an_unknown_mode_are_clear_errors() -> None:
    with pytest.raises(InvalidArgument, match=r"fn must be a callable.*not its result"):
        repeat(42, 3)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="mode must be one of sequential, threads, asyncio"):
        repeat(lambda: None, 3, mode="processes")  # type: ignore[arg-type]
    assert issubclass(InvalidArgument, ValueError)


def test_outcomes_is_a_sequence_with_a_readable_repr() -> None:
    outcomes = repeat(lambda: 1, 2, label="demo")
    assert isinstance(outcomes, Outcomes)
    assert outcomes[0].ok
    assert list(outcomes[0:1]) == [outcomes[0]]
    assert "demo: 2 runs (threads, concurrency 2" in repr(outcomes)
    assert outcomes[0].duration_s is not None
