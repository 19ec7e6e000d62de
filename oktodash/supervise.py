"""`make run`'s process runner: every Procfile line, started again when it dies.

    python -m oktodash.supervise Procfile [name ...]

Each line of the Procfile runs in a process group of its own, its output prefixed
with its name. A process that exits while nothing asked it to is started again
after a second (longer when it keeps dying within seconds of starting), with one
line saying so: the product never depends on one process staying alive. Ctrl-C (or
SIGTERM) sends SIGTERM to every group, waits up to `STOP_WITHIN` seconds, and kills
what is left. docker-compose restarts its services itself and does not use this.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

STOP_WITHIN = 5.0
RESTART_AFTER = 1.0
RESTART_AFTER_AT_MOST = 30.0
# A process that ran this long before it died is started again after RESTART_AFTER;
# one that dies sooner waits twice as long as the last time, up to the cap.
STABLE_AFTER = 30.0


@dataclass
class Process:
    name: str
    command: str
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    start_at: float = 0.0  # when to start it again
    delay: float = 0.0  # the wait before the last restart; 0 = never restarted


def read_procfile(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip().isidentifier() or not command.strip():
            raise SystemExit(f"{path}:{number}: expected 'name: command', got {raw!r}")
        entries[name.strip()] = command.strip()
    return entries


class Supervisor:
    def __init__(self, entries: dict[str, str], out: IO[str] = sys.stdout) -> None:
        self.processes = [Process(name, command) for name, command in entries.items()]
        self.out = out
        self.width = max(len(p.name) for p in self.processes) + 2
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def say(self, name: str, text: str) -> None:
        with self.lock:
            stamp = time.strftime("%H:%M:%S")
            self.out.write(f"{stamp} {name:<{self.width}} | {text}\n")
            self.out.flush()

    def start(self, process: Process) -> None:
        popen = subprocess.Popen(  # noqa: S603 (the project's own Procfile)
            ["/bin/sh", "-c", process.command],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own group: one signal reaches its children too
        )
        process.popen, process.started_at = popen, time.monotonic()
        label = f"{process.name}.1"
        self.say("system", f"{label} started (pid={popen.pid})")
        threading.Thread(target=self._relay, args=(label, popen), daemon=True).start()

    def _relay(self, label: str, popen: subprocess.Popen[bytes]) -> None:
        assert popen.stdout is not None
        for raw in iter(popen.stdout.readline, b""):
            self.say(label, raw.decode(errors="replace").rstrip("\n"))

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        for process in self.processes:
            self.start(process)
        while not self.stopping.wait(0.1):
            now = time.monotonic()
            for process in self.processes:
                if process.popen is None:
                    if now >= process.start_at:
                        self.start(process)
                    continue
                code = process.popen.poll()
                if code is None:
                    continue
                ran = now - process.started_at
                if ran >= STABLE_AFTER or not process.delay:
                    process.delay = RESTART_AFTER
                else:
                    process.delay = min(process.delay * 2, RESTART_AFTER_AT_MOST)
                self.say(
                    "system",
                    f"{process.name}.1 stopped (rc={code}) after {ran:.0f} s; "
                    f"starting it again in {process.delay:.0f} s",
                )
                process.popen, process.start_at = None, now + process.delay
        return self.stop()

    def stop(self) -> int:
        running = [p for p in self.processes if p.popen is not None and p.popen.poll() is None]
        self.say("system", "stopping every process (SIGTERM)")
        for process in running:
            self._signal(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WITHIN
        for process in running:
            assert process.popen is not None
            try:
                process.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say("system", f"{process.name}.1 still running: SIGKILL")
                self._signal(process, signal.SIGKILL)
                process.popen.wait()
            self.say("system", f"{process.name}.1 stopped (rc={process.popen.returncode})")
        return 0

    @staticmethod
    def _signal(process: Process, sig: signal.Signals) -> None:
        assert process.popen is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, sig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oktodash.supervise", description=__doc__)
    parser.add_argument("procfile", type=Path)
    parser.add_argument("names", nargs="*", help="run only these lines (default: all)")
    args = parser.parse_args(argv)
    entries = read_procfile(args.procfile)
    unknown = set(args.names) - set(entries)
    if unknown:
        parser.error(f"not in {args.procfile}: {', '.join(sorted(unknown))}")
    if args.names:
        entries = {name: entries[name] for name in args.names}
    return Supervisor(entries).run()


if __name__ == "__main__":
    sys.exit(main())
