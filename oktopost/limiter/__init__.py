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
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import redis

from oktopost.errors import RateLimited

Priority = Literal[
    "interactive", "background", "sync", "reconcile", "postlogs", "counters", "stats"
]
# What each background kind must leave in the pacing bucket (a fraction of `burst`):
# the incremental sync may empty it; a full reconcile's slices, failed posts' postlogs and
# list counters leave a quarter for it; per-post stats leave half. "background" is the
# sync's old name.
KIND_FLOORS = {
    "sync": 0.0,
    "background": 0.0,
    "reconcile": 0.25,
    "postlogs": 0.25,
    "counters": 0.25,
    "stats": 0.5,
}
PRIORITIES = ("interactive", *KIND_FLOORS)
SLOW_DOWN_STEP = 0.75
SLOW_DOWN_MIN = 0.25
Clock = Callable[[], float]
Sleep = Callable[[float], None]

_SHORT = 5.0
_MINUTE = 60.0
# How long past its expected token a waiting interactive caller keeps background calls off.
_WAITING_GRACE = 0.5


@dataclass(frozen=True, slots=True)
class Limits:
    """The budget; defaults leave a safety margin under Oktopost's 60/min, 120/5 s, 20,000/day.

    ``editor_minute``: calls of each minute background work leaves to editors (None: the
    fractional reserve, as in the other windows). ``burst``: the pacing bucket's size for
    background calls (0: no pacing).
    """

    per_minute: int = 54
    per_5s: int = 100
    per_day: int = 19_000
    interactive_reserve: float = 0.10
    editor_minute: int | None = None
    burst: int = 120

    def __post_init__(self) -> None:
        if min(self.per_5s, self.per_minute, self.per_day) < 1:
            raise ValueError("every cap must allow at least one call")
        if not 0.0 <= self.interactive_reserve < 1.0:
            raise ValueError("interactive_reserve must be at least 0 and below 1")
        if self.editor_minute is not None and self.editor_minute < 0:
            raise ValueError("editor_minute must be at least 0")
        if self.burst < 0:
            raise ValueError("burst must be at least 0")

    def reserve(self, cap: int) -> int:
        """Calls of a window with this cap held back for interactive callers (< cap)."""
        # The epsilon keeps float products such as 100 * 0.29 = 28.999… from losing a call.
        return min(cap - 1, math.floor(cap * self.interactive_reserve + 1e-9))

    def minute_reserve(self) -> int:
        if self.editor_minute is None:
            return self.reserve(self.per_minute)
        return min(self.per_minute - 1, self.editor_minute)

    def rules(self, priority: Priority) -> tuple[_Rule, _Rule, _Rule]:
        """(5 s, minute, day) rules a call of this priority is checked against."""
        if priority not in PRIORITIES:
            raise ValueError(f"unknown priority {priority!r}")
        caps = (self.per_5s, self.per_minute, self.per_day)
        if priority == "interactive":
            return tuple(_Rule(cap, 0) for cap in caps)  # type: ignore[return-value]
        return (
            _Rule(self.per_5s, self.reserve(self.per_5s)),
            _Rule(self.per_minute, self.minute_reserve()),
            _Rule(self.per_day, self.reserve(self.per_day)),
        )

    def background_cap(self, cap: int) -> int:
        """What background calls alone may use of a window with this cap (cap - reserve)."""
        if cap == self.per_minute:
            return cap - self.minute_reserve()
        return cap - self.reserve(cap)

    def slowed(self, factor: float) -> Limits:
        """These limits with the 5 s and minute caps (and editors' minute) times ``factor``."""
        if factor >= 1.0:
            return self
        return replace(
            self,
            per_minute=max(1, math.floor(self.per_minute * factor)),
            per_5s=max(1, math.floor(self.per_5s * factor)),
            editor_minute=None
            if self.editor_minute is None
            else math.floor(self.editor_minute * factor),
        )

    def pace_rate(self, background_left: int, now: float, factor: float = 1.0) -> float:
        """Tokens a second: what background work may still use today, spread to midnight.
        The bucket may hold ``burst`` tokens on top, so that many are kept back: the day's
        share then lasts until midnight even when the bucket is spent at the last minute."""
        seconds = max(60.0, next_midnight(now) - now)
        return max(0, background_left - self.burst) / seconds * min(1.0, factor)


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
    # Calls today by kind: "interactive", "sync", "counters", "stats".
    by_kind: dict[str, int] = field(default_factory=dict)
    # Below 1 after a 429 today: the share of our own limits we still use until midnight.
    slowed: float = 1.0
    slowed_at: float | None = None
    # What background work may still use today, and the pace that spreads it to midnight.
    background_left: int = 0
    pace_per_hour: float = 0.0

    @property
    def blocked_until_datetime(self) -> datetime | None:
        if self.blocked_until is None:
            return None
        return datetime.fromtimestamp(self.blocked_until, UTC)

    @property
    def slowed_at_datetime(self) -> datetime | None:
        if self.slowed_at is None:
            return None
        return datetime.fromtimestamp(self.slowed_at, UTC)


@dataclass(frozen=True, slots=True)
class Decision:
    granted: bool
    # When not granted: the earliest epoch at which trying again can succeed.
    retry_at: float = 0.0
    # "blocked", "window", "pace" or "day".
    reason: str = ""


def kind_of(priority: Priority) -> str:
    """The name a call is counted under ("background" counts as "sync")."""
    return "sync" if priority == "background" else priority


def pace(
    tokens: float | None, at: float, now: float, rate: float, burst: int, floor: float
) -> tuple[bool, float, float]:
    """The pacing bucket: (granted, tokens left, retry_at). A missing bucket is full."""
    if burst <= 0:
        return True, 0.0, 0.0
    level = float(burst) if tokens is None else min(float(burst), tokens + (now - at) * rate)
    need = 1.0 + floor * burst
    if level >= need:
        return True, level - 1.0, 0.0
    if rate <= 0.0:
        return False, level, next_midnight(now)
    return False, level, now + (need - level) / rate


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
        block to end, a window to free up or the pace to allow a background call) would
        exceed ``max_wait`` seconds.
        """
        deadline = self._clock() + max_wait
        while True:
            now = self._clock()
            decision = self.try_acquire(priority, now=now, deadline=deadline)
            if decision.granted:
                return
            if decision.reason == "day" or decision.retry_at > deadline:
                raise RateLimited(
                    _REASONS[decision.reason], retry_at=decision.retry_at, call="rate budget"
                )
            # A little jitter so processes woken by the same expiry do not all collide.
            self._sleep(max(decision.retry_at - now, 0.0) + random.uniform(0.0, 0.02))  # noqa: S311

    def try_acquire(
        self, priority: Priority = "background", *, now: float | None = None, deadline: float = 0.0
    ) -> Decision:
        """One attempt, never sleeping: grant and record a call, or say when to try again.
        (``acquire`` loops on it; a simulation with its own clock calls it directly.)"""
        self.limits.rules(priority)  # rejects an unknown priority
        now = self._clock() if now is None else now
        return self._try_acquire(now, priority, deadline=max(deadline, now))

    @abstractmethod
    def _try_acquire(self, now: float, priority: Priority, *, deadline: float) -> Decision:
        """Grant (and record, with its priority and kind) one call if every rule admits it
        and, for background kinds, the pacing bucket holds a token above the kind's floor;
        refuse a background call while an interactive one waits; an interactive call
        refused by a window that frees up before ``deadline`` marks itself as waiting."""

    @abstractmethod
    def block_until(self, until: float) -> None:
        """Pause every caller in every process until ``until`` (epoch seconds); never shortens."""

    @abstractmethod
    def slow_down(self) -> float:
        """After a 429 despite our pacing: lower our own rate until midnight UTC by a
        quarter (to at most a quarter). Returns the share of our limits now used."""

    @abstractmethod
    def report(self) -> Budget: ...

    @abstractmethod
    def reset(self) -> None:
        """Forget all grants, blocks, pacing and slow-downs (tests, or an operator)."""


_REASONS = {
    "blocked": "Oktopost blocked the API key after a burst; waiting for the block to end",
    "window": "the shared per-minute/5-second budget is in use",
    "pace": "background work is paced so that today's share of the budget lasts until midnight",
    "day": "the daily Oktopost call budget is spent",
}


# Sliding windows and the pacing bucket in one atomic step. KEYS: all grants zset (an
# interactive grant's member starts with "i:"), interactive grants zset (for counting), block
# key, day counter, day interactive counter, interactive-waiting key, pacing bucket hash,
# the day's calls-by-kind hash. ARGV: now, 1 if interactive, then cap and reserve for 5 s,
# the minute and the day, the unique member, the exclusive lower bounds of the 5 s and 60 s
# windows, the caller's deadline, the waiting grace, the kind, the bucket's size, the kind's
# floor (a fraction of the size), the slow-down factor, the next UTC midnight.
# Returns {"ok"} or {reason, retry_at-as-string} (strings keep the fractions Lua would drop).
_ACQUIRE_LUA = """
local now = tonumber(ARGV[1])
local interactive = ARGV[2] == '1'
local blocked = redis.call('GET', KEYS[3])
if blocked and tonumber(blocked) > now then return {'blocked', blocked} end
local capd, resd = tonumber(ARGV[7]), tonumber(ARGV[8])
local used = tonumber(redis.call('GET', KEYS[4]) or '0')
local usedi = tonumber(redis.call('GET', KEYS[5]) or '0')
if used - usedi + math.max(usedi, resd) >= capd then return {'day', ARGV[18]} end
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
local burst = tonumber(ARGV[15])
if not interactive and burst > 0 then
  local left = math.max(0, capd - used - math.max(0, resd - usedi) - burst)
  local rate = left / math.max(60, tonumber(ARGV[18]) - now) * math.min(1, tonumber(ARGV[17]))
  local bucket = redis.call('HMGET', KEYS[7], 'tokens', 'at')
  local level = burst
  if bucket[1] then
    level = math.min(burst, tonumber(bucket[1]) + (now - tonumber(bucket[2])) * rate)
  end
  local need = 1 + tonumber(ARGV[16]) * burst
  if level < need then
    if rate <= 0 then return {'pace', ARGV[18]} end
    return {'pace', string.format('%.17g', now + (need - level) / rate)}
  end
  redis.call('HSET', KEYS[7], 'tokens', string.format('%.17g', level - 1), 'at', ARGV[1])
  redis.call('EXPIRE', KEYS[7], 172800)
end
redis.call('ZADD', KEYS[1], now, ARGV[9])
redis.call('EXPIRE', KEYS[1], 61)
redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], 172800)
redis.call('HINCRBY', KEYS[8], ARGV[14], 1)
redis.call('EXPIRE', KEYS[8], 172800)
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

# KEYS: the day's slow-down hash. ARGV: now, step, minimum. Returns the new factor.
_SLOW_DOWN_LUA = """
local factor = tonumber(redis.call('HGET', KEYS[1], 'factor') or '1')
factor = math.max(tonumber(ARGV[3]), factor * tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'factor', string.format('%.17g', factor), 'at', ARGV[1])
redis.call('EXPIRE', KEYS[1], 172800)
return string.format('%.17g', factor)
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
        self._slow_script = self._redis.register_script(_SLOW_DOWN_LUA)

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
            f"{p}:pace",
            f"{p}:kinds:{day}",
            f"{p}:slowed:{day}",
        ]

    def _slowed(self, now: float) -> tuple[float, float | None]:
        raw = self._redis.hgetall(self._keys(now)[8])
        if not raw:
            return 1.0, None
        values = {_text(k): float(_text(v)) for k, v in raw.items()}
        return values.get("factor", 1.0), values.get("at")

    def _try_acquire(self, now: float, priority: Priority, *, deadline: float) -> Decision:
        interactive = priority == "interactive"
        factor, _ = self._slowed(now)
        limits = self.limits.slowed(factor)
        short, minute, day = limits.rules(priority)
        member = f"{'i' if interactive else 'b'}:{now!r}:{os.getpid()}:{random.getrandbits(48):x}"
        midnight = next_midnight(now)
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
            kind_of(priority),
            limits.burst,
            repr(KIND_FLOORS.get(priority, 0.0)),
            repr(factor),
            repr(midnight),
        ]
        result = self._acquire_script(keys=self._keys(now), args=args)
        reason = _text(result[0])
        if reason == "ok":
            return Decision(True)
        return Decision(False, float(_text(result[1])), reason)

    def block_until(self, until: float) -> None:
        self._block_script(keys=[self._keys(self._clock())[2]], args=[repr(float(until))])

    def slow_down(self) -> float:
        now = self._clock()
        keys = [self._keys(now)[8]]
        return float(
            _text(self._slow_script(keys=keys, args=[repr(now), SLOW_DOWN_STEP, SLOW_DOWN_MIN]))
        )

    def report(self) -> Budget:
        now = self._clock()
        keys = self._keys(now)
        pipe = self._redis.pipeline()
        pipe.get(keys[3])
        pipe.get(keys[4])
        pipe.zcount(keys[0], f"({now - _MINUTE!r}", "+inf")
        pipe.get(keys[2])
        pipe.hgetall(keys[7])
        used_raw, used_i_raw, minute, blocked_raw, kinds = pipe.execute()
        factor, slowed_at = self._slowed(now)
        return _budget(
            self.limits,
            now,
            used=int(used_raw or 0),
            used_interactive=int(used_i_raw or 0),
            minute=int(minute),
            blocked=float(blocked_raw or 0),
            by_kind={_text(k): int(v) for k, v in kinds.items()},
            slowed=(factor, slowed_at),
        )

    def reset(self) -> None:
        keys = list(self._redis.scan_iter(match=f"{self._prefix}:*"))
        if keys:
            self._redis.delete(*keys)


# `calls` replaces the `grants (ts)` table of earlier versions (left alone in an old file);
# `days` counts every call of a day, as before, `days_interactive` the interactive ones and
# `kinds` each kind's; `state` holds the block, the waiting mark, the pacing bucket and the
# day's slow-down.
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS calls (ts REAL NOT NULL, interactive INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS calls_ts ON calls (ts)",
    "CREATE TABLE IF NOT EXISTS days (day TEXT PRIMARY KEY, used INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS days_interactive (day TEXT PRIMARY KEY, used INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS kinds (day TEXT NOT NULL, kind TEXT NOT NULL, "
    "used INTEGER NOT NULL, PRIMARY KEY (day, kind))",
    "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value REAL NOT NULL)",
)


def _wal(conn: sqlite3.Connection, *, within: float = 30.0) -> None:
    """Switch the file to WAL (once per file: the mode is kept in it).

    The switch needs the file to itself, and SQLite answers "database is locked" at
    once, without waiting out the busy timeout, while another process has it open in a
    transaction: several processes starting together on a new file (web, worker and
    beat under `make run`) met that. So the switch is tried again for a while.
    """
    deadline = time.monotonic() + within
    delay = 0.01
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


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
            _wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def _transaction(self) -> _SqliteTransaction:
        return _SqliteTransaction(self)

    def _try_acquire(self, now: float, priority: Priority, *, deadline: float) -> Decision:
        interactive = priority == "interactive"
        with self._transaction() as conn:
            state = _state(conn)
            blocked = state.get("blocked_until")
            if blocked is not None and blocked > now:
                return Decision(False, blocked, "blocked")
            factor = _slowed_today(state, now)[0]
            limits = self.limits.slowed(factor)
            short, minute, day = limits.rules(priority)
            today = day_key(now)
            used, used_interactive = _day_used(conn, today)
            if not day.admits(used - used_interactive, used_interactive):
                return Decision(False, next_midnight(now), "day")
            if not interactive:
                waiting = state.get("interactive_waiting")
                if waiting is not None and waiting > now:
                    return Decision(False, waiting, "window")
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
                    _state_max(conn, "interactive_waiting", retry + _WAITING_GRACE)
                return Decision(False, retry, "window")
            if not interactive and limits.burst:
                left = _background_left(limits, used, used_interactive)
                granted, tokens, retry_at = pace(
                    state.get("pace_tokens"),
                    state.get("pace_at", now),
                    now,
                    limits.pace_rate(left, now, factor),
                    limits.burst,
                    KIND_FLOORS.get(priority, 0.0),
                )
                if not granted:
                    return Decision(False, retry_at, "pace")
                _state_set(conn, "pace_tokens", tokens)
                _state_set(conn, "pace_at", now)
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
            conn.execute(
                "INSERT INTO kinds (day, kind, used) VALUES (?, ?, 1) "
                "ON CONFLICT (day, kind) DO UPDATE SET used = used + 1",
                (today, kind_of(priority)),
            )
            if not state.get("swept") or state["swept"] < now - 3600:
                old = day_key(now - 2 * 86400)
                for table in ("days", "days_interactive", "kinds"):
                    conn.execute(f"DELETE FROM {table} WHERE day < ?", (old,))  # noqa: S608
                _state_set(conn, "swept", now)
            return Decision(True)

    def block_until(self, until: float) -> None:
        with self._transaction() as conn:
            _state_max(conn, "blocked_until", float(until))

    def slow_down(self) -> float:
        now = self._clock()
        with self._transaction() as conn:
            factor = max(SLOW_DOWN_MIN, _slowed_today(_state(conn), now)[0] * SLOW_DOWN_STEP)
            _state_set(conn, "slowed_factor", factor)
            _state_set(conn, "slowed_at", now)
        return factor

    def report(self) -> Budget:
        now = self._clock()
        today = day_key(now)
        with self._transaction() as conn:
            used, used_interactive = _day_used(conn, today)
            minute = _scalar(conn, "SELECT COUNT(*) FROM calls WHERE ts > ?", now - _MINUTE)
            state = _state(conn)
            kinds = dict(conn.execute("SELECT kind, used FROM kinds WHERE day = ?", (today,)))
        return _budget(
            self.limits,
            now,
            used=used,
            used_interactive=used_interactive,
            minute=int(minute or 0),
            blocked=float(state.get("blocked_until") or 0),
            by_kind=kinds,
            slowed=_slowed_today(state, now),
        )

    def reset(self) -> None:
        with self._transaction() as conn:
            for table in ("calls", "days", "days_interactive", "kinds", "state"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608


def _state(conn: sqlite3.Connection) -> dict[str, float]:
    return dict(conn.execute("SELECT key, value FROM state"))


def _state_set(conn: sqlite3.Connection, key: str, value: float) -> None:
    conn.execute(
        "INSERT INTO state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _state_max(conn: sqlite3.Connection, key: str, value: float) -> None:
    conn.execute(
        "INSERT INTO state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
        (key, value),
    )


def _day_used(conn: sqlite3.Connection, today: str) -> tuple[int, int]:
    used = _scalar(conn, "SELECT used FROM days WHERE day = ?", today) or 0
    interactive = _scalar(conn, "SELECT used FROM days_interactive WHERE day = ?", today) or 0
    return int(used), int(interactive)


def _slowed_today(state: dict[str, float], now: float) -> tuple[float, float | None]:
    """The slow-down factor of the UTC day of ``now`` (1.0 when there was no 429 today)."""
    at = state.get("slowed_at")
    if at is None or day_key(at) != day_key(now):
        return 1.0, None
    return state.get("slowed_factor", 1.0), at


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


def _background_left(limits: Limits, used: int, used_interactive: int) -> int:
    """Calls background work may still take today: all but the unused editors' reserve."""
    reserve = limits.reserve(limits.per_day)
    return max(0, limits.per_day - used - max(0, reserve - used_interactive))


def _budget(
    limits: Limits,
    now: float,
    *,
    used: int,
    used_interactive: int,
    minute: int,
    blocked: float,
    by_kind: dict[str, int],
    slowed: tuple[float, float | None],
) -> Budget:
    factor, slowed_at = slowed
    left = _background_left(limits, used, used_interactive)
    return Budget(
        used_today=used,
        limit_today=limits.per_day,
        left_today=max(0, limits.per_day - used),
        used_last_minute=minute,
        blocked_until=blocked if blocked > now else None,
        by_kind=by_kind,
        slowed=factor,
        slowed_at=slowed_at,
        background_left=left,
        pace_per_hour=limits.pace_rate(left, now, factor) * 3600 if limits.burst else 0.0,
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
