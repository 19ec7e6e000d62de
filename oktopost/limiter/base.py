"""What every store of the budget offers: the interface the client calls, the wait loop
on top of it, and the report the UI shows."""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from oktopost.errors import RateLimited
from oktopost.limiter.plan import Limits, Priority, background_left

Clock = Callable[[], float]
Sleep = Callable[[float], None]


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


def budget_report(
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
    """The UI's view of a store's counts (``slowed`` is the day's factor and when it fell)."""
    factor, slowed_at = slowed
    left = background_left(limits, used, used_interactive)
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
