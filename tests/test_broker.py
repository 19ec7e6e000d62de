"""The embedded broker (oktodash/broker.py): whole messages only, and nothing lost
when a consumer dies.

The race test is the one `make run` lost to: with Kombu's own filesystem transport a
consumer listing the folder while a producer writes moves an empty file away and the
worker dies on `JSONDecodeError` (kombu#1551). Against that transport this test fails
within a second or two (`BROKER_RACE_URL=filesystem:// pytest tests/test_broker.py -k
racing`); against ours it reads every message whole.
"""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kombu import Connection

import oktodash.celery  # noqa: F401  (registers the oktodash-filesystem transport)
from oktodash import broker

ROOT = Path(__file__).resolve().parent.parent
URL = os.environ.get("BROKER_RACE_URL", "oktodash-filesystem://")

PRODUCER = """
import json, sys
from kombu import Connection
import oktodash.broker
from kombu.transport import TRANSPORT_ALIASES
TRANSPORT_ALIASES["oktodash-filesystem"] = "oktodash.broker:Transport"
url, options, count, size = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
with Connection(url, transport_options=options) as conn:
    queue = conn.SimpleQueue("race")
    for n in range(count):
        queue.put({"n": n, "pad": "x" * size})
print("sent", count, flush=True)
"""

CLAIMER = """
import json, sys, time
from kombu import Connection
from kombu.transport import TRANSPORT_ALIASES
TRANSPORT_ALIASES["oktodash-filesystem"] = "oktodash.broker:Transport"
options = json.loads(sys.argv[1])
with Connection("oktodash-filesystem://", transport_options=options) as conn:
    queue = conn.SimpleQueue("jobs")
    message = queue.get(timeout=10)
    print("claimed", message.payload["n"], flush=True)
    time.sleep(60)
"""


BINDER = """
import json, sys, time
from kombu import Connection, Exchange, Queue
from kombu.transport import TRANSPORT_ALIASES
TRANSPORT_ALIASES["oktodash-filesystem"] = "oktodash.broker:Transport"
url, options = sys.argv[1], json.loads(sys.argv[2])
n, exchanges, start = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
with Connection(url, transport_options=options) as conn:
    channel = conn.default_channel
    while time.time() < start:
        pass
    for e in range(exchanges):
        queue = Queue(f"q{n}", Exchange(f"race{e}", type="direct"), routing_key=f"q{n}")
        queue.declare(channel=channel)
print("bound", flush=True)
"""


def options_for(folder: Path) -> dict:
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "claims_folder": str(folder / "claimed"),
        "damaged_folder": str(folder / "damaged"),
        "processed_folder": str(folder / "processed"),
    }


@pytest.fixture
def options(tmp_path: Path) -> dict:
    opts = options_for(tmp_path / "broker")
    for key in ("data_folder_in", "control_folder", "processed_folder"):
        Path(opts[key]).mkdir(parents=True, exist_ok=True)
    return opts


def run_python(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_processes_binding_at_once_each_find_the_exchange_whole(options: dict) -> None:
    """`make run`'s beat and worker bind their queues at the same moment at start: with
    Kombu's own transport one read the exchange's table while the other had created it
    and not yet written it, and beat lost its first sync on `JSONDecodeError`
    (`BROKER_RACE_URL=filesystem:// pytest tests/test_broker.py -k binding` shows it)."""
    binders, exchanges = 10, 30
    start = time.time() + 2.0  # every process imported and connected by then
    processes = [
        run_python(BINDER, URL, json.dumps(options), str(n), str(exchanges), str(start))
        for n in range(binders)
    ]
    outputs = [p.communicate(timeout=60)[0] for p in processes]
    failed = [out for p, out in zip(processes, outputs, strict=True) if p.returncode != 0]
    assert not failed, failed[0]
    control = Path(options["control_folder"])
    for e in range(exchanges):
        table = json.loads((control / f"race{e}.exchange").read_text())
        assert sorted(row[2] for row in table) == sorted(f"q{n}" for n in range(binders))
    assert not [f for f in control.iterdir() if f.name.startswith(".")], "a hidden file left"


@pytest.mark.slow
def test_a_consumer_racing_a_producer_reads_every_message_whole(options: dict) -> None:
    count, size = 3000, 20_000
    producer = run_python(PRODUCER, URL, json.dumps(options), str(count), str(size))
    seen: set[int] = set()
    with Connection(URL, transport_options=options) as conn:
        queue = conn.SimpleQueue("race")
        deadline = time.monotonic() + 60
        while len(seen) < count and time.monotonic() < deadline:
            try:
                message = queue.get(timeout=0.05)
            except queue.Empty:
                continue
            assert len(message.payload["pad"]) == size
            assert message.payload["n"] not in seen, "a message was delivered twice"
            seen.add(message.payload["n"])
            message.ack()
    output, _ = producer.communicate(timeout=30)
    assert producer.returncode == 0, output
    assert len(seen) == count


def test_a_message_claimed_by_a_killed_consumer_is_delivered_again(options: dict) -> None:
    with Connection("oktodash-filesystem://", transport_options=options) as conn:
        queue = conn.SimpleQueue("jobs")
        queue.put({"n": 1})
        claimer = run_python(CLAIMER, json.dumps(options))
        try:
            assert claimer.stdout.readline().strip() == "claimed 1"
            assert queue.qsize() == 0, "the claimed message is no longer in the queue"
            claimer.send_signal(signal.SIGKILL)
            claimer.wait(10)
        finally:
            if claimer.poll() is None:
                claimer.kill()
        started = time.monotonic()
        message = queue.get(timeout=broker.REAP_EVERY + 5)
        assert message.payload == {"n": 1}
        assert time.monotonic() - started < broker.REAP_EVERY + 2
        message.ack()
        assert not list(Path(options["claims_folder"]).glob("*/*.msg"))


def test_a_live_consumers_claims_are_left_alone(options: dict) -> None:
    with (
        Connection("oktodash-filesystem://", transport_options=options) as conn,
        Connection("oktodash-filesystem://", transport_options=options) as other,
    ):
        queue = conn.SimpleQueue("jobs")
        queue.put({"n": 1})
        claimer = run_python(CLAIMER, json.dumps(options))
        try:
            line = claimer.stdout.readline().strip()
            assert line == "claimed 1", line + claimer.stdout.read()
            assert broker.reap(Path(options["claims_folder"]), Path(options["data_folder_in"])) == 0
            with pytest.raises(queue.Empty):
                other.SimpleQueue("jobs").get(timeout=broker.REAP_EVERY + 0.5)
        finally:
            claimer.kill()
            claimer.wait(10)


def test_ack_deletes_the_claim_and_requeue_puts_it_back_first(options: dict) -> None:
    claims = Path(options["claims_folder"])
    with Connection("oktodash-filesystem://", transport_options=options) as conn:
        queue = conn.SimpleQueue("jobs")
        for n in (1, 2):
            queue.put({"n": n})
        first = queue.get(timeout=1)
        assert len(list(claims.glob("*/*.msg"))) == 1
        first.requeue()
        assert queue.get(timeout=1).payload == {"n": 1}, "a requeued message keeps its place"
        # The message taken again is claimed; acknowledging it deletes the claim.
        conn.default_channel.basic_ack(next(iter(conn.default_channel._claims)))
        assert not list(claims.glob("*/*.msg"))


def test_a_clean_close_returns_unacknowledged_messages(options: dict) -> None:
    with Connection("oktodash-filesystem://", transport_options=options) as conn:
        queue = conn.SimpleQueue("jobs")
        queue.put({"n": 1})
        queue.get(timeout=1)
        assert queue.qsize() == 0
    with Connection("oktodash-filesystem://", transport_options=options) as conn:
        assert conn.SimpleQueue("jobs").get(timeout=1).payload == {"n": 1}


def test_a_damaged_message_is_set_aside_in_words_and_the_next_one_runs(
    options: dict, caplog: pytest.LogCaptureFixture
) -> None:
    with Connection("oktodash-filesystem://", transport_options=options) as conn:
        queue = conn.SimpleQueue("jobs")
        queue.put({"n": 2})
        # Sorted before the good one; a name kombu would write, with no whole message in it.
        damaged = Path(options["data_folder_in"]) / "00000000000000000001_x.jobs.msg"
        damaged.write_bytes(b'{"body": "trunc')
        with caplog.at_level(logging.ERROR, logger="oktodash.broker"):
            assert queue.get(timeout=1).payload == {"n": 2}
    assert (Path(options["damaged_folder"]) / damaged.name).exists()
    assert "could not be read and was set aside" in caplog.text
    assert len([r for r in caplog.records if r.name == "oktodash.broker"]) == 1


def test_a_half_written_message_is_invisible(options: dict) -> None:
    with Connection("oktodash-filesystem://", transport_options=options) as conn:
        queue = conn.SimpleQueue("jobs")
        hidden = Path(options["data_folder_in"]) / ".00000000000000000001_x.jobs.msg.part"
        hidden.write_bytes(b"")
        assert queue.qsize() == 0
        with pytest.raises(queue.Empty):
            queue.get(timeout=0.3)
        assert hidden.exists()
