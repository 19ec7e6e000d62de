"""The one writer of mirror rows from Oktopost's answers.

Sync, services and the seeding command all build their rows here, so a post written after
an editor's change, read by the sync or generated for a benchmark has the same shape.
Only models, `core.terms`, `oktopost.types` and Django are imported: callers bring the data.

`columns` maps Oktopost's types to columns, `writes` upserts them (posts, deliveries,
messages, media, campaigns, profiles, users, stats answers, posts gone), `catalog` the
tags, messages' tags and calendar notes, `inserts` is the fast path for brand-new rows
in bulk (seeding).
"""

from posts.mirror.catalog import message_tags_write, notes_replace, tags_upsert
from posts.mirror.columns import (
    POST_FIELDS,
    STATS_TIERS,
    campaign_values,
    delivery_status,
    first_comment_values,
    media_kind,
    media_list,
    message_values,
    post_values,
    postlog_values,
    profile_values,
    stats_sample,
    stats_tier,
)
from posts.mirror.followers import follower_days_upsert
from posts.mirror.inserts import rows_insert
from posts.mirror.writes import (
    campaigns_upsert,
    deliveries_from_postlogs,
    media_upsert_raw,
    messages_upsert,
    post_gone,
    post_stats_apply,
    post_stats_request,
    posts_gone,
    posts_upsert,
    profiles_upsert,
    users_upsert,
)

__all__ = [
    "POST_FIELDS",
    "STATS_TIERS",
    "campaign_values",
    "campaigns_upsert",
    "deliveries_from_postlogs",
    "delivery_status",
    "first_comment_values",
    "follower_days_upsert",
    "media_kind",
    "media_list",
    "media_upsert_raw",
    "message_tags_write",
    "message_values",
    "messages_upsert",
    "notes_replace",
    "post_gone",
    "post_stats_apply",
    "post_stats_request",
    "post_values",
    "postlog_values",
    "posts_gone",
    "posts_upsert",
    "profile_values",
    "profiles_upsert",
    "rows_insert",
    "stats_sample",
    "stats_tier",
    "tags_upsert",
    "users_upsert",
]
