"""The network guard: while it is on, no connection and no DNS lookup leaves the process.

It patches ``socket.socket.connect``/``connect_ex``, ``socket.create_connection`` and
``socket.getaddrinfo`` (process-wide, reference-counted, restored when the last user stops), so
it stops every client: httpx, requests, urllib3, botocore, aiohttp, a raw socket. A blocked
attempt raises :class:`NetworkBlockedError` at once, naming host, port and the client, and is
remembered by every running :class:`Guard` so the test fails at teardown even if the client
swallowed the error. Unix sockets and socket pairs are never blocked (xdist and asyncio use
them). Loopback and named hosts can be allowed. Library layer: imports only the standard library.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import sys
import threading
from collections.abc import Iterable
from typing import Any, ClassVar

from ..errors import InvalidArgument, ProdrealError

__all__ = ["Guard", "NetworkBlockedError", "check_host", "is_loopback"]

_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
# Libraries named in the error, outermost first wins (requests over the urllib3 it calls).
_CLIENTS = ("boto3", "botocore", "requests", "aiohttp", "httpx2", "httpx", "httpcore2",
            "httpcore", "urllib3", "urllib", "http")  # fmt: skip
_INET = (socket.AF_INET, socket.AF_INET6)


class NetworkBlockedError(ProdrealError, ConnectionRefusedError):
    """A connection or DNS lookup no chaos route handles: a test must not reach the network."""


def check_host(where: str, entry: object) -> str:
    """An allow-list entry: a host name or an IP address (lower-cased), else InvalidArgument."""
    if isinstance(entry, str):
        text = entry.strip().lower().rstrip(".")
        try:
            return str(ipaddress.ip_address(text.strip("[]")))
        except ValueError:
            if _HOST.match(text) and not text.replace(".", "").isdigit():
                return text
    raise InvalidArgument(
        f"{where}: {entry!r} is not a host name or IP address; pass a bare host such as "
        "'localhost', 'search.internal' or '10.0.0.5' (no scheme, port or path)"
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _client() -> str:
    """The outermost client library on the calling stack, else the calling module."""
    frame: Any = sys._getframe(2)
    found: str | None = None
    caller: str | None = None
    while frame is not None:
        top = str(frame.f_globals.get("__name__", "")).partition(".")[0]
        if top in _CLIENTS:
            found = top
        elif caller is None and top not in ("socket", "pytest_prodreal", "ssl", "asyncio"):
            caller = str(frame.f_globals.get("__name__", "?"))
        frame = frame.f_back
    if found == "http":
        found = "http.client"
    return found or f"a raw socket (from {caller or '?'})"


class Guard:
    """One user of the guard: its allow policy and the attempts it blocked."""

    _lock = threading.Lock()
    _active: ClassVar[list[Guard]] = []
    _saved: ClassVar[list[tuple[Any, str, Any]]] = []

    def __init__(
        self, *, allow_loopback: bool = False, hosts: Iterable[str] = (), owner: str = "chaos"
    ) -> None:
        self.allow_loopback = bool(allow_loopback)
        self.hosts = {check_host(f"{owner} allow_hosts", h) for h in hosts}
        self.owner = owner
        self.blocked: list[str] = []

    def allow(self, *hosts: str) -> None:
        """Let connections to these hosts through (names or addresses)."""
        self.hosts |= {check_host("chaos.allow_hosts", h) for h in hosts}

    def allows(self, host: str) -> bool:
        """Whether this guard lets a connection to ``host`` through."""
        h = host.strip("[]").lower().rstrip(".")
        if h in self.hosts:
            return True
        # Allowing "localhost" (or 127.0.0.1) allows what it resolves to: this machine.
        return is_loopback(h) and (self.allow_loopback or any(map(is_loopback, self.hosts)))

    # -- process-wide patches ------------------------------------------------------------------

    def start(self) -> None:
        """Join the running guards (the first one patches the socket module)."""
        with Guard._lock:
            Guard._active.append(self)
            if len(Guard._active) == 1:
                _install()

    def stop(self) -> None:
        """Leave; the last one out restores the socket module."""
        with Guard._lock:
            if self in Guard._active:
                Guard._active.remove(self)
            if not Guard._active:
                _uninstall()

    @classmethod
    def _check(cls, host: object, port: object, via: str) -> None:
        guards = list(cls._active)
        text = str(host)
        if not guards or all(g.allows(text) for g in guards):
            return
        client = _client()
        what = f"{text}:{port} (client: {client}, via {via})"
        for g in guards:
            g.blocked.append(what)
        raise NetworkBlockedError(
            111,
            f"prodreal network guard: blocked a connection to {what}; no test may reach the "
            "network: add a chaos.route(...) for it, or allow the host (chaos.allow_hosts(...), "
            "--prodreal-allow-loopback for local servers)",
        )


def _install() -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_create = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in _INET:
            Guard._check(address[0], address[1], "socket.connect")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in _INET:
            Guard._check(address[0], address[1], "socket.connect_ex")
        return real_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        Guard._check(address[0], address[1], "socket.create_connection")
        return real_create(address, *args, **kwargs)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None:
            name = host.decode() if isinstance(host, bytes) else str(host)
            try:
                ipaddress.ip_address(name.strip("[]"))  # a numeric address: no lookup happens
            except ValueError:
                Guard._check(name, port, "socket.getaddrinfo (DNS)")
        return real_getaddrinfo(host, port, *args, **kwargs)

    for target, name, new in (
        (socket.socket, "connect", connect),
        (socket.socket, "connect_ex", connect_ex),
        (socket, "create_connection", create_connection),
        (socket, "getaddrinfo", getaddrinfo),
    ):
        Guard._saved.append((target, name, target.__dict__.get(name)))
        setattr(target, name, new)


def _uninstall() -> None:
    while Guard._saved:
        target, name, original = Guard._saved.pop()
        if original is None:
            delattr(target, name)  # the C method of _socket.socket shows through again
        else:
            setattr(target, name, original)
