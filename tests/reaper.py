"""No process a test started outlives the test run, even a run that is killed.

A pytest plugin (listed in conftest.py's `pytest_plugins`). Tests start real processes:
the sandbox, Celery workers, `make run`'s supervisor with its web, worker, beat and
sandbox, Chromium. Their fixtures stop them, but a test process killed outright (a
timeout's SIGKILL, CI cancelled, Ctrl-C twice) runs no fixture teardown, and what it
started lives on holding ports and CPU for the next run.

So each test process (every pytest-xdist worker, and the controller) starts a watcher
of its own, in a session of its own. The watcher remembers the watched process's
descendants (refreshed every 2 seconds, or OKTODASH_REAPER_EVERY; a process leading its
own session is still a child) and wakes the moment that process ends. Then it kills
every remembered process still running, and every process carrying the run's mark in
its environment (inherited by whatever a test starts with the environment it was given,
even one started after the last refresh).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

MARK = "OKTODASH_TEST_PROCESS"

WATCHER = r"""
import os, select, signal, sys

watched, mark, every = int(sys.argv[1]), sys.argv[2].encode(), float(sys.argv[3])
me = os.getpid()


def table():
    # pid -> (parent, start time); start time tells a reused pid from the one seen.
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            found[int(name)] = (int(fields[1]), fields[19])
    return found


def descendants(procs):
    children = {}
    for pid, (parent, _) in procs.items():
        children.setdefault(parent, []).append(pid)
    out, todo = {}, list(children.get(watched, []))
    while todo:
        pid = todo.pop()
        if pid != me:
            out[pid] = procs[pid][1]
            todo += children.get(pid, [])
    return out


try:
    handle = os.pidfd_open(watched)
except OSError:
    sys.exit(0)
seen = descendants(table())
while not select.select([handle], [], [], every)[0]:
    seen = descendants(table())
for pid, (_, started) in table().items():
    if pid == me:
        continue
    try:
        with open(f"/proc/{pid}/environ", "rb") as environ:
            names = environ.read().split(b"\0")
    except OSError:
        continue
    # Another process's watcher is left to do its own work.
    if b"OKTODASH_TEST_WATCHER=1" in names or (seen.get(pid) != started and mark not in names):
        continue
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
"""


def pytest_configure(config: pytest.Config) -> None:
    if not sys.platform.startswith("linux"):
        return
    me = os.getpid()
    every = os.environ.get("OKTODASH_REAPER_EVERY", "2")
    os.environ[MARK] = str(me)
    # Started before any test runs: the watcher itself carries no mark of this process
    # to kill, and leads its own session so the terminal's Ctrl-C leaves it to finish.
    environment = {k: v for k, v in os.environ.items() if k != MARK}
    environment["OKTODASH_TEST_WATCHER"] = "1"
    subprocess.Popen(
        [sys.executable, "-c", WATCHER, str(me), f"{MARK}={me}", every],
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
