"""aiohttp under chaos: ``ClientSession._request`` answered from the chaos routes.

The same place ``aioresponses`` patches, but the answer comes from the seeded chaos routes, the
waits are virtual (``await`` on the virtual clock's loop) and every fault is aiohttp's own error,
honouring the session's or the request's ``ClientTimeout``: ``sock_read`` gives
``aiohttp.SocketTimeoutError`` (a ``ServerTimeoutError``), a ``total`` deadline plain
``TimeoutError`` (as aiohttp raises it), connect timeouts ``aiohttp.ConnectionTimeoutError``,
refused ``aiohttp.ClientConnectorError``, resets ``aiohttp.ClientOSError``, cut bodies
``aiohttp.ClientPayloadError``. ``raise_for_status`` works as in aiohttp.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import types
import urllib.parse
from collections.abc import Callable
from typing import Any

import aiohttp
import httpx
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._faults import Wire
from ._routestate import WIRE_ERRORS, Stream
from ._transport import LIB_KEY

__all__ = ["patch_aiohttp"]

_READ_KIND = "prodreal.aiohttp.read"


def _wire_error(wire: Wire, request: httpx.Request, message: str) -> BaseException:
    """What aiohttp itself raises for each network failure."""
    url = request.url
    if wire is Wire.READ_TIMEOUT:
        if request.extensions.get(_READ_KIND) == "sock_read":
            return aiohttp.SocketTimeoutError(f"Timeout on reading data from socket ({message})")
        return TimeoutError()  # the total deadline: aiohttp raises a bare TimeoutError
    if wire is Wire.CONNECT_TIMEOUT:
        return aiohttp.ConnectionTimeoutError(f"Connection timeout to host {url} ({message})")
    if wire is Wire.CONNECT_REFUSED:
        key = types.SimpleNamespace(host=url.host, port=url.port, ssl=True, is_ssl=True)
        return aiohttp.ClientConnectorError(key, OSError(111, f"Connect call failed ({message})"))  # type: ignore[arg-type]
    if wire is Wire.RESET:
        return aiohttp.ClientOSError(104, "Connection reset by peer")
    return aiohttp.ClientPayloadError(
        "Response payload is not completed: <ContentLengthError: 400, message='Not enough data "
        "to satisfy content length header.'>"
    )


def _timeouts(timeout: aiohttp.ClientTimeout) -> tuple[dict[str, float | None], str]:
    def least(*xs: float | None) -> float | None:
        given = [x for x in xs if x is not None]
        return min(given) if given else None

    read = least(timeout.sock_read, timeout.total)
    kind = "sock_read" if timeout.sock_read is not None and read == timeout.sock_read else "total"
    connect = least(timeout.connect, timeout.sock_connect, timeout.total)
    return {"connect": connect, "read": read, "write": read, "pool": None}, kind


def _payload(data: Any, json: Any) -> bytes:
    if json is not None:
        return jsonlib.dumps(json).encode()
    if data is None:
        return b""
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if isinstance(data, dict):
        return urllib.parse.urlencode(data).encode()
    return str(data).encode()


async def _streamed(kw: dict[str, Any]) -> tuple[bytes, str] | None:
    """The bytes and content type of a form, file or async iterable ``data``, as aiohttp sends.

    aiohttp's own payload machinery builds the body (a multipart form with its boundary, a
    file's bytes), so a route, the call log and the canary check see what the server would get.
    The payload replaces ``data`` (an async iterable, read once, is put back as its bytes), so a
    request that goes on to an allowed host still carries the whole body. ``None``: a body of a
    simple kind, or an aiohttp without ``Payload.as_bytes`` (before 3.12).
    """
    data = kw.get("data")
    if data is None or isinstance(data, (str, bytes, bytearray, dict)):
        return None
    payload = data() if isinstance(data, aiohttp.FormData) else data
    if not isinstance(payload, aiohttp.payload.Payload):
        try:
            payload = aiohttp.payload.get_payload(payload)
        except aiohttp.payload.LookupError:
            try:  # what aiohttp itself does next: a sequence of (name, value) pairs is a form
                payload = aiohttp.FormData(data)()
            except (TypeError, ValueError):
                return None
    as_bytes = getattr(payload, "as_bytes", None)
    if as_bytes is None:  # pragma: no cover - aiohttp < 3.12
        return None
    content: bytes = await as_bytes()
    once = isinstance(payload, aiohttp.payload.AsyncIterablePayload)
    kw["data"] = content if once else payload
    return content, payload.content_type


def patch_aiohttp() -> Callable[[], None]:
    """Patch ``ClientSession._request``; return the undo."""
    WIRE_ERRORS["aiohttp"] = _wire_error
    original = aiohttp.ClientSession.__dict__["_request"]

    async def _request(self: aiohttp.ClientSession, method: str, str_or_url: Any, **kw: Any) -> Any:
        from ._clients import find_route

        url = URL(str(str_or_url)) if not isinstance(str_or_url, URL) else str_or_url
        if self._base_url is not None and not url.is_absolute():
            url = self._base_url.join(url)
        if kw.get("params"):
            url = url.extend_query(kw["params"])
        headers = CIMultiDict(self.headers)
        headers.update(CIMultiDict(kw.get("headers") or {}))
        if kw.get("json") is not None and "content-type" not in headers:
            headers["content-type"] = "application/json"
        streamed = await _streamed(kw)
        if streamed is None:
            content = _payload(kw.get("data"), kw.get("json"))
        else:
            content, content_type = streamed
            headers.setdefault("content-type", content_type)
        request = httpx.Request(method, str(url), headers=list(headers.items()), content=content)
        timeout = kw.get("timeout")
        if not isinstance(timeout, aiohttp.ClientTimeout):
            timeout = self.timeout
        limits, kind = _timeouts(timeout)
        request.extensions = {"timeout": limits, LIB_KEY: "aiohttp", _READ_KIND: kind}
        found = find_route(request, "aiohttp")
        if found is None:
            return await original(self, method, str_or_url, **kw)
        chaos, route = found
        response = await route._serve_async(request)
        resp = _client_response(self, method, url, headers, response, chaos)
        check = kw.get("raise_for_status")
        check = self._raise_for_status if check is None else check
        if check is True:
            resp.raise_for_status()
        elif callable(check):
            await check(resp)
        return resp

    aiohttp.ClientSession._request = _request  # type: ignore[method-assign]

    def undo() -> None:
        if aiohttp.ClientSession.__dict__.get("_request") is _request:
            aiohttp.ClientSession._request = original  # type: ignore[method-assign]

    return undo


class _Protocol:
    """The connection a body reader asks about: always connected, flow control a no-op."""

    connected = True
    _reading_paused = False

    def pause_reading(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to pause: the body comes from the route."""

    def resume_reading(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to resume."""


def _client_response(
    session: aiohttp.ClientSession,
    method: str,
    url: URL,
    sent: CIMultiDict[str],
    response: httpx.Response,
    chaos: Any,
) -> aiohttp.ClientResponse:
    from aiohttp.client_reqrep import RequestInfo
    from aiohttp.helpers import TimerNoop
    from aiohttp.streams import StreamReader

    loop = asyncio.get_running_loop()
    resp = aiohttp.ClientResponse(
        method, url, writer=None, continue100=None, timer=TimerNoop(),
        request_info=RequestInfo(url, method, CIMultiDictProxy(sent), url),
        traces=[], loop=loop, session=session,
        stream_writer=types.SimpleNamespace(output_size=0),  # type: ignore[arg-type]
    )  # fmt: skip
    head = CIMultiDict(response.headers.multi_items())
    resp._headers = CIMultiDictProxy(head)
    resp._raw_headers = tuple((k.encode(), v.encode()) for k, v in head.items())
    resp.status, resp.reason = response.status_code, response.reason_phrase
    for cookie in head.getall("set-cookie", ()):
        resp.cookies.load(cookie)
    content = StreamReader(_Protocol(), limit=2**16, loop=loop)  # type: ignore[arg-type]
    resp.content = content
    stream = response.stream
    if not isinstance(stream, Stream):
        content.feed_data(response.content)
        content.feed_eof()
        return resp

    async def feed() -> None:  # a streamed body: chunks on the virtual clock, faults mid-way
        for wait, item in stream._steps():
            if wait:
                await chaos._async_sleep(wait)
            if isinstance(item, BaseException):
                content.set_exception(item)
                return
            content.feed_data(item)
        content.feed_eof()

    task = loop.create_task(feed())
    resp._prodreal_feeder = task  # type: ignore[attr-defined]  # keep the task alive
    return resp
