"""Pytest fixtures that run the Oktopost sandbox as a real process on loopback.

`sandbox_server` starts one process per test session; `sandbox` resets its world
(and call log, limits, faults, clock) before each test that uses it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from oktopost.sandbox import DEMO_ACCOUNT_ID, DEMO_API_KEY

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
def sandbox(sandbox_server: SandboxProcess) -> SandboxProcess:
    sandbox_server.control("POST", "reset")
    return sandbox_server
