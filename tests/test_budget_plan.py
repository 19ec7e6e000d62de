"""The day's budget plan: pacing through a whole day and across midnight UTC, editors
first, kinds ranked, the slow-down after a 429, the plan's arithmetic, what users are told,
and the costs the day simulation (bench/budget.py) assumes, checked on the sandbox."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from oktopost.limiter import Limiter, Limits
from posts import push, sync
from posts.models import BulkAction, Post, SyncState
from posts.plan import DAY, HOUR, MINUTE, Demand, Plan, plan_day, span
from posts.status import budget_plan
from posts.sync import stats as stats_sync
from tests.limiters import FakeClock

PRODUCT = Limits(per_minute=54, per_5s=100, per_day=19_000, editor_minute=30, burst=120)
MIDNIGHT = datetime(2031, 3, 5, tzinfo=UTC).timestamp()


def _greedy(limiter: Limiter, clock: FakeClock, kind: str, until: float) -> Counter[int]:
    """A background caller that calls whenever the limiter lets it, until `until`: grants
    per UTC hour, and the first refusal because the day was spent (key -1)."""
    grants: Counter[int] = Counter()
    while clock.now < until:
        decision = limiter.try_acquire(kind, now=clock.now)
        if decision.granted:
            grants[int((clock.now - MIDNIGHT) // HOUR)] += 1
            clock.now += 1.0
        elif decision.reason == "day":
            grants[-1] = grants[-1] or int(clock.now)
            clock.now = decision.retry_at
        else:
            clock.now = max(decision.retry_at, clock.now + 0.5)
    return grants


def test_background_work_is_paced_to_last_the_whole_day_and_starts_again_after_midnight(
    make_limiter,
):
    # The whole share in one day through the real limiter: 100 calls/day keeps it quick.
    limits = Limits(per_minute=54, per_5s=100, per_day=1_000, editor_minute=30, burst=20)
    clock = FakeClock(MIDNIGHT)
    limiter = make_limiter(limits, clock)
    grants = _greedy(limiter, clock, "sync", MIDNIGHT + DAY + 2 * HOUR)

    assert -1 not in grants, "the day's share ran out before midnight"
    first_day = sum(n for hour, n in grants.items() if 0 <= hour < 24)
    background_share = 1_000 - limits.reserve(1_000)  # 900: editors keep 100
    # All of it is used, less the bucket's margin, and spread over the day: no hour
    # takes more than the burst plus its hour's share.
    assert background_share - limits.burst - 5 <= first_day <= background_share
    per_hour = (background_share - limits.burst) / 24
    assert all(grants[h] <= per_hour + limits.burst + 1 for h in range(24))
    assert grants[23] > 0 and grants[12] > 0
    # After midnight UTC the new day's share is paced again from the start.
    assert grants[24] > 0 and grants[25] > 0
    assert grants[24] <= per_hour * 1.2 + limits.burst


def test_an_idle_morning_is_saved_for_later_in_the_day(make_limiter):
    limits = Limits(per_minute=54, per_5s=100, per_day=1_000, burst=10)
    clock = FakeClock(MIDNIGHT + 12 * HOUR)  # nothing was used before noon
    limiter = make_limiter(limits, clock)
    budget = limiter.report()
    # 890 calls left for background work, spread over the 12 hours to midnight.
    assert budget.pace_per_hour == pytest.approx((900 - 10) / 12, rel=0.01)


def test_editors_burst_is_served_at_once_while_background_work_runs_flat_out(make_limiter):
    clock = FakeClock(MIDNIGHT + 9 * HOUR)
    limiter = make_limiter(PRODUCT, clock)
    # Background work takes every token it may for two minutes.
    _greedy(limiter, clock, "sync", clock.now + 120)
    waited = []
    start = clock.now
    for i in range(30):  # 15 inline reschedules in 10 s: a read and a write each
        clock.now = start + i / 3
        before = clock.now
        limiter.acquire(priority="interactive", max_wait=30)
        waited.append(clock.now - before)
    assert max(waited) == 0.0


def test_stats_wait_below_half_the_bucket_while_the_sync_still_gets_calls(make_limiter):
    clock = FakeClock(MIDNIGHT + 10 * HOUR)
    limits = Limits(per_minute=1000, per_5s=1000, per_day=19_000, burst=40)
    limiter = make_limiter(limits, clock)
    granted = Counter()
    for kind in ("stats",) * 30:
        if limiter.try_acquire(kind, now=clock.now).granted:
            granted[kind] += 1
    assert granted["stats"] == 20  # half the bucket stays for counters and the sync
    assert limiter.try_acquire("counters", now=clock.now).granted
    refused = limiter.try_acquire("stats", now=clock.now)
    assert not refused.granted and refused.reason == "pace" and refused.retry_at > clock.now
    assert limiter.try_acquire("sync", now=clock.now).granted
    kinds = limiter.report().by_kind
    assert kinds == {"stats": 20, "counters": 1, "sync": 1}


def test_a_429_lowers_our_own_rate_until_midnight_and_says_so(make_limiter):
    clock = FakeClock(MIDNIGHT + 15 * HOUR)
    limiter = make_limiter(PRODUCT, clock)
    assert limiter.slow_down() == pytest.approx(0.75)
    budget = limiter.report()
    assert budget.slowed == pytest.approx(0.75)
    assert budget.slowed_at == clock.now
    # The minute's cap is now 40: editors alone stop there.
    for _ in range(40):
        assert limiter.try_acquire("interactive", now=clock.now).granted
    assert not limiter.try_acquire("interactive", now=clock.now).granted
    assert limiter.slow_down() == pytest.approx(0.5625)
    clock.now = MIDNIGHT + DAY + 1
    assert limiter.report().slowed == 1.0


# --- the plan's arithmetic -----------------------------------------------------------


def _demand(per_month: int) -> Demand:
    per_day = per_month / 30
    tiers = {"48h": 2 * per_day, "7d": 5 * per_day, "30d": 23 * per_day, "older": 60 * per_day}
    return Demand({k: int(v) for k, v in tiers.items()}, per_day, int(90 * per_day))


def test_at_ten_thousand_posts_a_month_the_young_tier_meets_its_freshness_targets():
    plan = plan_day(_demand(10_000), 17_100 - 120)
    assert plan.intervals["counters:48h"] <= HOUR
    assert plan.intervals["stats:48h"] <= 6 * HOUR
    assert plan.planned_per_day <= 17_100
    assert not plan.short


def test_when_demand_exceeds_the_day_older_tiers_stretch_first():
    plan = plan_day(_demand(100_000), 17_000)
    assert plan.planned_per_day <= 17_000 + 1
    assert plan.intervals["counters:48h"] is not None
    assert plan.intervals["stats:48h"] is not None
    assert plan.intervals["stats:older"] is None
    assert "not today" in plan.headline()
    # Each tier is served no better than a younger one.
    values = [plan.intervals[f"stats:{t}"] or math.inf for t in ("48h", "7d", "30d", "older")]
    assert values == sorted(values)


def test_while_webhooks_are_healthy_the_sync_calls_they_save_go_to_stats():
    polling = plan_day(_demand(100_000), 17_000)
    pushed = plan_day(_demand(100_000), 17_000, sync_every=15 * MINUTE)
    saved = polling.sync["incremental"] - pushed.sync["incremental"]
    assert saved == pytest.approx(DAY / 120 - DAY / 900)  # 624 passes a day
    assert pushed.intervals["stats:48h"] < polling.intervals["stats:48h"]
    assert pushed.planned_per_day <= 17_000 + 1
    assert Plan.from_dict(pushed.as_dict()).sync_every == 15 * MINUTE


@pytest.mark.django_db
def test_the_stored_plan_assumes_the_safety_net_pace_only_while_webhooks_are_healthy(
    monkeypatch, settings
):
    assert sync.plan_refresh().sync_every == 120
    monkeypatch.setattr(push, "_healthy", lambda: True)
    assert sync.plan_refresh().sync_every == settings.WEBHOOKS_SAFETY_NET_SECONDS


def test_a_small_team_gets_every_target():
    plan = plan_day(_demand(1_000), 17_000)
    assert plan.intervals == {
        "counters:48h": 15 * MINUTE,
        "counters:30d": 6 * HOUR,
        "stats:48h": HOUR,
        "stats:7d": 4 * HOUR,
        "stats:30d": DAY,
        "stats:older": 7 * DAY,
    }
    assert plan.headline().startswith("Stats refresh every 1 h for posts under 48 h old")


def test_span_words():
    assert [span(s) for s in (900, 3600, 5160, 6 * 3600, DAY, 3 * DAY, 28 * DAY)] == [
        "15 min",
        "1 h",
        "86 min",
        "6 h",
        "24 h",
        "3 days",
        "4 weeks",
    ]


# --- the product follows its plan, and says what it does ---------------------------


@pytest.mark.django_db
def test_the_stats_refresh_schedules_the_next_read_by_the_plan_and_the_bar_says_so(
    mirror, editor_client
):
    plan = sync.plan_refresh()
    assert budget_plan() == plan
    result = sync.stats_refresh(limit=3)
    assert result.refreshed == 3
    for post in Post.objects.filter(stats_at__isnull=False):
        tier = sync.stats_tier(post, post.stats_at)[1]
        expected = post.stats_at + timedelta(seconds=plan.stats_interval(tier))
        assert abs((post.stats_due_at - expected).total_seconds()) < 1
    page = editor_client.get("/posts/").content.decode()
    assert plan.headline() in page


@pytest.mark.django_db
def test_young_posts_come_before_a_backlog_of_old_ones(mirror):
    now = timezone.now()
    sent = Post.objects.filter(status__in=("complete", "incomplete", "error"))
    old = sent.filter(start_at__lt=now - timedelta(days=3)).first()
    young = sent.filter(start_at__gt=now - timedelta(hours=40)).first()
    assert old and young
    Post.objects.filter(id=old.id).update(stats_due_at=now - timedelta(days=2))
    Post.objects.filter(id=young.id).update(stats_due_at=now - timedelta(minutes=1))
    queue = stats_sync.stats_queue(now, 50)
    assert queue.index(young) < queue.index(old)


# --- the simulation's costs, on the real code and the sandbox ------------------------


def _calls(sandbox) -> int:
    return sandbox.calls()["total"]


@pytest.mark.django_db
def test_a_counters_tick_reads_ten_pages_of_a_window_and_resumes_there(mirror, monkeypatch):
    monkeypatch.setattr(stats_sync, "COUNTERS_PAGES_PER_TICK", 1)
    monkeypatch.setitem(stats_sync.COUNTER_WINDOWS, "30d", timedelta(days=3650))
    before = _calls(mirror)
    first = sync.counters_tick()
    state = SyncState.objects.get(name="counters-30d")
    # The 48 h window fits one page; the long window stops after its one page.
    assert first["48h"]["complete"] and first["48h"]["pages"] == 1
    assert first["30d"]["pages"] == 1 and not first["30d"]["complete"]
    assert state.window is not None
    assert _calls(mirror) - before <= 2 + 2  # a page each, and at most a message batch each
    posts = Post.objects.count()
    for _ in range(math.ceil(posts / 100) + 2):
        done = sync.counters_tick().get("30d", {})
        if done.get("complete"):
            break
    assert done.get("complete")
    assert SyncState.objects.get(name="counters-30d").window is None


@pytest.mark.django_db
def test_an_incremental_pass_with_no_change_costs_one_call(mirror):
    sync.plan_refresh()
    before = _calls(mirror)
    result = sync.posts_sync()
    assert result.kind == "incremental" and result.complete
    assert _calls(mirror) - before == 1


@pytest.mark.django_db
def test_a_due_reconcile_runs_in_slices_after_incremental_passes(mirror, monkeypatch):
    monkeypatch.setattr("posts.sync.posts.RECONCILE_PAGES_PER_RUN", 1)
    SyncState.objects.filter(name="posts-full").update(
        last_success=timezone.now() - timedelta(days=2)
    )
    before = _calls(mirror)
    result = sync.posts_sync()
    assert result.kind == "incremental"
    # The pass, one reconcile page, then its messages read again for their tags (one
    # batch): what the plan counts for a reconcile, posts and then their messages.
    assert _calls(mirror) - before == 1 + 1 + 1
    assert SyncState.objects.get(name="posts-full").window is not None
    for _ in range(10):
        sync.posts_sync()
        if SyncState.objects.get(name="posts-full").window is None:
            break
    full = SyncState.objects.get(name="posts-full")
    assert full.window is None and full.last_success > timezone.now() - timedelta(minutes=1)


# --- editors' paths: a bulk reads with list calls; "refresh now" says where it stands --


@pytest.mark.django_db
def test_a_bulk_reads_its_posts_current_state_with_list_calls_then_writes(mirror, editor):
    from posts import services
    from posts.connection import get_client

    posts = list(
        Post.objects.filter(
            status="pending", start_at__gt=timezone.now() + timedelta(days=1)
        ).order_by("start_at")[:5]
    )
    assert len(posts) == 5
    moved = posts[2]
    # Someone moved one post in Oktopost; the mirror has not seen it yet.
    elsewhere = moved.start_at + timedelta(hours=3)
    get_client(priority="interactive").post_update(moved.oktopost_id, start_at=elsewhere)
    ids = [p.oktopost_id for p in posts]
    bulk = BulkAction.objects.create(
        user=editor, kind="shift", post_ids=ids, params={"minutes": 60}
    )
    before = _calls(mirror)
    done = services.bulk_run(bulk.id)
    assert all(r["ok"] for r in done.results)
    assert _calls(mirror) - before == 1 + 5  # one list read for all five, then the writes
    moved.refresh_from_db()
    assert moved.start_at == elsewhere + timedelta(minutes=60)


@pytest.mark.django_db
def test_refresh_now_tells_its_place_in_line_and_when_the_day_is_spent(mirror, editor, settings):
    from posts import services
    from posts.connection import get_limiter

    sent = list(Post.objects.filter(status="complete")[:2])
    sent[0].stats_requested_at = timezone.now()
    Post.objects.filter(id=sent[0].id).update(stats_requested_at=timezone.now())
    queued, words = services.post_stats_refresh_now(post=sent[1], user=editor)
    assert queued and "2 in line (1 asked before it)" in words

    other = Post.objects.filter(status="complete").exclude(id__in=[p.id for p in sent]).first()
    settings.OKTOPOST_LIMIT_PER_DAY = 5  # a share this small is spent at once
    limiter = get_limiter()
    while limiter.try_acquire("interactive").granted:
        pass
    queued, words = services.post_stats_refresh_now(post=other, user=editor)
    assert not queued
    assert "Today's Oktopost call budget is spent" in words
    assert Post.objects.get(id=other.id).stats_requested_at is None


@pytest.mark.django_db
def test_a_429_despite_our_pacing_slows_us_down_and_the_status_bar_says_so(mirror, editor_client):
    from oktopost.errors import RateLimited
    from posts.connection import get_client, get_limiter

    mirror.control("POST", "block", {"seconds": 60})
    with pytest.raises(RateLimited):
        get_client().post_get(Post.objects.first().oktopost_id)
    mirror.control("POST", "block", {"seconds": 0})
    budget = get_limiter().report()
    assert budget.slowed == pytest.approx(0.75)
    html = editor_client.get("/posts/status/").content.decode()
    assert "Oktopost refused a call at" in html
    assert "we use 75% of our share" in html


@pytest.mark.django_db
def test_the_stats_page_says_how_often_each_tier_is_refreshed(mirror, viewer_client):
    plan = sync.plan_refresh()
    html = viewer_client.get("/stats/").content.decode()
    assert plan.sentence() in html
