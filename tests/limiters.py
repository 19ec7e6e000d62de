"""A fake clock for the rate limiter, and the type of the `make_limiter` fixture
(conftest.py: a limiter on each backend, Redis and an SQLite file)."""

from __future__ import annotations

from collections.abc import Callable

from oktopost.limiter import Limiter


class FakeClock:
    """Time that only moves when the limiter sleeps (or the test says so)."""

    def __init__(self, start: float) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


MakeLimiter = Callable[..., Limiter]
