"""The hourly rollup gives the stats page exactly what the posts give, whatever has been
written since the worker last ran (reports/rollup.py, reports/triggers.py).

Every servable filter combination (networks x statuses x the deleted switch) in UTC,
Paris and New York, over a period crossing both DST changes, is compared with the posts
path (`daily` without rows, `breakdown(…, "network")`), which tests/test_stats_exact.py
holds to sums computed in Python: before the rollup is built (everything dirty), after,
and after writes of every kind between two refreshes."""

import random
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from posts.models import Post
from posts.queue import QueueFilters
from reports import rollup, triggers
from reports.models import DirtyHour, HourRollup
from reports.ranges import Period
from reports.selectors import Scope, breakdown, daily, network_breakdown, rollup_rows
from tests import factories as f

PERIOD = Period(date(2026, 10, 1), date(2026, 11, 10))  # Paris 25 Oct, New York 1 Nov
SERVED_ZONES = ("UTC", "Europe/Paris", "America/New_York")
NETWORKS = ["LinkedIn", "Twitter", "Facebook"]
STATUSES = ["complete"] * 5 + ["incomplete", "error", "pending", "draft"]
NETWORK_FILTERS = [(), ("Twitter",), ("LinkedIn", "Facebook")]
STATUS_FILTERS = [(), ("complete",), ("complete", "error"), ("pending", "draft")]
COMBOS = [
    QueueFilters(networks=n, statuses=s, deleted=d)
    for n in NETWORK_FILTERS
    for s in STATUS_FILTERS
    for d in (False, True)
]
# Instants either side of local midnights and of the clock changes.
EDGES = [
    datetime(2026, 10, 24, 21, 59, 59, tzinfo=UTC),  # Paris midnight (CEST)
    datetime(2026, 10, 24, 22, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 59, 59, 999_999, tzinfo=UTC),  # Paris clock change
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 59, 59, tzinfo=UTC),  # New York clock change
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    datetime(2026, 9, 30, 22, 0, tzinfo=UTC),  # 1 Oct 00:00 in Paris
    datetime(2026, 11, 11, 4, 59, 59, tzinfo=UTC),  # 10 Nov 23:59:59 in New York
]


def _random_post(rnd: random.Random, start: datetime) -> Post:
    now = timezone.now()
    return f.post(
        status=rnd.choice(STATUSES),
        start_at=start,
        network=rnd.choice(NETWORKS),
        clicks=rnd.randrange(12),
        conversions=rnd.choice([0, 0, 1, 2]),
        comments=rnd.randrange(5),
        likes=rnd.randrange(9),
        shares=rnd.randrange(4),
        impressions=rnd.randrange(1000),
        counters_at=None if rnd.random() < 0.1 else now - timedelta(minutes=rnd.randrange(5000)),
        stats_at=None if rnd.random() < 0.2 else now - timedelta(minutes=rnd.randrange(5000)),
        deleted_at=now if rnd.random() < 0.08 else None,
    )


@pytest.fixture
def posts(db) -> list[Post]:
    rnd = random.Random(7)
    lo = datetime(2026, 8, 20, tzinfo=UTC)
    made = [_random_post(rnd, at) for at in EDGES]
    made += [
        _random_post(rnd, lo + timedelta(seconds=rnd.randrange(86 * 86_400))) for _ in range(220)
    ]
    return made


def _both_ways(filters: QueueFilters, zone_name: str, *, now=None) -> None:
    now = now or timezone.now()
    scope = Scope(filters, PERIOD, zoneinfo.ZoneInfo(zone_name))
    rows = rollup_rows(scope, now=now)
    assert rows is not None, "this scope is the rollup's to serve"
    assert daily(scope, now=now, rows=rows) == daily(scope, now=now), (filters, zone_name)
    for order in ("posts", "clicks", "engagement", "failed"):
        expected = breakdown(scope, "network", now=now, order=order, names={})
        got = network_breakdown(scope, rows, now=now, order=order)
        assert got == expected, (filters, zone_name, order)


def _every_combination() -> None:
    for zone_name in SERVED_ZONES:
        for filters in COMBOS:
            _both_ways(filters, zone_name)


def _writes(posts: list[Post], rnd: random.Random) -> None:
    """What the sync, the stats refresh and deletions do to the mirror."""
    now = timezone.now()
    # A mirror upsert: rows updated in bulk (posts.mirror.posts_upsert) and new rows.
    changed = rnd.sample(posts, 30)
    for p in changed:
        p.clicks += rnd.randrange(1, 5)
        p.status = rnd.choice(STATUSES)
        p.counters_at = now
    Post.objects.bulk_update(changed, ["clicks", "status", "counters_at"], batch_size=500)
    posts += [
        _random_post(rnd, datetime(2026, 10, 20, tzinfo=UTC) + timedelta(minutes=37 * n))
        for n in range(10)
    ]
    # A stats refresh: one post saved with its six counters.
    one = posts[3]
    one.shares, one.impressions, one.stats_at = 99, 12345, now
    one.save()
    # start_at moved across hours and days (the calendar, a reschedule in Oktopost).
    for p in rnd.sample(posts, 8):
        p.start_at += timedelta(hours=rnd.choice([-30, -1, 1, 5, 49]), minutes=13)
        p.save(update_fields=["start_at"])
    # Marked deleted by a full sync, undeleted, and really deleted.
    Post.objects.filter(id__in=[p.id for p in posts[10:14]]).update(deleted_at=now)
    Post.objects.filter(id=posts[10].id).update(deleted_at=None)
    gone = [posts.pop(20).id, posts.pop(21).id]
    Post.objects.filter(id__in=gone).delete()
    # One counter alone (the counters tick), a network change.
    Post.objects.filter(id=posts[50].id).update(clicks=F("clicks") + 3)
    Post.objects.filter(id=posts[51].id).update(impressions=F("impressions") + 40)
    Post.objects.filter(id=posts[52].id).update(conversions=F("conversions") + 1)
    Post.objects.filter(id=posts[30].id).update(network="Facebook")


@pytest.mark.slow
def test_the_rollup_equals_the_posts_before_during_and_after_refreshes(posts) -> None:
    # Never built: every hour is dirty, read from the posts.
    assert DirtyHour.objects.exists() and not HourRollup.objects.exists()
    _every_combination()
    rollup.refresh_all()
    assert not DirtyHour.objects.exists() and HourRollup.objects.exists()
    _every_combination()
    # Writes between refreshes: those hours are read from the posts, the rest from hours.
    _writes(posts, random.Random(3))
    assert 0 < DirtyHour.objects.count() < HourRollup.objects.values("hour").distinct().count()
    _every_combination()
    # Half refreshed.
    rollup.refresh(limit=DirtyHour.objects.count() // 2)
    assert DirtyHour.objects.exists()
    _every_combination()
    rollup.refresh_all()
    assert not DirtyHour.objects.exists()
    _every_combination()


def test_writes_the_rollup_does_not_read_leave_hours_clean(posts) -> None:
    rollup.refresh_all()
    Post.objects.filter(id=posts[0].id).update(utm="x", synced_at=timezone.now())
    Post.objects.filter(id=posts[1].id).update(clicks=posts[1].clicks)  # unchanged value
    assert not DirtyHour.objects.exists()


def test_a_write_during_a_refresh_keeps_its_hour_dirty(posts) -> None:
    rollup.refresh_all()
    post = posts[40]
    hour = int(post.start_at.timestamp()) // 3600
    Post.objects.filter(id=post.id).update(clicks=post.clicks + 1)
    token = DirtyHour.objects.get(hour=hour).token

    def lands_meanwhile() -> None:
        Post.objects.filter(id=post.id).update(clicks=post.clicks + 7)

    assert rollup.refresh_hour(hour, between=lands_meanwhile) is False
    assert DirtyHour.objects.get(hour=hour).token != token
    _both_ways(QueueFilters(), "UTC")
    assert rollup.refresh_hour(hour) is True
    assert not DirtyHour.objects.filter(hour=hour).exists()
    _both_ways(QueueFilters(), "UTC")


class _Editor:
    """What the migration's RunPython receives, enough for reports.triggers."""

    connection = connection

    def execute(self, sql, params=None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


@pytest.mark.slow
def test_the_migration_marks_every_existing_hour_dirty(posts) -> None:
    triggers.backward(None, _Editor())
    assert not triggers.present(connection)
    DirtyHour.objects.all().delete()
    # Written while no trigger watches: as if these posts were there before the rollup.
    Post.objects.filter(id=posts[5].id).update(clicks=500)
    triggers.forward(None, _Editor())
    assert triggers.present(connection)
    hours = {int(p.start_at.timestamp()) // 3600 for p in Post.objects.all()}
    assert set(DirtyHour.objects.values_list("hour", flat=True)) == hours
    _every_combination()
    rollup.refresh_all()
    _every_combination()


def test_lost_triggers_come_back_after_migrate_with_every_hour_dirty(posts) -> None:
    rollup.refresh_all()
    triggers.backward(None, _Editor())
    Post.objects.filter(id=posts[6].id).update(clicks=777)  # missed by the rollup
    assert triggers.ensure(connection) is True
    assert triggers.ensure(connection) is False
    assert DirtyHour.objects.count() == len({int(p.start_at.timestamp()) // 3600 for p in posts})
    _both_ways(QueueFilters(), "UTC")


@pytest.mark.parametrize(
    ("filters", "zone_name"),
    [
        (QueueFilters(), "Asia/Kolkata"),  # +5:30: days are not unions of UTC hours
        (QueueFilters(), "Australia/Lord_Howe"),  # 30-minute DST
        (QueueFilters(preset="sent"), "UTC"),
        (QueueFilters(campaigns=("0060000000001",)), "UTC"),
        (QueueFilters(created_by=("00A000000000001",)), "UTC"),
        (QueueFilters(profiles=("0050000000001",)), "UTC"),
        (QueueFilters(sources=("API",)), "UTC"),
        (QueueFilters(messages=("0070000000001",)), "UTC"),
        (QueueFilters(q="launch"), "UTC"),
        (QueueFilters(statuses=("stuck",)), "UTC"),
    ],
)
def test_other_filters_and_zones_read_the_posts(filters, zone_name) -> None:
    scope = Scope(filters, PERIOD, zoneinfo.ZoneInfo(zone_name))
    assert rollup_rows(scope, now=timezone.now()) is None


def test_a_filter_it_does_not_know_is_not_served(monkeypatch) -> None:
    """A filter added to the queue later (a media filter, say) falls back to the posts."""
    import dataclasses

    extended = dataclasses.make_dataclass(
        "Extended",
        [("media", tuple, dataclasses.field(default=()))],
        bases=(QueueFilters,),
        frozen=True,
    )
    monkeypatch.setattr(rollup, "QueueFilters", extended)
    assert rollup.servable(extended())
    assert not rollup.servable(extended(media=("image",)))


def test_sent_statuses_scheduled_in_the_future_are_left_out_as_on_the_queue(posts) -> None:
    now = datetime(2026, 10, 20, 12, 30, tzinfo=UTC)
    rollup.refresh_all()
    f.post(status="complete", start_at=now + timedelta(minutes=10), clicks=5)
    f.post(status="complete", start_at=now - timedelta(minutes=10), clicks=3)
    rollup.refresh_all()
    for statuses in (("complete",), ("complete", "error"), ()):
        scope = Scope(QueueFilters(statuses=statuses), PERIOD, zoneinfo.ZoneInfo("Europe/Paris"))
        rows = rollup_rows(scope, now=now)
        assert daily(scope, now=now, rows=rows) == daily(scope, now=now)


def test_the_worker_task_builds_the_rollup_and_the_beat_runs_it(posts, settings) -> None:
    from reports.tasks import stats_rollup_refresh

    entry = settings.CELERY_BEAT_SCHEDULE["stats-rollup-refresh"]
    assert entry["task"] == "reports.tasks.stats_rollup_refresh" and entry["schedule"] <= 60
    dirty = DirtyHour.objects.count()
    result = stats_rollup_refresh.apply().get()
    assert result["hours"] == dirty and not DirtyHour.objects.exists()
    assert stats_rollup_refresh.apply().get()["hours"] == 0  # nothing dirty: nothing done
    _both_ways(QueueFilters(), "Europe/Paris")
