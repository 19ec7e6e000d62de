"""The hourly rollup gives the stats page exactly what the posts give, whatever has been
written since the worker last ran (reports/rollup.py, reports/triggers.py).

Every servable filter combination (networks x statuses x the deleted switch, each
dimension's filter: campaigns, creators, sources, media, one profile, the plain presets)
in zones with whole-hour, 30- and 45-minute offsets, over a period crossing their DST
changes, is compared with the posts path (`daily` without rows, each breakdown with the
rollup out of the way), which tests/test_stats_exact.py holds to sums computed in
Python: before the rollup is built (everything dirty), after, and after writes of every
kind between two refreshes."""

import random
import zoneinfo
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from posts.models import Delivery, Post, Profile
from posts.queue import QueueFilters
from reports import rollup, triggers
from reports.models import DirtyHour, HourRollup
from reports.ranges import Period
from reports.selectors import (
    Scope,
    breakdown,
    breakdown_rows,
    daily,
    heatmap,
    network_breakdown,
    rollup_rows,
)
from tests import factories as f

PERIOD = Period(date(2026, 10, 1), date(2026, 11, 10))  # Paris 25 Oct, New York 1 Nov
SERVED_ZONES = ("UTC", "Europe/Paris", "America/New_York")
# +5:30, +5:45, Lord Howe's 30-minute DST (4 Oct), St John's -3:30 with DST (1 Nov),
# Chatham +12:45/+13:45 (27 Sep, in the previous period).
SPLIT_ZONES = (
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Pacific/Chatham",
)
CAMPAIGNS = ("002000000000A01", "002000000000A02")
CREATORS = ("00A000000000001", "00A000000000002", "00A000000000003")
SOURCES = ("UI", "API", "Autoposter")
MEDIA = ("", "image", "video")
PROFILES = ("003-001000000000001-00000101", "003-001000000000001-00000102", "003-x-103")
# One of each dimension's filters, alone and with others the rows are keyed by.
DIM_SCOPES = [
    QueueFilters(campaigns=CAMPAIGNS[:1]),
    QueueFilters(campaigns=CAMPAIGNS, networks=("LinkedIn",)),
    QueueFilters(created_by=CREATORS[1:2], statuses=("complete",)),
    QueueFilters(created_by=CREATORS[:2], deleted=True),
    QueueFilters(sources=("API",)),
    QueueFilters(media="image"),
    QueueFilters(media="none", networks=("Twitter", "Facebook")),
    QueueFilters(profiles=PROFILES[:1]),
    QueueFilters(profiles=PROFILES[1:2], statuses=("complete", "error"), deleted=True),
    QueueFilters(preset="sent"),
    QueueFilters(preset="drafts", networks=("LinkedIn",)),
    QueueFilters(preset="sent", campaigns=CAMPAIGNS[1:]),
]
BREAKDOWNS = ("network", "campaign", "creator", "media", "profile")
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
    post = f.post(
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
        camp=None,
        created_by=rnd.choice(CREATORS),
        source=rnd.choice(SOURCES),
        media_kind=rnd.choice(MEDIA),
    )
    if rnd.random() < 0.9:
        post.campaign_id = rnd.choice(CAMPAIGNS)
        post.save(update_fields=["campaign_id"])
    targets = rnd.sample(PROFILES, rnd.choice([0, 1, 1, 2, 3]))
    Delivery.objects.bulk_create([Delivery(post=post, profile_id=p) for p in targets])
    return post


@pytest.fixture
def posts(db) -> list[Post]:
    for pid in PROFILES:
        Profile.objects.create(oktopost_id=pid, name=pid[-3:], network="LinkedIn")
    f.campaign("A", oktopost_id=CAMPAIGNS[0])
    f.campaign("B", oktopost_id=CAMPAIGNS[1])
    rnd = random.Random(7)
    lo = datetime(2026, 8, 20, tzinfo=UTC)
    made = [_random_post(rnd, at) for at in EDGES]
    made += [
        _random_post(rnd, lo + timedelta(seconds=rnd.randrange(86 * 86_400))) for _ in range(220)
    ]
    return made


@contextmanager
def _posts_only():
    """The selectors with the rollup out of the way: straight from the posts."""
    with mock.patch.object(rollup, "plan_for", return_value=None):
        yield


def _both_ways(filters: QueueFilters, zone_name: str, *, now=None, every=False) -> None:
    """The page's days and network breakdown; `every`: each breakdown too."""
    now = now or timezone.now()
    scope = Scope(filters, PERIOD, zoneinfo.ZoneInfo(zone_name))
    rows = rollup_rows(scope, now=now)
    assert rows is not None, "this scope is the rollup's to serve"
    assert daily(scope, now=now, rows=rows) == daily(scope, now=now), (filters, zone_name)
    for order in ("posts", "clicks", "engagement", "failed"):
        with _posts_only():
            expected = breakdown(scope, "network", now=now, order=order, names={})
        got = network_breakdown(scope, rows, now=now, order=order)
        assert got == expected, (filters, zone_name, order)
    # The heatmap's medians from the rollup's values (reports/heat.py).
    with _posts_only():
        expected_heat = heatmap(scope, now=now)
    assert heatmap(scope, now=now) == expected_heat, (filters, zone_name)
    if not every:
        return
    plan = rollup.plan_for(filters, PERIOD, scope.zone, now=now)
    for by in BREAKDOWNS:
        if not rollup.serves_breakdown(plan, by):
            continue
        for order in ("engagement", "failed"):  # "failed": ties, ordered by the key
            got = breakdown_rows(scope, by, now=now, order=order, limit=3)
            with _posts_only():
                expected = breakdown_rows(scope, by, now=now, order=order, limit=3)
            assert got == expected, (filters, zone_name, by, order)
            assert got[0], "the scope has posts"


def _every_combination(stage: int) -> None:
    """Every combination in one of the served zones, taken by turns: a stage later each
    takes the next zone, so that three stages see every combination in every zone."""
    for n, filters in enumerate(COMBOS):
        _both_ways(filters, SERVED_ZONES[(n + stage) % len(SERVED_ZONES)])
    # Each dimension's scopes, in the zones off whole hours by turns.
    zones = ("UTC", *SPLIT_ZONES)
    for n, filters in enumerate([QueueFilters(), *DIM_SCOPES]):
        _both_ways(filters, zones[(n + stage) % len(zones)], every=True)


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
    # The dimensions' columns, and target profiles added, moved and removed.
    Post.objects.filter(id=posts[31].id).update(campaign_id=CAMPAIGNS[1])
    Post.objects.filter(id=posts[32].id).update(campaign_id=None)
    Post.objects.filter(id=posts[33].id).update(created_by=CREATORS[2], source="API")
    Post.objects.filter(id=posts[34].id).update(media_kind="video")
    Delivery.objects.filter(post_id=posts[35].id).delete()
    Delivery.objects.get_or_create(post_id=posts[36].id, profile_id=PROFILES[0])
    Delivery.objects.filter(post_id=posts[37].id).update(profile_id=PROFILES[2])


@pytest.mark.slow
def test_the_rollup_equals_the_posts_before_during_and_after_refreshes(posts) -> None:
    # Never built: every hour is dirty, read from the posts (held to Python's sums in
    # every zone by tests/test_stats_exact.py).
    assert DirtyHour.objects.exists() and not HourRollup.objects.exists()
    # Built (as it is after the writes and the last refresh below, checked there).
    rollup.refresh_all()
    assert not DirtyHour.objects.exists() and HourRollup.objects.exists()
    # Writes between refreshes: those hours are read from the posts, the rest from hours.
    _writes(posts, random.Random(3))
    assert 0 < DirtyHour.objects.count() < HourRollup.objects.values("hour").distinct().count()
    _every_combination(0)
    # Half refreshed.
    rollup.refresh(limit=DirtyHour.objects.count() // 2)
    assert DirtyHour.objects.exists()
    _every_combination(1)
    # Refreshed: every hour from the rollup's rows again, the writes in them.
    rollup.refresh_all()
    assert not DirtyHour.objects.exists()
    _every_combination(2)


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
    _every_combination(0)
    rollup.refresh_all()
    _every_combination(1)


def test_lost_triggers_come_back_after_migrate_with_every_hour_dirty(posts) -> None:
    rollup.refresh_all()
    triggers.backward(None, _Editor())
    Post.objects.filter(id=posts[6].id).update(clicks=777)  # missed by the rollup
    assert triggers.ensure(connection) is True
    assert triggers.ensure(connection) is False
    assert DirtyHour.objects.count() == len({int(p.start_at.timestamp()) // 3600 for p in posts})
    _both_ways(QueueFilters(), "UTC")


@pytest.mark.parametrize(
    "filters",
    [
        QueueFilters(preset="attention"),
        QueueFilters(preset="upcoming"),
        QueueFilters(campaigns=CAMPAIGNS[:1], created_by=CREATORS[:1]),
        QueueFilters(profiles=PROFILES[:2]),  # a post aimed at both would count twice
        QueueFilters(messages=("0070000000001",)),
        QueueFilters(tags=("0AF0000000001",)),
        QueueFilters(q="launch"),
        QueueFilters(approval="waiting"),
        QueueFilters(statuses=("stuck",)),
    ],
)
def test_other_filters_read_the_posts(filters) -> None:
    scope = Scope(filters, PERIOD, zoneinfo.ZoneInfo("UTC"))
    assert rollup_rows(scope, now=timezone.now()) is None


def test_breakdowns_across_two_dimensions_read_the_posts() -> None:
    now = timezone.now()
    campaign = rollup.plan_for(QueueFilters(campaigns=CAMPAIGNS[:1]), PERIOD, UTC, now=now)
    profile = rollup.plan_for(QueueFilters(profiles=PROFILES[:1]), PERIOD, UTC, now=now)
    assert rollup.serves_breakdown(campaign, "campaign")
    assert rollup.serves_breakdown(campaign, "network")
    assert not rollup.serves_breakdown(campaign, "creator")
    assert not rollup.serves_breakdown(profile, "profile")  # its posts' other profiles
    assert not rollup.serves_breakdown(campaign, "message")


def test_a_zone_off_whole_hours_reads_one_hour_a_day_from_the_posts() -> None:
    """Kolkata (+5:30): the hour holding each local midnight; Kathmandu (+5:45) too."""
    now = timezone.now()
    for name in ("Asia/Kolkata", "Asia/Kathmandu"):
        plan = rollup.plan_for(QueueFilters(), PERIOD, zoneinfo.ZoneInfo(name), now=now)
        assert len(plan.split) == PERIOD.days + 1
    paris = rollup.plan_for(QueueFilters(), PERIOD, zoneinfo.ZoneInfo("Europe/Paris"), now=now)
    assert paris.split == ()


def test_a_filter_it_does_not_know_is_not_served(monkeypatch) -> None:
    """A filter added to the queue later (a language filter, say) falls back to the posts."""
    import dataclasses

    extended = dataclasses.make_dataclass(
        "Extended",
        [("languages", tuple, dataclasses.field(default=()))],
        bases=(QueueFilters,),
        frozen=True,
    )
    monkeypatch.setattr(rollup, "QueueFilters", extended)
    assert rollup.servable(extended())
    assert not rollup.servable(extended(languages=("fr",)))


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


@pytest.mark.parametrize("n", range(len(DIM_SCOPES)))
def test_each_dimension_scope_equals_the_posts_once_built_and_after_writes(posts, n) -> None:
    filters = DIM_SCOPES[n]
    zone_name = ("UTC", *SPLIT_ZONES)[n % (len(SPLIT_ZONES) + 1)]
    rollup.refresh_all()
    assert not DirtyHour.objects.exists()
    _both_ways(filters, zone_name, every=True)
    _writes(posts, random.Random(n))
    assert DirtyHour.objects.exists()
    _both_ways(filters, zone_name, every=True)


@pytest.mark.parametrize("zone_name", ["UTC", "Asia/Kolkata", "Asia/Kathmandu"])
def test_the_heatmap_of_clean_hours_is_read_from_the_rollup(posts, zone_name) -> None:
    """Once built, the heatmap's values come from the rollup's rows (a value changed there
    shows), also in zones 30 and 45 minutes off UTC: each quarter of an hour is placed in
    its local hour."""
    rollup.refresh_all()
    scope = Scope(QueueFilters(), PERIOD, zoneinfo.ZoneInfo(zone_name))
    before = heatmap(scope, now=timezone.now())
    inside = [int(datetime(2026, 10, d, tzinfo=UTC).timestamp()) // 3600 for d in (2, 30)]
    row = HourRollup.objects.filter(
        dim="", status="complete", deleted=False, hour__range=inside
    ).exclude(heat0=None)[0]
    HourRollup.objects.filter(id=row.id).update(heat0=",".join(["100000"] * 500))
    after = heatmap(scope, now=timezone.now())
    assert after != before
    assert max(c.median or 0 for line in after for c in line) == 100000


def test_the_top_posts_of_a_narrow_scope_are_read_from_the_best_hours(posts, monkeypatch):
    """A scope few of whose posts are among the best overall reads, once built, the
    hours from the rollup's best post down (reports/best_hours.py): an hour whose
    rows say it has nothing to rank is never read."""
    from reports.selectors import best, top_posts

    monkeypatch.setattr(best, "TOP_WALK", 1)
    rollup.refresh_all()
    scope = Scope(QueueFilters(profiles=PROFILES[:1]), PERIOD, zoneinfo.ZoneInfo("UTC"))
    now = timezone.now()
    first = top_posts(scope, now=now)["clicks"][0]
    with _posts_only():
        assert top_posts(scope, now=now)["clicks"][0] == first
    hour = int(first.start_at.timestamp()) // 3600
    HourRollup.objects.filter(hour=hour).update(
        best_clicks=0, best_conversions=0, best_engagement=0
    )
    assert top_posts(scope, now=now)["clicks"][0] != first
