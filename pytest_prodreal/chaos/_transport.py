"""Interception: httpcore and httpcore2 pools patched onto respx's mockers, and the chaos router.

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
from respx.patterns import M, Pattern

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


class _Patches:
    """Process-wide, reference-counted patches of the httpcore and httpcore2 pools."""

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

    def __init__(self, chaos: Chaos, method: str, url: str) -> None:
        self.chaos, self.method, self.url = chaos, method, url
        super().__init__(chaos._unmatched_message(method, url))

    def record(self) -> None:
        """Note the request on its chaos (it fails the chaos at exit)."""
        self.chaos._unmatched.append(f"{self.method} {self.url}")


class ChaosRouter:
    """Matches requests to chaos routes; registered on respx's mockers while the chaos runs."""

    def __init__(self, chaos: Chaos) -> None:
        self.chaos = chaos
        self.routes: list[tuple[Pattern, HttpRoute]] = []
        self.running = False

    def add(self, patterns: dict[str, Any], route: HttpRoute) -> None:
        """Route requests matching respx ``patterns`` (``method=``, ``url=``, ...) to ``route``."""
        self.routes.append((M(**patterns), route))

    def match(self, request: httpx.Request) -> HttpRoute | None:
        """The first route whose patterns match ``request``, or ``None``."""
        for pattern, route in self.routes:
            if pattern.match(request):
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
