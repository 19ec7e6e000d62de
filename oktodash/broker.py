"""The embedded task queue: Kombu's filesystem transport, made safe to share between
processes and to lose a worker.

Kombu's own transport (kombu/transport/filesystem.py) has two failure modes that
`make run` met:

- A message file is created under its final name and then written. A worker that
  lists the folder between the two moves the empty file away, reads nothing, and
  `json.loads` raises in `drain_events`: Celery treats that as unrecoverable and
  the worker exits (the same symptom is open upstream as kombu#1551).
- A worker takes a message by moving it out of the folder and deleting it. A worker
  killed before it acknowledged the message (acks_late) loses the message for good.

Here a message becomes visible only once it is whole: it is written under a hidden
name and renamed into the queue folder (a rename is atomic within a folder). A
consumer claims a message by renaming it into a folder of its own, held while its
process lives by a POSIX lock on a lease file; an acknowledgement deletes the claim,
a requeue or a clean stop renames it back. Any consumer that finds another
consumer's lease unlocked (its process has died: the kernel drops the lock with the
process) renames that consumer's claims back into the queue. A dead worker's
messages are therefore handed out again as soon as any worker next looks, within
`REAP_EVERY` seconds of a worker running. A file that is not a message (damaged by
a full disk, say) is moved aside with one line in the log, never fatal.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import socket
import time
import uuid
from pathlib import Path
from queue import Empty
from typing import Any, ClassVar

from kombu.transport import filesystem, virtual

log = logging.getLogger(__name__)

# How often a consumer looks for claims left by dead consumers, in seconds.
REAP_EVERY = 1.0
# A claims folder without a lease file (its process died while creating it) is
# reaped once it is this old; a live process renames its folder into place with the
# lease already locked, so no live folder is ever without one.
ORPHAN_AFTER = 30.0
LEASE = "lease"


def _queue_of(name: str) -> str | None:
    """`<stamp>_<uuid>.<queue>.msg` -> queue; None for anything else (temp files)."""
    if name.startswith(".") or not name.endswith(".msg"):
        return None
    return name.partition(".")[2].removesuffix(".msg")


class _Lease:
    """This process's claims folder, locked while the process lives.

    `fcntl.lockf` locks belong to the process, are not inherited by forked children
    (a prefork pool child never holds its parent's lease) and are released by the
    kernel when the process dies, however it dies.
    """

    def __init__(self, root: Path) -> None:
        self.pid = os.getpid()
        name = f"{socket.gethostname()}-{self.pid}-{uuid.uuid4().hex[:8]}"
        building = root / f".{name}"
        building.mkdir(parents=True)
        self.fd = os.open(building / LEASE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.folder = root / name
        building.rename(self.folder)


_leases: dict[Path, _Lease] = {}


def _lease_for(root: Path) -> _Lease:
    lease = _leases.get(root)
    if lease is None or lease.pid != os.getpid():
        lease = _leases[root] = _Lease(root)
    return lease


class QoS(virtual.QoS):
    """Acknowledging deletes the claim; requeueing renames it back into the queue."""

    def ack(self, delivery_tag: str) -> None:
        self.channel.claim_forget(delivery_tag)
        super().ack(delivery_tag)

    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        if requeue:
            self.channel.claim_return(delivery_tag)
        else:
            self.channel.claim_forget(delivery_tag)
        self._quick_ack(delivery_tag)

    def restore_unacked(self) -> list:
        self._flush()
        for delivery_tag in list(self._delivered):
            self.channel.claim_return(delivery_tag)
        self._delivered.clear()
        return []


class Channel(filesystem.Channel):
    QoS = QoS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._claims: dict[str, Path] = {}
        self._no_ack_queues: set[str] = set()
        self._reaped_at = 0.0
        for folder in (self.data_folder_in, self.data_folder_out, self.control_folder):
            Path(folder).mkdir(parents=True, exist_ok=True)

    # --- folders --------------------------------------------------------------
    def _option_folder(self, key: str, default: str) -> Path:
        base = Path(self.data_folder_in).parent
        return Path(self.transport_options.get(key) or base / default)

    @property
    def claims_folder(self) -> Path:
        return self._option_folder("claims_folder", "claimed")

    @property
    def damaged_folder(self) -> Path:
        return self._option_folder("damaged_folder", "damaged")

    # --- writing --------------------------------------------------------------
    def _put(self, queue: str, payload: dict, **kwargs: Any) -> None:
        """Write the message under a hidden name, then rename it into the queue."""
        name = f"{time.time_ns():020d}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        hidden = folder / f".{name}.part"
        try:
            hidden.write_bytes(json.dumps(payload).encode())
            os.replace(hidden, folder / name)
        except OSError as exc:
            hidden.unlink(missing_ok=True)
            raise filesystem.ChannelError(f"Cannot add a message to {folder}: {exc}") from exc

    # --- bindings -------------------------------------------------------------
    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        """Add `queue` to the exchange's table, a JSON file every process shares.

        Kombu creates the file empty and writes it after: a process binding at the same
        moment (`make run`'s beat and worker, at start) read the empty file and failed on
        `JSONDecodeError`, and beat lost its first sync. Here the file appears only
        whole (written under a hidden name, then linked into place, which fails if
        another process got there first), and an update rewrites it under an exclusive
        lock, which readers take shared (filesystem.Channel.get_table)."""
        entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        table = self._exchange_file(exchange)
        table.parent.mkdir(parents=True, exist_ok=True)
        if not table.exists():
            hidden = table.with_name(f".{table.name}.{uuid.uuid4().hex}")
            try:
                hidden.write_bytes(json.dumps([entry]).encode())
                os.link(hidden, table)
                return
            except FileExistsError:
                pass  # another process made it: add this binding to theirs
            except OSError as exc:
                raise filesystem.ChannelError(f"Cannot write {table}: {exc}") from exc
            finally:
                hidden.unlink(missing_ok=True)
        try:
            with table.open("rb+", buffering=0) as file:
                fcntl.flock(file, fcntl.LOCK_EX)
                bound = [filesystem.exchange_queue_t(*q) for q in json.loads(file.read())]
                if entry not in bound:
                    file.seek(0)
                    file.write(json.dumps([entry, *bound]).encode())
                    file.truncate()
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot write {table}: {exc}") from exc

    # --- reading --------------------------------------------------------------
    def basic_consume(self, queue: str, no_ack: bool, *args: Any, **kwargs: Any) -> Any:
        if no_ack:
            self._no_ack_queues.add(queue)
        return super().basic_consume(queue, no_ack, *args, **kwargs)

    def basic_get(self, queue: str, no_ack: bool = False, **kwargs: Any) -> Any:
        if no_ack:
            self._no_ack_queues.add(queue)
        return super().basic_get(queue, no_ack, **kwargs)

    def _get(self, queue: str) -> dict:
        self._reap_if_due()
        folder = Path(self.data_folder_in)
        lease = _lease_for(self.claims_folder)
        for name in sorted(os.listdir(folder)):
            if _queue_of(name) != queue:
                continue
            claim = lease.folder / name
            try:
                os.rename(folder / name, claim)
            except FileNotFoundError:
                continue  # another consumer claimed it first
            try:
                payload = json.loads(claim.read_bytes())
                delivery_tag = payload["properties"]["delivery_tag"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                self._set_aside(claim, exc)
                continue
            if queue in self._no_ack_queues:
                claim.unlink(missing_ok=True)
            else:
                self._claims[delivery_tag] = claim
            return payload
        raise Empty()

    def _set_aside(self, claim: Path, exc: Exception) -> None:
        self.damaged_folder.mkdir(parents=True, exist_ok=True)
        with_reason = self.damaged_folder / claim.name
        try:
            os.replace(claim, with_reason)
        except OSError:
            claim.unlink(missing_ok=True)
        log.error(
            "A task message in the queue folder could not be read and was set aside in "
            "%s (%s: %s); the worker goes on with the next one.",
            with_reason,
            exc.__class__.__name__,
            exc,
        )

    # --- claims -----------------------------------------------------------------
    def claim_forget(self, delivery_tag: str) -> None:
        claim = self._claims.pop(delivery_tag, None)
        if claim is not None:
            claim.unlink(missing_ok=True)

    def claim_return(self, delivery_tag: str) -> None:
        claim = self._claims.pop(delivery_tag, None)
        if claim is not None:
            with contextlib.suppress(FileNotFoundError):
                os.replace(claim, Path(self.data_folder_in) / claim.name)

    def _reap_if_due(self) -> None:
        now = time.monotonic()
        if now - self._reaped_at < REAP_EVERY:
            return
        self._reaped_at = now
        reap(self.claims_folder, Path(self.data_folder_in))

    def _size(self, queue: str) -> int:
        return sum(1 for name in os.listdir(self.data_folder_in) if _queue_of(name) == queue)

    def _purge(self, queue: str) -> int:
        count = 0
        for name in os.listdir(self.data_folder_in):
            if _queue_of(name) == queue:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(Path(self.data_folder_in) / name)
                    count += 1
        return count


def reap(claims: Path, queue_folder: Path) -> int:
    """Return the claims of dead consumers to the queue; how many messages came back."""
    if not claims.is_dir():
        return 0
    own = {lease.folder for lease in _leases.values() if lease.pid == os.getpid()}
    returned = 0
    for folder in claims.iterdir():
        if folder in own or not folder.is_dir():
            continue
        if folder.name.startswith("."):
            if time.time() - folder.stat().st_mtime > ORPHAN_AFTER:
                returned += _return_all(folder, queue_folder)
            continue
        try:
            fd = os.open(folder / LEASE, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            continue  # reaped by another consumer a moment ago
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # its process is alive
        try:
            returned += _return_all(folder, queue_folder)
        finally:
            os.close(fd)
    if returned:
        log.warning(
            "%d task message(s) claimed by a worker that stopped without finishing them "
            "went back to the queue and will run again.",
            returned,
        )
    return returned


def _return_all(folder: Path, queue_folder: Path) -> int:
    returned = 0
    for path in folder.iterdir():
        if _queue_of(path.name) is None:
            continue
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, queue_folder / path.name)
            returned += 1
    shutil.rmtree(folder, ignore_errors=True)
    return returned


class Transport(filesystem.Transport):
    """The embedded broker, answering a stopping worker quickly.

    On a transport without asynchronous I/O a worker runs Celery's blocking loop: each
    turn waits 2 s for a message, a stop is noticed only between turns, and one more
    turn runs after that. Each turn here ends after 0.2 s without a message, so the
    folder is read five times a second and a stop takes well under the 5 s `make run`
    allows.
    """

    Channel = Channel
    wait_at_most = 0.2
    # Kombu keeps one record of declared exchanges for every filesystem connection of
    # a process, so a second connection to another folder (a test's) would skip writing
    # its exchange table and publish to nobody. One record per folder instead.
    _states: ClassVar[dict[str, virtual.BrokerState]] = {}

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        folder = str(client.transport_options.get("control_folder", "control"))
        self.state = self._states.setdefault(folder, virtual.BrokerState())

    def drain_events(self, connection: Any, timeout: float | None = None) -> Any:
        if timeout is not None:
            timeout = min(timeout, self.wait_at_most)
        return super().drain_events(connection, timeout=timeout)
