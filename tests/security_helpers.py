"""Fixtures the security tests share (imported by each tests/test_security_*.py).

`loopback_only` is a safety net: while it is active, a socket that tries to connect
anywhere outside 127.0.0.0/8 or [::1] fails the test instead of sending a packet, so
even a broken address guard cannot reach the outside. `fake_dns` (autouse too) answers
chosen names with chosen (loopback) addresses and refuses every other name without
asking a DNS server, whose query would itself leave loopback; literal addresses
resolve as usual (no traffic)."""

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class OutsideTraffic(AssertionError):
    pass


_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def _destination_ok(address: object) -> bool:
    if isinstance(address, str | bytes):  # a Unix socket path
        return True
    host = str(address[0]).split("%", 1)[0]  # type: ignore[index]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in _LOOPBACK)


def _guarded_connect(sock: socket.socket, address: object) -> None:
    if not _destination_ok(address):
        raise OutsideTraffic(f"a test tried to connect to {address!r}")
    return _real_connect(sock, address)


def _guarded_connect_ex(sock: socket.socket, address: object) -> int:
    if not _destination_ok(address):
        raise OutsideTraffic(f"a test tried to connect to {address!r}")
    return _real_connect_ex(sock, address)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch) -> dict[str, list[str]]:
    """Names to answer: `fake_dns["hooks.example.test"] = ["127.0.0.1"]`. Autouse: no
    test here may ask a DNS server anything (the query itself would leave loopback)."""
    answers: dict[str, list[str]] = {}

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in answers:
            found = []
            for address in answers[name]:
                found += _real_getaddrinfo(address, port, family, type, proto, flags)
            return found
        try:
            ipaddress.ip_address(name.strip("[]").split("%", 1)[0])
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "not answered in tests") from None
        return _real_getaddrinfo(name, port, family, type, proto, flags)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


class Recorder:
    """An HTTP server on 127.0.0.1 that records every request and answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[tuple[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", 0) or 0)
                self.rfile.read(length)
                recorder.requests.append((self.command, self.path))
                self.send_response(recorder.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.stop()
