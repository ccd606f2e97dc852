"""Interception, onto respx's mockers and the chaos router.

httpx's and httpx2's default transports, and the httpcore and httpcore2 pools, are patched.

* The fast path: ``httpx.HTTPTransport.handle_request`` and ``httpx2.HTTPTransport.handle_request``
  (and their async twins) serve a request a running chaos route matches directly from the
  client's own ``Request``, returning the client's own ``Response`` and raising the client's own
  exceptions. Going through the pool instead costs a respx conversion each way (an httpcore
  request to an ``httpx.Request`` and back), which was ~17% of an openai SDK call. Route
  matching of plain method + URL routes is precompiled to field comparisons (:func:`_compile`).
  Anything the fast path does not serve (no chaos running, no route matching, a custom
  transport over an httpcore pool) goes to the original, and so to the pool patches below.

* httpx (v1) clients go through ``httpcore``; httpx2 clients (openai >= 3, anthropic >= 1) through
  ``httpcore2``, which plain respx never sees. Both get respx's request/response conversion
  (:class:`respx.mocks.HTTPCoreMocker`, and :class:`HTTPCore2Mocker` for httpcore2, which tags
  each request so faults are raised as httpcore2 exceptions the client maps to *its* errors).
* Why not ``respx.MockRouter.start()``: it patches through ``unittest.mock.patch`` with autospec
  (about 0.4 ms per patched method, 24 of them) and each respx route builds a ``Mock``; the
  per-test fixture budget is 5 ms. :class:`_Patches` sets the methods directly instead, and the
  router matches with respx's own patterns. The patched methods are named ``mock`` like respx's,
  so respx's own patching (a user's ``respx_mock`` in the same test) leaves them alone and both
  routers share the mocker's dispatch; and with no router registered a patched method calls the
  original, so even a patch left behind by out-of-order stops is harmless.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from typing import TYPE_CHECKING, Any, ClassVar

import httpcore
import httpx
from respx.mocks import HTTPCoreMocker, Mocker
from respx.models import AllMockedAssertionError, PassThrough
from respx.patterns import Lookup, M, Pattern

from ._guard import client_on_stack

if TYPE_CHECKING:
    from ._core import Chaos
    from ._http import HttpRoute

__all__ = ["LIB_KEY", "ChaosRouter", "HTTPCore2Mocker", "UnmatchedRequest"]

LIB_KEY = "prodreal.transport"  # request extension naming the transport the client uses

_V1_TARGETS = (
    "httpcore._sync.connection_pool.ConnectionPool",
    "httpcore._sync.http_proxy.HTTPProxy",
    "httpcore._async.connection_pool.AsyncConnectionPool",
    "httpcore._async.http_proxy.AsyncHTTPProxy",
)
_V2_TARGETS = tuple(t.replace("httpcore.", "httpcore2.", 1) for t in _V1_TARGETS)


class HTTPCore2Mocker(HTTPCoreMocker):
    """respx's httpcore mocker, pointed at httpcore2 (the httpx2 fork's transport)."""

    # An empty ``name`` keeps the class out of respx's global registry (a re-import, as pytester
    # does, would otherwise clash); it keeps its own router list.
    name = ""
    routers: ClassVar[list[Any]] = []
    _patches: ClassVar[list[Any]] = []

    @classmethod
    def to_httpx_request(cls, **kwargs: Any) -> httpx.Request:
        """Build respx's request and remember that the client speaks httpcore2."""
        request: httpx.Request = super().to_httpx_request(**kwargs)  # type: ignore[no-untyped-call]
        request.extensions = {**request.extensions, LIB_KEY: "httpcore2"}
        return request

    @classmethod
    def from_sync_httpx_response(cls, httpx_response: Any, target: Any, **kwargs: Any) -> Any:
        """Hand httpcore2 its own response class."""
        import httpcore2

        return httpcore2.Response(
            status=httpx_response.status_code,
            headers=httpx_response.headers.raw,
            content=httpx_response.stream,
            extensions=httpx_response.extensions,
        )


def _resolve(path: str) -> type | None:
    module, _, name = path.rpartition(".")
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    return found if isinstance(found, type) else None


def _patched(mocker: type[Mocker], original: Any) -> Any:
    mocked = mocker.mock(original)  # type: ignore[no-untyped-call]  # respx: convert, dispatch
    routers = mocker.routers
    if inspect.iscoroutinefunction(original):

        async def mock(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not routers:
                return await original(self, *args, **kwargs)
            try:
                return await mocked(self, *args, **kwargs)
            except UnmatchedRequest as exc:
                exc.record()
                raise

    else:

        def mock(self: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            if not routers:
                return original(self, *args, **kwargs)
            try:
                return mocked(self, *args, **kwargs)
            except UnmatchedRequest as exc:
                exc.record()
                raise

    return mock


def _running_route(request: Any) -> HttpRoute | None:
    """The route of the innermost running chaos that matches ``request``, or ``None``."""
    from ._core import _stack

    if not _stack:
        return None
    for chaos in _stack[::-1]:  # a copy: a chaos stopping in another thread cannot shift it
        router = chaos._router
        if router is not None and router.running:
            route = router.match(request)
            if route is not None:
                return route
    return None


class _Httpx2Stream:
    """httpx2's byte-stream classes, made once (httpx2 checks the response stream's type)."""

    made: ClassVar[dict[str, type]] = {}

    @classmethod
    def wrap(cls, mod: Any, stream: Any) -> Any:
        """``stream`` (an httpx byte stream: our :class:`~._routestate.Stream`) as httpx2's."""
        klass = cls.made.get("stream")
        if klass is None:

            class Adapted(mod.SyncByteStream, mod.AsyncByteStream):  # type: ignore[misc]
                def __init__(self, inner: Any) -> None:
                    self.inner = inner

                def __iter__(self) -> Any:
                    return iter(self.inner)

                def __aiter__(self) -> Any:
                    return self.inner.__aiter__()

            klass = cls.made["stream"] = Adapted
        return klass(stream)


def _as_client_response(response: Any, mod: Any) -> Any:
    """The route's response as ``mod``'s own ``Response`` (no copy when it already is one)."""
    if isinstance(response, mod.Response):
        return response
    stream = response.stream
    if isinstance(stream, httpx.ByteStream):  # read at construction: hand over the bytes
        return mod.Response(
            response.status_code,
            headers=response.headers.raw,
            content=response.content,
            extensions=response.extensions,
        )
    return mod.Response(
        response.status_code,
        headers=response.headers.raw,
        stream=_Httpx2Stream.wrap(mod, stream),
        extensions=response.extensions,
    )


def _transport_patched(original: Any, mod: Any, tag: str) -> Any:
    """``HTTPTransport.handle_request`` (or its async twin) answering chaos routes itself.

    A request a running chaos route matches is served right here, from the client's own
    ``Request``: no httpcore request, no conversion to and from respx's ``httpx.Request``, no
    second response object (the openai and anthropic SDKs' default clients are httpx2 clients,
    and this is their per-request cost under chaos). Faults are raised as ``mod``'s exceptions
    (the ones the transport itself would have mapped them to). Anything else (no chaos, no
    matching route) goes to the original, whose httpcore pool is patched too: a user's respx
    routes, allowed hosts and unmatched-request reporting are handled there as before.
    """
    same = mod is httpx  # httpx v1 clients: the route's response needs no conversion
    if inspect.iscoroutinefunction(original):

        async def handle_async_request(self: Any, request: Any) -> Any:
            route = _running_route(request)
            if route is None:
                return await original(self, request)
            request.extensions = {**request.extensions, LIB_KEY: tag}
            response = await route._serve_async(request)
            return response if same else _as_client_response(response, mod)

        return handle_async_request

    def handle_request(self: Any, request: Any) -> Any:
        route = _running_route(request)
        if route is None:
            return original(self, request)
        request.extensions = {**request.extensions, LIB_KEY: tag}
        response = route._serve_sync(request)
        return response if same else _as_client_response(response, mod)

    return handle_request


def _transport_plan() -> list[tuple[type, str, Any, str]]:
    """``(class, method, module, tag)`` for the default transports of httpx and httpx2."""
    plan: list[tuple[type, str, Any, str]] = []
    mods: list[tuple[Any, str]] = [(httpx, "httpx")]
    try:
        import httpx2
    except ImportError:
        pass
    else:
        if httpx2 is not httpx:  # under httpx2.alias_httpx() they are one module
            mods.append((httpx2, "httpx2"))
    for mod, tag in mods:
        plan.append((mod.HTTPTransport, "handle_request", mod, tag))
        plan.append((mod.AsyncHTTPTransport, "handle_async_request", mod, tag))
    return plan


class _Patches:
    """Process-wide, reference-counted patches of the pools and default transports.

    The httpcore and httpcore2 pools, and httpx's and httpx2's default transports (the fast path
    for requests a route matches).
    """

    lock = threading.Lock()
    users = 0
    saved: ClassVar[list[tuple[type, str, Any, Any]]] = []

    @classmethod
    def acquire(cls) -> None:
        with cls.lock:
            cls.users += 1
            if cls.users > 1:
                return
            plan: list[tuple[type[Mocker], tuple[str, ...]]] = [(HTTPCoreMocker, _V1_TARGETS)]
            if _httpcore2_distinct():
                plan.append((HTTPCore2Mocker, _V2_TARGETS))
            for mocker, targets in plan:
                for path in targets:
                    klass = _resolve(path)
                    if klass is None:
                        continue
                    for method in mocker.target_methods:
                        original = klass.__dict__.get(method)
                        if original is None:
                            continue
                        new = _patched(mocker, original)
                        setattr(klass, method, new)
                        cls.saved.append((klass, method, original, new))
            for klass, method, mod, tag in _transport_plan():
                original = klass.__dict__.get(method)
                if original is None:  # pragma: no cover - both define it
                    continue
                new = _transport_patched(original, mod, tag)
                setattr(klass, method, new)
                cls.saved.append((klass, method, original, new))

    @classmethod
    def release(cls) -> None:
        with cls.lock:
            cls.users -= 1
            if cls.users > 0:
                return
            while cls.saved:
                klass, method, original, new = cls.saved.pop()
                if klass.__dict__.get(method) is new:  # else someone patched on top: leave it
                    setattr(klass, method, original)


def _httpcore2_distinct() -> bool:
    try:
        import httpcore2
    except ImportError:
        return False
    # Under httpx2.alias_httpx() "httpcore" *is* httpcore2: patching it once is enough.
    return httpcore2 is not httpcore


class UnmatchedRequest(AllMockedAssertionError):
    """A request no chaos route matched (respx's own error type, so other routers get a turn).

    It is recorded on the chaos only once it leaves the mocker, i.e. when no other router (a
    user's own respx mock, say) answered the request either.
    """

    def __init__(self, chaos: Chaos, method: str, url: str, client: str | None = None) -> None:
        self.chaos, self.method, self.url = chaos, method, url
        parsed = httpx.URL(url)
        port: object = parsed.port or {"https": 443, "http": 80}.get(parsed.scheme, "?")
        client = client or client_on_stack("the caller {caller}")
        self.where = f"host {parsed.host}, port {port}, client {client}"
        super().__init__(chaos._unmatched_message(method, url, self.where))

    def record(self) -> None:
        """Note the request on its chaos (it fails the chaos at exit)."""
        text = f"{self.method} {self.url}"
        self.chaos._unmatched.append(text)
        self.chaos._unmatched_where[text] = self.where


#: respx pattern classes whose EQUAL lookup :func:`_fast_match` reproduces.
_FAST_KEYS = {"method", "scheme", "host", "port", "path"}


def _compile(pattern: Pattern) -> tuple[tuple[str, Any], ...] | None:
    """``pattern`` as ``((key, value), ...)`` plain comparisons, or ``None`` for respx to match.

    ``chaos.route("POST", "https://api.test/v1/x")`` is respx's Method, Scheme, Host, (Port,)
    Path patterns, all EQUAL: comparing the request's fields directly gives respx's answer
    without building a ``Match`` per pattern on every request. Anything else (a regex, a query,
    headers, a JSON body...) stays with respx.
    """
    parts: list[tuple[str, Any]] = []
    for part in pattern:
        key = getattr(part, "key", None)
        if key not in _FAST_KEYS or part.lookup is not Lookup.EQUAL or part.base is not None:
            return None
        if not isinstance(part.value, (str, int)):
            return None
        parts.append((key, part.value))
    return tuple(parts)


def _fast_match(parts: tuple[tuple[str, Any], ...], request: Any) -> bool:
    try:
        url = request.url
        for key, value in parts:
            if key == "method":
                got: Any = request.method
            elif key == "host":
                got = url.host
            elif key == "path":
                got = url.path
            elif key == "scheme":
                got = url.scheme
            else:  # respx's Port: the default port of the scheme when none is given
                got = url.port or {"http": 80, "https": 443}.get(url.scheme)
            if got != value:
                return False
    except Exception:  # as respx: a request it cannot read does not match
        return False
    return True


class ChaosRouter:
    """Matches requests to chaos routes; registered on respx's mockers while the chaos runs."""

    def __init__(self, chaos: Chaos) -> None:
        self.chaos = chaos
        self.routes: list[tuple[Pattern, HttpRoute, tuple[tuple[str, Any], ...] | None]] = []
        self.running = False

    def add(self, patterns: dict[str, Any], route: HttpRoute) -> None:
        """Route requests matching respx ``patterns`` (``method=``, ``url=``, ...) to ``route``."""
        pattern = M(**patterns)
        self.routes.append((pattern, route, _compile(pattern)))

    def match(self, request: httpx.Request) -> HttpRoute | None:
        """The first route whose patterns match ``request``, or ``None``."""
        for pattern, route, fast in self.routes:
            if fast is None:
                if pattern.match(request):
                    return route
            elif _fast_match(fast, request):
                return route
        return None

    def _route_for(self, request: httpx.Request) -> HttpRoute:
        route = self.match(request)
        if route is not None:
            return route
        if self.chaos._lets_through(request.url.host):  # an allowed (say, loopback) server
            raise PassThrough("allowed host", request=request, origin=None)  # type: ignore[arg-type]
        raise UnmatchedRequest(self.chaos, request.method, str(request.url))

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Serve a request from a sync client."""
        response: httpx.Response = self._route_for(request)._serve_sync(request)
        return response

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        """Serve a request from an async client (waits are awaited on the event loop)."""
        return await self._route_for(request)._serve_async(request)

    def start(self) -> None:
        """Patch (first user only) and register on both mockers."""
        if self.running:
            return
        _Patches.acquire()
        HTTPCoreMocker.register(self)  # type: ignore[arg-type]
        HTTPCore2Mocker.register(self)  # type: ignore[arg-type]
        self.running = True

    def stop(self) -> None:
        """Unregister, and unpatch when the last user stops."""
        if not self.running:
            return
        self.running = False
        HTTPCoreMocker.unregister(self)  # type: ignore[arg-type]
        HTTPCore2Mocker.unregister(self)  # type: ignore[arg-type]
        _Patches.release()
