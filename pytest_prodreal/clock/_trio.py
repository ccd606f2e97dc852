"""trio on the virtual clock: ``trio.run`` started while a clock runs gets a virtual trio clock.

trio does not read ``time.monotonic``: its run loop asks a ``trio.abc.Clock`` (``SystemClock``
binds the real ``time.perf_counter`` at import), so freezing time would leave its deadlines
unreachable and ``trio.run(trio.sleep, 0.001)`` would hang. While a
:class:`~pytest_prodreal.clock.VirtualClock` runs, ``trio.run`` and
``trio.lowlevel.start_guest_run`` called without a ``clock=`` get trio's own
``trio.testing.MockClock`` with ``autojump_threshold=0``, whose time *is* the virtual clock's:
when every trio task is blocked, the clock jumps to the next trio deadline (``trio.sleep``,
``trio.fail_after``, ``move_on_after``), and ``time.sleep``/``time.time`` inside trio tasks read the
same virtual time. A ``clock=`` the caller passes is left alone.

Known limit (trio's own, for autojump): real I/O under a trio timeout (a real socket to a real
server) may see the timeout jump ahead while the I/O is in flight; pass ``clock=`` to ``trio.run``
(or run that test without the virtual clock) for it. Only a trio imported before the clock starts
is patched (a test module's ``import trio`` is).
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._virtual import VirtualClock

__all__ = ["patch_trio"]


def _mock_clock(clock: VirtualClock) -> Any:
    from trio.testing import MockClock  # trio is imported already: the caller checked

    mock = MockClock(autojump_threshold=0)
    base = clock.elapsed

    def current_time() -> float:
        return clock.elapsed - base

    def jump(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time can't go backwards")
        clock._tick(math.ceil(seconds * 1_000_000))

    # MockClock is final (no subclass); its run-loop hooks look these up on the instance.
    mock.current_time = current_time  # type: ignore[method-assign]
    mock.jump = jump  # type: ignore[method-assign]
    return mock


def patch_trio(clock: VirtualClock) -> Callable[[], None] | None:
    """Make ``trio.run`` default to a virtual clock while ``clock`` runs; return the undo."""
    trio = sys.modules.get("trio")
    if trio is None or not hasattr(trio, "run"):
        return None
    lowlevel = getattr(trio, "lowlevel", None)
    originals: list[tuple[Any, str, Any]] = []

    def wrap(owner: Any, name: str) -> None:
        original = getattr(owner, name, None)
        if original is None:
            return

        @functools.wraps(original)
        def with_virtual_clock(*args: Any, **kwargs: Any) -> Any:
            given = kwargs.pop("clock", None)
            if given is None and clock.active:
                given = _mock_clock(clock)
            return original(*args, clock=given, **kwargs)

        originals.append((owner, name, original))
        setattr(owner, name, with_virtual_clock)

    wrap(trio, "run")
    if lowlevel is not None:
        wrap(lowlevel, "start_guest_run")

    def undo() -> None:
        for owner, name, original in reversed(originals):
            setattr(owner, name, original)

    return undo
