"""The virtual clock: one fake time for wall clock, monotonic, datetime, sleeps and event loops.

``VirtualClock`` (in ``_virtual``) drives freezegun and ``time.sleep``; ``VirtualTimeEventLoop``
and ``run`` (in ``_loop``, which imports asyncio) are loaded on first use, so importing this
package stays cheap. Library layer: no pytest import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._scheduler import Scheduler, pause
from ._virtual import ClockError, VirtualClock, current_clock

if TYPE_CHECKING:
    from ._loop import VirtualTimeEventLoop, run

__all__ = [
    "ClockError",
    "Scheduler",
    "VirtualClock",
    "VirtualTimeEventLoop",
    "current_clock",
    "pause",
    "run",
]


def __getattr__(name: str) -> Any:
    # asyncio is imported only when the loop is first asked for.
    if name in ("VirtualTimeEventLoop", "run"):
        from . import _loop

        return getattr(_loop, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
