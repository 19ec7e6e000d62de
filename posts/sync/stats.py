"""Counters and stats: list counters of recent posts (100 a call) and the tiered queue of
?stats=1 reads (one call a post) for shares and impressions."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from oktopost.client import OktopostClient
from oktopost.errors import NotFound, OktopostError, RateLimited
from posts import mirror
from posts.connection import get_client
from posts.models import SENT_STATUSES, Post, SyncState
from posts.plan import (
    COUNTERS_PAGES_PER_TICK,
    PACED_MAX_WAIT,
    STATS_RUN_SECONDS,
    SYNC_MAX_WAIT,
)
from posts.sync.budget import plan_fresh, seconds
from posts.sync.locks import POSTS_LOCK, lock_held, state_get, sync_lock
from posts.sync.posts import SyncResult, messages_flush, page_apply
from posts.sync.walker import ONE_SECOND, Window, walk

log = logging.getLogger(__name__)

STATS_LEASE = timedelta(minutes=5)  # how long a claimed post stays off the stats queue
STATS_STATE = "stats"
# The counter windows a counters tick walks.
COUNTER_WINDOWS = {"48h": timedelta(hours=48), "30d": timedelta(days=30)}


@dataclass
class StatsResult:
    refreshed: int = 0
    deleted: int = 0
    failed: int = 0
    calls: int = 0
    by_tier: dict[str, int] = field(default_factory=dict)
    stopped: str = ""


def counters_sync(*, since: timedelta, client: OktopostClient | None = None) -> SyncResult:
    """Read the list counters (clicks, conversions, comments, likes; 100 posts a call) of
    posts scheduled in the last `since`. Stats changes do not move a post's Modified, so the
    incremental sync never sees them."""
    with sync_lock(POSTS_LOCK) as lock:
        client = client or get_client(max_wait=SYNC_MAX_WAIT)
        result = SyncResult(kind=f"counters {since}")
        calls_before = client.calls
        now = timezone.now()
        window = Window(lo=now - since, hi=now + ONE_SECOND)
        for items in walk(client, window, order="startDateTime"):
            if items:
                page_apply(client, items, result)
            lock.heartbeat()
        messages_flush(client, result, everything=True)
        result.complete = True
        result.calls = client.calls - calls_before
    return result


def counters_tick(*, client: OktopostClient | None = None) -> dict[str, object]:
    """Walk each counter window that the day's plan says is due, a few pages a tick,
    resuming where the last tick stopped. Returns what each window did."""
    plan = plan_fresh()
    done: dict[str, object] = {}
    client = client or get_client(priority="counters", max_wait=PACED_MAX_WAIT)
    for name, span in COUNTER_WINDOWS.items():
        state = state_get(f"counters-{name}")
        now = timezone.now()
        due = state.last_started is None or now - state.last_started >= seconds(
            plan.counters_interval(name)
        )
        if not state.window and not due:
            continue
        try:
            done[name] = _counters_pages(client, state, span).as_dict()
        except RateLimited as exc:
            done[name] = {"stopped": str(exc)}
            break  # the pace says wait: the 30 d window will not fare better
    return done


def _counters_pages(client: OktopostClient, state: SyncState, span: timedelta) -> SyncResult:
    """Up to COUNTERS_PAGES_PER_TICK pages of one counter window, saving what is left."""
    with sync_lock(POSTS_LOCK) as lock:
        result = SyncResult(kind=f"counters {state.name}")
        calls_before = client.calls
        now = timezone.now()
        if state.window:
            window = Window.load(state.window)
        else:
            window = Window(lo=now - span, hi=now + ONE_SECOND)
            SyncState.objects.filter(id=state.id).update(last_started=now)
        try:
            for items in walk(client, window, order="startDateTime"):
                if items:
                    page_apply(client, items, result)
                SyncState.objects.filter(id=state.id).update(window=window.dump())
                lock.heartbeat()
                finished = window.hi is not None and window.lo >= window.hi
                if result.pages >= COUNTERS_PAGES_PER_TICK and not finished:
                    break
            else:
                result.complete = True
            messages_flush(client, result, everything=True)
        finally:
            result.calls = client.calls - calls_before
        if result.complete:
            SyncState.objects.filter(id=state.id).update(
                window=None, last_success=timezone.now(), last_result=result.as_dict()
            )
    return result


def stats_queue(now: datetime, limit: int) -> list[Post]:
    """Posts whose shares and impressions are due: requested ones first, then those under
    48 h old that have none yet, then the rest under 48 h, then the rest; most overdue
    first in each (a backlog of old posts never holds the new ones back)."""
    alive = Post.objects.filter(deleted_at__isnull=True, status__in=SENT_STATUSES)
    picked = list(
        alive.filter(stats_requested_at__isnull=False).order_by("stats_requested_at")[:limit]
    )
    due = alive.filter(stats_requested_at__isnull=True, stats_due_at__lte=now)
    young = now - mirror.STATS_TIERS[0][0]
    for part in (
        # Young posts with no stats yet, the young ones due again, then everything else.
        due.filter(start_at__gt=young, stats_at__isnull=True),
        due.filter(start_at__gt=young, stats_at__isnull=False),
        due.exclude(start_at__gt=young),
    ):
        rest = limit - len(picked)
        if rest <= 0:
            break
        picked += list(part.order_by("stats_due_at")[:rest])
    return picked


def stats_refresh(
    *,
    limit: int,
    client: OktopostClient | None = None,
    post_ids: list[int] | None = None,
    priority: str = "background",
) -> StatsResult:
    """Fetch ?stats=1 for up to `limit` due posts (or the given ones), within the budget.

    Stops early when the budget says wait (RateLimited); what was not reached stays due.
    """
    if client is None:
        paced = priority != "interactive"
        client = get_client(
            priority="stats" if paced else priority, max_wait=PACED_MAX_WAIT if paced else 30.0
        )
    result = StatsResult()
    calls_before = client.calls
    now = timezone.now()
    plan = plan_fresh(now)
    stop_at = now + timedelta(seconds=STATS_RUN_SECONDS)
    if post_ids is not None:
        posts = list(Post.objects.filter(id__in=post_ids, deleted_at__isnull=True))
    else:
        posts = stats_queue(now, limit)
    for number, post in enumerate(posts):
        if post_ids is None and number % 5 == 0 and lock_held(POSTS_LOCK):
            # Keeping the post list in step matters more than one more post's stats.
            result.stopped = "a sync is running; stats wait for it"
            break
        if post_ids is None and timezone.now() >= stop_at:
            result.stopped = "this run's time is up; the next run goes on"
            break
        lease = stats_claim(post)
        if lease is None:
            continue  # another worker (or an overlapping run) has it: no call spent
        try:
            item = client.post_get(post.oktopost_id, stats=True)
        except RateLimited as exc:
            stats_unclaim(post, lease)
            result.stopped = str(exc)
            break
        except NotFound:
            mirror.post_gone(post)
            result.deleted += 1
            continue
        except OktopostError as exc:
            log.warning("stats of %s failed: %s", post.oktopost_id, exc)
            result.failed += 1
            # Try again in 10 minutes rather than hammering one broken post (a "refresh
            # now" becomes an ordinary retry, so a broken post cannot hold the queue's head).
            retry_at = min(post.stats_due_at or lease, timezone.now()) + timedelta(minutes=10)
            Post.objects.filter(id=post.id, stats_due_at=lease).update(stats_due_at=retry_at)
            continue
        except BaseException:
            stats_unclaim(post, lease)
            raise
        now = timezone.now()
        _, tier = mirror.stats_tier(post, now)
        with transaction.atomic():
            mirror.post_stats_apply(
                post, item, now=now, interval=seconds(plan.stats_interval(tier))
            )
        result.refreshed += 1
        result.by_tier[tier] = result.by_tier.get(tier, 0) + 1
    result.calls = client.calls - calls_before
    SyncState.objects.update_or_create(
        name=STATS_STATE,
        defaults={"last_success": timezone.now(), "last_result": asdict(result)},
    )
    return result


def stats_claim(post: Post) -> datetime | None:
    """Take a post from the stats queue before its call, so no other worker fetches it too.

    A conditional UPDATE (portable, no transaction held across the call): it succeeds only
    if the post is still as we read it. The post is leased for STATS_LEASE: if this process
    dies before storing the answer, the post falls due again then; post_stats_apply sets the
    real next due time. Returns the lease's end, or None when another worker got there first.
    """
    lease = timezone.now() + STATS_LEASE
    claimed = Post.objects.filter(
        id=post.id, stats_due_at=post.stats_due_at, stats_requested_at=post.stats_requested_at
    ).update(stats_due_at=lease, stats_requested_at=None)
    return lease if claimed else None


def stats_unclaim(post: Post, lease: datetime) -> None:
    """Put a claimed post back as it was (the budget stopped the batch before its call)."""
    restore: dict[str, object] = {"stats_due_at": post.stats_due_at}
    if post.stats_requested_at is not None:
        restore["stats_requested_at"] = post.stats_requested_at
    # Only if nobody has touched it since (a "refresh now" meanwhile is kept).
    Post.objects.filter(id=post.id, stats_due_at=lease).update(**restore)
