"""HTTP front of the sandbox: /v2 (the Oktopost API) and /_sandbox (the control API)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from oktopost.demo import SANDBOX_PORT
from oktopost.sandbox import control
from oktopost.sandbox.app import Sandbox, SandboxConfig
from oktopost.sandbox.faults import AFTER, GARBAGE, HTML_502

JSON_TYPE = "application/json; charset=utf-8"


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Benchmarks open many connections at once; the default backlog of 5 drops them.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        super().__init__(address, Handler)
        self.sandbox = sandbox


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, as clients using a requests.Session expect.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, keep-alive clients wait
    # ~40 ms for a delayed ACK on every call.
    disable_nagle_algorithm = True
    server_version = "OktopostSandbox/1.0"
    server: SandboxHTTPServer

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def do_DELETE(self) -> None:
        self.dispatch("DELETE")

    def do_PUT(self) -> None:
        self.dispatch("PUT")

    def do_PATCH(self) -> None:
        self.dispatch("PATCH")

    def do_HEAD(self) -> None:
        self.dispatch("HEAD")

    def log_message(self, format: str, *args: Any) -> None:
        # The call log (/_sandbox/calls) replaces per-request stderr noise.
        return

    def dispatch(self, method: str) -> None:
        try:
            self.route(method)
        except Exception:
            # A sandbox bug must surface as a loud 500 with a traceback, never as a
            # dropped connection that looks like an injected fault.
            traceback.print_exc()
            error = {"Result": False, "Errors": {"API": {"Error": "Sandbox internal error"}}}
            self.send_json(500, error)

    def route(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        sandbox = self.server.sandbox
        if url.path.startswith("/files/"):
            self.serve_file(method, url.path)
        elif method == "HEAD":
            self.send_bytes(405, b"", "text/plain", {"Allow": "GET, POST, DELETE, PUT, PATCH"})
        elif url.path == "/_sandbox" or url.path.startswith("/_sandbox/"):
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                self.send_json(400, {"error": "the body must be JSON"})
                return
            status, payload = control.handle(sandbox, method, url.path, single(url.query), body)
            self.send_json(status, payload)
        elif url.path == "/v2" or url.path.startswith("/v2/"):
            self.serve_v2(method, url.path, url.query, raw)
        else:
            self.send_json(404, {"Result": False, "Errors": []})

    def serve_v2(self, method: str, path: str, query: str, raw: bytes) -> None:
        sandbox = self.server.sandbox
        with sandbox.lock:
            fault = sandbox.faults.take()
            delay_ms = sandbox.faults.latency_ms
            after_write_ms = sandbox.faults.after_write_delay_ms
            # A request belongs to the call log of the moment it arrived: one still being
            # answered (slow, after-write delay) when the sandbox is reset must not show up
            # in the fresh log.
            calls = sandbox.calls
        if fault and fault.startswith("slow:"):
            delay_ms += int(fault[5:])
            fault = None
        if delay_ms:
            time.sleep(delay_ms / 1000)

        def record(status: int) -> None:
            with sandbox.lock:
                calls.record(method, path, query, status, fault)

        if fault == "drop":
            record(0)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "500":
            record(500)
            error = {"Result": False, "Errors": {"API": {"Error": "Internal Server Error"}}}
            self.send_json(500, error)
            return
        if fault == "html":
            record(502)
            self.send_bytes(502, HTML_502, "text/html")
            return
        form = single(raw.decode("utf-8", "replace")) if method != "GET" else {}
        auth = self.headers.get("Authorization", "")
        status, payload = sandbox.v2(method, path, single(query), form, auth)
        body = json.dumps(payload).encode()
        if after_write_ms and method in ("POST", "DELETE", "PUT"):
            time.sleep(after_write_ms / 1000)
        if fault in AFTER:
            body = body[: max(1, len(body) // 2)] if fault == "truncate" else GARBAGE
        record(status)
        extra = {"WWW-Authenticate": 'Basic realm="Oktopost API"'} if status == 401 else {}
        self.send_bytes(status, body, JSON_TYPE, extra)

    def serve_file(self, method: str, path: str) -> None:
        """/files/<mediaId>/<name>: a stored media file, like a CDN (no auth, Range ok)."""
        parts = [p for p in path.split("/") if p]
        found = self.server.sandbox.file(parts[1]) if len(parts) >= 2 else None
        if method not in ("GET", "HEAD"):
            self.send_bytes(405, b"Use GET or HEAD.\n", "text/plain", {"Allow": "GET, HEAD"})
            return
        if found is None:
            self.send_bytes(404, b"No such file.\n", "text/plain", head=method == "HEAD")
            return
        data, content_type = found
        headers = {
            "Accept-Ranges": "bytes",
            "Cache-Control": "public, max-age=3600",
            "X-Content-Type-Options": "nosniff",
        }
        wanted = self.headers.get("Range")
        if wanted:
            span = byte_range(wanted, len(data))
            if span is None:
                headers["Content-Range"] = f"bytes */{len(data)}"
                self.send_bytes(416, b"", "text/plain", headers, head=method == "HEAD")
                return
            start, end = span
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            self.send_bytes(206, data[start : end + 1], content_type, headers, method == "HEAD")
            return
        self.send_bytes(200, data, content_type, headers, head=method == "HEAD")

    def send_json(self, status: int, payload: Any) -> None:
        self.send_bytes(status, json.dumps(payload).encode(), JSON_TYPE)

    def send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        head: bool = False,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """One `bytes=a-b` / `bytes=a-` / `bytes=-n` range as inclusive (start, end); None if
    it cannot be satisfied (several ranges are not supported)."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec or size == 0:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or last.isdigit()):
        return None
    if not first:
        count = int(last)
        return (max(0, size - count), size - 1) if count else None
    start = int(first)
    end = min(int(last), size - 1) if last.isdigit() else size - 1
    if start >= size or end < start:
        return None
    return start, end


def single(query: str) -> dict[str, str]:
    """Repeated keys keep the last value, as PHP's $_GET/$_POST do; a PHP array
    (`ids[]=a&ids[]=b`, how the SDK sends lists, API reference §1) keeps every value,
    joined with commas under its `name[]` key."""
    return {
        k: ",".join(v) if k.endswith("[]") else v[-1]
        for k, v in parse_qs(query, keep_blank_values=True).items()
    }


@dataclass
class SandboxHandle:
    """A running sandbox: base `url` ends in /v2; `root_url` hosts /_sandbox."""

    url: str
    root_url: str
    sandbox: Sandbox
    server: SandboxHTTPServer
    thread: threading.Thread
    saver: threading.Thread | None
    stopping: threading.Event

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        if self.saver is not None:
            self.saver.join(timeout=5)
        self.sandbox.save()


def serve(
    config: SandboxConfig, *, host: str = "127.0.0.1", port: int = SANDBOX_PORT
) -> SandboxHandle:
    """Bind and serve on background threads; the caller decides how to wait and stop."""
    sandbox = Sandbox(config)
    server = SandboxHTTPServer((host, port), sandbox)
    bound_host, bound_port = server.server_address[:2]
    root = f"http://{bound_host}:{bound_port}"
    sandbox.set_root_url(root)
    sandbox.resume_uploads()
    # A short poll so that stop() returns at once (serve_forever looks every 0.5 s).
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="oktopost-sandbox",
        daemon=True,
    )
    thread.start()
    stopping = threading.Event()
    saver = None
    if config.state_path:

        def save_periodically() -> None:
            while not stopping.wait(config.save_interval):
                sandbox.save()

        saver = threading.Thread(target=save_periodically, name="sandbox-saver", daemon=True)
        saver.start()
    return SandboxHandle(f"{root}/v2", root, sandbox, server, thread, saver, stopping)


def start_in_thread(*, port: int = 0, host: str = "127.0.0.1", **config: Any) -> SandboxHandle:
    """Start a sandbox in this process; `config` takes the SandboxConfig fields."""
    return serve(SandboxConfig(**config), host=host, port=port)
