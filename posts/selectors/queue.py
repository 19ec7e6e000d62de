"""Reads for the queue page: the filters as a queryset, one page by keyset (its rows
written by `posts.selectors.rows`), and the posts a bulk change selects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet
from django.utils import timezone

from core.terms import COUNTERS
from posts.models import (
    SENT_STATUSES,
    STUCK_AFTER,
    UNSENT_STATUSES,
    WAITING_STATUSES,
    Approval,
    Delivery,
    MessageTag,
    Post,
    Profile,
)
from posts.queue import STUCK, Cursor, QueueFilters, search_words
from posts.search import posts_matching
from posts.selectors.queue_count import count_capped, scan_counts
from posts.selectors.rows import QueueRow, queue_rows

# Counting stops here: enough to tell "a few" from "many" at any table size.
COUNT_CAP = 1_000


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    count: int
    count_exact: bool
    next_cursor: Cursor | None
    prev_cursor: Cursor | None
    first: bool


class Unindexed(Func):
    """The column's own value, written so that SQLite will not pick its index for it.

    Without planner statistics SQLite takes any index with an equality-like condition
    over the one that gives the page's order, and then sorts every match for 50 rows:
    for `deleted_at IS NULL`, true of nearly every post, that is the whole table. SQLite's
    documented way to say "not this index" is a unary `+`. PostgreSQL plans from its own
    statistics and gets the plain column.
    """

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)


# The columns the queue's filters test directly (profiles go through an EXISTS).
_FILTERED_COLUMNS = (
    *("status", "start_at", "network", "campaign_id", "source", "created_by", "media_kind"),
    "approval",
)


def queue_queryset(
    filters: QueueFilters, *, now: datetime, zone, walk_order: bool = False, scan: bool = False
) -> QuerySet[Post]:
    """Every post the filters select, unordered.

    `walk_order`: no filter may use an index (on SQLite), so the page is read by walking
    the sort's own (x, id) index and testing each post: right when many posts match,
    wrong when few do (see `queue_page`). `scan`: not even the sort's (see
    `posts.selectors.queue_count`)."""
    # Never a reason to choose an index: almost every post is not deleted.
    unindexed = {"deleted_at"}
    if walk_order or scan:
        unindexed |= {*_FILTERED_COLUMNS} - ({filters.sort_field} if not scan else set())
    posts = Post.objects.alias(**{f"{name}_unindexed": Unindexed(F(name)) for name in unindexed})

    def col(name: str) -> str:
        """The name to filter `name` by: the column, or its unindexed alias."""
        return f"{name}_unindexed" if name in unindexed else name

    if not filters.deleted:
        posts = posts.filter(**{f"{col('deleted_at')}__isnull": True})
    statuses = filters.effective_statuses()
    if filters.preset and not statuses:
        return posts.none()
    if statuses:
        status, start_at = col("status"), col("start_at")
        plain = [s for s in statuses if s != STUCK]
        match = Q(**{f"{status}__in": plain}) if plain else Q(pk__in=[])
        if STUCK in statuses:
            # A post held by an approval workflow waits on purpose: never stuck.
            match |= Q(
                **{f"{status}__in": WAITING_STATUSES, f"{start_at}__lt": now - STUCK_AFTER}
            ) & ~Q(**{col("approval"): Approval.WAITING})
        elif set(plain) & set(WAITING_STATUSES) and filters.preset == "upcoming":
            match &= Q(**{f"{start_at}__gte": now - STUCK_AFTER})
        posts = posts.filter(match)
        if set(statuses) <= {*SENT_STATUSES, STUCK}:
            # Sent and stuck posts all lie in the past: saying so lets the database
            # start its walk of the (start_at, id) index at now, not at the newest
            # scheduled post, skipping a month of future posts at every page.
            posts = posts.filter(**{f"{start_at}__lte": now})
    if filters.networks:
        posts = posts.filter(**{f"{col('network')}__in": filters.networks})
    if filters.campaigns:
        posts = posts.filter(**{f"{col('campaign_id')}__in": filters.campaigns})
    if filters.sources:
        posts = posts.filter(**{f"{col('source')}__in": filters.sources})
    if filters.created_by:
        posts = posts.filter(**{f"{col('created_by')}__in": filters.created_by})
    if filters.messages:
        posts = posts.filter(message_id__in=filters.messages)
    if filters.tags:
        # The tags' messages through the (tag, message) index, then their posts through
        # the posts' message index. When many posts match (walk_order), the message is
        # tested on each post of the walk instead (read from the covering index on the
        # stats page).
        tagged = MessageTag.objects.filter(tag_id__in=filters.tags).values("message_id")
        if walk_order:
            posts = posts.alias(tag_message=Unindexed(F("message_id")))
            posts = posts.filter(tag_message__in=tagged)
        else:
            posts = posts.filter(message_id__in=tagged)
    if filters.media:
        kind = "" if filters.media == "none" else filters.media
        posts = posts.filter(**{col("media_kind"): kind})
    if filters.approval:
        posts = posts.filter(**{col("approval"): filters.approval})
        if filters.approval == Approval.WAITING:
            posts = posts.exclude(**{f"{col('status')}__in": SENT_STATUSES})
    if filters.profiles:
        targets = Delivery.objects.filter(post=OuterRef("pk"), profile_id__in=filters.profiles)
        posts = posts.filter(Exists(targets))
    lo, hi = filters.start_range(zone)
    if lo:
        posts = posts.filter(**{f"{col('start_at')}__gte": lo})
    if hi:
        posts = posts.filter(**{f"{col('start_at')}__lt": hi})
    if filters.q and (words := search_words(filters.q)):
        posts = posts.filter(posts_matching(words))
    return posts


# What a queue row shows (templates/posts/queue.html#post-row) and every sort field a
# cursor may hold; the rest of a post (its payload, the sync's bookkeeping) is left
# unread: a row costs Django a conversion per column. tests/test_query_counts.py fails
# if the row ever needs one of the others (a query per row).
_ROW_FIELDS = (
    *("oktopost_id", "status", "network", "source", "created_by", "deleted_at"),
    *("start_at", "created", "modified", "synced_at", "counters_at", "stats_at"),
    *COUNTERS,
    *("campaign", "campaign__name", "message", "message__text", "message__link_title"),
    # A failed delivery's explanation counts the message's characters, link included
    # (posts.selectors.outcomes): left unread, each failed row read it in a query.
    "message__link_url",
    *("media_kind", "message__media"),
    *("approval", "approval_step", "approval_steps", "approval_step_name", "approval_item"),
)


def queue_page(
    filters: QueueFilters,
    cursor: Cursor | None,
    *,
    now: datetime,
    zone,
    profiles: dict[str, Profile],
) -> QueuePage:
    """One page by keyset on (sort field, id): the cost does not grow with depth."""
    field_name = filters.sort_field
    base = queue_queryset(filters, now=now, zone=zone)
    # Counting first, through the filters' own indexes, costs at most COUNT_CAP index
    # entries and tells how to read the page. Few matches: through those indexes, then
    # sort them. Many: walk the sort's (x, id) index and keep what matches, which
    # finds 50 within a few hundred posts, where sorting every match would read and sort
    # up to all of them. PostgreSQL weighs this itself from its statistics; SQLite,
    # without them, always takes the first way.
    scan = queue_queryset(filters, now=now, zone=zone, scan=True) if scan_counts(filters) else None
    count = count_capped(base, COUNT_CAP, scan=scan)
    if count > COUNT_CAP and connection.vendor == "sqlite":
        base = queue_queryset(filters, now=now, zone=zone, walk_order=True)
    # Going backwards reads the keyset the other way round, then flips the rows.
    descending = filters.descending != bool(cursor and cursor.backwards)
    sign = "-" if descending else ""
    page = base.order_by(f"{sign}{field_name}", f"{sign}id")
    if cursor:
        before = "lt" if descending else "gt"
        # The first, redundant bound is what PostgreSQL can use as an index condition;
        # the OR alone makes it scan from the top and filter (the cost of an OFFSET).
        page = page.filter(
            Q(**{f"{field_name}__{before}e": cursor.value}),
            Q(**{f"{field_name}__{before}": cursor.value})
            | Q(**{field_name: cursor.value, f"id__{before}": cursor.id}),
        )
    size = filters.size
    posts = list(page.select_related("campaign", "message").only(*_ROW_FIELDS)[: size + 1])
    more = len(posts) > size
    rows = queue_rows(posts[:size], profiles)
    if cursor and cursor.backwards:
        rows.reverse()
        has_next, has_prev = True, more
    else:
        has_next, has_prev = more, cursor is not None

    def edge(row: QueueRow, backwards: bool) -> Cursor:
        post = row.post
        return Cursor(value=getattr(post, field_name), id=post.id, backwards=backwards)

    return QueuePage(
        rows=rows,
        count=min(count, COUNT_CAP),
        count_exact=count <= COUNT_CAP,
        next_cursor=edge(rows[-1], False) if rows and has_next else None,
        prev_cursor=edge(rows[0], True) if rows and has_prev else None,
        first=cursor is None,
    )


# --- bulk changes ------------------------------------------------------------------

BULK_CAP = 500


def bulk_selected(ids: list[str]) -> list[str]:
    """Of the posted ids, the unsent posts that exist, in schedule order."""
    return list(
        Post.objects.filter(
            oktopost_id__in=ids[:BULK_CAP], status__in=UNSENT_STATUSES, deleted_at__isnull=True
        )
        .order_by("start_at", "id")
        .values_list("oktopost_id", flat=True)
    )


def bulk_matching(filters: QueueFilters, *, zone) -> list[str]:
    posts = queue_queryset(filters, now=timezone.now(), zone=zone).filter(
        status__in=UNSENT_STATUSES
    )
    return list(posts.order_by("start_at", "id").values_list("oktopost_id", flat=True)[:BULK_CAP])
