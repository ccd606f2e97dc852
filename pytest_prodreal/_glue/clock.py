"""The virtual clock in pytest: the ``prodreal_clock`` fixture and marker.

A test gets the clock when it uses the ``prodreal_clock`` fixture (directly, or through a fixture
that depends on it, such as ``chaos``) or carries ``@pytest.mark.prodreal_clock``. The clock
starts before any of the test's fixtures are set up (so breakers, clients and event loops are
created in virtual time) and stops after the last one is torn down, also when the test fails:
real time, ``time.sleep`` and ``asyncio.new_event_loop`` are back for the next test.

Tests that use neither pay nothing: the per-test hooks are registered only when a collected
test uses the clock. Importing this module imports no
freezegun: the clock imports it when it starts.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import datetime
from typing import Any

import pytest

from ..clock._virtual import VirtualClock
from .part import MarkerSpec, Part

__all__ = ["prodreal_clock"]

CLOCK_KEY = pytest.StashKey[VirtualClock]()
_FIXTURE = "prodreal_clock"
_MARKER = "prodreal_clock"
# A start must leave room for time to move (a century); datetime.max is year 9999.
_LATEST_START = datetime(9899, 12, 31, 23, 59, 59)


_MARKER_HELP = (
    f"{_MARKER}(start=None): run this test on the virtual clock (time.sleep, asyncio and "
    "anyio sleeps and timers, time.time/monotonic/perf_counter and datetime all virtual); "
    "start= a datetime (naive means UTC), default the real current second."
)


def _uses_clock(item: pytest.Item) -> bool:
    return _FIXTURE in getattr(item, "fixturenames", ()) or (
        item.get_closest_marker(_MARKER) is not None
    )


def _start_arg(item: pytest.Item) -> datetime | None:
    marker = item.get_closest_marker(_MARKER)
    if marker is None:
        return None
    return _marker_start(item.nodeid, marker)


def _marker_start(nodeid: str, marker: pytest.Mark) -> datetime | None:
    unknown = set(marker.kwargs) - {"start"}
    if marker.args or unknown:
        bad = ", ".join([repr(a) for a in marker.args] + sorted(unknown))
        raise pytest.Collector.CollectError(
            f"{nodeid}: @pytest.mark.{_MARKER} takes only start=<datetime>, got {bad}"
        )
    start = marker.kwargs.get("start")
    if start is not None and not isinstance(start, datetime):
        raise pytest.Collector.CollectError(
            f"{nodeid}: @pytest.mark.{_MARKER}(start=...) must be a datetime.datetime "
            f"(naive means UTC), got {type(start).__name__} {start!r}"
        )
    if start is not None and start.replace(tzinfo=None) > _LATEST_START:
        raise pytest.Collector.CollectError(
            f"{nodeid}: @pytest.mark.{_MARKER}(start={start.isoformat()}) is too close to "
            f"datetime.max for time to move; use a start up to {_LATEST_START.year}-12-31"
        )
    return start


def validate_marker(item: pytest.Item, marker: pytest.Mark) -> None:
    """Check the marker's arguments at collection (the plugin calls this for marked items)."""
    _marker_start(item.nodeid, marker)


class ClockHooks:
    """Start the clock before a clock test's first fixture; stop it after its last teardown."""

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        """Start the clock before any fixture of a test that uses it."""
        if not _uses_clock(item):
            return (yield)
        try:
            item.stash[CLOCK_KEY] = VirtualClock(start=_start_arg(item)).start()
        except Exception:
            # Let the other plugins' setup run (their teardown expects it), then fail the setup.
            yield
            raise
        return (yield)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        """Stop the clock after the test's last fixture is torn down, whatever happened."""
        try:
            return (yield)
        finally:
            _stop(item)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[Any, None, Any]:
        """A safety net: never let a clock outlive its test (an interrupted teardown, say)."""
        try:
            return (yield)
        finally:
            _stop(item)


def _stop(item: pytest.Item) -> None:
    clock = item.stash.get(CLOCK_KEY, None)
    if clock is not None:
        del item.stash[CLOCK_KEY]
        clock.stop()


@pytest.fixture
def prodreal_clock(request: pytest.FixtureRequest) -> Iterator[VirtualClock]:
    """The virtual clock of this test (a started :class:`pytest_prodreal.clock.VirtualClock`).

    While the test runs, ``time.time``/``monotonic``/``perf_counter``, ``datetime.now()`` and
    ``date.today()`` read virtual time; ``time.sleep`` advances it at once; asyncio and anyio
    sleeps, timeouts and timers are virtual (event loops created during the test are
    ``VirtualTimeEventLoop`` s). ``clock.advance(s)`` moves time; ``clock.elapsed`` reads it.
    Everything is put back after the test, pass or fail; pytest's own durations stay real.
    Use ``@pytest.mark.prodreal_clock(start=datetime(...))`` to choose the start instant.
    """
    clock = request.node.stash.get(CLOCK_KEY, None)
    if clock is not None and clock.active:
        yield clock
        return
    # Requested late (``request.getfixturevalue``): the clock starts now, and ends with us.
    own = VirtualClock(start=_start_arg(request.node)).start()
    try:
        yield own
    finally:
        own.stop()


#: The clock part: :class:`ClockHooks` is registered only when a collected test uses the
#: fixture or the marker, so a suite that never uses the clock pays nothing per test.
PART = Part(
    name="clock",
    markers=(MarkerSpec(_MARKER, _MARKER_HELP, validate_marker),),
    fixtures=frozenset({_FIXTURE}),
    per_test=ClockHooks,
)
