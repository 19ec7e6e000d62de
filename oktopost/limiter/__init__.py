"""One Oktopost rate budget shared by every process of the installation.

Oktopost allows 60 calls/minute, 120 calls per 5 s and 20,000 calls/day per API user, and
answers a burst breach with a 15-minute block (API reference §1 "Rate limits"). Celery's
``rate_limit`` is per worker, so the budget lives in Redis (``RedisLimiter``) or, for the
embedded setup without Redis, in an SQLite file (``SqliteLimiter``). Both keep sliding
windows of grant timestamps, so they are never looser than whatever windows Oktopost counts.

Priorities: in each window (5 s, 60 s) and the day, ``reserve = floor(cap * interactive_reserve)``
calls are held back for ``interactive`` callers (an editor's save). An interactive call is
granted while ``total < cap``; a ``background`` call (sync, stats refresh) while
``total + max(0, reserve - interactive) < cap``: background work may use everything except
the part of the reserve that editors have not used yet in that window. So editors always
find a free token while a sync runs at full speed, and a quiet editor costs background work
no more than the reserve. Each grant records its priority for this.

When editors need more than the reserve, they would race background callers for every token
that frees up, and background callers (several processes, polling) win most races. So an
interactive caller that has to wait marks itself as waiting until its token frees up (plus
``WAITING_GRACE``), and background calls are refused meanwhile: the next free token is the
editor's.

Pacing: background calls also take a token from a bucket that refills at the rate that
makes what background work may still use today last until midnight UTC (``left / seconds
left``), holding at most ``burst`` tokens. So the day's share is never spent by breakfast:
an idle hour is saved for later (the rate rises), a busy one slows what follows. Background
kinds rank by how much of the bucket they must leave: ``sync`` (keeping the mirror correct)
may empty it, ``counters`` must leave a quarter, ``stats`` half. When demand exceeds the
day, per-post stats wait first, then counters; the sync keeps running.

Editors' room: ``editor_minute`` calls of every minute stay free for interactive callers
(a burst of inline edits), on top of the fractional reserve of the 5 s window and the day.

A 429 despite all this (another tool using the same key) blocks every caller for the block
and also lowers our own rate for the rest of the UTC day (``slow_down``): each 429 takes
the minute and 5 s caps and the pacing rate down by a quarter, to at most a quarter.

Clock: grants are stamped with the caller's ``time.time()``; hosts sharing one Redis need
synchronised clocks (NTP), which they need anyway for the schedules they publish.

Modules: ``plan`` (limits, priorities, the windows' rules, pacing), ``base`` (the interface,
the wait loop and the report), ``redis_store`` and ``sqlite_store`` (the two stores). Import
from ``oktopost.limiter``: it names everything callers use.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from oktopost.limiter.base import Budget, Clock, Decision, Limiter, Sleep
from oktopost.limiter.plan import (
    KIND_FLOORS,
    PRIORITIES,
    SLOW_DOWN_MIN,
    SLOW_DOWN_STEP,
    Limits,
    Priority,
    day_key,
    kind_of,
    next_midnight,
    pace,
)
from oktopost.limiter.redis_store import RedisLimiter
from oktopost.limiter.sqlite_store import SqliteLimiter

__all__ = [
    "KIND_FLOORS",
    "PRIORITIES",
    "SLOW_DOWN_MIN",
    "SLOW_DOWN_STEP",
    "Budget",
    "Clock",
    "Decision",
    "Limiter",
    "Limits",
    "Priority",
    "RedisLimiter",
    "Sleep",
    "SqliteLimiter",
    "day_key",
    "kind_of",
    "limiter_from_url",
    "next_midnight",
    "pace",
]


def limiter_from_url(
    url_or_path: str | os.PathLike[str],
    limits: Limits | None = None,
    *,
    key_prefix: str = "oktodash:oktopost-budget",
) -> Limiter:
    """``redis://``, ``rediss://`` or ``unix://`` give a RedisLimiter; ``sqlite:///path`` or a
    plain file path give a SqliteLimiter."""
    text = os.fspath(url_or_path)
    scheme = urlsplit(text).scheme
    if scheme in ("redis", "rediss", "unix"):
        return RedisLimiter(text, key_prefix, limits)
    if scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute.db, as in dj-database-url.
        return SqliteLimiter(unquote(text.removeprefix("sqlite:///")), limits)
    if scheme in ("", "file") or len(scheme) == 1:  # one letter: a Windows drive
        return SqliteLimiter(unquote(text.removeprefix("file://")), limits)
    raise ValueError(f"unsupported rate limiter URL {text!r}")
