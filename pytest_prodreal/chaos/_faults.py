"""The fault table: one row per fault name, and the one place both route kinds dispatch through.

Each :class:`Fault` row says, for one name (``"read_timeout"``, ``"truncated_json"``, ...):

* ``doc``: the line in the fault table of ``docs/chaos.md`` (a test checks the page against it);
* ``http``: what an HTTP route does (a function ``(route, call, request, rule) -> Outcome``), or
  ``None`` when the fault makes no sense over HTTP;
* ``call``: what a wrapped callable does (``(route, call, rule) -> Outcome``), or ``None`` when it
  makes sense only over HTTP;
* ``raises``: the exception a wrapped callable raises (a class or factory taking the message);
* ``wire``: for network faults, what the network did (:class:`Wire`). Each HTTP client raises
  its *own* exception for it (``httpx.ReadTimeout``, ``requests.exceptions.ReadTimeout``,
  ``aiohttp.SocketTimeoutError``...): the client adapters map a :class:`Wire` to their classes.
* ``before_send``: the fault happens before the request leaves (so latency does not apply).

**Adding a fault** is one row appended to :data:`FAULT_TABLE` plus its test (and its line in the
docs table, which the docs test then demands). An HTTP behaviour usually builds its answer with
the route's helpers: ``route._error(status, message, type, request, headers)`` for a JSON error
body, ``route._bad(kind, request)``, ``route._healthy(request, stream_fault, stall_s)``; it may
import heavy modules inside the function. An unknown fault name is ``InvalidArgument`` with a
"did you mean". Pure data: nothing here imports httpx, so callable chaos works without it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._kit.validate import suggest
from ..errors import InvalidArgument
from ._latency import Latency, check_count, check_rate, check_seconds
from .llm import LLM_DOCS, LLM_FAULTS

if TYPE_CHECKING:
    from ._http import HttpRoute
    from ._log import ChaosCall
    from ._route import CallableRoute, Rule

__all__ = [
    "BAD_PAYLOADS",
    "FAULTS",
    "FAULT_TABLE",
    "NETWORK_FAULTS",
    "STREAM_FAULTS",
    "Fault",
    "Latency",
    "Outcome",
    "Wire",
    "check_count",
    "check_rate",
    "check_seconds",
    "client_timeout",
    "fault_named",
]


class Wire(enum.Enum):
    """What the network did: each client adapter raises its own exception class for each."""

    CONNECT_REFUSED = "connect_refused"
    CONNECT_TIMEOUT = "connect_timeout"
    READ_TIMEOUT = "read_timeout"
    RESET = "connection_reset"
    CUT = "stream_cut"


@dataclass
class Outcome:
    """What one call gets: wait ``wait`` virtual seconds, then raise ``error`` or answer.

    ``response`` is the client's response or a zero-argument factory building it after the wait.
    """

    wait: float
    error: BaseException | None = None
    response: Any = None


HttpBehaviour = Callable[["HttpRoute", "ChaosCall", Any, "Rule"], Outcome]
CallBehaviour = Callable[["CallableRoute", "ChaosCall", "Rule"], Outcome]


@dataclass(frozen=True)
class Fault:
    """One row of the fault table (see the module docstring)."""

    name: str
    group: str
    doc: str
    http: HttpBehaviour | None
    call: CallBehaviour | None = None
    raises: Callable[[str], BaseException] | None = None
    wire: Wire | None = None
    before_send: bool = False


def client_timeout(request: Any, phase: str) -> float | None:
    """The client's own ``phase`` timeout (``request.extensions["timeout"]``), or ``None``."""
    timeouts = request.extensions.get("timeout") or {}
    value = timeouts.get(phase)
    return None if value is None else float(value)


# -- behaviours shared by several rows ------------------------------------------------------------


def _wire_http(wire: Wire, phase: str | None, text: str) -> HttpBehaviour:
    """A network failure: wait the client's ``phase`` timeout (if any), then its own error."""

    def behave(route: HttpRoute, call: ChaosCall, request: Any, rule: Rule) -> Outcome:
        from ._routestate import transport_error

        if phase is None:
            wait = 0.0 if wire is Wire.CONNECT_REFUSED else call.latency
            return Outcome(wait, transport_error(request, wire, text))
        limit = client_timeout(request, phase)
        wait = limit if limit is not None else route.chaos.hang_s
        call.detail = f"no response; client gave up after {wait:g}s"
        return Outcome(wait, transport_error(request, wire, f"chaos: {text} ({wait:g}s)"))

    return behave


def _raise_call(route: CallableRoute, call: ChaosCall, rule: Rule) -> Outcome:
    """A callable's network fault: the row's exception, after the timeout for timeouts."""
    fault = FAULTS[str(rule.kind)]
    assert fault.raises is not None
    if fault.wire in (Wire.READ_TIMEOUT, Wire.CONNECT_TIMEOUT):
        wait = route.timeout if route.timeout != math.inf else route.chaos.hang_s
        return Outcome(wait, fault.raises(f"chaos: {route.name} timed out after {wait:g}s"))
    wait = 0.0 if fault.before_send else call.latency
    return Outcome(wait, fault.raises(f"chaos: {route.name}: {fault.name}"))


def _refused(message: str) -> BaseException:
    return ConnectionRefusedError(111, message)


def _reset(message: str) -> BaseException:
    return ConnectionResetError(104, message)


def _bad_payload(route: HttpRoute, call: ChaosCall, request: Any, rule: Rule) -> Outcome:
    return Outcome(call.latency, response=route._bad(str(rule.kind), request))


def _stream(route: HttpRoute, call: ChaosCall, request: Any, rule: Rule) -> Outcome:
    return Outcome(call.latency, response=route._healthy(request, str(rule.kind), rule.stall_s))


def _llm(name: str) -> HttpBehaviour:
    """An LLM provider's own failure (status, headers, error body): see :mod:`.llm`."""

    def behave(route: HttpRoute, call: ChaosCall, request: Any, rule: Rule) -> Outcome:
        from .llm import llm_outcome

        return llm_outcome(name, route, call, request, rule)

    return behave


#: The fault table. Append a row to add a fault (see the module docstring).
FAULT_TABLE: tuple[Fault, ...] = (
    Fault(
        "connect_timeout", "network",
        "waits the client's connect timeout, then its connect-timeout error",
        _wire_http(Wire.CONNECT_TIMEOUT, "connect", "connect timeout"),
        _raise_call, TimeoutError, Wire.CONNECT_TIMEOUT, before_send=True,
    ),
    Fault(
        "read_timeout", "network",
        "waits the client's read timeout, then its read-timeout error",
        _wire_http(Wire.READ_TIMEOUT, "read", "read timeout"),
        _raise_call, TimeoutError, Wire.READ_TIMEOUT,
    ),
    Fault(
        "connect_refused", "network",
        "the connection is refused at once (no latency)",
        _wire_http(Wire.CONNECT_REFUSED, None, "[Errno 111] Connection refused"),
        _raise_call, _refused, Wire.CONNECT_REFUSED, before_send=True,
    ),
    Fault(
        "connection_reset", "network",
        "after the latency, the peer resets the connection",
        _wire_http(Wire.RESET, None, "[Errno 104] Connection reset by peer"),
        _raise_call, _reset, Wire.RESET,
    ),
    Fault("malformed_json", "payload", "200 with a JSON body that does not parse", _bad_payload),
    Fault("truncated_json", "payload", "200 with the healthy body cut in half", _bad_payload),
    Fault("empty", "payload", "200 with a JSON content type and no body", _bad_payload),
    Fault("html_error", "payload", "a proxy's 502 HTML page", _bad_payload),
    Fault(
        "wrong_content_type", "payload", "200 with the healthy body as text/plain", _bad_payload
    ),
    Fault("wrong_shape", "payload", 'valid JSON of the wrong shape (`{"unexpected": true}`)',
          _bad_payload),
    Fault(
        "stream_cut", "stream",
        "the body stops half-way: the client's incomplete-body error", _stream, wire=Wire.CUT,
    ),
    Fault(
        "stream_stall", "stream",
        "no data for `stall_s` half-way (over the read timeout: its read-timeout error)", _stream,
    ),
    # LLM APIs' own failures (chaos/llm.py): HTTP only, provider read from the request path.
    *(Fault(name, "llm", LLM_DOCS[name], _llm(name)) for name in LLM_FAULTS),
)  # fmt: skip

#: Fault name -> row.
FAULTS: dict[str, Fault] = {f.name: f for f in FAULT_TABLE}


def _group(name: str) -> tuple[str, ...]:
    return tuple(f.name for f in FAULT_TABLE if f.group == name)


#: Faults of the network or transport layer (also valid for wrapped callables).
NETWORK_FAULTS = _group("network")
#: Bodies that parse badly, arriving with status 200.
BAD_PAYLOADS = _group("payload")
#: Faults of a streamed (SSE) body.
STREAM_FAULTS = _group("stream")


def fault_named(name: str, *, http: bool) -> Fault:
    """The row for ``name``, or ``InvalidArgument`` (with a did-you-mean) for the route kind."""
    fault = FAULTS.get(name)
    usable = fault is not None and (fault.http if http else fault.call) is not None
    if fault is not None and usable:
        return fault
    valid = [f.name for f in FAULT_TABLE if (f.http if http else f.call) is not None]
    where = "an HTTP route" if http else "a wrapped callable"
    if fault is not None:
        raise InvalidArgument(
            f"fault {name!r} cannot happen to {where}: use one of {', '.join(valid)}, "
            "or an exception to raise"
        )
    statuses = "an HTTP status (400-599), " if http else ""
    raise InvalidArgument(
        f"unknown fault {name!r} for {where}.{suggest(name, valid)} Use {statuses}one of "
        f"{', '.join(valid)}, or an exception to raise"
    )
