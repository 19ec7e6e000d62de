"""Celery tasks: thin interfaces taking ids and calling one function in posts.sync/services.

Retries: Oktopost being down or slow (RetryableError) is retried a bounded number of
times with backoff and jitter. A 429 is not retried: the shared limiter already pauses
every caller until the block ends, and the next beat tick picks the work up again.
Every task is idempotent (sync claims a lock, upserts by Oktopost id, resumes from the
committed cursor), so acks_late is safe: a task lost with its worker runs again.
"""

import logging
import math
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from oktopost.errors import RateLimited, RetryableError
from posts import maintenance, services, sync
from posts.heartbeat import worker_seen_note
from posts.locks import LockBusy

log = logging.getLogger(__name__)
SYNC_BUSY_RETRY_SECONDS = 20

COMMON = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "autoretry_for": (RetryableError,),
    "dont_autoretry_for": (RateLimited,),
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 3,
}


def _seen() -> None:
    """Tell the status bar a worker is alive."""
    worker_seen_note()


@shared_task(bind=True, soft_time_limit=600, time_limit=660, **COMMON)
def sync_posts(self, full: bool = False) -> dict:
    _seen()
    if not full and sync.incremental_may_rest():
        return {"skipped": "webhooks are keeping the mirror current"}
    try:
        return sync.posts_sync(full=full).as_dict()
    except sync.SyncBusy as exc:
        # Usually a counters tick's few pages: look again shortly, so the mirror's lag stays
        # within minutes. The holder may also be a worker that died mid-run (this task may
        # be its redelivery): the retries reach past the moment its lock goes stale.
        retries = math.ceil((settings.SYNC_LOCK_STALE_SECONDS + 1) / SYNC_BUSY_RETRY_SECONDS)
        if self.request.retries < retries:
            raise self.retry(
                exc=exc, countdown=SYNC_BUSY_RETRY_SECONDS, max_retries=retries
            ) from exc
        log.info("sync skipped: another sync is running")
        return {"skipped": True}
    except (RateLimited, SoftTimeLimitExceeded) as exc:
        # Progress is committed; the next tick resumes from the saved window.
        log.warning("sync stopped early: %s", exc)
        return {"stopped": str(exc)}


@shared_task(soft_time_limit=300, time_limit=330, **COMMON)
def sync_counters(hours: int = 48) -> dict:
    """One whole counter walk (operators; the beat runs `counters_tick`)."""
    _seen()
    try:
        return sync.counters_sync(since=timedelta(hours=hours)).as_dict()
    except sync.SyncBusy:
        return {"skipped": True}
    except (RateLimited, SoftTimeLimitExceeded) as exc:
        log.warning("counters sync stopped early: %s", exc)
        return {"stopped": str(exc)}


@shared_task(soft_time_limit=120, time_limit=150, **COMMON)
def counters_tick() -> dict:
    """Recompute the day's plan when stale, and walk the counter windows it says are due."""
    _seen()
    try:
        return sync.counters_tick()
    except sync.SyncBusy:
        return {"skipped": True}
    except SoftTimeLimitExceeded:
        return {"stopped": "time limit"}


@shared_task(soft_time_limit=60, time_limit=90, **COMMON)
def plan_refresh() -> dict:
    """The day's budget plan from the mirror and the budget left (posts/plan.py)."""
    _seen()
    return sync.plan_refresh().as_dict()


@shared_task(soft_time_limit=240, time_limit=270, **COMMON)
def refresh_stats(limit: int = 40) -> dict:
    _seen()
    try:
        result = sync.stats_refresh(limit=limit)
    except SoftTimeLimitExceeded:
        return {"stopped": "time limit"}
    return {"refreshed": result.refreshed, "calls": result.calls, "stopped": result.stopped}


@shared_task(soft_time_limit=300, time_limit=330, **COMMON)
def followers_sync() -> dict:
    """Each connected profile's follower history, once a day (beat asks hourly; a
    profile already read today costs nothing)."""
    _seen()
    try:
        return sync.followers_sync().as_dict()
    except SoftTimeLimitExceeded:
        return {"stopped": "time limit"}


@shared_task(soft_time_limit=300, time_limit=330, **COMMON)
def refresh_planner_stats() -> dict:
    """Planner statistics of tables that went stale (cheap when none did)."""
    _seen()
    return {"analyzed": maintenance.planner_stats_refresh()}


@shared_task(soft_time_limit=60, time_limit=90, **COMMON)
def refresh_post_stats(post_id: int) -> dict:
    """A user's "refresh now": jumps the stats queue, still within the shared budget."""
    _seen()
    result = sync.stats_refresh(limit=1, post_ids=[post_id], priority="interactive")
    return {"refreshed": result.refreshed, "stopped": result.stopped}


# A bulk run works for bulk.RUN_FOR seconds, plus one call that may wait its turn
# (BULK_MAX_WAIT) and time out; then it queues the rest of the bulk as a new task.
BULK_BUSY_RETRY_SECONDS = 10


@shared_task(
    bind=True,
    soft_time_limit=300,
    time_limit=330,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def bulk_run(self, bulk_id: int) -> None:
    """Apply a bulk action; each post is saved as it is done, so a rerun resumes.

    Safe to run twice (see posts.services.bulk.bulk_run): when its worker dies, the
    broker hands it out again and it goes on from the post it was writing. No
    autoretry: a failed write is recorded per post with Oktopost's reason, and a lost
    answer is recorded as being checked, never sent again blindly.
    """
    _seen()
    runner = (self.request.id or "").replace("-", "")[:32] or None
    try:
        bulk = services.bulk_run(bulk_id, runner=runner)
    except LockBusy as exc:
        # Another run of this bulk holds it (one that ended its time queued the rest
        # while this copy was delivered again): wait for it, as long as it may hold.
        retries = math.ceil(services.bulk.HOLD_RUN.total_seconds() / BULK_BUSY_RETRY_SECONDS) + 1
        raise self.retry(exc=exc, countdown=BULK_BUSY_RETRY_SECONDS, max_retries=retries) from exc
    except SoftTimeLimitExceeded:
        log.warning("bulk %s: out of time; queuing the rest", bulk_id)
        bulk_run.delay(bulk_id)
        return
    if bulk.finished is None:
        bulk_run.delay(bulk_id)
