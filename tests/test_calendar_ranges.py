"""The calendar's reads per range (planner.selectors): each range's count, capped, and
its first posts in time order, through the queue's filters, equal what Python finds in
the same posts. On PostgreSQL they run as one subquery over a list of bounds, on SQLite
as a subquery per range: the same answers either way."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from planner import selectors
from posts.models import Post
from posts.queue import QueueFilters
from posts.selectors import queue_queryset
from tests import factories as f

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
HOURS = [(START + timedelta(hours=h), START + timedelta(hours=h + 1)) for h in range(6)]


@pytest.fixture
def posts(db) -> list[Post]:
    made = []
    # Hour 0: five LinkedIn posts; hour 1: none; hour 2: two of each network; hour 3:
    # one deleted; hours 4 and 5: one each, at the hour's first and last minute.
    for minute in (50, 10, 30, 10, 40):
        made.append(f.post(start_at=START + timedelta(minutes=minute)))
    for n in range(2):
        for network in ("LinkedIn", "Twitter"):
            at = START + timedelta(hours=2, minutes=5 + 20 * n)
            made.append(f.post(start_at=at, network=network))
    Post.objects.filter(pk=f.post(start_at=START + timedelta(hours=3, minutes=1)).pk).update(
        deleted_at=START
    )
    made.append(f.post(start_at=START + timedelta(hours=4)))
    made.append(f.post(start_at=START + timedelta(hours=5, minutes=59, seconds=59)))
    return made


def _expected(posts: list[Post], network: str | None, limit: int) -> tuple[list, list]:
    counts, firsts = [], []
    for lo, hi in HOURS:
        inside = [
            p for p in posts if lo <= p.start_at < hi and (network is None or p.network == network)
        ]
        inside.sort(key=lambda p: (p.start_at, p.id))
        counts.append(min(len(inside), selectors.COUNT_CAP + 1))
        firsts += [p.id for p in inside[:limit]]
    return counts, firsts


@pytest.mark.parametrize("network", [None, "LinkedIn", "Twitter"])
@pytest.mark.parametrize("limit", [1, 3])
def test_each_range_counts_and_its_first_posts(posts, network, limit) -> None:
    filters = QueueFilters(networks=(network,) if network else ())
    base = queue_queryset(filters, now=START, zone=UTC)
    counts, firsts = _expected(posts, network, limit)
    assert selectors.range_counts(base, HOURS) == counts
    found = selectors.range_posts(base, HOURS, limit)
    assert sorted(p.id for p in found) == sorted(firsts)
    assert [p.start_at for p in found] == sorted(p.start_at for p in found)


def test_a_range_over_the_cap_counts_one_more_than_it(db) -> None:
    """The calendar says "100+" from a count capped at COUNT_CAP + 1."""
    at = START + timedelta(hours=1, minutes=30)
    Post.objects.bulk_create(
        [
            Post(oktopost_id=f"cap{n:05d}", status="pending", network="LinkedIn", start_at=at)
            for n in range(selectors.COUNT_CAP + 5)
        ]
    )
    base = queue_queryset(QueueFilters(), now=START, zone=UTC)
    assert selectors.range_counts(base, HOURS) == [0, selectors.COUNT_CAP + 1, 0, 0, 0, 0]
    assert len(selectors.range_posts(base, HOURS, 3)) == 3


def test_no_range_reads_nothing(posts) -> None:
    base = queue_queryset(QueueFilters(), now=START, zone=UTC)
    assert selectors.range_counts(base, []) == []
    assert selectors.range_posts(base, [], 3) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's form")
@pytest.mark.parametrize("count", [True, False])
def test_postgresql_reads_every_range_through_one_subquery(posts, count) -> None:
    base = queue_queryset(QueueFilters(networks=("LinkedIn",)), now=START, zone=UTC)
    sql, _ = selectors._over_bounds_sql(base, HOURS, 3, count=count)
    assert sql.count('FROM "posts_post"') == 1
