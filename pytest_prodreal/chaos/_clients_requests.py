"""requests under chaos, the fast path: a request a route takes is answered at ``HTTPAdapter.send``.

Every request still goes through urllib3's patched pool when it must (see ``_clients_urllib3``):
an adapter with a retrying ``Retry`` (status retries, Retry-After, back-off on the virtual clock)
keeps urllib3's own ``urlopen`` loop. With requests' default adapter (``Retry(0, read=False)``:
no retries; requests follows redirects itself) a response goes back unchanged, so a route's
response is built right here, as ``responses`` does, skipping the pool, the TLS context and the
certificate checks that no request of a route ever uses. A network fault is not raised here:
the adapter's own ``send`` runs, and its ``_make_request`` raises the fault decided here, so
urllib3 wraps it and requests maps it exactly as for a real connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._clients_urllib3 import (
    PENDING,
    build_request,
    http_response,
    retries_nothing,
    serve_or_defer,
)

__all__ = ["patch_requests"]


def patch_requests() -> Callable[[], None]:
    """Patch ``requests.adapters.HTTPAdapter.send``; return the undo."""
    from requests.adapters import HTTPAdapter
    from urllib3.util.timeout import Timeout as TimeoutSauce  # requests' own alias of it

    original = HTTPAdapter.__dict__["send"]

    def send(
        self: HTTPAdapter,
        request: Any,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> Any:
        from ._clients import find_route

        def through_urllib3() -> Any:
            return original(
                self, request, stream=stream, timeout=timeout, verify=verify, cert=cert,
                proxies=proxies,
            )  # fmt: skip

        if PENDING.outcome is not None or not retries_nothing(self.max_retries):
            return through_urllib3()
        # requests' own timeout handling (HTTPAdapter.send): a pair is (connect, read).
        if isinstance(timeout, tuple):
            connect, read = timeout
            sauce = TimeoutSauce(connect=connect, read=read)
        elif isinstance(timeout, TimeoutSauce):
            sauce = timeout
        else:
            sauce = TimeoutSauce(connect=timeout, read=timeout)
        kw: dict[str, Any] = {
            "body": request.body,
            "headers": request.headers,
            "timeout": sauce,
            "retries": self.max_retries,
            "preload_content": False,
            "decode_content": False,
        }
        routed = build_request(None, None, request.method, request.url, kw)
        request.body = kw["body"]  # a generator or file read for matching goes on as its bytes
        found = find_route(routed)
        if found is None:
            return through_urllib3()
        chaos, route = found
        return serve_or_defer(
            chaos,
            route,
            routed,
            lambda served: self.build_response(
                request, http_response(None, served, chaos, request.method, request.url, kw)
            ),
            through_urllib3,
        )

    HTTPAdapter.send = send  # type: ignore[method-assign]

    def undo() -> None:
        if HTTPAdapter.__dict__.get("send") is send:
            HTTPAdapter.send = original  # type: ignore[method-assign]

    return undo
