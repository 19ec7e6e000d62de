"""The shared rate budget, on both backends, with an injected clock."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from oktopost.errors import RateLimited
from oktopost.limiter import (
    Limits,
    RedisLimiter,
    SqliteLimiter,
    limiter_from_url,
)
from tests.limiters import FakeClock, MakeLimiter

# This test process's Redis database (tests/settings.py). Read here, not imported from
# conftest: the racing processes import this module without Django set up.
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def test_it_grants_the_5s_window_then_sleeps_until_the_oldest_grant_expires(
    make_limiter: MakeLimiter,
) -> None:
    clock = FakeClock(time.time())
    start = clock.now
    limiter = make_limiter(Limits(per_5s=3, per_minute=50, per_day=100), clock)
    for _ in range(3):
        limiter.acquire(priority="interactive")
    assert clock.slept == []

    limiter.acquire(priority="interactive")

    assert 5.0 <= clock.now - start < 5.1


def test_it_enforces_the_minute_window_separately(make_limiter: MakeLimiter) -> None:
    clock = FakeClock(time.time())
    start = clock.now
    limiter = make_limiter(Limits(per_5s=10, per_minute=4, per_day=100), clock)
    for _ in range(4):
        limiter.acquire(priority="interactive")
        clock.now += 1

    limiter.acquire(priority="interactive", max_wait=120)

    # The first grant (at start) must leave the 60 s window before a fifth one fits.
    assert 60.0 <= clock.now - start < 60.1


def test_background_calls_alone_stop_at_cap_minus_reserve(make_limiter: MakeLimiter) -> None:
    clock = FakeClock(time.time())
    limiter = make_limiter(
        Limits(per_5s=10, per_minute=10, per_day=100, interactive_reserve=0.2), clock
    )
    for _ in range(8):
        limiter.acquire(priority="background", max_wait=0)

    with pytest.raises(RateLimited) as excinfo:
        limiter.acquire(priority="background", max_wait=1)
    limiter.acquire(priority="interactive", max_wait=0)
    limiter.acquire(priority="interactive", max_wait=0)
    with pytest.raises(RateLimited):
        limiter.acquire(priority="interactive", max_wait=1)

    # The first background grant must leave the 5 s window before another one fits.
    assert excinfo.value.retry_at == pytest.approx(clock.now + 5)


def test_interactive_calls_use_the_reserve_first_and_background_fills_the_rest(
    make_limiter: MakeLimiter,
) -> None:
    clock = FakeClock(time.time())
    limiter = make_limiter(
        Limits(per_5s=10, per_minute=100, per_day=1000, interactive_reserve=0.2), clock
    )
    # Two interactive calls use the whole reserve (2 of 10)...
    limiter.acquire(priority="interactive", max_wait=0)
    limiter.acquire(priority="interactive", max_wait=0)
    # ...so background work may take every other call of the window, not just 8 - 2.
    for _ in range(8):
        limiter.acquire(priority="background", max_wait=0)

    with pytest.raises(RateLimited):
        limiter.acquire(priority="background", max_wait=0)
    with pytest.raises(RateLimited):
        limiter.acquire(priority="interactive", max_wait=0)
    assert limiter.report().used_last_minute == 10


def test_interactive_calls_beyond_the_reserve_leave_background_the_rest(
    make_limiter: MakeLimiter,
) -> None:
    clock = FakeClock(time.time())
    limiter = make_limiter(
        Limits(per_5s=10, per_minute=100, per_day=1000, interactive_reserve=0.2), clock
    )
    for _ in range(5):
        limiter.acquire(priority="interactive", max_wait=0)
    for _ in range(5):
        limiter.acquire(priority="background", max_wait=0)

    with pytest.raises(RateLimited):
        limiter.acquire(priority="background", max_wait=0)


def test_an_unused_part_of_the_reserve_stays_free_for_an_editor(
    make_limiter: MakeLimiter,
) -> None:
    clock = FakeClock(time.time())
    limiter = make_limiter(
        Limits(per_5s=10, per_minute=100, per_day=1000, interactive_reserve=0.2), clock
    )
    limiter.acquire(priority="interactive", max_wait=0)
    # One of the two reserved calls is still unused: 1 interactive + 8 background + that one
    # make the cap of 10, so background stops at 8 and the last call stays free for an editor.
    for _ in range(8):
        limiter.acquire(priority="background", max_wait=0)

    with pytest.raises(RateLimited):
        limiter.acquire(priority="background", max_wait=0)
    limiter.acquire(priority="interactive", max_wait=0)


def test_retry_at_waits_for_the_grant_that_frees_a_background_slot(
    make_limiter: MakeLimiter,
) -> None:
    clock = FakeClock(time.time())
    start = clock.now
    limiter = make_limiter(
        Limits(per_5s=10, per_minute=100, per_day=1000, interactive_reserve=0.2), clock
    )
    limiter.acquire(priority="interactive", max_wait=0)
    clock.now += 1
    for _ in range(8):
        limiter.acquire(priority="background", max_wait=0)

    with pytest.raises(RateLimited) as excinfo:
        limiter.acquire(priority="background", max_wait=0)
    # The interactive grant expiring at start + 5 frees no background slot (the reserve it
    # used comes back); the background grants expiring at start + 6 do.
    assert excinfo.value.retry_at == pytest.approx(start + 6)

    limiter.acquire(priority="background", max_wait=10)
    assert 6.0 <= clock.now - start < 6.1


def test_retry_at_counts_interactive_grants_beyond_the_reserve(
    make_limiter: MakeLimiter,
) -> None:
    clock = FakeClock(time.time())
    start = clock.now
    limiter = make_limiter(
        Limits(per_5s=10, per_minute=100, per_day=1000, interactive_reserve=0.2), clock
    )
    for _ in range(4):
        limiter.acquire(priority="interactive", max_wait=0)
    clock.now += 1
    for _ in range(6):
        limiter.acquire(priority="background", max_wait=0)

    with pytest.raises(RateLimited) as excinfo:
        limiter.acquire(priority="background", max_wait=0)
    # At start + 5 the four interactive grants leave: 6 background + the 2 reserved < 10.
    assert excinfo.value.retry_at == pytest.approx(start + 5)


def test_a_waiting_interactive_call_gets_the_next_free_token(make_limiter: MakeLimiter) -> None:
    clock = FakeClock(time.time())
    start = clock.now
    limiter = make_limiter(
        Limits(per_5s=10, per_minute=100, per_day=1000, interactive_reserve=0.2), clock
    )
    for _ in range(3):  # editors beyond the reserve of 2
        limiter.acquire(priority="interactive", max_wait=0)
    clock.now += 1
    for _ in range(7):
        limiter.acquire(priority="background", max_wait=0)
    raced: list[float] = []

    def sleep_while_a_worker_polls(seconds: float) -> None:
        clock.sleep(seconds)
        # A background worker wakes at the same moment the editor's token frees up.
        with pytest.raises(RateLimited) as excinfo:
            limiter.acquire(priority="background", max_wait=0)
        raced.append(excinfo.value.retry_at)

    limiter._sleep = sleep_while_a_worker_polls
    limiter.acquire(priority="interactive", max_wait=10)

    assert 5.0 <= clock.now - start < 5.1
    assert raced == [pytest.approx(start + 5 + 0.5, abs=0.03)]
    clock.now = raced[0]
    limiter.acquire(priority="background", max_wait=0)


def test_an_interactive_call_that_will_not_wait_does_not_hold_background_off(
    make_limiter: MakeLimiter,
) -> None:
    clock = FakeClock(time.time())
    limiter = make_limiter(
        Limits(per_5s=10, per_minute=100, per_day=1000, interactive_reserve=0.2), clock
    )
    for _ in range(3):
        limiter.acquire(priority="interactive", max_wait=0)
    for _ in range(7):
        limiter.acquire(priority="background", max_wait=0)
    with pytest.raises(RateLimited):
        limiter.acquire(priority="interactive", max_wait=1)

    clock.now += 5.01
    limiter.acquire(priority="background", max_wait=0)


def test_background_alone_may_use_cap_minus_reserve_of_the_minute(
    make_limiter: MakeLimiter,
) -> None:
    clock = FakeClock(time.time())
    start = clock.now
    limiter = make_limiter(Limits(), clock)  # 54/min, reserve 10 %: 5 held back
    granted = 0
    while clock.now - start < 59:
        try:
            limiter.acquire(priority="background", max_wait=0)
            granted += 1
        except RateLimited:
            pass
        clock.now += 0.5

    assert granted == 49
    assert Limits().background_cap(54) == 49


def test_it_raises_when_a_block_outlasts_max_wait(make_limiter: MakeLimiter) -> None:
    clock = FakeClock(time.time())
    limiter = make_limiter(Limits(), clock)
    limiter.block_until(clock.now + 100)

    with pytest.raises(RateLimited) as excinfo:
        limiter.acquire(max_wait=10)

    assert excinfo.value.retry_at == pytest.approx(clock.now + 100)
    assert clock.slept == []


def test_it_sleeps_through_a_block_shorter_than_max_wait(make_limiter: MakeLimiter) -> None:
    clock = FakeClock(time.time())
    start = clock.now
    limiter = make_limiter(Limits(), clock)
    limiter.block_until(start + 100)
    limiter.block_until(start + 50)  # a later, shorter block must not cut the first one short

    limiter.acquire(max_wait=200)

    assert 100.0 <= clock.now - start < 100.1


def test_a_block_applies_to_every_limiter_on_the_same_store(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    clock = FakeClock(time.time())
    first = SqliteLimiter(path, clock=clock, sleep=clock.sleep)
    second = SqliteLimiter(path, clock=clock, sleep=clock.sleep)

    first.block_until(clock.now + 30)

    with pytest.raises(RateLimited):
        second.acquire(max_wait=5)


def test_report_shows_usage_and_block(make_limiter: MakeLimiter) -> None:
    clock = FakeClock(time.time())
    limiter = make_limiter(Limits(per_day=1000), clock)
    for _ in range(3):
        limiter.acquire()
    clock.now += 61
    limiter.acquire()
    limiter.block_until(clock.now + 42)

    budget = limiter.report()

    assert budget.used_today in (4, 1)  # 1 if the 61 s crossed midnight UTC
    assert budget.limit_today == 1000
    assert budget.left_today == 1000 - budget.used_today
    assert budget.used_last_minute == 1
    assert budget.blocked_until == pytest.approx(clock.now + 42)
    assert budget.blocked_until_datetime is not None


def test_report_shows_no_block_once_it_has_ended(make_limiter: MakeLimiter) -> None:
    clock = FakeClock(time.time())
    limiter = make_limiter(Limits(), clock)
    limiter.block_until(clock.now + 5)
    clock.now += 6

    assert limiter.report().blocked_until is None


def test_the_daily_budget_raises_at_once_and_resets_at_midnight_utc(
    make_limiter: MakeLimiter,
) -> None:
    clock = FakeClock(datetime(2031, 3, 4, 23, 59, 50, tzinfo=UTC).timestamp())
    limiter = make_limiter(Limits(per_5s=100, per_minute=100, per_day=3), clock)
    for _ in range(3):
        limiter.acquire(priority="interactive")

    with pytest.raises(RateLimited) as excinfo:
        limiter.acquire(priority="interactive", max_wait=3600)
    assert excinfo.value.retry_at == datetime(2031, 3, 5, tzinfo=UTC).timestamp()
    assert clock.slept == []

    clock.now = datetime(2031, 3, 5, 0, 0, 1, tzinfo=UTC).timestamp()
    limiter.acquire(priority="interactive")
    assert limiter.report().used_today == 1


def test_background_calls_leave_a_reserve_of_the_daily_budget(make_limiter: MakeLimiter) -> None:
    clock = FakeClock(datetime(2031, 3, 4, 12, tzinfo=UTC).timestamp())
    limiter = make_limiter(
        Limits(per_5s=100, per_minute=100, per_day=10, interactive_reserve=0.2), clock
    )
    for _ in range(8):
        limiter.acquire()

    with pytest.raises(RateLimited) as excinfo:
        limiter.acquire(max_wait=3600)
    assert excinfo.value.retry_at == datetime(2031, 3, 5, tzinfo=UTC).timestamp()
    limiter.acquire(priority="interactive")
    limiter.acquire(priority="interactive")
    with pytest.raises(RateLimited):
        limiter.acquire(priority="interactive")


def test_interactive_calls_use_the_daily_reserve_first(make_limiter: MakeLimiter) -> None:
    clock = FakeClock(datetime(2031, 3, 4, 12, tzinfo=UTC).timestamp())
    limiter = make_limiter(
        Limits(per_5s=100, per_minute=100, per_day=10, interactive_reserve=0.2), clock
    )
    for _ in range(3):
        limiter.acquire(priority="interactive")
    for _ in range(7):
        limiter.acquire()

    with pytest.raises(RateLimited):
        limiter.acquire()
    assert limiter.report().left_today == 0


def test_limits_reject_an_unknown_priority_and_a_whole_reserve(
    make_limiter: MakeLimiter,
) -> None:
    with pytest.raises(ValueError, match="priority"):
        Limits().rules("urgent")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="priority"):
        make_limiter(Limits()).acquire(priority="urgent")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="interactive_reserve"):
        Limits(interactive_reserve=1.0)


def test_the_reserve_is_a_whole_number_of_calls_below_the_cap() -> None:
    limits = Limits(per_5s=100, per_minute=54, per_day=19_000)
    assert [rule.reserve for rule in limits.rules("background")] == [10, 5, 1_900]
    assert [rule.reserve for rule in limits.rules("interactive")] == [0, 0, 0]
    assert Limits(interactive_reserve=0.29).reserve(100) == 29
    assert Limits(interactive_reserve=0.99).reserve(1) == 0


def test_a_sqlite_file_from_an_earlier_version_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    clock = FakeClock(datetime(2031, 3, 4, 12, tzinfo=UTC).timestamp())
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE grants (ts REAL NOT NULL);"
        "CREATE INDEX grants_ts ON grants (ts);"
        "CREATE TABLE days (day TEXT PRIMARY KEY, used INTEGER NOT NULL);"
        "CREATE TABLE state (key TEXT PRIMARY KEY, value REAL NOT NULL);"
        "INSERT INTO days VALUES ('2031-03-04', 7);"
    )
    old.execute("INSERT INTO grants VALUES (?)", (clock.now - 1,))
    old.commit()
    old.close()

    limiter = SqliteLimiter(path, Limits(per_day=100), clock=clock, sleep=clock.sleep)
    limiter.acquire(priority="interactive")
    limiter.acquire()

    budget = limiter.report()
    assert budget.used_today == 9
    assert budget.used_last_minute == 2


def test_redis_grants_from_an_earlier_version_count_as_background(redis_url: str) -> None:
    clock = FakeClock(time.time())
    prefix = f"test-limiter:{uuid.uuid4().hex}"
    limiter = RedisLimiter(
        redis_url,
        prefix,
        Limits(per_5s=10, per_minute=100, per_day=1000, interactive_reserve=0.2),
        clock=clock,
        sleep=clock.sleep,
    )
    client = redis.Redis.from_url(redis_url)
    try:
        client.zadd(
            f"{prefix}:grants", {f"{clock.now - 1!r}:1:{i}": clock.now - 1 for i in range(8)}
        )
        with pytest.raises(RateLimited):
            limiter.acquire(max_wait=0)
        limiter.acquire(priority="interactive", max_wait=0)
    finally:
        limiter.reset()


def test_limiter_from_url_picks_the_backend(tmp_path: Path) -> None:
    assert isinstance(limiter_from_url(REDIS_URL), RedisLimiter)
    assert isinstance(limiter_from_url(tmp_path / "a.db"), SqliteLimiter)
    from_url = limiter_from_url(f"sqlite:///{tmp_path}/b.db")
    assert isinstance(from_url, SqliteLimiter)
    assert from_url.path == tmp_path / "b.db"
    with pytest.raises(ValueError, match="unsupported"):
        limiter_from_url("memcached://localhost")


def _grab_tokens(url: str, prefix: str, seconds: float, results: multiprocessing.Queue) -> None:
    limits = Limits(per_5s=25, per_minute=1000, per_day=100_000, interactive_reserve=0)
    limiter = (
        RedisLimiter(url, prefix, limits) if url.startswith("redis") else SqliteLimiter(url, limits)
    )
    granted = 0
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            limiter.acquire(max_wait=0)
            granted += 1
        except RateLimited:
            time.sleep(0.001)
    results.put(granted)


@pytest.mark.parametrize("backend", ["redis", "sqlite"])
def test_processes_racing_for_tokens_never_overshoot(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    redis_url = request.getfixturevalue("redis_url") if backend == "redis" else ""
    url = redis_url or str(tmp_path / "race.db")
    prefix = f"test-limiter:{uuid.uuid4().hex}"
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [
        context.Process(target=_grab_tokens, args=(url, prefix, 1.5, results)) for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    granted = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)

    # 1.5 s of racing fits in one 5 s window, so exactly the cap is handed out.
    assert sum(granted) == 25
    if backend == "redis":
        client = redis.Redis.from_url(url)
        client.delete(*client.keys(f"{prefix}:*"))


def test_a_new_file_another_process_holds_open_is_waited_for_not_refused(tmp_path: Path) -> None:
    # Web, worker and beat start together on a new file: switching it to WAL needs the
    # file to itself, and SQLite refuses at once, without waiting, while another
    # connection is in a write transaction (as another process's first grant is).
    path = tmp_path / "budget.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN IMMEDIATE")
    releases = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    releases.start()
    try:
        limiter = SqliteLimiter(path, Limits(per_5s=5, per_minute=50, per_day=100))
        limiter.acquire(priority="interactive")
    finally:
        releases.join()
        holder.close()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
