"""HTTP routes: a healthy response plus seeded faults, for httpx *and* httpx2 clients.

Imported only when a :class:`~pytest_prodreal.chaos.Chaos` adds a route or starts (it imports
httpx; interception itself lives in ``_transport``).

* Faults are raised as the exceptions the client's transport raises for a real network error:
  httpx's/httpx2's own for a request served at their default transport, httpcore's/httpcore2's
  inside a pool (the transport maps them as it maps real ones), urllib3's and aiohttp's for
  theirs (``_routestate.transport_error``).
* Latency and stalls wait on the virtual clock; a wait longer than the client's own timeout
  (``request.extensions["timeout"]``) becomes the client's timeout error after exactly that
  timeout, since a mocked request is never bounded by it otherwise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import httpx

from ..errors import InvalidArgument
from ._faults import BAD_PAYLOADS, FAULTS, Fault, Outcome, Wire, client_timeout, fault_named
from ._jitter import catch_up
from ._latency import check_count, check_rate
from ._latency import check_seconds as _secs
from ._log import ChaosCall, caller_id
from ._route import FaultKind, Rule, Target
from ._routeargs import check_headers, healthy_body
from ._routestate import (
    RateLimit,
    Stream,
    TokenAuthority,
    error_json,
    plain_response,
    split_body,
    transport_error,
)
from ._transport import LIB_KEY, ChaosRouter

if TYPE_CHECKING:
    from ._core import Chaos

__all__ = ["HttpRoute", "build_route"]

_RETRY_HEADER = "x-stainless-retry-count"  # openai/anthropic number their retries


class HttpRoute(Target):
    """An HTTP route: a healthy response plus composable, seeded faults, and its call log.

    Made by :meth:`Chaos.route <pytest_prodreal.chaos.Chaos.route>`. Every configuration method
    returns the route, so they chain::

        llm = chaos.route("POST", "https://api.openai.com/v1/chat/completions", json=REPLY)
        llm.latency(median=0.8, p99=6).fault(503, rate=0.1).fault("read_timeout", rate=0.05)
    """

    default_fault: FaultKind = 503
    kind_word = "HTTP route"

    def __init__(
        self,
        chaos: Chaos,
        name: str,
        *,
        status: int,
        headers: dict[str, str] | None,
        body: bytes,
        content_type: str | None,
        respond: Callable[[httpx.Request], httpx.Response] | None,
    ) -> None:
        super().__init__(chaos, name)
        self.status = status
        self.headers = dict(headers or {})
        if content_type and not any(k.lower() == "content-type" for k in self.headers):
            self.headers["content-type"] = content_type
        self.body = body
        self.respond = respond
        self._chunks: list[bytes] | None = None
        self._chunk_delay = 0.0
        self._limit: RateLimit | None = None
        self._auth: TokenAuthority | None = None
        self.token_route: HttpRoute | None = None
        self.url: Any = None

    # -- HTTP-only configuration -------------------------------------------------------------------

    def _check_kind(self, kind: object) -> FaultKind:
        if isinstance(kind, int) and not isinstance(kind, bool):
            if not 400 <= kind <= 599:
                raise InvalidArgument(
                    f"fault status {kind!r} is not an error status: use 400-599 (e.g. 503)"
                )
            return kind
        if isinstance(kind, str):
            return fault_named(kind, http=True).name
        if isinstance(kind, BaseException) or (
            isinstance(kind, type) and issubclass(kind, BaseException)
        ):
            return kind
        raise InvalidArgument(
            f"fault kind={kind!r} is not a fault for an HTTP route: pass an HTTP status "
            "(400-599), a fault name such as 'read_timeout', or an exception to raise"
        )

    def healthy(
        self,
        *,
        status: int = 200,
        json: Any = None,
        text: str | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        respond: Callable[[httpx.Request], httpx.Response] | None = None,
    ) -> HttpRoute:
        """Change the healthy response from now on (faults, log and seed stay as they are).

        Takes what :meth:`Chaos.route` takes: ``status`` with ``json``/``text``/``content`` and
        ``headers``, or ``respond(request)``. Use it mid-test: a dependency that starts
        answering differently (a new model version, an emptied index). A streamed body set by
        :meth:`stream` is replaced too.
        """
        body, ctype = healthy_body("route.healthy", status, json, text, content, respond)
        self.headers = check_headers("route.healthy", headers)
        self.status, self.body, self.respond = status, body, respond
        if ctype and not any(k.lower() == "content-type" for k in self.headers):
            self.headers["content-type"] = ctype
        self._chunks = None
        return self

    def respond_with(self, cassette: Any, *, match_body: bool = False) -> HttpRoute:
        """Answer healthy calls from recorded responses (a cassette or its file).

        A :class:`~.cassettes.Cassette`, or the path of a VCR.py cassette (``.yaml``) or JSONL
        file. Faults stay on top; unmatched
        requests and unused entries are reported at teardown (see ``chaos/cassettes.py``).
        """
        from .cassettes import Cassette

        if not isinstance(cassette, Cassette):
            # Routes given the same file share one cassette, so "never requested" means by
            # any route of this chaos.
            path = os.fspath(cassette)
            shared = [r.respond for r in self.chaos.routes.values() if isinstance(r, HttpRoute)]
            same = [c for c in shared if isinstance(c, Cassette) and c.path == path]
            cassette = same[0] if same else Cassette.load(path, match_body=match_body)
        cassette.chaos = self.chaos
        self.healthy(respond=cassette)
        return self

    def origin(self) -> str:
        """``scheme://host[:port]`` of the route's URL (raises if it was given as a pattern)."""
        if not isinstance(self.url, str):
            raise InvalidArgument(
                f"route {self.name!r} has no plain URL to take an origin from: pass token_url="
            )
        u = httpx.URL(self.url)
        return f"{u.scheme}://{u.netloc.decode()}"

    def bad_payload(self, kind: str, rate: float = 1.0) -> HttpRoute:
        """Answer a seeded fraction of calls with a bad body (see ``BAD_PAYLOADS``)."""
        if kind not in BAD_PAYLOADS:
            raise InvalidArgument(
                f"bad_payload kind={kind!r} is unknown: use one of {', '.join(BAD_PAYLOADS)}"
            )
        return self.fault(kind, rate)

    def rate_limit(
        self,
        retry_after: float = 1.0,
        *,
        times: int | None = None,
        rate: float | None = None,
        limit: int | None = None,
        window: float = 1.0,
        header: str = "seconds",
    ) -> HttpRoute:
        """Answer 429 with a Retry-After of ``retry_after`` virtual seconds.

        Trigger: the first ``times`` calls (the default is 1), a seeded fraction ``rate``, or
        more than ``limit`` calls per ``window`` seconds. ``header`` is ``"seconds"``
        (``Retry-After: 3``), ``"ms"`` (``retry-after-ms``) or ``"http-date"``. A call that comes
        back before the Retry-After has passed gets another 429 and counts as a violation (see
        :meth:`rate_limit_stats`).
        """
        ra = _secs(retry_after, "retry_after")
        if header not in ("seconds", "ms", "http-date"):
            raise InvalidArgument(
                f"rate_limit header={header!r} is unknown: use 'seconds', 'ms' or 'http-date'"
            )
        triggers = sum(x is not None for x in (times, rate, limit))
        if triggers > 1:
            raise InvalidArgument("rate_limit: pass only one of times=, rate= and limit=")
        if triggers == 0:
            times = 1
        self._limit = RateLimit(
            ra,
            None if times is None else check_count(times, "rate_limit times"),
            None if rate is None else check_rate(rate, "rate_limit rate"),
            None if limit is None else check_count(limit, "rate_limit limit"),
            _secs(window, "rate_limit window"),
            header,
        )
        return self

    def rate_limit_stats(self) -> dict[str, float | int]:
        """429s sent, violations (came back too early), and the shortest wait after a 429."""
        lim = self._limit
        if lim is None:
            return {"rate_limited": 0, "violations": 0, "min_wait_s": 0.0}
        return {
            "rate_limited": lim.issued,
            "violations": lim.violations,
            "min_wait_s": round(min(lim.waits), 6) if lim.waits else 0.0,
        }

    def token_expiry(
        self,
        token_url: str,
        *,
        ttl: float | None = None,
        calls: int | None = None,
        method: str = "POST",
        stampede_window: float = 1.0,
    ) -> HttpRoute:
        """Require a bearer token from ``token_url``, valid ``ttl`` virtual seconds or ``calls``.

        The token route (``route.token_route``) issues ``{"access_token", "token_type",
        "expires_in"}``; this route answers 401 to a missing, unknown or expired token.
        :meth:`token_stats` counts refreshes, 401s, stale retries (a rejected token sent again)
        and refresh stampedes (a refresh within ``stampede_window`` s of another).
        """
        if not isinstance(token_url, str) or "://" not in token_url:
            raise InvalidArgument(
                f"token_expiry: token_url={token_url!r} must be the token endpoint's URL, "
                "such as 'https://auth.test/oauth/token'"
            )
        if ttl is None and calls is None:
            raise InvalidArgument("token_expiry: pass ttl= (virtual seconds) or calls= (or both)")
        auth = TokenAuthority(
            None if ttl is None else _secs(ttl, "token ttl"),
            None if calls is None else check_count(calls, "token calls"),
            _secs(stampede_window, "stampede_window"),
        )
        self._auth = auth

        def issue(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json=auth.issue(self.chaos._now()))

        self.token_route = self.chaos.route(
            method, token_url, name=f"{self.name}:token", respond=issue
        )
        return self

    def token_stats(self) -> dict[str, int]:
        """Refreshes, 401s for bad tokens, stale-token retries and refresh stampedes."""
        a = self._auth
        if a is None:
            return {"refreshes": 0, "rejected": 0, "stale_retries": 0, "stampedes": 0}
        return {
            "refreshes": a.refreshes,
            "rejected": a.rejected,
            "stale_retries": a.stale_retries,
            "stampedes": a.stampedes,
        }

    def stream(
        self, chunks: Sequence[str | bytes], *, sse: bool = True, delay: float = 0.0
    ) -> HttpRoute:
        """Make the healthy response a streamed body: SSE ``data:`` events by default.

        ``delay`` virtual seconds pass between chunks. The faults ``"stream_cut"`` (the
        connection drops half-way) and ``"stream_stall"`` (no data for ``stall_s``) act on it.
        """
        if isinstance(chunks, (str, bytes)) or not isinstance(chunks, Sequence):
            raise InvalidArgument(
                f"stream: chunks={chunks!r} must be a list of str or bytes chunks, "
                'such as [\'{"delta": "Hel"}\', \'{"delta": "lo"}\']'
            )
        if not all(isinstance(c, (str, bytes)) for c in chunks):
            raise InvalidArgument("stream: every chunk must be str or bytes")
        out: list[bytes] = []
        for c in chunks:
            b = c.encode() if isinstance(c, str) else bytes(c)
            out.append(b"data: " + b + b"\n\n" if sse else b)
        self._chunks = out
        self._chunk_delay = _secs(delay, "stream delay")
        if sse:
            self.headers["content-type"] = "text/event-stream"
        return self

    @property
    def has_faults(self) -> bool:
        """Whether any fault (not just latency) is configured."""
        return super().has_faults or self._limit is not None or self._auth is not None

    # -- serving a request ------------------------------------------------------------------------

    def _serve_sync(self, request: httpx.Request) -> httpx.Response:
        # A streamed body (a generator, a multipart upload) is read first, as a server would:
        # the call log, the request key and the canary check all read ``request.content``.
        request.read()
        catch_up()  # an SDK imported since the chaos started gets its seeded retry jitter now
        call, wait, exc, response = self._serve(request)
        if wait:
            self.chaos._sleep(wait)
        return self._finish(call, exc, response)

    async def _serve_async(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        catch_up()
        call, wait, exc, response = self._serve(request)
        if wait:
            try:
                await self.chaos._async_sleep(wait)
            except BaseException as cancelled:  # the client gave up first (its own deadline)
                call.error, call.detail = cancelled, "cancelled by the client while waiting"
                raise
        return self._finish(call, exc, response)

    def _finish(self, call: ChaosCall, exc: BaseException | None, response: Any) -> httpx.Response:
        if exc is not None:
            call.error = exc
            raise exc
        if callable(response):
            response = response()
        call.response = response
        # httpx's Response, or httpx2's for a request served at the httpx2 transport (the two
        # are the same API; the annotation names httpx's).
        return cast(httpx.Response, response)

    def _key(self, request: httpx.Request) -> str:
        return f"{request.method} {request.url} {request.content!r}"

    def _serve(self, request: httpx.Request) -> tuple[ChaosCall, float, BaseException | None, Any]:
        key = self._key(request)
        caller = caller_id()
        with self._lock:
            t = self.chaos._now()
            d = self._decide(t)
            u = self.rng.random() if self._limit is not None else 0.0
            retry, duplicate = self.log.classify(key, caller)
            if request.headers.get(_RETRY_HEADER, "0") not in ("", "0"):
                retry, duplicate = True, False  # the SDK says so
            call = ChaosCall(
                route=self.name,
                index=self.log.call_count,
                t=t,
                request=request,
                key=key,
                retry=retry,
                latency=d.latency,
                duplicate=duplicate,
                caller=caller,
            )
            wait, exc, response = self._plan(call, d.rule, request, t, u)
            call.latency = wait  # what the client really waited (a timeout cuts latency short)
            self._record(call)
        return call, wait, exc, response

    def _plan(
        self, call: ChaosCall, rule: Rule | None, request: httpx.Request, t: float, u: float
    ) -> tuple[float, BaseException | None, Any]:
        lat = call.latency
        read = client_timeout(request, "read")
        if self._auth is not None:
            reason = self._auth.check(request, t)
            if reason is not None:
                self._unfire(rule)
                call.fault, call.detail = "token_expired", reason
                return lat, None, self._error(401, reason, "invalid_token", request, {
                    "www-authenticate": 'Bearer error="invalid_token"'
                })  # fmt: skip
        if self._limit is not None:
            reason = self._limit.check(t, u)
            if reason is not None:
                self._unfire(rule)
                call.fault, call.detail = "rate_limited", reason
                headers = self._limit.headers(t + lat)
                return lat, None, self._error(429, reason, "rate_limit_exceeded", request, headers)
        kind = rule.kind if rule is not None else None
        fault = FAULTS[kind] if isinstance(kind, str) else None
        if rule is not None and fault is not None and fault.before_send:
            call.fault = fault.name  # no byte was sent: the latency never happened
            return self._dispatch(fault, call, request, rule)
        if read is not None and lat > read and not (fault and fault.wire is Wire.READ_TIMEOUT):
            self._unfire(rule)  # the latency timed out first: the rule did not fire
            call.fault, call.detail = "read_timeout", f"latency {lat:.3f}s > read timeout {read:g}s"
            error = transport_error(request, Wire.READ_TIMEOUT, f"chaos: read timeout ({read:g}s)")
            return read, error, None
        if rule is None:
            return lat, None, self._healthy(request, None, 0.0)
        call.fault = rule.label()
        if isinstance(kind, int):
            return lat, None, self._error(kind, f"chaos: injected {kind}", "server_error", request)
        if fault is not None:
            return self._dispatch(fault, call, request, rule)
        if isinstance(kind, type):
            return lat, kind(f"chaos fault on {self.name}"), None
        assert isinstance(kind, BaseException)  # _check_kind admits nothing else
        return lat, kind, None

    def _dispatch(
        self, fault: Fault, call: ChaosCall, request: httpx.Request, rule: Rule
    ) -> tuple[float, BaseException | None, Any]:
        """Run the fault table's HTTP behaviour for ``fault``."""
        assert fault.http is not None  # _check_kind admitted only rows with an HTTP behaviour
        out: Outcome = fault.http(self, call, request, rule)
        return out.wait, out.error, out.response

    def _unfire(self, rule: Rule | None) -> None:
        if rule is not None:
            rule.fired -= 1  # another fault took this call: the rule did not fire

    def _error(
        self,
        status: int,
        message: str,
        kind: str,
        request: httpx.Request,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        response: httpx.Response = plain_response(
            httpx,
            status,
            {"content-type": "application/json", **(headers or {})},
            error_json(status, message, kind),
            request,
        )
        return response

    def _healthy(self, request: httpx.Request, fault: str | None, stall_s: float) -> Any:
        if self._chunks is not None or fault is not None:
            chunks = self._chunks if self._chunks is not None else split_body(self.body)
            stream = Stream(
                self, request, chunks, delay=self._chunk_delay, fault=fault, stall_s=stall_s
            )
            return httpx.Response(self.status, headers=self.headers, stream=stream, request=request)
        if self.respond is not None:
            respond = self.respond
            return lambda: respond(request)  # built after the wait (token issue time)
        # The client's own Response class when it is served at the httpx2 transport: the
        # common case (a healthy answer to an SDK) then needs no second response object.
        mod = sys.modules["httpx2"] if request.extensions.get(LIB_KEY) == "httpx2" else httpx
        return plain_response(mod, self.status, self.headers, self.body, request)

    def _bad(self, kind: str, request: httpx.Request) -> httpx.Response:
        json_type = {"content-type": "application/json"}
        if kind == "malformed_json":
            return httpx.Response(200, headers=json_type, content=b'{"id": "x",, "ok": }')
        if kind == "truncated_json":
            body = self.body if len(self.body) > 4 else b'{"id": "chaos", "object": "x"}'
            return httpx.Response(200, headers=json_type, content=body[: len(body) // 2])
        if kind == "empty":
            return httpx.Response(200, headers=json_type, content=b"")
        if kind == "html_error":
            page = (
                b"<html><head><title>502 Bad Gateway</title></head><body><center>"
                b"<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
            )
            return httpx.Response(502, headers={"content-type": "text/html"}, content=page)
        if kind == "wrong_content_type":
            return httpx.Response(200, headers={"content-type": "text/plain"}, content=self.body)
        return httpx.Response(200, headers=json_type, content=b'{"unexpected": true}')


def build_route(
    chaos: Chaos,
    router: ChaosRouter,
    method: str | None,
    url: str | None,
    name: str,
    *,
    status: int,
    headers: dict[str, str] | None,
    json: Any,
    text: str | None,
    content: bytes | None,
    respond: Callable[[httpx.Request], httpx.Response] | None,
    patterns: dict[str, Any],
) -> HttpRoute:
    """Create a chaos route and register its respx patterns on the router."""
    body, ctype = healthy_body("chaos.route", status, json, text, content, respond)
    headers = check_headers("chaos.route", headers)
    kwargs = dict(patterns)
    if method is not None:
        kwargs["method"] = method.upper()
    if url is not None:
        kwargs["url"] = url
    route = HttpRoute(
        chaos,
        name,
        status=status,
        headers=headers,
        body=body,
        content_type=ctype,
        respond=respond,
    )
    route.url = url
    router.add(kwargs, route)
    return route
