"""The queue's capped count: the covering-index scan (SQLite) and the filters' own
indexes give the same number, and a scan over its budget gives way to the other."""

from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from posts.models import Post
from posts.queue import QueueFilters
from posts.selectors import queue as queue_selectors
from posts.selectors import queue_count
from tests import factories as f

FILTERS = [
    QueueFilters(statuses=("complete", "incomplete"), networks=("LinkedIn",)),
    QueueFilters(preset="sent", networks=("Twitter",), sources=("API",)),
    QueueFilters(statuses=("error",), networks=("LinkedIn",), created_by=("00A1",)),
    QueueFilters(statuses=("complete",), networks=("LinkedIn",), deleted=True),
]


@pytest.fixture
def posts(db):
    now = timezone.now()
    statuses = ["complete", "pending", "error", "incomplete", "complete"]
    for i in range(80):
        post = f.post(
            status=statuses[i % len(statuses)],
            start_at=now + timedelta(hours=i - 60),
            network="Twitter" if i % 3 == 0 else "LinkedIn",
            source="API" if i % 4 == 0 else "UI",
            created_by="00A1" if i % 2 else "00A2",
        )
        if i % 9 == 0:
            Post.objects.filter(pk=post.pk).update(deleted_at=now)


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("cap", [3, 1000])
def test_the_scan_counts_what_the_filters_indexes_count(posts, filters, cap) -> None:
    now = timezone.now()
    base = queue_selectors.queue_queryset(filters, now=now, zone=UTC)
    scan = queue_selectors.queue_queryset(filters, now=now, zone=UTC, scan=True)
    expected = base.order_by()[: cap + 1].count()
    assert expected > 0
    assert queue_count.count_capped(base, cap, scan=scan) == expected
    assert queue_count.scan_counts(filters) == (connection.vendor == "sqlite")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's progress handler")
def test_a_scan_over_its_budget_gives_way(posts, monkeypatch) -> None:
    monkeypatch.setattr(queue_count, "SCAN_BUDGET", 10)
    monkeypatch.setattr(queue_count, "_STEP", 10)
    filters = FILTERS[0]
    now = timezone.now()
    base = queue_selectors.queue_queryset(filters, now=now, zone=UTC)
    scan = queue_selectors.queue_queryset(filters, now=now, zone=UTC, scan=True)
    assert queue_count._count_within_budget(scan.values("id")) is None  # interrupted
    found = queue_count.count_capped(base, 1000, scan=scan)
    assert found == base.count()
    # The connection is left as it was: the next query runs to its end.
    assert base.count() == found


def test_the_scan_is_not_tried_where_it_cannot_pay() -> None:
    for filters in [
        QueueFilters(preset="upcoming"),
        QueueFilters(statuses=("complete",)),
        QueueFilters(statuses=("complete",), networks=("LinkedIn",), q="webinar"),
        QueueFilters(statuses=("complete",), networks=("LinkedIn",), media="image"),
        QueueFilters(statuses=("complete", "pending"), networks=("LinkedIn",)),
        QueueFilters(preset="past", networks=("LinkedIn",)),  # stuck: the approval column
    ]:
        assert not queue_count.scan_counts(filters), filters
