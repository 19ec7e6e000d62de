"""The sync lock: a SyncState row claimed with a conditional UPDATE, so two runs that
read Oktopost's post list never overlap (and stats give way to them)."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from oktopost.errors import OktopostError
from posts.connection import limiter_where
from posts.models import SyncState

log = logging.getLogger(__name__)

POSTS_LOCK = "posts"


class SyncBusy(Exception):
    """Another sync holds the lock."""


def state_get(name: str) -> SyncState:
    return SyncState.objects.get_or_create(name=name)[0]


def _holder_gone(state: SyncState, *, now: datetime) -> bool:
    """Nobody holds `state`'s lock: never claimed, released, silent for longer than
    SYNC_LOCK_STALE_SECONDS, or held by a process of this host that no longer exists (a
    worker stopped with Ctrl-C or killed mid-run)."""
    if state.running_since is None:
        return True
    if state.running_since < now - timedelta(seconds=settings.SYNC_LOCK_STALE_SECONDS):
        return True
    return _holder_is_dead(state.run_token)


def _holder_is_dead(token: str) -> bool:
    host, _, rest = token.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def lock_held(name: str) -> bool:
    """Whether a live run holds `name` (the same test lock_claim makes)."""
    state = SyncState.objects.filter(name=name).first()
    return state is not None and not _holder_gone(state, now=timezone.now())


def lock_claim(name: str) -> str | None:
    """Claim `name` if nobody holds it. Returns the token, or None."""
    state = state_get(name)
    now = timezone.now()
    if not _holder_gone(state, now=now):
        return None
    token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    # Only if the row is still as read: of two runs claiming at once, one wins.
    claimed = SyncState.objects.filter(
        name=name, run_token=state.run_token, running_since=state.running_since
    ).update(running_since=now, run_token=token, last_started=now)
    return token if claimed else None


def lock_heartbeat(name: str, token: str, **progress: object) -> None:
    """Report progress (and store `progress` fields) while still holding the lock."""
    SyncState.objects.filter(name=name, run_token=token).update(
        running_since=timezone.now(), **progress
    )


def lock_release(name: str, token: str, *, error: str = "", result: dict | None = None) -> None:
    now = timezone.now()
    changes: dict[str, object] = {"running_since": None, "run_token": ""}
    if error:
        changes |= {"last_error": error[:2000], "last_error_at": now}
    else:
        changes |= {"last_success": now, "last_error": ""}
        if result is not None:
            changes["last_result"] = result
    SyncState.objects.filter(name=name, run_token=token).update(**changes)


@dataclass
class Lock:
    """A claimed lock. Set `result` to store it as the run's last result on success."""

    name: str
    token: str
    result: dict | None = None

    def heartbeat(self, **progress: object) -> None:
        lock_heartbeat(self.name, self.token, **progress)


@contextmanager
def sync_lock(name: str) -> Iterator[Lock]:
    """Hold `name` for the block; SyncBusy if another run holds it. Released with the
    error's text when the block raises, else with `lock.result`."""
    token = lock_claim(name)
    if token is None:
        raise SyncBusy("another sync is running")
    # Logged inside the hold (after the claim, before the release), so that two runs'
    # logged holds cross only if the holds did (bench.scale reads them).
    log.info("sync lock %s held by %s", name, token)
    lock = Lock(name=name, token=token)
    try:
        yield lock
    except BaseException as exc:
        log.info("sync lock %s let go by %s", name, token)
        lock_release(name, token, error=failure_words(exc))
        raise
    log.info("sync lock %s let go by %s", name, token)
    lock_release(name, token, result=lock.result)


def failure_words(exc: BaseException) -> str:
    """What stopped a sync, saying whose fault it was: Oktopost's, or one of our own
    services (the shared API budget lives in Redis or a file)."""
    text = f"{exc.__class__.__name__}: {exc}"
    if isinstance(exc, OktopostError):
        return f"Oktopost: {text}"
    if type(exc).__module__.startswith("redis") or isinstance(exc, sqlite3.Error):
        return f"our shared API budget ({limiter_where()}) could not be used: {text}"
    return text
