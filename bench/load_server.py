"""The server side of `python -m bench.load`: the run's own mirror, a viewer's session,
and gunicorn started as the Procfile's `web` line, with its CPU and memory from /proc.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

import requests

from bench.common import ROOT

# Environment that would point the run at real services; dropped before Django starts.
FOREIGN_ENV = (
    "REDIS_URL",
    "OKTOPOST_ACCOUNT_ID",
    "OKTOPOST_API_KEY",
    "OKTOPOST_SANDBOX_URL",
    "OKTOPOST_LIMITER_URL",
    "WEB_BIND",
)
# Kept between runs on purpose (seeding 1M posts takes minutes); only this run uses it.
DATA_DIR = Path(tempfile.gettempdir()) / "oktodash-load"


def configure(args: argparse.Namespace) -> dict[str, str]:
    """The environment for Django here and for gunicorn: the run's own database."""
    for name in FOREIGN_ENV:
        os.environ.pop(name, None)
    if args.database_url:
        name = urlsplit(args.database_url).path.lstrip("/")
        if name in ("oktodash", "test_oktodash") or not ("load" in name or "bench" in name):
            raise SystemExit(f"--database-url must name a load/bench database: {name!r}")
        var_dir = Path(args.var_dir or f"{DATA_DIR}/var-pg")
        url = args.database_url
    else:
        var_dir = Path(args.var_dir or f"{DATA_DIR}/var-sqlite")
        url = f"sqlite:///{var_dir / f'load-{args.posts}.sqlite3'}"
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "SECRET_KEY": "load-bench-only-not-secret",
        "HTTPS": "false",
        "DEBUG": "false",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "oktodash.settings",
        "OKTOPOST_SANDBOX": "true",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "warning",
    }
    os.environ.update(env)
    return env


def mirror_ready(args: argparse.Namespace) -> str:
    """Migrate, seed when empty, reuse when it already holds --posts posts."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from posts.models import Post

    have = Post.objects.count()
    if have == args.posts:
        how = f"reused ({have:,} posts)"
    elif have:
        raise SystemExit(f"the mirror holds {have:,} posts, not {args.posts:,}; use another one")
    else:
        began = time.monotonic()
        print(f"... seeding {args.posts:,} posts", file=sys.stderr, flush=True)
        subprocess.run(
            [sys.executable, "manage.py", "seed_mirror", "--posts", str(args.posts), "--seed", "1"],
            cwd=ROOT,
            check=True,
            stdout=sys.stderr,
        )
        how = f"seeded in {time.monotonic() - began:.0f} s"
    return how + stats_rollup_built()


def stats_rollup_built() -> str:
    """The worker's rollup pass, in-process as the worker runs it: a deployment's stats
    pages read the hour rollup the worker keeps, and nothing here runs a worker."""
    from reports import rollup

    dirty = rollup.dirty_count()
    if not dirty:
        return "; stats rollup clean"
    print(f"... building the stats rollup ({dirty:,} dirty hours)", file=sys.stderr, flush=True)
    began = time.monotonic()
    built = rollup.refresh_all()
    return f"; stats rollup built ({built['hours']:,} hours in {time.monotonic() - began:.0f} s)"


def viewer_session() -> str:
    """A logged-in session of a viewer, as the login view would leave it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group

    from accounts.models import VIEWER, User

    # The engine the pages read sessions with (settings.SESSION_ENGINE).
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

    user, _ = User.objects.get_or_create(username="load-viewer")
    user.groups.set([Group.objects.get_or_create(name=VIEWER)[0]])
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(24 * 3600)
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


# --- gunicorn as the Procfile runs it ------------------------------------------------------


def procfile_web() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            # The line may already `exec` its program (it does, for honcho's signals).
            return line.split(":", 1)[1].strip().removeprefix("exec ")
    raise SystemExit("no web line in the Procfile")


class Gunicorn:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.command = procfile_web()
        self.port = port
        self.log = log
        self.env = {**os.environ, **env, "WEB_BIND": f"127.0.0.1:{port}"}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        with self.log.open("wb") as out:
            # The Procfile's line as written, through a shell for its ${WEB_BIND:-...}.
            self.process = subprocess.Popen(
                ["bash", "-c", f"exec {self.command}"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                requests.get(f"http://127.0.0.1:{self.port}/health/", timeout=5)
                if len(self.workers()) >= 1:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not answer /health/ in time")

    def workers(self) -> list[int]:
        assert self.process is not None
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(c) for c in children]

    def stop(self) -> None:
        # Only the master we started, by its pid; it stops its own workers.
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (/proc/<pid>/stat, clock ticks)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
