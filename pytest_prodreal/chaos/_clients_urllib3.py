"""urllib3 under chaos, and so ``requests`` and botocore/boto3 (both send through urllib3).

Patched: ``urllib3.HTTPConnectionPool._make_request``, the one call that touches the network
(connect, send, read the head). Everything around it stays urllib3's own: ``urlopen``'s
``Retry`` (status retries, Retry-After, back-off through ``time.sleep``, so the virtual clock),
the error wrapping (``ProtocolError('Connection aborted.')``, ``MaxRetryError``), and requests'
and botocore's mapping of those to their exceptions. Compare ``responses``, which patches
``requests.adapters.HTTPAdapter.send`` and so sees requests only, and never urllib3's retries.
"""

from __future__ import annotations

import http.client
import io
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import urllib3
from urllib3._collections import HTTPHeaderDict
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.response import HTTPResponse
from urllib3.util.retry import Retry
from urllib3.util.timeout import Timeout

from ._faults import Wire
from ._routestate import WIRE_ERRORS, Stream
from ._transport import LIB_KEY

__all__ = [
    "PENDING",
    "build_request",
    "http_response",
    "patch_urllib3",
    "retries_nothing",
    "serve_or_defer",
]

_POOL, _CONN = "prodreal.urllib3.pool", "prodreal.urllib3.conn"


def _wire_error(wire: Wire, request: httpx.Request, message: str) -> BaseException:
    """What urllib3 itself raises for each network failure."""
    pool: Any = request.extensions.get(_POOL)
    conn: Any = request.extensions.get(_CONN)
    url = str(request.url)
    if wire is Wire.READ_TIMEOUT:
        return ReadTimeoutError(pool, url, f"Read timed out. ({message})")
    if wire is Wire.CONNECT_TIMEOUT:
        return ConnectTimeoutError(conn, f"Connection to {request.url.host} timed out. ({message})")
    if wire is Wire.CONNECT_REFUSED:
        return NewConnectionError(conn, f"Failed to establish a new connection: {message}")
    if wire is Wire.RESET:
        return ConnectionResetError(104, "Connection reset by peer")  # urlopen wraps it
    return ProtocolError(
        "Connection broken: IncompleteRead(0 bytes read)", http.client.IncompleteRead(b"")
    )


_URLS: dict[str, httpx.URL] = {}


def _url(full: str) -> httpx.URL:
    """``httpx.URL(full)``, parsed once per URL (URLs are immutable; a test sends few)."""
    parsed = _URLS.get(full)
    if parsed is None:
        if len(_URLS) >= 512:  # bounded: a test crawling many URLs only loses the cache
            _URLS.clear()
        parsed = _URLS[full] = httpx.URL(full)
    return parsed


def _timeouts(pool: HTTPConnectionPool | None, timeout: Any) -> dict[str, float | None]:
    if pool is not None:
        t = pool._get_timeout(timeout)
    else:  # requests' fast path: requests always passes an explicit Timeout
        t = timeout.clone() if isinstance(timeout, Timeout) else Timeout.from_float(timeout)
    connect = Timeout.resolve_default_timeout(t.connect_timeout)
    read = t.read_timeout
    read = Timeout.resolve_default_timeout(read) if read is not None else None
    return {"connect": connect, "read": read, "write": read, "pool": None}


def _body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode() if isinstance(data, str) else bytes(data)
    return b"".join(c.encode() if isinstance(c, str) else bytes(c) for c in body)


class _Body(io.RawIOBase):
    """A response body read on the virtual clock; a stream fault raises mid-read."""

    def __init__(self, steps: Iterator[tuple[float, bytes | BaseException]], sleep: Any) -> None:
        self._steps, self._sleep, self._buf = steps, sleep, b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf:
            step = next(self._steps, None)
            if step is None:
                return 0
            wait, item = step
            if wait:
                self._sleep(wait)
            if isinstance(item, BaseException):
                raise item
            self._buf = item
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _steps(response: httpx.Response) -> Iterator[tuple[float, bytes | BaseException]]:
    stream = response.stream
    if isinstance(stream, Stream):
        yield from stream._steps()
    else:
        yield 0.0, response.content


def build_request(
    pool: HTTPConnectionPool | None, conn: Any, method: str, url: str, kw: dict[str, Any]
) -> httpx.Request:
    """The request as chaos sees it (a file or generator body is read and put back as bytes).

    ``pool`` is ``None`` for requests' fast path (``url`` is then absolute).
    """
    if pool is None or "://" in url:
        full = url
    else:  # the pool keeps an IPv6 host without its brackets
        host = f"[{pool.host}]" if ":" in pool.host else pool.host
        full = f"{pool.scheme}://{host}:{pool.port}{url}"
    raw = kw.get("body")
    content = _body(raw)
    if raw is not None and not isinstance(raw, (str, bytes, bytearray, memoryview)):
        kw["body"] = content  # a file or generator is read once: what goes on sends this
    url_ = _url(full)
    # A ready byte stream skips httpx's body encoding (its isinstance checks against typing
    # protocols cost ~15 µs a request), and the headers httpx would add (Host, Content-Length)
    # are added here, so the request is built once (httpx's ``_prepare`` rebuilds its headers).
    headers = list((kw.get("headers") or {}).items())
    names = {k.lower() for k, _ in headers}
    if "host" not in names and url_.host:
        headers.insert(0, ("Host", url_.netloc.decode("ascii")))
    sized = "content-length" in names or "transfer-encoding" in names
    if not sized and (content or method in ("POST", "PUT", "PATCH")):
        headers.append(("Content-Length", str(len(content))))
    request = httpx.Request(method, url_, headers=headers, stream=httpx.ByteStream(content))
    request._content = content
    request.extensions = {
        "timeout": _timeouts(pool, kw.get("timeout", urllib3.util.timeout._DEFAULT_TIMEOUT)),
        LIB_KEY: "urllib3",
        _POOL: pool,
        _CONN: conn,
    }
    return request


def http_response(
    pool: HTTPConnectionPool | None, response: httpx.Response, chaos: Any, method: str, url: str,
    kw: dict[str, Any],
) -> HTTPResponse:  # fmt: skip
    """The urllib3 response for a chaos route's ``response`` (``pool=None``: no connection)."""
    stream = response.stream
    body: Any = (
        io.BytesIO(response.content)  # a plain body, read at construction
        if isinstance(stream, httpx.ByteStream)
        else _Body(_steps(response), chaos._sleep)
    )
    return HTTPResponse(
        body=body,
        headers=HTTPHeaderDict(response.headers.multi_items()),
        status=response.status_code,
        reason=response.reason_phrase,
        preload_content=kw.get("preload_content", True),
        decode_content=kw.get("decode_content", True),
        enforce_content_length=kw.get("enforce_content_length", True),
        request_method=method,
        request_url=url,
        pool=pool,
        connection=kw.get("response_conn") if pool is not None else None,
        retries=kw.get("retries"),
    )


def retries_nothing(retries: Any) -> bool:
    """Whether urllib3 would hand back every response as it is with these ``retries``.

    ``Retry(0)`` with no ``status_forcelist`` (requests' default is ``Retry(0, read=False)``).
    """
    return isinstance(retries, Retry) and retries.total == 0 and not retries.status_forcelist


def _retries_nothing(kw: dict[str, Any]) -> bool:
    """Whether ``urlopen`` with these arguments would neither retry nor redirect a response.

    requests' default: ``Retry(0, read=False)`` and ``redirect=False`` (requests follows
    redirects itself). Then ``urlopen`` hands a response straight back, and chaos may serve it
    without going through the pool (what ``responses`` saves by patching above urllib3). A
    ``status_forcelist`` makes a zero-retry ``Retry`` raise on those statuses: not this case.
    """
    return kw.get("redirect", True) is False and retries_nothing(kw.get("retries"))


class _Pending(threading.local):
    """An error chaos decided for this thread's next ``_make_request`` (see ``urlopen``)."""

    outcome: tuple[Any, Any, BaseException] | None = None


#: Set by a fast path (``urlopen`` here, ``HTTPAdapter.send`` in ``_clients_requests``) that
#: served a network error: urllib3's own code then runs and the next ``_make_request`` raises it.
PENDING = _Pending()


def serve_or_defer(
    chaos: Any,
    route: Any,
    request: httpx.Request,
    respond: Callable[[httpx.Response], Any],
    through: Callable[[], Any],
) -> Any:
    """Serve ``request`` from ``route`` on a fast path, or defer a network error to the client.

    A response goes to ``respond(response)``. A network error runs ``through()``, the client's
    own code, whose next ``_make_request`` raises it.

    urllib3 wraps and maps a network error (``ProtocolError``, ``MaxRetryError``) and requests
    maps those in turn: letting their code run keeps every exception what it is without chaos.
    """
    call, wait, exc, response = route._serve(request)
    if wait:
        chaos._sleep(wait)
    if exc is not None:
        PENDING.outcome = (route, call, exc)
        try:
            return through()
        finally:
            PENDING.outcome = None
    return respond(route._finish(call, None, response))


def patch_urllib3() -> Callable[[], None]:
    """Patch the pool; return the undo."""
    WIRE_ERRORS["urllib3"] = _wire_error
    original = HTTPConnectionPool.__dict__["_make_request"]
    original_urlopen = HTTPConnectionPool.__dict__["urlopen"]
    pending = PENDING

    def _make_request(
        self: HTTPConnectionPool, conn: Any, method: str, url: str, *args: Any, **kw: Any
    ) -> Any:
        from ._clients import find_route

        if pending.outcome is not None:  # decided by the fast path of urlopen: raise it here
            decided_route, decided_call, error = pending.outcome
            pending.outcome = None
            decided_route._finish(decided_call, error, None)
        names = ("body", "headers", "retries", "timeout", "chunked", "response_conn",
                 "preload_content", "decode_content", "enforce_content_length")  # fmt: skip
        kw.update(zip(names, args, strict=False))
        request = build_request(self, conn, method, url, kw)
        found = find_route(request)
        if found is None:
            return original(self, conn, method, url, **kw)
        chaos, route = found
        call, wait, exc, response = route._serve(request)
        if wait:
            chaos._sleep(wait)
        response = route._finish(call, exc, response)
        return http_response(self, response, chaos, method, url, kw)

    def urlopen(self: HTTPConnectionPool, method: str, url: str, *args: Any, **kw: Any) -> Any:
        from ._clients import find_route

        if args or pending.outcome is not None or not _retries_nothing(kw):
            return original_urlopen(self, method, url, *args, **kw)
        request = build_request(self, None, method, url, kw)
        found = find_route(request)
        if found is None:
            return original_urlopen(self, method, url, **kw)
        chaos, route = found
        return serve_or_defer(
            chaos,
            route,
            request,
            # No pool connection was taken, so none is given back (pool=None).
            lambda served: http_response(None, served, chaos, method, url, kw),
            lambda: original_urlopen(self, method, url, **kw),
        )

    HTTPConnectionPool._make_request = _make_request  # type: ignore[method-assign]
    HTTPConnectionPool.urlopen = urlopen  # type: ignore[method-assign]

    def undo() -> None:
        if HTTPConnectionPool.__dict__.get("_make_request") is _make_request:
            HTTPConnectionPool._make_request = original  # type: ignore[method-assign]
        if HTTPConnectionPool.__dict__.get("urlopen") is urlopen:
            HTTPConnectionPool.urlopen = original_urlopen  # type: ignore[method-assign]

    return undo
