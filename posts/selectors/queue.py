"""Reads for the queue page: the filters as a queryset, one page by keyset, its rows
formatted once in Python, and the posts a bulk change selects."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

from django.db import connection
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet
from django.utils import dates, timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _

from core import clock
from core.localtime import as_local
from core.terms import COUNTERS, STATS_COUNTERS
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
from posts.selectors.choices import profiles_by_id
from posts.selectors.detail import post_for_view
from posts.selectors.outcomes import Outcome, Target, explain_delivery, made_here, outcome_of
from posts.selectors.queue_count import count_capped, scan_counts

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


class CounterCell(NamedTuple):
    """A counter's cell in a queue row, its class and mark worked out here: in the
    template these tests, six a row, were about a fifth of the page's rendering."""

    label: str  # "Clicks"
    css: str  # "num counter-clicks" (+ " stale")
    value: str  # as shown; "" when never fetched
    mark: bool  # the row's stale mark goes before this value


# capfirst made a lazy wrapper a call: six a row.
_COUNTER_LABELS = {name: capfirst(name) for name in COUNTERS}


def _counter_cells(post: Post, lists: bool, stats: bool) -> list[CounterCell]:
    stale = post.is_sent and post.counters_stale
    cells = []
    for i, name in enumerate(COUNTERS):
        fetched = stats if name in STATS_COUNTERS else lists
        value = f"{getattr(post, name):,}" if fetched else ""
        css = f"num counter-{name} stale" if stale and value else f"num counter-{name}"
        cells.append(CounterCell(_COUNTER_LABELS[name], css, value, stale and i == 0))
    return cells


def _targets_title(targets: list[Target]) -> str:
    return ", ".join(
        f"{t.label} (failed: {t.error})" if t.status == "failed" else t.label for t in targets
    )


@dataclass(frozen=True)
class QueueRow:
    """A post as a queue row shows it (also a shared queue's row and the calendar's
    chips and drawer): the post, and what the row shows of it, formatted once in Python
    (per-row template filters were most of a page's render time)."""

    post: Post
    start_iso: str
    # The zone is named once on the page; the year only when it is not this one.
    start_label: str
    start_input: str  # the row's "Move" field
    # The version the page shows, for the conflict check of a change made from it.
    modified_iso: str
    counters_label: str  # "as of 09:30 · 12 min ago", or "" when never read
    # The row's message link, as `text|default:"…"|truncatechars:120` made it.
    text_preview: str
    link_title_preview: str
    # One cell a counter, its value "" when never fetched ("not yet", not 0).
    counter_cells: list[CounterCell]
    targets: list[Target]
    # The oktodash user who created it, when it was made here ("" otherwise).
    made_by: str = ""
    # The counters' cells' title: counters_label, and whether they are stale.
    counters_title: str = ""
    # The network cell's title: every target, a failure with its error.
    targets_title: str = ""

    @cached_property
    def failed_count(self) -> int:
        return sum(1 for t in self.targets if t.status == "failed")

    @property
    def first_target(self) -> Target | None:
        return self.targets[0] if self.targets else None

    @property
    def more_targets(self) -> int:
        """How many targets the row's "+N" stands for."""
        return max(len(self.targets) - 1, 0)

    @cached_property
    def status_key(self) -> str:  # the post's, read twice a row
        return self.post.status_key

    @cached_property
    def outcome(self) -> Outcome:
        """ "2 of 3 sent" and each failure in words (posts.selectors.outcomes)."""
        return outcome_of(self.post, self.targets)


def post_targets(
    post: Post, profiles: dict[str, Profile], deliveries: list[DeliveryCells] | None = None
) -> list[Target]:
    """The post's deliveries labelled from the (small) profile table, without a join
    that would drop deliveries to profiles not mirrored yet. `deliveries` as
    `deliveries_of` reads them for many posts; without them, the post's own (prefetched)
    deliveries."""
    if deliveries is None:
        deliveries = [
            (d.profile_id, d.status, d.error, d.remote_url) for d in post.deliveries.all()
        ]
    targets = []
    for profile_id, status, error, remote_url in deliveries:
        profile = profiles.get(profile_id)
        label = profile.label if profile else profile_id
        network = profile.network if profile else post.network
        targets.append(
            Target(
                profile_id=profile_id,
                label=label,
                network=network,
                status=status,
                error=error,
                remote_url=remote_url,
                connected=profile.is_valid if profile else True,
                explained=explain_delivery(post, error, network=network, profile=label)
                if status == "failed"
                else None,
            )
        )
    return targets


# A delivery as a row shows it: (profile id, status, error, remote url).
DeliveryCells = tuple[str, str, str, str]


def deliveries_of(posts: list[Post]) -> dict[int, list[DeliveryCells]]:
    """Each post's deliveries as plain tuples in id order, in one query. A prefetch made a
    queryset for each post and a model for each delivery: for a page of 50 rows, about a
    sixth of the queue's CPU (issue 31)."""
    by_post: dict[int, list[DeliveryCells]] = {}
    unread = []
    for post in posts:
        # A post read for its detail (one row re-rendered) has them prefetched already.
        prefetched = getattr(post, "_prefetched_objects_cache", {}).get("deliveries")
        if prefetched is None:
            by_post[post.id] = []
            unread.append(post.id)
        else:
            by_post[post.id] = [(d.profile_id, d.status, d.error, d.remote_url) for d in prefetched]
    if unread:
        cells = (
            Delivery.objects.filter(post_id__in=unread)
            .order_by("id")
            .values_list("post_id", "profile_id", "status", "error", "remote_url")
        )
        for post_id, *rest in cells:
            by_post[post_id].append(tuple(rest))
    return by_post


# The tokens `row_clock` writes itself; any other format goes to clock.fmt.
_CLOCK_TOKENS = frozenset("DjMYHigA")
_CLOCK_LITERALS = frozenset(", :")


def row_clock(format_string: str) -> Callable[[datetime], str]:
    """`clock.fmt(value, format_string)` for many values: the format translated to the
    current convention once, and written by hand for the tokens a row uses (Django's
    dateformat builds an object and walks the format on every call: some 60 us, two a
    row). Names (day, month, AM/PM) in the active language, as dateformat has them."""
    translated = clock.translate(format_string)
    if not set(translated) <= _CLOCK_TOKENS | _CLOCK_LITERALS:
        return lambda value: clock.fmt(value, format_string)
    days = [str(name) for name in dates.WEEKDAYS_ABBR.values()]
    months = {number: str(name).title() for number, name in dates.MONTHS_3.items()}
    am, pm = str(_("AM")), str(_("PM"))
    writers: list[Callable[[datetime], str]] = []
    for char in translated:
        if char == "D":
            writers.append(lambda v: days[v.weekday()])
        elif char == "j":
            writers.append(lambda v: str(v.day))
        elif char == "M":
            writers.append(lambda v: months[v.month])
        elif char == "Y":
            writers.append(lambda v: f"{v.year:04d}")
        elif char == "H":
            writers.append(lambda v: f"{v.hour:02d}")
        elif char == "i":
            writers.append(lambda v: f"{v.minute:02d}")
        elif char == "g":
            writers.append(lambda v: str(v.hour % 12 or 12))
        elif char == "A":
            writers.append(lambda v: pm if v.hour > 11 else am)
        else:
            writers.append(lambda v, char=char: char)
    return lambda value: "".join([write(value) for write in writers])


def queue_rows(posts: list[Post], profiles: dict[str, Profile]) -> list[QueueRow]:
    """Each post as its row shows it, in the current time zone."""
    zone = timezone.get_current_timezone()
    now = timezone.now()
    this_year = as_local(now, zone).year
    this_year_label = row_clock("D j M, H:i")
    other_year_label = row_clock("D j M Y, H:i")
    hour_minute = row_clock("H:i")
    made = made_here([post.oktopost_id for post in posts]) if posts else {}
    deliveries = deliveries_of(posts) if posts else {}
    rows = []
    for post in posts:
        local = as_local(post.start_at, zone)
        year = "" if local.year == this_year else f" {local.year}"
        seen = post.modified or post.synced_at
        counters_label = ""
        if post.counters_at:
            minutes = int((now - post.counters_at).total_seconds() // 60)
            ago = f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"
            counters_label = f"as of {hour_minute(as_local(post.counters_at, zone))} · {ago} ago"
        message = post.message
        targets = post_targets(post, profiles, deliveries[post.id])
        lists = post.counters_at is not None
        stats = post.stats_at is not None
        rows.append(
            QueueRow(
                post=post,
                start_iso=local.isoformat(),
                start_label=(other_year_label if year else this_year_label)(local),
                start_input=f"{local:%Y-%m-%dT%H:%M}",
                modified_iso=seen.isoformat() if seen else "",
                counters_label=counters_label,
                text_preview=_truncated(
                    (message.text if message else "") or "(message not synced yet)", 120
                ),
                link_title_preview=(
                    _truncated(message.link_title, 80) if message and message.link_title else ""
                ),
                counter_cells=_counter_cells(post, lists, stats),
                targets=targets,
                made_by=made.get(post.oktopost_id, ""),
                counters_title=(
                    f"{counters_label} (stale)"
                    if counters_label and post.is_sent and post.counters_stale
                    else counters_label
                ),
                targets_title=_targets_title(targets),
            )
        )
    return rows


def queue_row_for_view(oktopost_id: str) -> QueueRow:
    """One post's queue row (a live row's poll, the row after a change made from it), or
    Http404."""
    return queue_rows([post_for_view(oktopost_id)], profiles_by_id())[0]


def _truncated(text: str, length: int) -> str:
    """Django's `truncatechars`, without walking each character of a text that is
    already short: 50 rows of it were a noticeable part of rendering a page."""
    if len(text) <= length and unicodedata.is_normalized("NFC", text):
        return text
    return Truncator(text).chars(length)


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
