"""The stats review's SQL equals sums, groups, rankings and medians computed here from the
posts, on randomized data, in zones with 30- and 45-minute offsets and across DST.

The aggregates read the covering index `post_stats_cover` with the other filter columns
kept off their indexes, take the top posts as three bounded sorts and group by the plain
column value (reports/selectors/): these tests hold every such rewrite to what a
plain reading of the posts gives."""

import contextlib
import random
import statistics
import zoneinfo
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.terms import COUNTERS
from posts.models import SENT_STATUSES, Delivery, Post, Profile
from posts.queue import QueueFilters
from reports import rollup
from reports.ranges import Period
from reports.selectors import (
    STATUS_COUNTS,
    Figures,
    Scope,
    breakdown_rows,
    daily,
    engagement_rates,
    heatmap,
    network_breakdown,
    posts_day_rows,
    rollup_rows,
    top_posts,
)
from tests import factories as f

# UTC; +5:30; +5:45; Lord Howe moves by 30 minutes at DST; St John's is -3:30 with DST;
# Paris (DST); Chatham +12:45/+13:45.
ZONES = (
    "UTC",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Europe/Paris",
    "Pacific/Chatham",
)
# Lord Howe changes on 4 Oct 2026, Paris on 25 Oct, St John's on 1 Nov, Chatham on
# 27 Sep: the period and the one before it cross all of them.
PERIOD = Period(date(2026, 10, 1), date(2026, 11, 10))
STATUSES = ["complete"] * 6 + ["incomplete", "error", "pending", "draft"]
NETWORKS = ["LinkedIn", "Twitter", "Facebook"]
CREATORS = ["00A000000000001", "00A000000000002", "00A000000000003"]
CAMPAIGN_A = "002000000000E01"
PROFILES = ["003-001000000000001-00000201", "003-001000000000001-00000202", "003-z-203"]
SOURCES = ["UI", "API", "Autoposter"]
MEDIA = ["", "", "image", "video"]
# Instants a few minutes either side of local midnights and of the clock changes.
EDGES = [
    datetime(2026, 10, 3, 15, 29, tzinfo=UTC),
    datetime(2026, 10, 3, 15, 31, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 59, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 1, tzinfo=UTC),
    datetime(2026, 11, 1, 3, 29, tzinfo=UTC),
    datetime(2026, 11, 1, 3, 31, tzinfo=UTC),
    datetime(2026, 9, 30, 18, 14, tzinfo=UTC),  # 30 Sep 23:59 in Kathmandu
    datetime(2026, 9, 30, 18, 16, tzinfo=UTC),
    datetime(2026, 11, 10, 18, 29, tzinfo=UTC),  # 10 Nov 23:59 in Kolkata
    datetime(2026, 11, 10, 18, 31, tzinfo=UTC),
]


@pytest.fixture
def posts(db) -> list[Post]:
    rnd = random.Random(12)
    camps = [f.campaign("A", oktopost_id=CAMPAIGN_A), f.campaign("B"), None]
    for pid in PROFILES:
        Profile.objects.create(oktopost_id=pid, name=pid[-3:], network="LinkedIn")
    # Two of the six messages hold a word the words scope searches for.
    msgs = [
        f.message(f"text {n}{' webinar' if n % 3 == 0 else ''}", "LinkedIn", None) for n in range(6)
    ]
    lo = datetime(2026, 8, 15, tzinfo=UTC)
    made = []
    for n in range(260):
        start = EDGES[n] if n < len(EDGES) else lo + timedelta(seconds=rnd.randrange(95 * 86_400))
        made.append(
            f.post(
                status=rnd.choice(STATUSES),
                start_at=start,
                network=rnd.choice(NETWORKS),
                msg=rnd.choice([*msgs, None]),
                camp=rnd.choice(camps),
                created_by=rnd.choice(CREATORS),
                clicks=rnd.randrange(12),
                conversions=rnd.choice([0, 0, 0, 1, 2]),
                comments=rnd.randrange(5),
                likes=rnd.randrange(9),
                shares=rnd.randrange(4),
                impressions=rnd.randrange(1000),
                counters_at=None if rnd.random() < 0.1 else timezone.now(),
                stats_at=None if rnd.random() < 0.2 else timezone.now(),
                deleted_at=timezone.now() if rnd.random() < 0.05 else None,
                source=rnd.choice(SOURCES),
                media_kind=rnd.choice(MEDIA),
            )
        )
        made[-1].targets = set(rnd.sample(PROFILES, rnd.choice([0, 1, 1, 2])))
        Delivery.objects.bulk_create(
            [Delivery(post=made[-1], profile_id=pid) for pid in made[-1].targets]
        )
    return made


def _in(posts: list[Post], period: Period, zone, **only) -> list[Post]:
    lo, hi = period.bounds(zone)
    # Filtered to sent statuses only, a post scheduled later than now is left out, as on
    # the queue (posts.selectors.queue_queryset): Oktopost has not sent it yet.
    sent_only = "status" in only and only["status"] <= set(SENT_STATUSES)
    now = timezone.now()
    return [
        p
        for p in posts
        if lo <= p.start_at < hi
        and p.deleted_at is None
        and not (sent_only and p.start_at > now)
        and all(_matches(p, k, v) for k, v in only.items())
    ]


def _matches(p: Post, key: str, values: set) -> bool:
    if key == "targets":
        return bool(p.targets & values)
    if key == "words":  # every word starts a word of the message's text
        words = p.message.text.lower().split() if p.message else []
        return all(any(w.startswith(v) for w in words) for v in values)
    return getattr(p, key) in values


def _figures(chosen: list[Post]) -> dict[str, int]:
    sent = [p for p in chosen if p.status in SENT_STATUSES]
    out = {name: sum(getattr(p, name) for p in chosen) for name in COUNTERS}
    out["posts"] = len(chosen)
    out |= {k: sum(p.status == s for p in chosen) for k, (s, _) in STATUS_COUNTS.items()}
    out["outcomes"] = len(sent)
    out["unfetched"] = sum(p.counters_at is None for p in sent)
    out["unfetched_stats"] = sum(p.stats_at is None for p in sent)
    return out


def _engagement(p: Post) -> int:
    return p.comments + p.likes + p.shares


FILTERS = [
    ({}, {}),
    ({"networks": ("Twitter",)}, {"network": {"Twitter"}}),
    ({"statuses": ("complete", "error")}, {"status": {"complete", "error"}}),
    (
        {"created_by": ("00A000000000002",), "networks": ("LinkedIn", "Facebook")},
        {"created_by": {"00A000000000002"}, "network": {"LinkedIn", "Facebook"}},
    ),
    # The scopes the rollup serves by its rows per dimension (reports/rollup.py).
    ({"campaigns": (CAMPAIGN_A,)}, {"campaign_id": {CAMPAIGN_A}}),
    ({"profiles": (PROFILES[0],)}, {"targets": {PROFILES[0]}}),
    ({"sources": ("API",), "networks": ("Twitter",)}, {"source": {"API"}, "network": {"Twitter"}}),
    ({"media": "image"}, {"media_kind": {"image"}}),
    ({"media": "none"}, {"media_kind": {""}}),
    ({"preset": "sent"}, {"status": set(SENT_STATUSES)}),
    ({"q": "webin"}, {"words": {"webin"}}),
]


# One test per scope, its zones in a loop: the 260 posts are made once for all of them
# (made per zone and per case, they cost most of this file's two minutes).
@pytest.mark.parametrize(("filters", "only"), FILTERS)
def test_the_sql_equals_what_the_posts_say(posts, filters, only) -> None:
    """The rollup not built (every hour dirty), its scopes read the posts of each hour;
    then built by the worker's job, its scopes are sums of rollup rows (and of the posts
    of the hours holding a local midnight, in Kolkata)."""
    for zone_name in ZONES:
        with _case(f"{zone_name}, the rollup not built"):
            _assert_exact(posts, zone_name, filters, only)
    rollup.refresh_all()
    for zone_name in ("Asia/Kolkata", "Europe/Paris"):
        with _case(f"{zone_name}, the rollup built"):
            _assert_exact(posts, zone_name, filters, only)


@contextlib.contextmanager
def _case(what: str) -> Iterator[None]:
    """A failure in the loop says which case it was."""
    try:
        yield
    except AssertionError as failure:
        failure.add_note(f"in the case: {what}")
        raise


def _assert_exact(posts, zone_name, filters, only) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    now = timezone.now()
    scope = Scope(QueueFilters(**filters), PERIOD, zone)
    chosen = _in(posts, PERIOD, zone, **only)
    assert chosen, "the data must reach the period"

    # Every figure per local day, over this period and the previous one.
    both = Period(PERIOD.previous().first, PERIOD.last)
    by_day: dict[date, list[Post]] = defaultdict(list)
    for p in _in(posts, both, zone, **only):
        by_day[p.start_at.astimezone(zone).date()].append(p)
    rows = rollup_rows(scope, now=now)
    found = daily(scope, now=now, rows=rows)
    assert found == daily(scope, now=now), "the rollup's days and the posts' differ"
    # The page's one read of the posts per (day, network), for scopes the rollup does
    # not serve: the same days, rates and network breakdown.
    day_rows = posts_day_rows(scope, now=now)
    assert daily(scope, now=now, rows=day_rows) == found
    assert engagement_rates(scope, now=now, rows=day_rows) == engagement_rates(scope, now=now)
    on_page = network_breakdown(scope, day_rows, now=now, order="clicks", limit=None)
    rows, _ = breakdown_rows(scope, "network", now=now, order="clicks", limit=None)
    assert [(r.key, r.figures, r.rated) for r in on_page.rows] == [
        (r["network"], Figures.of(r), r["rated"]) for r in rows
    ]
    assert set(found) == set(by_day)
    for day, day_posts in by_day.items():
        got = found[day]
        assert {k: getattr(got, k) for k in _figures(day_posts)} == _figures(day_posts), day

    # Breakdowns: every group, with its figures.
    for dimension, attr in (
        ("network", "network"),
        ("campaign", "campaign_id"),
        ("creator", "created_by"),
        ("message", "message_id"),
        ("media", "media_kind"),
    ):
        groups: dict[str | None, list[Post]] = defaultdict(list)
        for p in chosen:
            groups[getattr(p, attr)].append(p)
        rows, more = breakdown_rows(scope, dimension, now=now, order="clicks", limit=None)
        assert not more
        got = {r[attr]: {k: r[k] for k in _figures([])} for r in rows}
        assert got == {k: _figures(v) for k, v in groups.items()}, dimension
        clicks = [r["clicks"] for r in rows]
        assert clicks == sorted(clicks, reverse=True)
    # The top messages by engagement, found by walking each message's sum down
    # (reports/message_bounds.py); ties by the message's id, no message first on SQLite.
    by_message: dict[str | None, int] = defaultdict(int)
    for p in chosen:
        by_message[p.message_id] += _engagement(p)
    nulls_first = connection.vendor == "sqlite"
    ranked = sorted(
        by_message.items(), key=lambda kv: (-kv[1], (kv[0] is not None) == nulls_first, kv[0] or "")
    )
    rows, more = breakdown_rows(scope, "message", now=now, order="engagement", limit=3)
    assert [(r["message_id"], r["engagement"]) for r in rows] == ranked[:3]
    assert more == (len(ranked) > 3)
    # And by posts, as the breakdown by message lists them (reports/message_keys.py
    # walks a scope of one network, source, media kind or profile).
    counted: dict[str | None, int] = defaultdict(int)
    for p in chosen:
        counted[p.message_id] += 1
    ranked = sorted(
        counted.items(), key=lambda kv: (-kv[1], (kv[0] is not None) == nulls_first, kv[0] or "")
    )
    rows, more = breakdown_rows(scope, "message", now=now, order="posts", limit=3)
    assert [(r["message_id"], r["posts"]) for r in rows] == ranked[:3]
    assert more == (len(ranked) > 3)
    # By target profile: a post counts once for each profile it is aimed at.
    by_profile: dict[str, list[Post]] = defaultdict(list)
    for p in chosen:
        for pid in p.targets:
            by_profile[pid].append(p)
    rows, _ = breakdown_rows(scope, "profile", now=now, order="posts", limit=None)
    got = {r["profile_id"]: {k: r[k] for k in _figures([])} for r in rows}
    assert got == {k: _figures(v) for k, v in by_profile.items()}

    # Top posts: the first five sent posts by each ranking (ties: the newest id first).
    sent = [p for p in chosen if p.status in SENT_STATUSES]
    _assert_ranked(top_posts(scope, now=now), sent)

    # The heatmap: local weekday and hour, the median engagement and the count.
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for p in sent:
        local = p.start_at.astimezone(zone)
        cells[(local.weekday(), local.hour)].append(_engagement(p))
    grid = heatmap(scope, now=now)
    for wd in range(7):
        for hr in range(24):
            values = cells.get((wd, hr), [])
            cell = grid[wd][hr]
            assert cell.posts == len(values), (wd, hr)
            assert cell.median == (statistics.median(values) if values else None), (wd, hr)


@pytest.mark.parametrize(("filters", "only"), FILTERS)
def test_top_posts_walking_the_indexes_from_the_top_are_exact(
    posts, monkeypatch, filters, only
) -> None:
    """However few of the best posts overall the walk reads (best.TOP_WALK), the
    lists are the scope's own: found in the walk, or ranked hour by hour from the
    rollup's best (built, or every hour dirty), or over the range."""
    from reports import best_hours
    from reports.selectors import best

    monkeypatch.setattr(best_hours, "BATCH", 2)
    for built in (False, True):
        if built:
            rollup.refresh_all()
        for walk in (1, 6, 1000):
            monkeypatch.setattr(best, "TOP_WALK", walk)
            for zone_name in ("UTC", "Asia/Kathmandu"):
                with _case(f"{zone_name}, walk {walk}, the rollup {'' if built else 'not '}built"):
                    _assert_top_posts(posts, zone_name, filters, only)


def _assert_top_posts(posts, zone_name, filters, only) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    scope = Scope(QueueFilters(**filters), PERIOD, zone)
    sent = [p for p in _in(posts, PERIOD, zone, **only) if p.status in SENT_STATUSES]
    _assert_ranked(top_posts(scope, now=timezone.now()), sent)


def _assert_ranked(top: dict, sent: list[Post]) -> None:
    """The first five sent posts by each ranking (ties: the newest id first), those with
    a value."""
    for key, value in (
        ("clicks", lambda p: p.clicks),
        ("conversions", lambda p: p.conversions),
        ("engagement", _engagement),
    ):
        expected = sorted(sent, key=lambda p, v=value: (-v(p), -p.id))[:5]
        assert [p.id for p in top[key]] == [p.id for p in expected if value(p)], key
