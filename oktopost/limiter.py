"""One Oktopost rate budget shared by every process of the installation.

Oktopost allows 60 calls/minute, 120 calls per 5 s and 20,000 calls/day per API user, and
answers a burst breach with a 15-minute block (API reference §1 "Rate limits"). Celery's
``rate_limit`` is per worker, so the budget lives in Redis (``RedisLimiter``) or, for the
embedded setup without Redis, in an SQLite file (``SqliteLimiter``). Both keep sliding
windows of grant timestamps, so they are never looser than whatever windows Oktopost counts.

Priorities: ``background`` calls (sync, stats refresh) may only use ``1 - interactive_reserve``
of each window, so an editor's save (``interactive``) still finds a free token while a sync
runs at full speed.

Clock: grants are stamped with the caller's ``time.time()``; hosts sharing one Redis need
synchronised clocks (NTP), which they need anyway for the schedules they publish.
"""

from __future__ import annotations

import math
import os
import random
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import redis

from oktopost.errors import RateLimited

Priority = Literal["background", "interactive"]
Clock = Callable[[], float]
Sleep = Callable[[float], None]

_SHORT = 5.0
_MINUTE = 60.0


@dataclass(frozen=True, slots=True)
class Limits:
    """The budget; defaults leave a safety margin under Oktopost's 60/min, 120/5 s, 20,000/day."""

    per_minute: int = 54
    per_5s: int = 100
    per_day: int = 19_000
    interactive_reserve: float = 0.15

    def caps(self, priority: Priority) -> tuple[int, int, int]:
        """(per_5s, per_minute, per_day) that a call of this priority may fill up to."""
        if priority == "interactive":
            return self.per_5s, self.per_minute, self.per_day
        if priority != "background":
            raise ValueError(f"unknown priority {priority!r}")
        share = 1.0 - self.interactive_reserve
        return (
            max(1, math.floor(self.per_5s * share)),
            max(1, math.floor(self.per_minute * share)),
            max(1, math.floor(self.per_day * share)),
        )


@dataclass(frozen=True, slots=True)
class Budget:
    """What the UI shows about the shared budget."""

    used_today: int
    limit_today: int
    left_today: int
    used_last_minute: int
    blocked_until: float | None  # epoch seconds, None when not blocked

    @property
    def blocked_until_datetime(self) -> datetime | None:
        if self.blocked_until is None:
            return None
        return datetime.fromtimestamp(self.blocked_until, UTC)


@dataclass(frozen=True, slots=True)
class _Decision:
    granted: bool
    # When not granted: the earliest epoch at which trying again can succeed.
    retry_at: float = 0.0
    reason: str = ""


def day_key(now: float) -> str:
    """The UTC date the daily quota counts against (Oktopost resets at midnight UTC)."""
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")


def next_midnight(now: float) -> float:
    today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return (today + timedelta(days=1)).timestamp()


class Limiter(ABC):
    """The interface the client uses; backends implement the three storage primitives."""

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.limits = limits or Limits()
        self._clock = clock
        self._sleep = sleep

    def acquire(self, *, priority: Priority = "background", max_wait: float = 30.0) -> None:
        """Take one call from the budget, sleeping until one is free.

        Raises RateLimited at once when the daily budget is spent, and when the wait (for a
        block to end or a window to free up) would exceed ``max_wait`` seconds.
        """
        caps = self.limits.caps(priority)
        deadline = self._clock() + max_wait
        while True:
            now = self._clock()
            decision = self._try_acquire(now, caps)
            if decision.granted:
                return
            if decision.reason == "day" or decision.retry_at > deadline:
                raise RateLimited(
                    _REASONS[decision.reason], retry_at=decision.retry_at, call="rate budget"
                )
            # A little jitter so processes woken by the same expiry do not all collide.
            self._sleep(max(decision.retry_at - now, 0.0) + random.uniform(0.0, 0.02))  # noqa: S311

    @abstractmethod
    def _try_acquire(self, now: float, caps: tuple[int, int, int]) -> _Decision: ...

    @abstractmethod
    def block_until(self, until: float) -> None:
        """Pause every caller in every process until ``until`` (epoch seconds); never shortens."""

    @abstractmethod
    def report(self) -> Budget: ...

    @abstractmethod
    def reset(self) -> None:
        """Forget all grants and blocks (tests, or an operator after a key change)."""


_REASONS = {
    "blocked": "Oktopost blocked the API key after a burst; waiting for the block to end",
    "window": "the shared per-minute/5-second budget is in use",
    "day": "the daily Oktopost call budget is spent",
}


# Sliding windows in one atomic step. KEYS: grants zset, block key, day counter.
# ARGV: now, cap_5s, cap_minute, cap_day, unique member.
# Returns {"ok"} or {reason, retry_at-as-string} (strings keep the fractions Lua would drop).
_ACQUIRE_LUA = """
local now = tonumber(ARGV[1])
local cap5, capm, capd = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return {'blocked', tostring(blocked)} end
if tonumber(redis.call('GET', KEYS[3]) or '0') >= capd then return {'day', '0'} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60)
local retry = 0
for _, w in ipairs({{5, cap5}, {60, capm}}) do
  local lo = '(' .. tostring(now - w[1])
  local n = redis.call('ZCOUNT', KEYS[1], lo, '+inf')
  if n >= w[2] then
    local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], lo, '+inf',
                              'WITHSCORES', 'LIMIT', n - w[2], 1)
    local at = tonumber(oldest[2]) + w[1]
    if at > retry then retry = at end
  end
end
if retry > 0 then return {'window', tostring(retry)} end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('EXPIRE', KEYS[1], 61)
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], 172800)
return {'ok'}
"""

_BLOCK_LUA = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local untilv = tonumber(ARGV[1])
if untilv > current then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('EXPIREAT', KEYS[1], math.ceil(untilv) + 1)
end
return 1
"""


class RedisLimiter(Limiter):
    """The budget in Redis, updated by one Lua script so concurrent callers cannot overshoot."""

    def __init__(
        self,
        redis_url: str = "redis://127.0.0.1:6379/0",
        key_prefix: str = "oktodash:oktopost-budget",
        limits: Limits | None = None,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
    ) -> None:
        super().__init__(limits, clock=clock, sleep=sleep)
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=3)
        self._prefix = key_prefix
        self._acquire_script = self._redis.register_script(_ACQUIRE_LUA)
        self._block_script = self._redis.register_script(_BLOCK_LUA)

    def _keys(self, now: float) -> list[str]:
        p = self._prefix
        return [f"{p}:grants", f"{p}:blocked-until", f"{p}:day:{day_key(now)}"]

    def _try_acquire(self, now: float, caps: tuple[int, int, int]) -> _Decision:
        member = f"{now!r}:{os.getpid()}:{random.getrandbits(48):x}"
        result = self._acquire_script(keys=self._keys(now), args=[repr(now), *caps, member])
        reason = _text(result[0])
        if reason == "ok":
            return _Decision(True)
        retry_at = next_midnight(now) if reason == "day" else float(_text(result[1]))
        return _Decision(False, retry_at, reason)

    def block_until(self, until: float) -> None:
        self._block_script(keys=[self._keys(self._clock())[1]], args=[repr(float(until))])

    def report(self) -> Budget:
        now = self._clock()
        grants, block, day = self._keys(now)
        pipe = self._redis.pipeline()
        pipe.get(day)
        pipe.zcount(grants, f"({now - _MINUTE!r}", "+inf")
        pipe.get(block)
        used_raw, minute, blocked_raw = pipe.execute()
        return _budget(self.limits, now, int(used_raw or 0), int(minute), float(blocked_raw or 0))

    def reset(self) -> None:
        keys = list(self._redis.scan_iter(match=f"{self._prefix}:*"))
        if keys:
            self._redis.delete(*keys)


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS grants (ts REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS grants_ts ON grants (ts)",
    "CREATE TABLE IF NOT EXISTS days (day TEXT PRIMARY KEY, used INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value REAL NOT NULL)",
)


class SqliteLimiter(Limiter):
    """The budget in an SQLite file; ``BEGIN IMMEDIATE`` serialises processes on one host."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        limits: Limits | None = None,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
    ) -> None:
        super().__init__(limits, clock=clock, sleep=sleep)
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        with self._transaction() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    def _connection(self) -> sqlite3.Connection:
        # A connection must not cross a fork, so each process opens its own.
        if self._conn is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def _transaction(self) -> _SqliteTransaction:
        return _SqliteTransaction(self)

    def _try_acquire(self, now: float, caps: tuple[int, int, int]) -> _Decision:
        cap5, capm, capd = caps
        with self._transaction() as conn:
            blocked = _scalar(conn, "SELECT value FROM state WHERE key = 'blocked_until'")
            if blocked is not None and blocked > now:
                return _Decision(False, blocked, "blocked")
            today = day_key(now)
            used = _scalar(conn, "SELECT used FROM days WHERE day = ?", today) or 0
            if used >= capd:
                return _Decision(False, next_midnight(now), "day")
            conn.execute("DELETE FROM grants WHERE ts <= ?", (now - _MINUTE,))
            retry = 0.0
            for width, cap in ((_SHORT, cap5), (_MINUTE, capm)):
                used_in_window = int(
                    _scalar(conn, "SELECT COUNT(*) FROM grants WHERE ts > ?", now - width) or 0
                )
                if used_in_window >= cap:
                    # The window frees up when the grant that put it over the cap expires.
                    oldest = _scalar(
                        conn,
                        "SELECT ts FROM grants WHERE ts > ? ORDER BY ts LIMIT 1 OFFSET ?",
                        now - width,
                        used_in_window - cap,
                    )
                    retry = max(retry, (oldest if oldest is not None else now) + width)
            if retry:
                return _Decision(False, retry, "window")
            conn.execute("INSERT INTO grants (ts) VALUES (?)", (now,))
            conn.execute(
                "INSERT INTO days (day, used) VALUES (?, 1) "
                "ON CONFLICT (day) DO UPDATE SET used = used + 1",
                (today,),
            )
            conn.execute("DELETE FROM days WHERE day < ?", (day_key(now - 2 * 86400),))
            return _Decision(True)

    def block_until(self, until: float) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO state (key, value) VALUES ('blocked_until', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
                (float(until),),
            )

    def report(self) -> Budget:
        now = self._clock()
        with self._transaction() as conn:
            used = _scalar(conn, "SELECT used FROM days WHERE day = ?", day_key(now)) or 0
            minute = _scalar(conn, "SELECT COUNT(*) FROM grants WHERE ts > ?", now - _MINUTE)
            blocked = _scalar(conn, "SELECT value FROM state WHERE key = 'blocked_until'")
        return _budget(self.limits, now, int(used), int(minute or 0), float(blocked or 0))

    def reset(self) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM grants")
            conn.execute("DELETE FROM days")
            conn.execute("DELETE FROM state")


class _SqliteTransaction:
    """``BEGIN IMMEDIATE`` takes the write lock up front, so read-then-insert is atomic."""

    def __init__(self, limiter: SqliteLimiter) -> None:
        self._limiter = limiter

    def __enter__(self) -> sqlite3.Connection:
        self._limiter._lock.acquire()
        try:
            self._conn = self._limiter._connection()
            self._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._limiter._lock.release()
            raise
        return self._conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            self._conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self._limiter._lock.release()


def _scalar(conn: sqlite3.Connection, sql: str, *params: object) -> float | None:
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _budget(limits: Limits, now: float, used: int, minute: int, blocked: float) -> Budget:
    return Budget(
        used_today=used,
        limit_today=limits.per_day,
        left_today=max(0, limits.per_day - used),
        used_last_minute=minute,
        blocked_until=blocked if blocked > now else None,
    )


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
