"""Ctrl-C on `make run` stops every process cleanly and in time (issue 10).

The product is started the way `make run` starts it: migrate, demo users, then honcho
on the Procfile (web, worker, beat, sandbox), on free ports and in a temporary VAR_DIR.
Ctrl-C is a SIGINT to the terminal's foreground process group: here honcho leads its
own group and the test signals that whole group, as a terminal would.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"  # the Procfile's commands run from .venv/bin too
STOP_WITHIN = 10.0
BAD_LINE = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b|exited with '?signal")
STOPPED = re.compile(r"system\s+\| (\w+)\.1 stopped \(rc=(-?\d+)\)")
STARTED = re.compile(r"system\s+\| \w+\.1 started \(pid=(\d+)\)")
PROCESSES = {"web", "worker", "beat", "sandbox"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Output:
    """Every line honcho prints, collected by a thread so its pipe never fills."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for raw in iter(stream.readline, b""):
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    def has(self, pattern: str) -> bool:
        return any(re.search(pattern, line) for line in list(self.lines))

    def text(self) -> str:
        return "\n".join(self.lines)

    def join(self) -> None:
        self._thread.join(timeout=5)


def _env(var_dir: Path, web_port: int, sandbox_port: int, **extra: str) -> dict[str, str]:
    # Only what the product needs: no DATABASE_URL, REDIS_URL or Oktopost credentials
    # from the caller, so this is `make run` on its embedded defaults.
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "PYTHONUNBUFFERED": "1",
        "SECRET_KEY": "make-run-stop-test",
        "HTTPS": "false",
        "VAR_DIR": str(var_dir),
        "WEB_BIND": f"127.0.0.1:{web_port}",
        "SANDBOX_PORT": str(sandbox_port),
        **extra,
    }


def _health_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _wait_for(condition, what: str, output: Output, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} not seen within {timeout:.0f} s; output:\n{output.text()}")


@pytest.mark.skipif(not (BIN / "honcho").exists(), reason="needs `make` to have built .venv")
@pytest.mark.parametrize(
    "busy",
    [
        pytest.param(False, id="idle-worker"),
        # A five-calls-a-minute budget keeps the first sync running when Ctrl-C comes.
        pytest.param(True, id="task-running"),
    ],
)
def test_ctrl_c_stops_every_process_cleanly_within_10_seconds(tmp_path: Path, busy: bool) -> None:
    web_port, sandbox_port = _free_port(), _free_port()
    extra = {"OKTOPOST_LIMIT_PER_MINUTE": "5"} if busy else {}
    env = _env(tmp_path / "var", web_port, sandbox_port, **extra)
    for command in (["migrate", "--noinput"], ["ensure_demo_users"]):
        subprocess.run(
            [BIN / "python", "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    honcho = subprocess.Popen(
        [BIN / "honcho", "start", "-f", "Procfile", "--no-colour"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a shell's foreground job
    )
    output = Output(honcho.stdout)
    try:
        _wait_for(lambda: _health_answers(web_port), "/health/", output)
        _wait_for(lambda: output.has(r"celery@\S+ ready\."), "the worker ready", output)
        _wait_for(lambda: output.has(r"Oktopost sandbox ready"), "the sandbox ready", output)
        _wait_for(lambda: output.has(r"beat: Starting"), "beat started", output)
        if busy:
            _wait_for(lambda: output.has(r"sync_posts\[.*\] received"), "a sync", output)
            time.sleep(1)
            assert not output.has(r"sync_posts\[.*\] succeeded"), "the sync is not running"
        else:
            _wait_for(lambda: output.has(r"sync_posts\[.*\] succeeded"), "first sync", output)

        os.killpg(honcho.pid, signal.SIGINT)  # Ctrl-C
        started = time.monotonic()
        try:
            returncode = honcho.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {STOP_WITHIN:.0f} s after Ctrl-C:\n{output.text()}")
        took = time.monotonic() - started
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait()
        # honcho starts each process in its own session: clean up any it left behind.
        for line in list(output.lines):
            if started_line := STARTED.search(line):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(int(started_line.group(1)), signal.SIGKILL)
    output.join()
    text = output.text()

    bad = [line for line in output.lines if BAD_LINE.search(line)]
    assert not bad, "error lines on stop:\n" + "\n".join(bad) + f"\n\nfull output:\n{text}"
    assert "SIGKILL" not in text, f"honcho had to kill a process:\n{text}"
    stopped = {m.group(1): int(m.group(2)) for m in map(STOPPED.search, output.lines) if m}
    assert stopped == dict.fromkeys(PROCESSES, 0), f"exit codes {stopped}:\n{text}"
    # 130 is honcho's answer to SIGINT (128 + 2) when every process stopped by itself.
    assert returncode == 130, f"honcho exited {returncode}:\n{text}"
    assert took < STOP_WITHIN
    print(f"stopped in {took:.1f} s")
