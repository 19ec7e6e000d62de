"""The embedded task queue against the alternatives: messages a second, and what a killed
worker's message becomes.

    python -m bench.broker [--messages 3000] [--size 20000]

For each transport: one process publishes `--messages` messages of `--size` bytes
while this one consumes and acknowledges them (the race `make run` lost on Kombu's own
filesystem transport); then a consumer process takes one message and is killed with
SIGKILL before acknowledging it, and the table says whether the message comes back.

- `oktodash-filesystem`: oktodash/broker.py (the embedded default).
- `filesystem`: Kombu's own filesystem transport, as it was.
- `sqla+sqlite`: Kombu's SQLAlchemy transport on a SQLite file, when SQLAlchemy is
  installed (it is not a dependency: `pip install sqlalchemy` to measure it).
- `redis`: the Redis server on 127.0.0.1:6379 (database 13), when it answers.

Every transport gets a scratch folder or database; nothing of var/ is touched.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kombu import Connection
from kombu.transport import TRANSPORT_ALIASES

from bench.common import ROOT, table

TRANSPORT_ALIASES["oktodash-filesystem"] = "oktodash.broker:Transport"

REDIS = "redis://127.0.0.1:6379/13"

PRODUCER = """
import json, sys
from kombu import Connection
from kombu.transport import TRANSPORT_ALIASES
TRANSPORT_ALIASES["oktodash-filesystem"] = "oktodash.broker:Transport"
url, options, count, size = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
with Connection(url, transport_options=options) as conn:
    queue = conn.SimpleQueue("bench")
    for n in range(count):
        queue.put({"n": n, "pad": "x" * size})
"""

CLAIMER = """
import json, sys, time
from kombu import Connection
from kombu.transport import TRANSPORT_ALIASES
TRANSPORT_ALIASES["oktodash-filesystem"] = "oktodash.broker:Transport"
url, options = sys.argv[1], json.loads(sys.argv[2])
with Connection(url, transport_options=options) as conn:
    message = conn.SimpleQueue("killed").get(timeout=10)
    print("claimed", flush=True)
    time.sleep(60)
"""


def folders(root: Path) -> dict[str, str]:
    for name in ("queue", "control", "processed"):
        (root / name).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(root / "queue"),
        "data_folder_out": str(root / "queue"),
        "control_folder": str(root / "control"),
        "processed_folder": str(root / "processed"),
    }


def transports(scratch: Path) -> list[tuple[str, str, dict]]:
    found = [
        ("oktodash-filesystem", "oktodash-filesystem://", folders(scratch / "ours")),
        ("filesystem (Kombu's)", "filesystem://", folders(scratch / "kombu")),
    ]
    if importlib.util.find_spec("sqlalchemy"):
        found.append(("sqla+sqlite", f"sqla+sqlite:///{scratch / 'queue.sqlite3'}", {}))
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).flushdb()
    except redis.RedisError:
        return found  # no Redis here: that row is left out
    found.append(("redis", REDIS, {"visibility_timeout": 5}))
    return found


def python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def race(url: str, options: dict, *, count: int, size: int) -> tuple[str, float, str]:
    """Messages a second through publish-and-consume at once, and how it ended."""
    producer = python(PRODUCER, url, json.dumps(options), str(count), str(size))
    seen: set[int] = set()
    started = time.monotonic()
    outcome = "every message read once"
    try:
        with Connection(url, transport_options=options) as conn:
            queue = conn.SimpleQueue("bench")
            while len(seen) < count and time.monotonic() - started < 120:
                try:
                    message = queue.get(timeout=0.05)
                except queue.Empty:
                    continue
                if message.payload["n"] in seen:
                    outcome = "a message delivered twice"
                seen.add(message.payload["n"])
                message.ack()
    except Exception as exc:  # the crash is the finding
        outcome = f"consumer crashed: {exc.__class__.__name__}"
    finally:
        producer.kill()
        producer.wait()
    took = time.monotonic() - started
    if len(seen) < count and outcome.startswith("every"):
        outcome = f"{count - len(seen)} messages never read"
    return outcome, len(seen) / took if took else 0.0, f"{len(seen)} of {count}"


def killed(url: str, options: dict) -> str:
    """Whether a message taken by a consumer killed before acknowledging comes back."""
    with Connection(url, transport_options=options) as conn:
        queue = conn.SimpleQueue("killed")
        queue.put({"n": 1})
        claimer = python(CLAIMER, url, json.dumps(options))
        try:
            if claimer.stdout.readline().strip() != "claimed":
                return "the consumer did not start"
            claimer.send_signal(signal.SIGKILL)
            claimer.wait(10)
        finally:
            if claimer.poll() is None:
                claimer.kill()
        started = time.monotonic()
        try:
            queue.get(timeout=15).ack()
        except queue.Empty:
            return "not back within 15 s"
        return f"back after {time.monotonic() - started:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--size", type=int, default=20_000)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-broker-") as scratch:
        for name, url, options in transports(Path(scratch)):
            outcome, rate, read = race(url, options, count=args.messages, size=args.size)
            rows.append([name, read, round(rate), outcome, killed(url, options)])
    print(
        f"Publishing {args.messages} messages of {args.size} bytes from another process "
        "while consuming them; then a consumer killed holding one message."
    )
    print(table(["transport", "read", "messages/s", "race", "killed consumer's message"], rows))


if __name__ == "__main__":
    main()
