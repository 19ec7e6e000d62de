"""The client and the shared limiter against a sandbox that enforces real rate limits."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from oktopost.client import OktopostClient
from oktopost.errors import RateLimited
from oktopost.limiter import Limiter, Limits, limiter_from_url


@pytest.fixture(params=["redis", "sqlite"])
def limiter_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(url, key prefix) of a fresh shared budget on each backend."""
    prefix = f"test-client-limits:{uuid.uuid4().hex}"
    if request.param == "sqlite":
        yield str(tmp_path / "budget.db"), prefix
        return
    url = request.getfixturevalue("redis_url")
    yield url, prefix
    connection = redis.Redis.from_url(url)
    keys = connection.keys(f"{prefix}:*")
    if keys:
        connection.delete(*keys)


def make_client(sandbox: Any, limiter: Limiter | None, **overrides: Any) -> OktopostClient:
    settings: dict[str, Any] = {
        "account_id": sandbox.account_id,
        "api_key": sandbox.api_key,
        "base_url": sandbox.base_url,
        "limiter": limiter,
        "timeout": (1.0, 5.0),
        "backoff_base": 0.01,
        "block_seconds": 2,
    }
    return OktopostClient(**(settings | overrides))


def test_a_429_pauses_every_caller_until_the_block_ends(
    sandbox: Any, limiter_url: tuple[str, str]
) -> None:
    url, prefix = limiter_url
    first = make_client(sandbox, limiter_from_url(url, key_prefix=prefix))
    second = make_client(sandbox, limiter_from_url(url, key_prefix=prefix), max_wait=5)
    sandbox.control("POST", "/_sandbox/block", json={"seconds": 2})
    started = time.time()

    with pytest.raises(RateLimited) as excinfo:
        first.me()
    budget = second.limiter.report() if second.limiter else None
    second.me()

    assert excinfo.value.status == 429
    assert excinfo.value.retry_at == pytest.approx(started + 2, abs=0.5)
    assert budget is not None and budget.blocked_until == pytest.approx(excinfo.value.retry_at)
    assert time.time() - started >= 1.9
    calls = sandbox.calls()
    # The second client slept through the block instead of knocking on the server.
    assert calls["rate_limited"] == 1
    assert calls["by_endpoint"]["GET /me"] == 2


def test_a_caller_that_cannot_wait_fails_fast_without_calling(
    sandbox: Any, limiter_url: tuple[str, str]
) -> None:
    url, prefix = limiter_url
    limiter = limiter_from_url(url, key_prefix=prefix)
    limiter.block_until(time.time() + 60)
    client = make_client(sandbox, limiter, max_wait=0.2)

    with pytest.raises(RateLimited) as excinfo:
        client.post_list(count=25)

    assert excinfo.value.call == "GET /post"
    assert excinfo.value.status is None
    assert excinfo.value.retry_at == pytest.approx(time.time() + 60, abs=1)
    assert sandbox.calls()["total"] == 0


def test_without_a_limiter_a_burst_gets_the_key_blocked(sandbox: Any) -> None:
    sandbox.control("POST", "/_sandbox/limits", json={"per_5s": 10, "block_seconds": 2})
    client = make_client(sandbox, None)

    with pytest.raises(RateLimited) as excinfo:
        for _ in range(11):
            client.me()

    assert excinfo.value.status == 429
    assert "per 5 seconds" in str(excinfo.value)
    assert sandbox.calls()["rate_limited"] == 1


# Scaled-down limits keep the run short. The limiter gets half the sandbox's 5 s window:
# it stamps grants before the request travels, so two bursts at the edges of its window can
# land in one sandbox window (docs: the production margin is 100 of 120).
SANDBOX_LIMITS = {"per_5s": 20, "per_minute": 20, "block_seconds": 60}
SHARED_LIMITS = Limits(per_5s=10, per_minute=16, per_day=1000, interactive_reserve=0)
RUN_SECONDS = 7.0


def _call_at_full_speed(
    sandbox: dict[str, str], url: str, prefix: str, results: multiprocessing.Queue
) -> None:
    client = OktopostClient(
        account_id=sandbox["account_id"],
        api_key=sandbox["api_key"],
        base_url=sandbox["base_url"],
        limiter=limiter_from_url(url, SHARED_LIMITS, key_prefix=prefix),
        max_wait=0.5,
        timeout=(1.0, 5.0),
    )
    ok = server_429 = 0
    deadline = time.time() + RUN_SECONDS
    while time.time() < deadline:
        try:
            client.me()
            ok += 1
        except RateLimited as error:
            if error.status == 429:
                server_429 += 1
            # Our own budget said no for longer than max_wait: a task would retry later.
            time.sleep(0.05)
    results.put((ok, server_429))


@pytest.mark.slow
def test_three_processes_at_full_speed_share_one_budget(
    sandbox: Any, limiter_url: tuple[str, str]
) -> None:
    url, prefix = limiter_url
    sandbox.control("POST", "/_sandbox/limits", json=SANDBOX_LIMITS)
    target = {
        "account_id": sandbox.account_id,
        "api_key": sandbox.api_key,
        "base_url": sandbox.base_url,
    }
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [
        context.Process(target=_call_at_full_speed, args=(target, url, prefix, results))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)

    calls = sandbox.calls()
    assert calls["rate_limited"] == 0
    assert sum(server for _, server in outcomes) == 0
    # Two 5 s windows (10 + 6) fill the 16-call minute, and no more: the three
    # processes shared one budget. (Which process got how many is not promised: a
    # process that starts late may find the budget already spent.)
    assert 14 <= calls["total"] <= 16
    assert sum(ok for ok, _ in outcomes) == calls["total"]


def test_an_interactive_client_uses_the_reserve_background_calls_leave(
    sandbox: Any, tmp_path: Path
) -> None:
    limiter = limiter_from_url(
        tmp_path / "budget.db", Limits(per_5s=5, per_minute=50, interactive_reserve=0.4)
    )
    background = make_client(sandbox, limiter, max_wait=0)
    interactive = background.with_priority("interactive")
    for _ in range(3):
        background.me()

    with pytest.raises(RateLimited):
        background.me()
    interactive.me()
    interactive.me()

    assert background.priority == "background"
    assert interactive.session is background.session
    assert sandbox.calls()["by_endpoint"]["GET /me"] == 5
