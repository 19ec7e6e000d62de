"""A test run killed outright leaves no process behind (tests/reaper.py)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Run by a pytest of its own: one process started with this run's environment, one in a
# session of its own with an environment of its own (as `make run`'s test starts the
# supervisor), then the pids written down and a long wait to be killed in.
INNER = """
import os, subprocess, sys, time

def test_starts_two_processes_and_waits():
    inherited = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    alone = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(300)"],
        env={"PATH": os.environ["PATH"]},
        start_new_session=True,
    )
    with open(os.environ["PIDS_FILE"], "w") as pids:
        pids.write(f"{inherited.pid} {alone.pid}")
    time.sleep(300)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_what_a_killed_test_process_started_is_killed_too(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER)
    pids_file = tmp_path / "pids"
    run = subprocess.Popen(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "tests.reaper", "-p", "no:django",
            "-p", "no:cacheprovider", "-c", os.devnull, "--rootdir", str(tmp_path),
            str(tmp_path / "test_inner.py"),
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "PIDS_FILE": str(pids_file),
            "PYTHONPATH": str(ROOT),
            "OKTODASH_REAPER_EVERY": "0.2",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not pids_file.exists() or not pids_file.read_text():
            assert run.poll() is None and time.monotonic() < deadline, "the inner run stopped"
            time.sleep(0.1)
        started = [int(pid) for pid in pids_file.read_text().split()]
        time.sleep(1.0)  # the watcher looks at the tree every 0.2 s here: five looks
        assert all(map(_alive, started))
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + 10
        while any(map(_alive, started)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_alive, started)), "a process outlived the killed run"
    finally:
        if run.poll() is None:
            run.kill()
