"""Which posts a stats page is about (`Scope`: the queue's filters and a period of
local days), the counters and outcomes it reports on, and its posts as CSV rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from django.db.models import Exists, F, QuerySet, TextField
from django.db.models.functions import Cast

from core.terms import COUNTERS
from posts.models import SENT_STATUSES, Post, Status
from posts.queue import QueueFilters, search_words
from posts.search import messages_matching, posts_matching
from posts.selectors import Unindexed, queue_queryset
from reports.ranges import Period

STATUS_COUNTS: dict[str, tuple[str, str]] = {
    "sent": (Status.COMPLETE, "Sent"),
    "partly": (Status.INCOMPLETE, "Partly failed"),
    "failed": (Status.ERROR, "Failed"),
}


# --- the scope -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which posts the page is about: the queue's filters (without their dates) and a
    period of local days in `zone`."""

    filters: QueueFilters
    period: Period
    zone: tzinfo

    def posts(self, *, now: datetime, period: Period | None = None) -> QuerySet[Post]:
        """The posts of the period (this one unless given).

        Every aggregate here reads a whole range of `start_at`, so the only index worth
        taking is `post_stats_cover` (start_at first, then every column these queries
        read): the queue's `walk_order` keeps SQLite off the other filter columns'
        indexes (network, status: each would read the wide rows one by one). A filter
        narrower than the range (one message, a profile, words) keeps its own index;
        words that many messages match read `post_words_cover` (the same columns led by
        the message) through the matching messages."""
        lo, hi = (period or self.period).bounds(self.zone)
        by_start = replace(self.filters, sort="start_at")
        words = search_words(self.filters.q) if self.filters.q else []
        many = words and isinstance(posts_matching(words), Exists)
        if many:
            # Many messages match (SQLite): their ids are gathered once and the posts
            # read through them in `post_words_cover`, where the queue's test looked
            # the message up in posts_message for every post of the range.
            by_start = replace(by_start, q="")
        posts = queue_queryset(by_start, now=now, zone=self.zone, walk_order=True).filter(
            start_at__gte=lo, start_at__lt=hi
        )
        if many:
            posts = posts.filter(message_id__in=messages_matching(words))
        return posts

    def sent(self, *, now: datetime) -> QuerySet[Post]:
        """The period's posts sent in any way (the status test kept off its index)."""
        return (
            self.posts(now=now)
            .alias(status_plain=Unindexed(F("status")))
            .filter(status_plain__in=SENT_STATUSES)
        )


# --- the CSV ---------------------------------------------------------------------------

# The times come as the database's own UTC text ("YYYY-MM-DD HH:MM:SS…"), not as
# datetimes: Django's per-row conversion of three datetimes was a third of the export's
# time; reports.export turns each UTC minute into local text once.
CSV_TIMES = ("start_at", "counters_at", "stats_at")
CSV_FIELDS = (
    "oktopost_id", "csv_start_at", "status", "network", "source", "created_by",
    "campaign_id", "campaign__name", "message_id", "message__text",
    *COUNTERS, "csv_counters_at", "csv_stats_at",
)  # fmt: skip


def _csv_rows(posts: QuerySet[Post]) -> Iterator[tuple]:
    """Streamed in chunks (a server-side cursor on PostgreSQL), no model instances."""
    as_text = {f"csv_{name}": Cast(name, TextField()) for name in CSV_TIMES}
    return posts.annotate(**as_text).values_list(*CSV_FIELDS).iterator(chunk_size=2000)


def export_rows(scope: Scope, *, now: datetime) -> Iterator[tuple]:
    """Every post in scope, oldest first, streamed from the database in chunks."""
    return _csv_rows(scope.posts(now=now).order_by("start_at", "id"))


def queue_export_rows(filters: QueueFilters, *, zone: tzinfo, now: datetime) -> Iterator[tuple]:
    """Every post of a queue view in the queue's order (its sort, then id)."""
    sign = "-" if filters.descending else ""
    posts = queue_queryset(filters, now=now, zone=zone).order_by(
        f"{sign}{filters.sort_field}", f"{sign}id"
    )
    return _csv_rows(posts)
