"""The budget plan: limits, priorities, the windows' rules and the pacing bucket.

Pure arithmetic over counts and times; the stores (``redis_store``, ``sqlite_store``) keep
the counts and apply these rules atomically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

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

SHORT_WINDOW = 5.0
MINUTE_WINDOW = 60.0
# How long past its expected token a waiting interactive caller keeps background calls off.
WAITING_GRACE = 0.5


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


def background_left(limits: Limits, used: int, used_interactive: int) -> int:
    """Calls background work may still take today: all but the unused editors' reserve."""
    reserve = limits.reserve(limits.per_day)
    return max(0, limits.per_day - used - max(0, reserve - used_interactive))
