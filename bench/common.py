"""Shared pieces of the benchmarks: a sandbox process, a scratch database, tables.

Benchmarks never touch var/oktodash.sqlite3 or a real Oktopost account: every run gets a
temporary VAR_DIR (SQLite file, file cache, limiter file) or a scratch PostgreSQL database
whose name must contain "bench", and talks to its own sandbox process.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent

# Environment that would point a benchmark at real services; dropped before Django starts.
_FOREIGN_ENV = (
    "REDIS_URL",
    "OKTOPOST_ACCOUNT_ID",
    "OKTOPOST_API_KEY",
    "OKTOPOST_SANDBOX_URL",
    "OKTOPOST_LIMITER_URL",
    "OKTOPOST_LIMIT_PER_MINUTE",
    "OKTOPOST_LIMIT_PER_5S",
    "OKTOPOST_LIMIT_PER_DAY",
)


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so `finally` blocks stop the sandbox and drop the
    scratch database instead of leaving them behind."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the sandbox ---------------------------------------------------------------------


class SandboxProcess:
    """`python -m oktopost.sandbox` in its own process, so its work does not share our GIL
    (a real Oktopost is another machine; an in-thread sandbox would inflate our wall time)."""

    def __init__(self, *, posts: int, seed: int, block_seconds: int = 900) -> None:
        self.port = free_port()
        self.args = [
            "--port",
            str(self.port),
            "--posts",
            str(posts),
            "--seed",
            str(seed),
            "--block-seconds",
            str(block_seconds),
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.mkstemp(prefix="oktodash-bench-sandbox-", suffix=".log")[1])
        self.http = requests.Session()

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v2"

    def start(self, timeout: float = 180.0) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "oktopost.sandbox", *self.args],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sandbox exited early:\n{self.log_path.read_text()}")
            try:
                self.http.get(f"{self.root_url}/_sandbox/state", timeout=5).raise_for_status()
                return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"sandbox not ready after {timeout:.0f} s")

    def stop(self) -> None:
        # Only the process we started, by its pid.
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.http.close()
        self.log_path.unlink(missing_ok=True)

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(
            method, f"{self.root_url}/_sandbox/{path}", json=body or {}, timeout=60
        )
        response.raise_for_status()
        return response.json()

    def state(self) -> dict[str, Any]:
        return self.control("GET", "state")

    def calls(self, last: int = 0) -> dict[str, Any]:
        return self.control("GET", f"calls?last={last}")

    def __enter__(self) -> SandboxProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def calls_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """Calls per endpoint between two /_sandbox/calls snapshots (zeros dropped)."""
    old = before["by_endpoint"]
    delta = {k: v - old.get(k, 0) for k, v in after["by_endpoint"].items()}
    return {k: v for k, v in sorted(delta.items()) if v}


# --- the scratch database and Django ---------------------------------------------------


@dataclass
class Scratch:
    """Where one benchmark run keeps its state; `env` is what child processes need too."""

    var_dir: Path
    database_url: str
    postgres: bool
    env: dict[str, str] = field(default_factory=dict)

    @property
    def database_label(self) -> str:
        if self.postgres:
            parts = urlsplit(self.database_url)
            return f"PostgreSQL {parts.hostname}:{parts.port or 5432}{parts.path}"
        return "SQLite (temporary file, WAL)"


def _postgres_admin(database_url: str) -> tuple[str, dict[str, Any]]:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name or "bench" not in name:
        # Dropping is part of the run: refuse anything that could be a real database.
        raise SystemExit(
            f"--database-url must name a scratch database containing 'bench': {name!r}"
        )
    params: dict[str, Any] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "dbname": "postgres",
        "autocommit": True,
    }
    if parts.password:
        params["password"] = parts.password
    return name, params


def _postgres_recreate(database_url: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    name, params = _postgres_admin(database_url)
    with psycopg.connect(**params) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def prepare(database_url: str | None, extra_env: dict[str, str]) -> Scratch:
    """Set the environment for a scratch run (call before django.setup())."""
    var_dir = Path(tempfile.mkdtemp(prefix="oktodash-bench-"))
    if database_url:
        _postgres_recreate(database_url, create=True)
        url, postgres = database_url, True
    else:
        url, postgres = f"sqlite:///{var_dir / 'bench.sqlite3'}", False
    for name in _FOREIGN_ENV:
        os.environ.pop(name, None)
    env = {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-not-secret",
        "HTTPS": "false",
        "DEBUG": "false",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "oktodash.settings",
        "OKTOPOST_SANDBOX": "true",
        **extra_env,
    }
    os.environ.update(env)
    return Scratch(var_dir=var_dir, database_url=url, postgres=postgres, env=env)


def django_start(*, migrate: bool) -> None:
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)


def cleanup(scratch: Scratch) -> None:
    from django.db import connections

    connections.close_all()
    if scratch.postgres:
        _postgres_recreate(scratch.database_url, create=False)
    shutil.rmtree(scratch.var_dir, ignore_errors=True)


# --- measuring calls on our side -------------------------------------------------------


@dataclass
class Answer:
    at: float  # epoch seconds when the answer arrived
    seconds: float  # request sent -> answer headers (requests' `elapsed`)
    status: int
    path: str


class ResponseLog:
    """A requests response hook: every answer the client received, with its timing."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []

    def __call__(self, response: requests.Response, *args: object, **kwargs: object) -> Any:
        self.answers.append(
            Answer(
                at=time.time(),
                seconds=response.elapsed.total_seconds(),
                status=response.status_code,
                path=urlsplit(response.url).path,
            )
        )
        return response

    @property
    def http_seconds(self) -> float:
        return sum(a.seconds for a in self.answers)


# --- reading our pages -----------------------------------------------------------------

# The queue's cursor link and its rows, as templates/posts/queue.html writes them.
NEXT_LINK = re.compile(r'<a rel="next" href="([^"]+)"')
ROW_ID = re.compile(r'<tr id="post-([0-9A-Za-z-]+)"')


# --- output ----------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    numeric = [
        bool(cells) and all(_is_number(r[i]) for r in cells if r[i]) for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        padded = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if n else ("-" * (w + 2))
            for w, n in zip(widths, numeric, strict=True)
        )
        + "|"
    )
    return "\n".join([line(headers), rule, *(line(r) for r in cells)])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").rstrip("%").split(" ")[0])
    except ValueError:
        return False
    return True


def load_average() -> str:
    """The 1/5/15-minute load: wall times are only comparable on a quiet machine."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def wait_quiet(below: float = 1.0, timeout: float = 600.0, every: float = 10.0) -> float:
    """Wait until the 1-minute load average is below `below` (at most `timeout` seconds)
    and return the load then: on a shared machine, timings are only comparable when
    they start on a quiet one, and the tables say how quiet it was."""
    deadline = time.monotonic() + timeout
    load = os.getloadavg()[0]
    while load >= below and time.monotonic() < deadline:
        print(f"... load {load:.2f}, waiting for < {below:.2f}", file=sys.stderr, flush=True)
        time.sleep(every)
        load = os.getloadavg()[0]
    return load


def pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"
