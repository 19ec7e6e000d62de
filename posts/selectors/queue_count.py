"""A queue's matches counted up to the cap, on SQLite the cheaper of two ways.

The count runs on every page. Through the filters' own indexes it costs a table row per
post it looks at: for filters that each select many posts and together few (sent
LinkedIn posts of one campaign: 1 post in 40), SQLite walks one filter's index and
reads some 40,000 rows to find 1,001 matches, 35-45 ms at 100k posts. Every column
those filters test is also in `post_stats_cover` (start_at, deleted_at, status,
network, campaign, creator, source, message): scanning that index alone, with no table
row, finds the same 1,001 in 3 ms. But a scan reads from the oldest post on, and reads
it all when few posts match; so it runs within a budget of work, and when the budget
is spent (SQLite interrupts it) the count is made the usual way: one query more on
such a page, the interrupted one costing the budget. PostgreSQL chooses from its
statistics and always counts the usual way.
"""

from __future__ import annotations

from django.db import OperationalError, connection
from django.db.models import QuerySet

from posts.models import SENT_STATUSES
from posts.queue import QueueFilters

# SQLite virtual-machine instructions the scan may use: about 5 per index entry, so some
# 80,000 entries (3-5 ms) whatever the table's size; past that the filters' own indexes
# are the better way, or as good.
SCAN_BUDGET = 400_000
_STEP = 1_000


def scan_counts(filters: QueueFilters) -> bool:
    """Whether the scan may pay: SQLite; only columns of the covering index tested; sent
    posts only (they lie in the past, where the scan starts) and at least one more
    column narrowing (a status alone has an index of its own that is exact)."""
    if connection.vendor != "sqlite":
        return False
    if filters.q or filters.tags or filters.profiles or filters.media or filters.approval:
        return False
    statuses = filters.effective_statuses()
    if not statuses or not set(statuses) <= set(SENT_STATUSES):
        return False
    narrowing = [filters.networks, filters.campaigns, filters.created_by, filters.sources]
    return sum(1 for values in narrowing if values) >= 1


def count_capped(base: QuerySet, cap: int, *, scan: QuerySet | None = None) -> int:
    """How many posts `base` selects, up to cap + 1 (`scan`: the same posts, queried
    with no index for a filter, tried first on SQLite)."""
    if scan is not None and connection.vendor == "sqlite":
        found = _count_within_budget(scan.order_by().values("id")[: cap + 1])
        if found is not None:
            return found
    return base.order_by()[: cap + 1].count()


def _count_within_budget(query: QuerySet) -> int | None:
    connection.ensure_connection()
    raw = connection.connection
    steps = 0

    def spent() -> bool:
        nonlocal steps
        steps += 1
        return steps * _STEP > SCAN_BUDGET

    raw.set_progress_handler(spent, _STEP)
    try:
        return query.count()
    except OperationalError:  # interrupted: the budget is spent (a read: nothing to undo)
        return None
    finally:
        raw.set_progress_handler(None, 0)
