"""Chaos for HTTP and any callable, in virtual time: the ``dependencies`` category.

:class:`Chaos` routes every request of httpx *and* httpx2 clients (sync and async, so also the
openai and anthropic SDKs through their default clients) to seeded routes with a healthy
response plus composable faults, and wraps any other callable in the same faults. Latency,
timeouts and back-off run on the virtual clock (:mod:`pytest_prodreal.clock`), so minutes of
production trouble take milliseconds. Library layer: no pytest import; respx and httpx are
imported when a chaos starts. See ``docs/chaos.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._core import Chaos, UnmatchedRequestError, current_chaos
from ._faults import BAD_PAYLOADS, NETWORK_FAULTS, STREAM_FAULTS, Latency
from ._log import CallRequest, ChaosCall, ScheduleEntry
from ._route import CallableRoute, Target
from ._scenarios import SCENARIOS, describe_scenario

__all__ = [
    "BAD_PAYLOADS",
    "NETWORK_FAULTS",
    "SCENARIOS",
    "STREAM_FAULTS",
    "CallRequest",
    "CallableRoute",
    "Chaos",
    "ChaosCall",
    "HttpRoute",
    "Latency",
    "ScheduleEntry",
    "Target",
    "UnmatchedRequestError",
    "current_chaos",
    "describe_scenario",
]

if TYPE_CHECKING:
    from ._http import HttpRoute


def __getattr__(name: str) -> Any:
    # HttpRoute lives with httpx: import it only when asked, so this package stays light.
    if name == "HttpRoute":
        from ._http import HttpRoute

        return HttpRoute
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
