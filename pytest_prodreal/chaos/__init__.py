"""Chaos for HTTP and any callable, in virtual time: the ``dependencies`` category.

:class:`Chaos` routes every request of httpx *and* httpx2 clients (sync and async, so also the
openai and anthropic SDKs through their default clients) to seeded routes with a healthy
response plus composable faults, and wraps any other callable in the same faults. Latency,
timeouts and back-off run on the virtual clock (:mod:`pytest_prodreal.clock`), so minutes of
production trouble take milliseconds. Library layer: no pytest import; respx and httpx are
imported when a chaos starts; every name here is imported when first used, so the network guard
(``_guard``) stays light for ``--prodreal-network-guard``. See ``docs/chaos.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> the module defining it (imported on first use).
_LAZY: dict[str, str] = {
    "BAD_PAYLOADS": "_faults",
    "FAULTS": "_faults",
    "FAULT_TABLE": "_faults",
    "NETWORK_FAULTS": "_faults",
    "STREAM_FAULTS": "_faults",
    "Fault": "_faults",
    "Latency": "_latency",
    "SCENARIOS": "_scenarios",
    "describe_scenario": "_scenarios",
    "CallRequest": "_log",
    "ChaosCall": "_log",
    "ScheduleEntry": "_log",
    "CallableRoute": "_route",
    "Target": "_route",
    "Chaos": "_core",
    "UnmatchedRequestError": "_core",
    "current_chaos": "_core",
    "HttpRoute": "_http",  # imports httpx
    "NetworkBlockedError": "_guard",
}

__all__ = [
    "BAD_PAYLOADS",
    "CallRequest",
    "CallableRoute",
    "Chaos",
    "ChaosCall",
    "FAULTS",
    "FAULT_TABLE",
    "Fault",
    "HttpRoute",
    "Latency",
    "NETWORK_FAULTS",
    "NetworkBlockedError",
    "SCENARIOS",
    "STREAM_FAULTS",
    "ScheduleEntry",
    "Target",
    "UnmatchedRequestError",
    "current_chaos",
    "describe_scenario",
]

if TYPE_CHECKING:
    from ._core import Chaos, UnmatchedRequestError, current_chaos
    from ._faults import BAD_PAYLOADS, FAULT_TABLE, FAULTS, NETWORK_FAULTS, STREAM_FAULTS, Fault
    from ._guard import NetworkBlockedError
    from ._http import HttpRoute
    from ._latency import Latency
    from ._log import CallRequest, ChaosCall, ScheduleEntry
    from ._route import CallableRoute, Target
    from ._scenarios import SCENARIOS, describe_scenario


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
