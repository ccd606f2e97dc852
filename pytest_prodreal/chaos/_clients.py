"""Client adapters beyond httpx: one route table for urllib3 (requests, botocore) and aiohttp.

Each adapter turns its client's request into an ``httpx.Request`` tagged with the client
(``request.extensions[LIB_KEY]``) and the client's own timeouts, serves it from the same chaos
routes (faults, latency, call log, seed, virtual time), and raises each network fault as the
client's *own* exception (registered in ``_routestate.WIRE_ERRORS``).

Patching is process-wide and reference-counted. A client that is not installed is never
imported: urllib3 is patched when it can be imported; requests' adapter (a fast path over the
urllib3 patch) and aiohttp only when something already imported them (importing aiohttp costs
~100 ms; code that imports it later is still stopped by the network guard).
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import httpx

    from ._core import Chaos
    from ._http import HttpRoute

__all__ = ["find_route", "start_clients", "stop_clients"]


class _State:
    lock = threading.Lock()
    users = 0
    undo: ClassVar[list[Any]] = []
    urllib3_spec: ClassVar[list[bool]] = []


def start_clients() -> None:
    """Patch urllib3 and aiohttp (first user only)."""
    with _State.lock:
        _State.users += 1
        if _State.users > 1:
            return
        if not _State.urllib3_spec:
            _State.urllib3_spec.append(importlib.util.find_spec("urllib3") is not None)
        if _State.urllib3_spec[0] and importlib.util.find_spec("respx") is not None:
            from ._clients_urllib3 import patch_urllib3

            _State.undo.append(patch_urllib3())
            if "requests" in sys.modules:  # the fast path for requests' default adapter
                from ._clients_requests import patch_requests

                _State.undo.append(patch_requests())
        if "aiohttp" in sys.modules:
            from ._clients_aiohttp import patch_aiohttp

            _State.undo.append(patch_aiohttp())


def stop_clients() -> None:
    """Undo the patches (last user only)."""
    with _State.lock:
        _State.users -= 1
        if _State.users > 0:
            return
        while _State.undo:
            _State.undo.pop()()


def find_route(request: httpx.Request, client: str | None = None) -> tuple[Chaos, HttpRoute] | None:
    """The running chaos route for ``request`` (innermost chaos first).

    ``None`` means "send it for real" (the guard allows the host). A request no route matches
    is recorded as unmatched and raises :class:`~._transport.UnmatchedRequest`, naming
    ``client`` (else the client library found on the calling stack).
    """
    from ._core import _stack, _stack_lock
    from ._transport import UnmatchedRequest

    with _stack_lock:
        running = list(reversed(_stack))
    for chaos in running:
        router = chaos._router
        if router is not None:
            route = router.match(request)
            if route is not None:
                return chaos, route
    if not running or running[0]._lets_through(request.url.host):
        return None
    error = UnmatchedRequest(running[0], request.method, str(request.url), client)
    error.record()
    raise error
