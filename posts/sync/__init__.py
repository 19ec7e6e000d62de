"""Keep the local mirror in step with Oktopost, within its limits.

Reads from Oktopost happen here and nowhere else; the rows they produce are written by
`posts.mirror`. Every run:

* holds a lock (`locks`): two syncs never overlap; a run that stops reporting progress
  for SYNC_LOCK_STALE_SECONDS, or whose process is gone, is presumed dead;
* walks a window of the post list with a keyset on the `_order` field (`walker`),
  committing after every page and saving what is left, so the next run resumes there;
* upserts posts in bulk, fetches the messages they reference in batches of 100, the
  postlogs of posts that failed, and the campaigns and profiles on a slower cadence
  (`posts`); reads list counters and shares and impressions (`stats`); and settles
  writes whose answer was lost (`settle`).
"""

from posts.mirror import STATS_TIERS, messages_upsert, posts_upsert, stats_tier
from posts.mirror import post_stats_request as stats_request
from posts.sync.locks import (
    POSTS_LOCK,
    SyncBusy,
    lock_claim,
    lock_heartbeat,
    lock_held,
    lock_release,
    sync_lock,
)
from posts.sync.posts import (
    SYNC_MAX_WAIT,
    SyncResult,
    catalog_sync,
    postlogs_fetch,
    postlogs_pending,
    posts_sync,
)
from posts.sync.settle import activities_settle
from posts.sync.stats import StatsResult, counters_sync, stats_queue, stats_refresh
from posts.sync.walker import Window, walk

__all__ = [
    "POSTS_LOCK",
    "STATS_TIERS",
    "SYNC_MAX_WAIT",
    "StatsResult",
    "SyncBusy",
    "SyncResult",
    "Window",
    "activities_settle",
    "catalog_sync",
    "counters_sync",
    "lock_claim",
    "lock_heartbeat",
    "lock_held",
    "lock_release",
    "messages_upsert",  # for services, until they import posts.mirror
    "postlogs_fetch",
    "postlogs_pending",
    "posts_sync",
    "posts_upsert",  # for services, until they import posts.mirror
    "stats_queue",
    "stats_refresh",
    "stats_request",  # for views, until they call posts.mirror.post_stats_request
    "stats_tier",
    "sync_lock",
    "walk",
]
