"""The budget in an SQLite file, for the embedded setup without Redis (one host)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from oktopost.limiter.base import Budget, Clock, Decision, Limiter, Sleep, budget_report
from oktopost.limiter.plan import (
    KIND_FLOORS,
    MINUTE_WINDOW,
    SHORT_WINDOW,
    SLOW_DOWN_MIN,
    SLOW_DOWN_STEP,
    WAITING_GRACE,
    Limits,
    Priority,
    background_left,
    day_key,
    kind_of,
    next_midnight,
    pace,
)

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
            conn.execute("DELETE FROM calls WHERE ts <= ?", (now - MINUTE_WINDOW,))
            retry = 0.0
            for width, rule in ((SHORT_WINDOW, short), (MINUTE_WINDOW, minute)):
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
                    _state_max(conn, "interactive_waiting", retry + WAITING_GRACE)
                return Decision(False, retry, "window")
            if not interactive and limits.burst:
                left = background_left(limits, used, used_interactive)
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
            minute = _scalar(conn, "SELECT COUNT(*) FROM calls WHERE ts > ?", now - MINUTE_WINDOW)
            state = _state(conn)
            kinds = dict(conn.execute("SELECT kind, used FROM kinds WHERE day = ?", (today,)))
        return budget_report(
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
