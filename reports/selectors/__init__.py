"""Reads for the stats review: every aggregate is one SQL query over the mirror.

Nothing here loads posts into Python to add them up: totals, breakdowns, the daily
trend and the heatmap are GROUP BY queries, and only their (small) results come back.
Local days and hours are computed in SQL from each row's UTC instant plus the zone's
UTC offset at that instant (`local_seconds`): the offsets of the range come from
zoneinfo, so days across a DST change are exact on SQLite and PostgreSQL alike, without
a per-row time-zone function.

`scope` says which posts a page is about (and streams them as CSV rows), `figures`
sums them per period and per day, `breakdowns` groups them, `best` ranks the top posts
and the hours that work best.
"""

from reports.selectors.best import TOP_BY, TOP_POSTS, WEEKDAYS, Cell, heatmap, top_posts
from reports.selectors.breakdowns import (
    BREAKDOWN_ROWS,
    DIMENSIONS,
    MEDIA_KINDS,
    ORDERS,
    Breakdown,
    BreakdownRow,
    breakdown,
    breakdown_rows,
    network_breakdown,
    profile_label,
)
from reports.selectors.figures import (
    STALE_AFTER,
    Delta,
    Figures,
    Totals,
    TrendDay,
    daily,
    posts_day_rows,
    rollup_rows,
    totals,
    trend,
)
from reports.selectors.followers import FollowerGrowth, ProfileGrowth, follower_growth
from reports.selectors.rates import Rates, engagement_rate, engagement_rates
from reports.selectors.scope import (
    CSV_FIELDS,
    STATUS_COUNTS,
    Scope,
    export_rows,
    queue_export_rows,
)

__all__ = [
    "BREAKDOWN_ROWS",
    "CSV_FIELDS",
    "DIMENSIONS",
    "MEDIA_KINDS",
    "ORDERS",
    "STALE_AFTER",
    "STATUS_COUNTS",
    "TOP_BY",
    "TOP_POSTS",
    "WEEKDAYS",
    "Breakdown",
    "BreakdownRow",
    "Cell",
    "Delta",
    "Figures",
    "FollowerGrowth",
    "ProfileGrowth",
    "Rates",
    "Scope",
    "Totals",
    "TrendDay",
    "breakdown",
    "breakdown_rows",
    "daily",
    "engagement_rate",
    "engagement_rates",
    "export_rows",
    "follower_growth",
    "heatmap",
    "network_breakdown",
    "posts_day_rows",
    "profile_label",
    "queue_export_rows",
    "rollup_rows",
    "top_posts",
    "totals",
    "trend",
]
