"""Whether background work gets done, for /health/: the workers' heartbeat and the
queue's backlog.

Each worker's main process notes the time every HEARTBEAT_EVERY seconds (a bootstep in
oktodash/celery.py), whatever its pool is doing; a worker whose pool is stuck still
beats, so the backlog is read too: tasks waiting longer than BACKING_UP_AFTER mean
nobody takes them."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from django.conf import settings

from core.infra import cache_get, cache_set

HEARTBEAT_EVERY = 15.0
NO_WORKER_AFTER = 60.0  # seconds without a heartbeat: no worker
BACKING_UP_AFTER = 90.0  # seconds the oldest waiting task may wait
WORKER_ALIVE_KEY = "oktodash:worker-alive"
SENT_HEADER = "oktodash_sent"  # when a task was queued (oktodash/celery.py)
QUEUE = "celery"
# Kombu's Redis transport keeps a priority's messages in "<queue>\x06\x16<priority>".
_REDIS_PRIORITY_KEYS = [QUEUE] + [f"{QUEUE}\x06\x16{p}" for p in (3, 6, 9)]


def worker_alive_note() -> None:
    cache_set(WORKER_ALIVE_KEY, time.time(), 3600)


def worker_quiet_for() -> float | None:
    """Seconds since a worker last beat; None when none has since the cache was empty."""
    seen = cache_get(WORKER_ALIVE_KEY)
    return time.time() - float(seen) if seen else None


@dataclass(frozen=True)
class Backlog:
    waiting: int
    oldest_seconds: float  # 0 when nothing waits or its age is unknown


def queue_backlog() -> Backlog:
    """Tasks queued and not yet taken by a worker, and how long the oldest has waited."""
    if settings.REDIS_URL:
        return _redis_backlog(settings.CELERY_BROKER_URL)
    return _folder_backlog(Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))


def _folder_backlog(folder: Path) -> Backlog:
    try:
        names = [n for n in os.listdir(folder) if n.endswith(".msg") and not n.startswith(".")]
    except FileNotFoundError:
        return Backlog(0, 0.0)
    if not names:
        return Backlog(0, 0.0)
    # oktodash/broker.py names each message "<time_ns>_<uuid>.<queue>.msg".
    stamps = [int(n.partition("_")[0]) for n in names if n.partition("_")[0].isdigit()]
    oldest = time.time() - min(stamps) / 1e9 if stamps else 0.0
    return Backlog(len(names), max(0.0, oldest))


def _redis_backlog(url: str) -> Backlog:
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        with client.pipeline() as pipe:
            for key in _REDIS_PRIORITY_KEYS:
                pipe.llen(key)
                pipe.lindex(key, -1)  # LPUSH in, BRPOP out: the oldest is last
            answers = pipe.execute()
    finally:
        client.close()
    waiting = sum(answers[0::2])
    sent = [_sent_at(raw) for raw in answers[1::2] if raw]
    known = [s for s in sent if s]
    return Backlog(waiting, max(0.0, time.time() - min(known)) if known else 0.0)


def _sent_at(raw: bytes) -> float | None:
    try:
        return float(json.loads(raw)["headers"][SENT_HEADER])
    except (ValueError, KeyError, TypeError):
        return None


def worker_problems() -> list[str]:
    """What /health/ says about background work, in words; empty when all is well."""
    problems = []
    quiet = worker_quiet_for()
    if quiet is None:
        problems.append("No background worker has been seen: syncs, stats and bulk changes wait.")
    elif quiet > NO_WORKER_AFTER:
        problems.append(
            f"No worker for {_minutes(quiet)}: syncs, stats and bulk changes wait until one "
            "is back."
        )
    backlog = queue_backlog()
    if backlog.oldest_seconds > BACKING_UP_AFTER:
        problems.append(
            f"The task queue is backing up ({backlog.waiting} task{'s' * (backlog.waiting != 1)}, "
            f"the oldest waiting "
            f"{_minutes(backlog.oldest_seconds)})."
        )
    return problems


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return "less than a minute" if minutes < 1 else f"{minutes} minute{'s' * (minutes != 1)}"
