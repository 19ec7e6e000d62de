"""Oktopost's published call limits, enforced per account (docs/oktopost.md "Limits")."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from oktopost.sandbox.records import DAY, fmt


@dataclass
class LimitSettings:
    per_minute: int = 60
    per_5s: int = 120
    per_day: int = 20_000
    block_seconds: int = 900
    enabled: bool = True
    status: int = 429


@dataclass
class RateLimiter:
    """Sliding 60 s and 5 s windows plus a daily count that resets at midnight UTC.

    Time comes from the sandbox clock so tests can move past a window or a midnight.
    """

    settings: LimitSettings = field(default_factory=LimitSettings)
    minute: deque[float] = field(default_factory=deque)
    five: deque[float] = field(default_factory=deque)
    day: int = -1
    day_count: int = 0
    blocked_until: float | None = None
    block_message: str = ""

    def check(self, now: float) -> str | None:
        """Count one call; return the error text if it must be refused."""
        if self.blocked_until is not None:
            if now < self.blocked_until:
                # Calls during a block are refused without being counted: the
                # block is not extended by a client that keeps knocking.
                return self.block_message
            self.blocked_until = None
        while self.minute and self.minute[0] <= now - 60:
            self.minute.popleft()
        while self.five and self.five[0] <= now - 5:
            self.five.popleft()
        today = int(now) // DAY
        if today != self.day:
            self.day, self.day_count = today, 0
        s = self.settings
        if s.enabled:
            if self.day_count >= s.per_day:
                # The daily quota comes back at midnight UTC, not after block_seconds.
                until = (today + 1) * DAY
                return self.block(now, until - now, f"Daily limit of {s.per_day} API calls")
            if len(self.minute) >= s.per_minute:
                return self.block(now, s.block_seconds, f"Limit of {s.per_minute} calls per minute")
            if len(self.five) >= s.per_5s:
                return self.block(now, s.block_seconds, f"Limit of {s.per_5s} calls per 5 seconds")
        self.minute.append(now)
        self.five.append(now)
        self.day_count += 1
        return None

    def block(self, now: float, seconds: float, reason: str) -> str:
        self.blocked_until = now + seconds
        self.block_message = (
            f"{reason} exceeded. API access is blocked until {fmt(int(self.blocked_until))} UTC."
        )
        return self.block_message

    def snapshot(self, now: float) -> dict[str, Any]:
        blocked = self.blocked_until is not None and now < self.blocked_until
        return {
            **self.settings.__dict__,
            "calls_last_minute": sum(1 for t in self.minute if t > now - 60),
            "calls_last_5s": sum(1 for t in self.five if t > now - 5),
            "calls_today": self.day_count if int(now) // DAY == self.day else 0,
            "blocked": blocked,
            "blocked_until": fmt(int(self.blocked_until))
            if blocked and self.blocked_until
            else None,
            "blocked_until_ts": self.blocked_until if blocked else None,
        }
