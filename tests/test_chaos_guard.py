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
    result.stdout.fnmatch_lines(["*network-guard blocked 1 network connection*192.0.2.1:81*"])
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
