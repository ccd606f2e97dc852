"""What HTTP routes keep between calls, and the responses they build.

Streamed bodies, rate limits and bearer tokens; JSON error bodies and plain responses.
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

from ._faults import Wire, client_timeout
from ._transport import LIB_KEY

if TYPE_CHECKING:
    from ._http import HttpRoute

__all__ = [
    "WIRE_ERRORS",
    "RateLimit",
    "Stream",
    "TokenAuthority",
    "error_json",
    "plain_response",
    "split_body",
    "transport_error",
]


#: Each client's own exception for each network failure, by the request's transport tag
#: (``request.extensions[LIB_KEY]``). The httpcore rows are here; the requests/urllib3 and
#: aiohttp adapters register theirs when they start.
_HTTPCORE_NAMES = {
    Wire.CONNECT_REFUSED: "ConnectError",
    Wire.CONNECT_TIMEOUT: "ConnectTimeout",
    Wire.READ_TIMEOUT: "ReadTimeout",
    Wire.RESET: "ReadError",
    Wire.CUT: "RemoteProtocolError",
}
WIRE_ERRORS: dict[str, Callable[[Wire, httpx.Request, str], BaseException]] = {}


def _httpcore_error(module: Any) -> Callable[[Wire, httpx.Request, str], BaseException]:
    table: dict[Wire, type[BaseException]] = {
        wire: getattr(module, name) for wire, name in _HTTPCORE_NAMES.items()
    }
    return lambda wire, request, message: table[wire](message)


def _httpx_error(module: Any) -> Callable[[Wire, httpx.Request, str], BaseException]:
    # httpx and httpx2 name their exceptions as httpcore does; they carry the request.
    table: dict[Wire, Any] = {wire: getattr(module, name) for wire, name in _HTTPCORE_NAMES.items()}
    return lambda wire, request, message: table[wire](message, request=request)


def transport_error(request: httpx.Request, wire: Wire, message: str) -> BaseException:
    """The exception the request's own client raises for ``wire`` (httpcore, urllib3, ...).

    Requests served at the httpx/httpx2 transport (tagged ``"httpx"``/``"httpx2"``) get that
    module's exceptions; those served inside an httpcore pool get httpcore's (which the
    transport then maps, as it maps real network errors).
    """
    lib = request.extensions.get(LIB_KEY) or "httpcore"
    factory = WIRE_ERRORS.get(lib)
    if factory is None:
        if lib == "httpcore2":
            import httpcore2

            factory = WIRE_ERRORS[lib] = _httpcore_error(httpcore2)
        elif lib == "httpx2":
            import httpx2

            factory = WIRE_ERRORS[lib] = _httpx_error(httpx2)
        elif lib == "httpx":
            factory = WIRE_ERRORS[lib] = _httpx_error(httpx)
        else:
            factory = WIRE_ERRORS["httpcore"] = _httpcore_error(httpcore)
    return factory(wire, request, message)


class Stream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body in chunks that can stall (on the virtual clock) or be cut mid-way."""

    def __init__(
        self,
        route: HttpRoute,
        request: httpx.Request,
        chunks: Sequence[bytes],
        *,
        delay: float = 0.0,
        fault: str | None = None,
        stall_s: float = 0.0,
    ) -> None:
        self.route, self.request, self.chunks = route, request, list(chunks)
        self.delay, self.fault, self.stall_s = delay, fault, stall_s
        self.break_at = max(1, len(self.chunks) // 2) if fault else len(self.chunks) + 1

    def _steps(self) -> Iterator[tuple[float, bytes | BaseException]]:
        read = client_timeout(self.request, "read")
        for i, chunk in enumerate(self.chunks):
            if i == self.break_at:
                if self.fault == "stream_cut":
                    yield (
                        0.0,
                        transport_error(
                            self.request,
                            Wire.CUT,
                            "peer closed connection without sending complete message body "
                            "(chaos: stream_cut)",
                        ),
                    )
                    return
                if read is not None and self.stall_s > read:
                    yield (
                        read,
                        transport_error(
                            self.request, Wire.READ_TIMEOUT, f"chaos: stream stalled over {read:g}s"
                        ),
                    )
                    return
                yield self.stall_s, chunk
                continue
            wait = self.delay if i else 0.0
            if read is not None and wait > read:
                yield (
                    read,
                    transport_error(
                        self.request, Wire.READ_TIMEOUT, f"chaos: no data for {read:g}s"
                    ),
                )
                return
            yield wait, chunk

    def __iter__(self) -> Iterator[bytes]:
        for wait, item in self._steps():
            if wait:
                self.route.chaos._sleep(wait)
            if isinstance(item, BaseException):
                raise item
            yield item

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for wait, item in self._steps():
            if wait:
                await self.route.chaos._async_sleep(wait)
            if isinstance(item, BaseException):
                raise item
            yield item


class RateLimit:
    """A server that answers 429 with Retry-After, and notices clients that do not wait."""

    def __init__(
        self,
        retry_after: float,
        times: int | None,
        rate: float | None,
        limit: int | None,
        window: float,
        header: str,
    ) -> None:
        self.retry_after, self.times, self.rate = retry_after, times, rate
        self.limit, self.window, self.header = limit, window, header
        self.blocked_until = -math.inf
        self.issued = 0
        self.violations = 0
        self.window_start = -math.inf
        self.window_count = 0
        self.waits: list[float] = []
        self.last_429_at: float | None = None

    def check(self, t: float, u: float) -> str | None:
        """Whether the call arriving at ``t`` is limited (and why)."""
        if self.last_429_at is not None:
            self.waits.append(t - self.last_429_at)
            self.last_429_at = None
        if t < self.blocked_until - 1e-6:
            self.violations += 1
            return "came back before Retry-After"
        if t - self.window_start >= self.window:
            self.window_start, self.window_count = t, 0
        self.window_count += 1
        if self.limit is not None:
            return (
                f"over {self.limit} calls per {self.window:g}s"
                if (self.window_count > self.limit)
                else None
            )
        if self.rate is not None:
            return "rate limited" if u < self.rate else None
        assert self.times is not None
        return "rate limited" if self.issued < self.times else None

    def headers(self, t_sent: float) -> dict[str, str]:
        """The 429's headers; remember when the client may come back."""
        self.issued += 1
        self.last_429_at = t_sent
        wait = self.retry_after
        if self.header == "ms":
            self.blocked_until = t_sent + wait
            return {"retry-after-ms": str(round(wait * 1000))}
        if self.header == "http-date":
            wall = time.time()  # the virtual wall clock while a clock runs
            target = math.ceil(wall + wait)
            self.blocked_until = t_sent + (target - wall)
            return {"retry-after": email.utils.formatdate(target, usegmt=True)}
        self.blocked_until = t_sent + wait
        return {"retry-after": f"{wait:g}"}


class TokenAuthority:
    """Issues bearer tokens valid for ``ttl`` virtual seconds or ``calls`` calls."""

    def __init__(self, ttl: float | None, calls: int | None, stampede_window: float) -> None:
        self.ttl, self.calls, self.stampede_window = ttl, calls, stampede_window
        self.tokens: dict[str, list[float]] = {}  # token -> [issued_at, uses]
        self.refreshes = 0
        self.stampedes = 0
        self.rejected = 0
        self.stale_retries = 0
        self._rejected_tokens: set[str] = set()
        self._lock = threading.Lock()

    def issue(self, t: float) -> dict[str, Any]:
        """A new token (counting a stampede when a fresh one was issued moments ago)."""
        with self._lock:  # token requests come from any thread; the protected route's are locked
            return self._issue(t)

    def _issue(self, t: float) -> dict[str, Any]:
        if any(t - issued < self.stampede_window for issued, _ in self.tokens.values()):
            self.stampedes += 1
        self.refreshes += 1
        token = f"prodreal-token-{self.refreshes}"
        self.tokens[token] = [t, 0]
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
        if self.ttl is not None:
            body["expires_in"] = self.ttl
        return body

    def check(self, request: httpx.Request, t: float) -> str | None:
        """None when the request carries a valid token, else why not."""
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else header.strip()
        state = self.tokens.get(token)
        if state is None:
            reason = "no token" if not token else "unknown token"
        elif self.ttl is not None and t - state[0] >= self.ttl:
            reason = f"token expired after {self.ttl:g}s"
        elif self.calls is not None and state[1] >= self.calls:
            reason = f"token expired after {self.calls} calls"
        else:
            state[1] += 1
            return None
        self.rejected += 1
        if token and token in self._rejected_tokens:
            self.stale_retries += 1
        self._rejected_tokens.add(token)
        return reason


# -- building responses ------------------------------------------------------------------------


def error_json(status: int, message: str, kind: str) -> bytes:
    """The JSON error body of an HTTP fault (the OpenAI-style ``{"error": {...}}`` shape)."""
    return jsonlib.dumps({"error": {"message": message, "type": kind, "code": status}}).encode()


def plain_response(
    mod: Any, status: int, headers: dict[str, str], body: bytes, request: httpx.Request
) -> Any:
    """``mod.Response(status, headers=headers, content=body)``, without decoding ``body`` again.

    ``Response(content=...)`` runs the body it was just given through the content decoders
    (~7 µs a request, the largest share of serving a healthy call); a body with no
    ``Content-Encoding`` is its own decoded content. A compressed body takes the decoding path.
    """
    names = [k.lower() for k in headers]
    if "content-encoding" in names:
        return mod.Response(status, headers=headers, content=body, request=request)
    if "content-length" not in names and "transfer-encoding" not in names:
        headers = {**headers, "Content-Length": str(len(body))}  # as Response(content=...) sets
    response = mod.Response(status, headers=headers, stream=mod.ByteStream(body), request=request)
    response._content = body
    return response


def split_body(body: bytes, parts: int = 4) -> list[bytes]:
    """``body`` in ``parts`` chunks, for a streamed healthy response a fault acts on."""
    if not body:
        return [b""]
    size = max(1, math.ceil(len(body) / parts))
    return [body[i : i + size] for i in range(0, len(body), size)]
