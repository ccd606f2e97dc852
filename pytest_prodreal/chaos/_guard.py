"""The network guard: while it is on, no connection and no DNS lookup leaves the process.

It patches ``socket.socket.connect``/``connect_ex``/``sendto``/``sendmsg`` (a datagram needs no
``connect``), ``socket.create_connection`` and every resolver function (``getaddrinfo``,
``gethostbyname``, ``gethostbyname_ex``, ``gethostbyaddr``, ``getnameinfo``), process-wide,
reference-counted, restored when the last user stops, so it stops every client: httpx,
requests, urllib3, botocore, aiohttp, a raw socket. A subprocess, or code calling the C module
``_socket`` directly, is not covered. A blocked
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
_CLIENTS = ("openai", "anthropic", "boto3", "botocore", "requests", "aiohttp", "httpx2", "httpx",
            "httpcore2", "httpcore", "urllib3", "urllib", "http")  # fmt: skip
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


def client_on_stack(fallback: str = "a raw socket (from {caller})") -> str:
    """The outermost client library on the calling stack, else ``fallback`` naming the caller."""
    frame: Any = sys._getframe(1)
    found: str | None = None
    caller: str | None = None
    while frame is not None:
        top = str(frame.f_globals.get("__name__", "")).partition(".")[0]
        if top in _CLIENTS:
            found = top
        elif caller is None and top not in _PLUMBING:
            caller = str(frame.f_globals.get("__name__", "?"))
        frame = frame.f_back
    if found == "http":
        found = "http.client"
    if found is None and caller is None:
        # Only a worker thread's frames: asyncio runs loop.getaddrinfo in its executor.
        return "a lookup in a worker thread (asyncio's loop.getaddrinfo: aiohttp, asyncio streams)"
    return found or fallback.format(caller=caller)


# Frames that are never "the client": the socket layer, ours, and the executor asyncio's
# getaddrinfo runs in.
_PLUMBING = ("socket", "pytest_prodreal", "ssl", "asyncio", "concurrent", "threading")


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
        text = host.decode() if isinstance(host, bytes) else str(host)
        if not guards or all(g.allows(text) for g in guards):
            return
        client = client_on_stack()
        where = text if port is None else f"{text}:{port}"
        what = f"{where} (client: {client}, via {via})"
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

    def sendto(self: socket.socket, data: Any, *rest: Any) -> int:
        # sendto(data, address) or sendto(data, flags, address): the address comes last.
        if self.family in _INET and rest and isinstance(rest[-1], tuple):
            Guard._check(rest[-1][0], rest[-1][1], "socket.sendto")
        return real_sendto(self, data, *rest)

    def sendmsg(self: socket.socket, buffers: Any, *rest: Any) -> int:
        # sendmsg(buffers[, ancdata[, flags[, address]]]): only the fourth names a peer.
        if self.family in _INET and len(rest) >= 3 and rest[2] is not None:
            Guard._check(rest[2][0], rest[2][1], "socket.sendmsg")
        return real_sendmsg(self, buffers, *rest)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        Guard._check(address[0], address[1], "socket.create_connection")
        return real_create(address, *args, **kwargs)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if _needs_dns(host):
            Guard._check(host, port, "socket.getaddrinfo (DNS)")
        return real_getaddrinfo(host, port, *args, **kwargs)

    def gethostbyname(host: Any) -> str:
        if _needs_dns(host):
            Guard._check(host, None, "socket.gethostbyname (DNS)")
        return real_gethostbyname(host)

    def gethostbyname_ex(host: Any) -> Any:
        if _needs_dns(host):
            Guard._check(host, None, "socket.gethostbyname_ex (DNS)")
        return real_gethostbyname_ex(host)

    def gethostbyaddr(host: Any) -> Any:
        # A reverse lookup asks the resolver even for a numeric address.
        Guard._check(host, None, "socket.gethostbyaddr (reverse DNS)")
        return real_gethostbyaddr(host)

    def getnameinfo(sockaddr: Any, flags: int) -> Any:
        if not flags & socket.NI_NUMERICHOST:  # a numeric answer needs no lookup
            Guard._check(sockaddr[0], sockaddr[1], "socket.getnameinfo (reverse DNS)")
        return real_getnameinfo(sockaddr, flags)

    real_sendto = socket.socket.sendto
    real_sendmsg = socket.socket.sendmsg
    real_gethostbyname = socket.gethostbyname
    real_gethostbyname_ex = socket.gethostbyname_ex
    real_gethostbyaddr = socket.gethostbyaddr
    real_getnameinfo = socket.getnameinfo
    for target, name, new in (
        (socket.socket, "connect", connect),
        (socket.socket, "connect_ex", connect_ex),
        (socket.socket, "sendto", sendto),
        (socket.socket, "sendmsg", sendmsg),
        (socket, "create_connection", create_connection),
        (socket, "getaddrinfo", getaddrinfo),
        (socket, "gethostbyname", gethostbyname),
        (socket, "gethostbyname_ex", gethostbyname_ex),
        (socket, "gethostbyaddr", gethostbyaddr),
        (socket, "getnameinfo", getnameinfo),
    ):
        Guard._saved.append((target, name, target.__dict__.get(name)))
        setattr(target, name, new)


def _needs_dns(host: Any) -> bool:
    """Whether resolving ``host`` asks a resolver (a numeric address or ``None`` does not)."""
    if host is None:
        return False
    name = host.decode() if isinstance(host, bytes) else str(host)
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return True
    return False


def _uninstall() -> None:
    while Guard._saved:
        target, name, original = Guard._saved.pop()
        if original is None:
            delattr(target, name)  # the C method of _socket.socket shows through again
        else:
            setattr(target, name, original)
