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
``_WAITING_GRACE``), and background calls are refused meanwhile: the next free token is the
editor's.

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
# How long past its expected token a waiting interactive caller keeps background calls off.
_WAITING_GRACE = 0.5


@dataclass(frozen=True, slots=True)
class Limits:
    """The budget; defaults leave a safety margin under Oktopost's 60/min, 120/5 s, 20,000/day."""

    per_minute: int = 54
    per_5s: int = 100
    per_day: int = 19_000
    interactive_reserve: float = 0.10

    def __post_init__(self) -> None:
        if min(self.per_5s, self.per_minute, self.per_day) < 1:
            raise ValueError("every cap must allow at least one call")
        if not 0.0 <= self.interactive_reserve < 1.0:
            raise ValueError("interactive_reserve must be at least 0 and below 1")

    def reserve(self, cap: int) -> int:
        """Calls of a window with this cap held back for interactive callers (< cap)."""
        # The epsilon keeps float products such as 100 * 0.29 = 28.999… from losing a call.
        return min(cap - 1, math.floor(cap * self.interactive_reserve + 1e-9))

    def rules(self, priority: Priority) -> tuple[_Rule, _Rule, _Rule]:
        """(5 s, minute, day) rules a call of this priority is checked against."""
        if priority not in ("background", "interactive"):
            raise ValueError(f"unknown priority {priority!r}")
        caps = (self.per_5s, self.per_minute, self.per_day)
        if priority == "interactive":
            return tuple(_Rule(cap, 0) for cap in caps)  # type: ignore[return-value]
        return tuple(_Rule(cap, self.reserve(cap)) for cap in caps)  # type: ignore[return-value]

    def background_cap(self, cap: int) -> int:
        """What background calls alone may use of a window with this cap (cap - reserve)."""
        return cap - self.reserve(cap)


@dataclass(frozen=True, slots=True)
class _Rule:
    """A window's cap, and the reserve that the caller must leave for interactive calls
    not yet made (0 for interactive callers)."""

    cap: int
    reserve: int

    def admits(self, background: int, interactive: int) -> bool:
        # total + max(0, reserve - interactive) < cap, written without the total.
        return background + max(interactive, self.reserve) < self.cap

    def frees_at(self, grants: list[tuple[float, bool]], width: float, now: float) -> float:
        """When a window holding ``grants`` (ts, interactive), oldest first, admits the call:
        grants leave it oldest first, each ``width`` seconds after it was stamped."""
        interactive = sum(1 for _, flag in grants if flag)
        background = len(grants) - interactive
        for ts, flag in grants:
            if flag:
                interactive -= 1
            else:
                background -= 1
            if self.admits(background, interactive):
                return ts + width
        return now  # not reached: an empty window always admits (reserve < cap)


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
        rules = self.limits.rules(priority)
        interactive = priority == "interactive"
        deadline = self._clock() + max_wait
        while True:
            now = self._clock()
            decision = self._try_acquire(now, rules, interactive=interactive, deadline=deadline)
            if decision.granted:
                return
            if decision.reason == "day" or decision.retry_at > deadline:
                raise RateLimited(
                    _REASONS[decision.reason], retry_at=decision.retry_at, call="rate budget"
                )
            # A little jitter so processes woken by the same expiry do not all collide.
            self._sleep(max(decision.retry_at - now, 0.0) + random.uniform(0.0, 0.02))  # noqa: S311

    @abstractmethod
    def _try_acquire(
        self,
        now: float,
        rules: tuple[_Rule, _Rule, _Rule],
        *,
        interactive: bool,
        deadline: float,
    ) -> _Decision:
        """Grant (and record, with its priority) one call if every rule admits it; refuse a
        background call while an interactive one waits; an interactive call refused by a
        window that frees up before ``deadline`` marks itself as waiting."""

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


# Sliding windows in one atomic step. KEYS: all grants zset (an interactive grant's member
# starts with "i:"), interactive grants zset (for counting), block key, day counter, day
# interactive counter, interactive-waiting key. ARGV: now, 1 if interactive, then cap and
# reserve for 5 s, the minute and the day, the unique member, the exclusive lower bounds of
# the 5 s and 60 s windows, the caller's deadline, the waiting grace.
# Returns {"ok"} or {reason, retry_at-as-string} (strings keep the fractions Lua would drop).
_ACQUIRE_LUA = """
local now = tonumber(ARGV[1])
local interactive = ARGV[2] == '1'
local blocked = redis.call('GET', KEYS[3])
if blocked and tonumber(blocked) > now then return {'blocked', blocked} end
local capd, resd = tonumber(ARGV[7]), tonumber(ARGV[8])
local used = tonumber(redis.call('GET', KEYS[4]) or '0')
local usedi = tonumber(redis.call('GET', KEYS[5]) or '0')
if used - usedi + math.max(usedi, resd) >= capd then return {'day', '0'} end
if not interactive then
  local waiting = redis.call('GET', KEYS[6])
  if waiting and tonumber(waiting) > now then return {'window', waiting} end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[11])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[11])
local retry = 0
local windows = {{5, tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[10]},
                 {60, tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[11]}}
for _, w in ipairs(windows) do
  local width, cap, reserve, lo = w[1], w[2], w[3], '(' .. w[4]
  local i = redis.call('ZCOUNT', KEYS[2], lo, '+inf')
  local b = redis.call('ZCOUNT', KEYS[1], lo, '+inf') - i
  if b + math.max(i, reserve) >= cap then
    -- Let grants leave oldest first until the call would be admitted.
    local grants = redis.call('ZRANGEBYSCORE', KEYS[1], lo, '+inf', 'WITHSCORES')
    local at = now
    for k = 1, #grants, 2 do
      if string.sub(grants[k], 1, 2) == 'i:' then i = i - 1 else b = b - 1 end
      if b + math.max(i, reserve) < cap then
        at = tonumber(grants[k + 1]) + width
        break
      end
    end
    if at > retry then retry = at end
  end
end
if retry > 0 then
  local mark = retry + tonumber(ARGV[13])
  if interactive and retry <= tonumber(ARGV[12])
     and mark > tonumber(redis.call('GET', KEYS[6]) or '0') then
    redis.call('SET', KEYS[6], string.format('%.17g', mark),
               'PX', math.ceil((mark - now) * 1000) + 1000)
  end
  return {'window', string.format('%.17g', retry)}
end
redis.call('ZADD', KEYS[1], now, ARGV[9])
redis.call('EXPIRE', KEYS[1], 61)
redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], 172800)
if interactive then
  redis.call('ZADD', KEYS[2], now, ARGV[9])
  redis.call('EXPIRE', KEYS[2], 61)
  redis.call('INCR', KEYS[5])
  redis.call('EXPIRE', KEYS[5], 172800)
end
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
        p, day = self._prefix, day_key(now)
        # "grants" and "day:" keep their names from earlier versions: they count every call.
        return [
            f"{p}:grants",
            f"{p}:grants-interactive",
            f"{p}:blocked-until",
            f"{p}:day:{day}",
            f"{p}:day-interactive:{day}",
            f"{p}:interactive-waiting",
        ]

    def _try_acquire(
        self,
        now: float,
        rules: tuple[_Rule, _Rule, _Rule],
        *,
        interactive: bool,
        deadline: float,
    ) -> _Decision:
        member = f"{'i' if interactive else 'b'}:{now!r}:{os.getpid()}:{random.getrandbits(48):x}"
        short, minute, day = rules
        args = [
            repr(now),
            int(interactive),
            short.cap,
            short.reserve,
            minute.cap,
            minute.reserve,
            day.cap,
            day.reserve,
            member,
            repr(now - _SHORT),
            repr(now - _MINUTE),
            repr(min(deadline, now + 86400.0)),
            repr(_WAITING_GRACE),
        ]
        result = self._acquire_script(keys=self._keys(now), args=args)
        reason = _text(result[0])
        if reason == "ok":
            return _Decision(True)
        retry_at = next_midnight(now) if reason == "day" else float(_text(result[1]))
        return _Decision(False, retry_at, reason)

    def block_until(self, until: float) -> None:
        self._block_script(keys=[self._keys(self._clock())[2]], args=[repr(float(until))])

    def report(self) -> Budget:
        now = self._clock()
        grants, _, block, day, *_ = self._keys(now)
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


# `calls` replaces the `grants (ts)` table of earlier versions (left alone in an old file);
# `days` counts every call of a day, as before, and `days_interactive` the interactive ones.
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS calls (ts REAL NOT NULL, interactive INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS calls_ts ON calls (ts)",
    "CREATE TABLE IF NOT EXISTS days (day TEXT PRIMARY KEY, used INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS days_interactive (day TEXT PRIMARY KEY, used INTEGER NOT NULL)",
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

    def _try_acquire(
        self,
        now: float,
        rules: tuple[_Rule, _Rule, _Rule],
        *,
        interactive: bool,
        deadline: float,
    ) -> _Decision:
        short, minute, day = rules
        with self._transaction() as conn:
            blocked = _scalar(conn, "SELECT value FROM state WHERE key = 'blocked_until'")
            if blocked is not None and blocked > now:
                return _Decision(False, blocked, "blocked")
            today = day_key(now)
            used = int(_scalar(conn, "SELECT used FROM days WHERE day = ?", today) or 0)
            used_interactive = int(
                _scalar(conn, "SELECT used FROM days_interactive WHERE day = ?", today) or 0
            )
            if not day.admits(used - used_interactive, used_interactive):
                return _Decision(False, next_midnight(now), "day")
            if not interactive:
                waiting = _scalar(conn, "SELECT value FROM state WHERE key = 'interactive_waiting'")
                if waiting is not None and waiting > now:
                    return _Decision(False, waiting, "window")
            conn.execute("DELETE FROM calls WHERE ts <= ?", (now - _MINUTE,))
            retry = 0.0
            for width, rule in ((_SHORT, short), (_MINUTE, minute)):
                total, in_window = conn.execute(
                    "SELECT COUNT(*), COALESCE(SUM(interactive), 0) FROM calls WHERE ts > ?",
                    (now - width,),
                ).fetchone()
                if not rule.admits(total - in_window, in_window):
                    grants = conn.execute(
                        "SELECT ts, interactive FROM calls WHERE ts > ? ORDER BY ts",
                        (now - width,),
                    ).fetchall()
                    frees = rule.frees_at([(ts, bool(flag)) for ts, flag in grants], width, now)
                    retry = max(retry, frees)
            if retry:
                if interactive and retry <= deadline:
                    conn.execute(
                        "INSERT INTO state (key, value) VALUES ('interactive_waiting', ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
                        (retry + _WAITING_GRACE,),
                    )
                return _Decision(False, retry, "window")
            conn.execute(
                "INSERT INTO calls (ts, interactive) VALUES (?, ?)", (now, int(interactive))
            )
            tables = ("days", "days_interactive") if interactive else ("days",)
            for table in tables:
                conn.execute(
                    f"INSERT INTO {table} (day, used) VALUES (?, 1) "  # noqa: S608
                    "ON CONFLICT (day) DO UPDATE SET used = used + 1",
                    (today,),
                )
                conn.execute(f"DELETE FROM {table} WHERE day < ?", (day_key(now - 2 * 86400),))  # noqa: S608
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
            minute = _scalar(conn, "SELECT COUNT(*) FROM calls WHERE ts > ?", now - _MINUTE)
            blocked = _scalar(conn, "SELECT value FROM state WHERE key = 'blocked_until'")
        return _budget(self.limits, now, int(used), int(minute or 0), float(blocked or 0))

    def reset(self) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM calls")
            conn.execute("DELETE FROM days")
            conn.execute("DELETE FROM days_interactive")
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
