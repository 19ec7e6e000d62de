"""Reads for pages: everything here comes from the local mirror (and the shared budget).

`queue` (the queue page, bulk selections), `rows` (a post as its queue row shows it),
`choices` (the small tables every page reads whole), `detail` (a post's page and drawer),
`compose` (the create form's checks, messages and preview), `activity` (the audit trail
in words).
"""

from posts.selectors.activity import ActivityRow, activity_describe, activity_list, post_names
from posts.selectors.choices import (
    chips_named,
    filter_chips,
    filter_ids,
    profiles_by_id,
    queue_choices,
    saved_views_for,
    user_names,
)
from posts.selectors.compose import (
    DUPLICATE_WINDOW,
    Counter,
    CreateChecks,
    compose_media,
    compose_preview_sources,
    create_checks,
    media_items,
    messages_search,
)
from posts.selectors.detail import (
    Chart,
    ShownMedia,
    message_media,
    post_for_view,
    post_history,
    post_media,
    profiles_of_network,
    stats_chart,
)
from posts.selectors.edit import EditPlan, duplicate_initial, edit_plan
from posts.selectors.outcomes import Links, Outcome, made_here, outcome_of, post_links
from posts.selectors.queue import (
    BULK_CAP,
    COUNT_CAP,
    QueuePage,
    Unindexed,
    bulk_matching,
    bulk_selected,
    queue_page,
    queue_queryset,
)
from posts.selectors.rows import QueueRow, Target, post_targets, queue_row_for_view, queue_rows

__all__ = [
    "BULK_CAP",
    "COUNT_CAP",
    "DUPLICATE_WINDOW",
    "ActivityRow",
    "Chart",
    "Counter",
    "CreateChecks",
    "EditPlan",
    "Links",
    "Outcome",
    "QueuePage",
    "QueueRow",
    "ShownMedia",
    "Target",
    "Unindexed",
    "activity_describe",
    "activity_list",
    "bulk_matching",
    "bulk_selected",
    "chips_named",
    "compose_media",
    "compose_preview_sources",
    "create_checks",
    "duplicate_initial",
    "edit_plan",
    "filter_chips",
    "filter_ids",
    "made_here",
    "media_items",
    "message_media",
    "messages_search",
    "outcome_of",
    "post_for_view",
    "post_history",
    "post_links",
    "post_media",
    "post_names",
    "post_targets",
    "profiles_by_id",
    "profiles_of_network",
    "queue_choices",
    "queue_page",
    "queue_queryset",
    "queue_row_for_view",
    "queue_rows",
    "saved_views_for",
    "stats_chart",
    "user_names",
]
