"""Keep the local mirror in step with Oktopost, within its limits.

Reads from Oktopost happen here and nowhere else; the rows they produce are written by
`posts.mirror`. Every run:

* holds a lock (`locks`): two syncs never overlap; a run that stops reporting progress
  for SYNC_LOCK_STALE_SECONDS, or whose process is gone, is presumed dead;
* walks a window of the post list with a keyset on the `_order` field (`walker`),
  committing after every page and saving what is left, so the next run resumes there;
* upserts posts in bulk, fetches the messages they reference (with their tags) in
  batches of 100 and the postlogs of posts that failed (`posts`); reads the catalog
  (campaigns, profiles, users, tags, calendar notes) on a slower cadence, each part on
  its own so one Oktopost refuses never stops the rest (`catalog`); reads list counters
  and shares and impressions (`stats`); and settles writes whose answer was lost
  (`settle`).
"""

from posts.mirror import STATS_TIERS, stats_tier
from posts.sync.budget import plan_fresh, plan_refresh
from posts.sync.catalog import CATALOG_MAX_AGE, catalog_sync
from posts.sync.followers import FollowersResult, followers_sync
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
    incremental_may_rest,
    postlogs_fetch,
    postlogs_pending,
    posts_sync,
)
from posts.sync.settle import activities_settle
from posts.sync.stats import (
    StatsResult,
    counters_sync,
    counters_tick,
    stats_queue,
    stats_refresh,
)
from posts.sync.walker import Window, walk

__all__ = [
    "CATALOG_MAX_AGE",
    "POSTS_LOCK",
    "STATS_TIERS",
    "SYNC_MAX_WAIT",
    "FollowersResult",
    "StatsResult",
    "SyncBusy",
    "SyncResult",
    "Window",
    "activities_settle",
    "catalog_sync",
    "counters_sync",
    "counters_tick",
    "followers_sync",
    "incremental_may_rest",
    "lock_claim",
    "lock_heartbeat",
    "lock_held",
    "lock_release",
    "plan_fresh",
    "plan_refresh",
    "postlogs_fetch",
    "postlogs_pending",
    "posts_sync",
    "stats_queue",
    "stats_refresh",
    "stats_tier",
    "sync_lock",
    "walk",
]
