"""Pytest fixtures that run the Oktopost sandbox as a real process on loopback.

`sandbox_server` starts one process per test session; `sandbox` resets its world
(and call log, limits, faults, clock) before each test that uses it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from oktopost.demo import DEMO_ACCOUNT_ID, DEMO_API_KEY

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SandboxProcess:
    """A sandbox subprocess and helpers to drive its /_sandbox control API."""

    port: int
    args: list[str] = field(default_factory=list)
    account_id: str = DEMO_ACCOUNT_ID
    api_key: str = DEMO_API_KEY
    process: subprocess.Popen[str] | None = None

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v2"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.account_id, self.api_key)

    def start(self) -> None:
        command = [sys.executable, "-m", "oktopost.sandbox", "--port", str(self.port), *self.args]
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.fail("exited before it was ready")
            try:
                requests.get(f"{self.root_url}/_sandbox/state", timeout=1).raise_for_status()
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.fail(f"was not ready after {READY_TIMEOUT:.0f} s")

    def fail(self, why: str) -> None:
        output = self.stop()
        pytest.fail(f"sandbox {why}; its output:\n{output}", pytrace=False)

    def stop(self) -> str:
        """Terminate (SIGTERM, so --state is saved) and return what it printed."""
        if self.process is None:
            return ""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            output, _ = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        self.process = None
        return output or ""

    def control(self, method: str, path: str, json: Any = None) -> dict[str, Any]:
        """Call a control endpoint ("faults" or "/_sandbox/faults"); raises on non-2xx."""
        path = path.lstrip("/").removeprefix("_sandbox").lstrip("/")
        url = f"{self.root_url}/_sandbox/{path}"
        response = requests.request(method, url, json=json, timeout=30)
        response.raise_for_status()
        return response.json()

    def calls(self) -> dict[str, Any]:
        return self.control("GET", "calls")


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxProcess]:
    server = SandboxProcess(
        port=free_port(), args=["--posts", "300", "--seed", "7", "--block-seconds", "3"]
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxProcess, pinned_now) -> SandboxProcess:
    # Under the date matrix the sandbox's world and clock start at the test's instant.
    sandbox_server.control("POST", "reset", {"now": time.time()} if pinned_now else None)
    return sandbox_server


@dataclass
class Source:
    """What the `file_source` server answers for one path."""

    body: bytes
    content_type: str = "application/octet-stream"
    status: int = 200
    ranges: bool = True  # answer Range requests with 206 (False: ignore them, answer 200)
    declared_size: int | None = None  # Content-Length to claim on HEAD, if not len(body)


class FileSource:
    """A small HTTP server on loopback serving files the way a CDN does (HEAD, Range),
    so the sandbox has real sources to fetch for POST /media and POST /upload."""

    def __init__(self) -> None:
        self.files: dict[str, Source] = {}
        self.requests: list[tuple[str, str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_HEAD(self) -> None:
                self.answer(head=True)

            def do_GET(self) -> None:
                self.answer(head=False)

            def answer(self, *, head: bool) -> None:
                owner.requests.append((self.command, self.path, self.headers.get("Range", "")))
                source = owner.files.get(self.path)
                if source is None:
                    source = Source(b"not found\n", "text/plain", status=404)
                body, status, extra = source.body, source.status, {}
                wanted = self.headers.get("Range", "")
                if not head and status == 200 and wanted.startswith("bytes=") and source.ranges:
                    first, _, last = wanted[6:].partition("-")
                    start, end = int(first), min(int(last), len(body) - 1)
                    extra["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
                    body, status = body[start : end + 1], 206
                size = source.declared_size if head and source.declared_size else len(body)
                self.send_response(status)
                self.send_header("Content-Type", source.content_type)
                self.send_header("Content-Length", str(size))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                if not head:
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A short poll: shutdown() waits for serve_forever to look (0.5 s by default).
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def add(self, path: str, body: bytes, content_type: str, **options: Any) -> str:
        self.files[path] = Source(body, content_type, **options)
        return self.url(path)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def file_source() -> Iterator[FileSource]:
    server = FileSource()
    yield server
    server.close()


@pytest.fixture
def quick_uploads(sandbox: SandboxProcess) -> SandboxProcess:
    """The sandbox with uploads settling after 0.2 s (reset restores the default)."""
    sandbox.control("POST", "options", {"upload_delay": 0.2})
    return sandbox
