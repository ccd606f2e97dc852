"""The network guard: nothing leaves a chaos test (or any test, with --prodreal-network-guard)."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest

from pytest_prodreal.chaos import Chaos, UnmatchedRequestError
from pytest_prodreal.chaos._guard import NetworkBlockedError, check_host
from pytest_prodreal.errors import InvalidArgument


def test_raw_socket_connect_is_blocked_naming_host_port_and_client():
    ch = Chaos().start()
    try:
        with socket.socket() as s, pytest.raises(NetworkBlockedError) as info:
            s.connect(("203.0.113.9", 8443))
        assert "203.0.113.9:8443" in str(info.value)
        assert "raw socket" in str(info.value)
        with pytest.raises(NetworkBlockedError, match="create_connection"):
            socket.create_connection(("198.51.100.1", 80))
    finally:
        with pytest.raises(UnmatchedRequestError, match="blocked 2 connection"):
            ch.stop()
    socket.socket().close()  # restored after stop


def test_dns_lookup_is_blocked_and_fails_at_exit_even_if_swallowed():
    ch = Chaos().start()
    with contextlib.suppress(OSError):
        socket.getaddrinfo("db.internal", 5432)  # a client that swallows the error...
    with pytest.raises(UnmatchedRequestError, match=r"db\.internal:5432"):
        ch.stop()  # ...still fails the chaos at exit
    socket.getaddrinfo("127.0.0.1", 80)  # numeric addresses never needed DNS


def _server():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def accept():
        with contextlib.suppress(OSError):  # closed before anyone connected
            srv.accept()[0].close()

    threading.Thread(target=accept, daemon=True).start()
    return srv


def test_loopback_allowed_reaches_a_local_server():
    srv = _server()
    with Chaos(allow_loopback=True):
        socket.create_connection(srv.getsockname(), timeout=2).close()
    srv.close()


def test_allow_hosts_lets_named_hosts_through_and_not_others():
    srv = _server()
    ch = Chaos().allow_hosts("127.0.0.1")
    with ch:
        socket.create_connection(srv.getsockname(), timeout=2).close()
        socket.getaddrinfo("localhost", 80)  # allowing a loopback address allows this machine
        with pytest.raises(NetworkBlockedError, match=r"example\.org:80"):
            socket.getaddrinfo("example.org", 80)
        ch._guard.blocked.clear()
    srv.close()


@pytest.mark.parametrize(
    "entry", ["https://api.test", "api.test:443", "", "a b", 5, None, "api.test/path", "1.2.3"]
)
def test_allow_list_entries_must_be_hosts_or_addresses(entry):
    with pytest.raises(InvalidArgument, match="not a host name or IP address"):
        check_host("chaos.allow_hosts", entry)
    with pytest.raises(InvalidArgument, match="not a host name or IP address"):
        Chaos().allow_hosts(entry)


def test_allow_hosts_as_a_string_is_refused():
    with pytest.raises(InvalidArgument, match="pass a list of hosts"):
        Chaos(allow_hosts="localhost")


def test_real_clients_are_guarded(chaos):
    import aiohttp  # noqa: F401 - patched when imported
    import requests

    # A request past the routes (its host allowed in one guard, not in the other) meets the
    # socket guard, which names the client.
    inner = Chaos(allow_hosts=["10.255.255.1"])
    inner.start()
    with pytest.raises(requests.ConnectionError, match=r"255\.1:1 \(client: requests"):
        requests.get("http://10.255.255.1:1/x", timeout=1)
    with pytest.raises(UnmatchedRequestError, match="blocked 1"):
        inner.stop()
    assert chaos._guard.blocked and not chaos._unmatched
    chaos._guard.blocked.clear()


GUARDED = """
import socket, requests

def test_raw():
    try:
        socket.create_connection(("192.0.2.1", 81), timeout=0.1)
    except OSError:
        pass

def test_dns():
    try:
        requests.get("http://nowhere.invalid/", timeout=0.1)
    except requests.RequestException:
        pass

def test_quiet():
    assert 1 + 1 == 2
"""


def test_session_guard_option_fails_every_leaking_test(pytester, xdist_args):
    pytester.makepyfile(GUARDED)
    result = pytester.runpytest("--prodreal-network-guard", "-p", "no:randomly", *xdist_args)
    result.assert_outcomes(passed=3, errors=2)
    guard = "network guard (--prodreal-network-guard / ini prodreal_network_guard)"
    result.stdout.fnmatch_lines([f"*{guard} blocked 1 network connection*192.0.2.1:81*"])
    result.stdout.fnmatch_lines(["*nowhere.invalid*client: requests*"])


def test_session_guard_ini_twin_and_loopback(pytester, xdist_args):
    pytester.makeini("[pytest]\nprodreal_network_guard = true\nprodreal_allow_loopback = true\n")
    pytester.makepyfile(
        GUARDED
        + """
def test_local():
    srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
    socket.create_connection(srv.getsockname(), timeout=1).close(); srv.close()
"""
    )
    result = pytester.runpytest("-p", "no:randomly", *xdist_args)
    result.assert_outcomes(passed=4, errors=2)


def test_without_the_option_nothing_is_guarded(pytester):
    pytester.makepyfile(
        """
        import socket
        def test_plain():
            assert socket.socket.connect is not None
            assert "connect" not in socket.socket.__dict__
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_a_file_body_to_an_allowed_local_server_arrives_whole():
    # The urllib3 patch reads a file or generator body to match it against the routes; a request
    # that no route takes and goes on to an allowed host must still carry that body.
    import io
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import requests

    got: list[bytes] = []

    class Echo(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/up"
    with Chaos(allow_loopback=True) as chaos:
        chaos.post("https://elsewhere.test/up", json={})
        response = requests.post(url, data=io.BytesIO(b"the whole body"), timeout=5)
    thread.join(5)
    server.server_close()
    assert response.status_code == 204
    assert got == [b"the whole body"]


@pytest.mark.parametrize(
    ("call", "host"),
    [
        (lambda: socket.gethostbyname("db.internal"), "db.internal"),
        (lambda: socket.gethostbyname_ex("db.internal"), "db.internal"),
        (lambda: socket.gethostbyname("localhost"), "localhost"),  # loopback not allowed
        (lambda: socket.gethostbyaddr("203.0.113.7"), "203.0.113.7"),
        (lambda: socket.getnameinfo(("203.0.113.7", 443), 0), "203.0.113.7:443"),
    ],
    ids=["gethostbyname", "gethostbyname_ex", "localhost", "gethostbyaddr", "getnameinfo"],
)
def test_every_dns_function_is_guarded(call, host):
    # Before, only getaddrinfo was patched: these four sent a real query to the resolver.
    ch = Chaos().start()
    with contextlib.suppress(OSError):
        call()  # a client that swallows the error...
    with pytest.raises(UnmatchedRequestError, match=rf"blocked 1 connection.*{host}"):
        ch.stop()  # ...still fails the chaos at exit


def test_numeric_lookups_need_no_dns_and_pass():
    with Chaos():
        assert socket.gethostbyname("203.0.113.7") == "203.0.113.7"
        host, _ = socket.getnameinfo(("203.0.113.7", 443), socket.NI_NUMERICHOST)
        assert host == "203.0.113.7"
    with Chaos(allow_loopback=True):
        assert socket.gethostbyname("localhost").startswith("127.")


def test_udp_datagrams_are_guarded():
    # A datagram needs no connect(): sendto and sendmsg were let through before.
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(0.2)
    address = listener.getsockname()
    ch = Chaos().start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            with pytest.raises(NetworkBlockedError, match=rf"127\.0\.0\.1:{address[1]}"):
                s.sendto(b"leak", address)
            with pytest.raises(NetworkBlockedError, match="sendto"):
                s.sendto(b"leak", 0, address)
            with pytest.raises(NetworkBlockedError, match="sendmsg"):
                s.sendmsg([b"leak"], [], 0, address)
    finally:
        with pytest.raises(UnmatchedRequestError, match="blocked 3 connection"):
            ch.stop()
    with pytest.raises(TimeoutError):
        listener.recv(16)  # nothing arrived
    with Chaos(allow_loopback=True), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"ok", address)  # allowed: it arrives
    assert listener.recv(16) == b"ok"
    listener.close()


@pytest.mark.parametrize("client", ["httpx", "requests", "urllib3", "aiohttp"])
def test_an_unrouted_request_names_host_port_and_client(client):
    import asyncio

    import aiohttp
    import httpx
    import requests
    import urllib3

    url = "https://unrouted.example.com/x"
    ch = Chaos().start()
    try:
        with contextlib.suppress(Exception):  # the client may wrap it or the caller swallow it
            if client == "httpx":
                httpx.get(url)
            elif client == "requests":
                requests.get(url, timeout=1)
            elif client == "urllib3":
                urllib3.PoolManager().request("GET", url, retries=False)
            else:

                async def go() -> None:
                    async with aiohttp.ClientSession() as session:
                        await session.get(url)

                asyncio.run(go())
    finally:
        with pytest.raises(UnmatchedRequestError) as info:
            ch.stop()
    message = str(info.value)
    assert f"GET {url} (host unrouted.example.com, port 443, client {client})" in message


@pytest.mark.parametrize("client", ["requests", "urllib3"])
def test_an_ipv6_literal_url_through_urllib3(client):
    # The pool keeps an IPv6 host without its brackets: the URL chaos built from it
    # ("http://::1:8080/") did not parse, and every such request crashed with InvalidURL.
    import requests
    import urllib3

    with Chaos() as ch:
        ch.route("GET", "http://[2001:db8::1]:8080/x").healthy(json={"ok": True})
        if client == "requests":
            assert requests.get("http://[2001:db8::1]:8080/x", timeout=1).json() == {"ok": True}
        else:
            pool = urllib3.PoolManager()
            assert pool.request("GET", "http://[2001:db8::1]:8080/x").json() == {"ok": True}


def test_a_lookup_in_asyncio_s_executor_is_named_as_such():
    # asyncio resolves in a worker thread, whose stack holds no client: it was called
    # "a raw socket (from concurrent.futures.thread)".
    import asyncio

    async def go() -> None:
        await asyncio.open_connection("db.internal", 5432)

    ch = Chaos().start()
    try:
        with pytest.raises(
            NetworkBlockedError,
            match=r"db\.internal:5432 \(client: a lookup in a worker thread \(asyncio's loop",
        ):
            asyncio.run(go())
    finally:
        with pytest.raises(UnmatchedRequestError):
            ch.stop()
