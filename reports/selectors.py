"""Reads for the stats review: every aggregate is one SQL query over the mirror.

Nothing here loads posts into Python to add them up: totals, breakdowns, the daily
trend and the heatmap are GROUP BY queries, and only their (small) results come back.
Local days and hours are computed in SQL from each row's UTC instant plus the zone's
UTC offset at that instant (`local_seconds`): the offsets of the range come from
zoneinfo, so days across a DST change are exact on SQLite and PostgreSQL alike, without
a per-row time-zone function.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo

from django.db import connection
from django.db.models import (
    Count,
    F,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from posts.models import SENT_STATUSES, Delivery, Message, Post, Status
from posts.queue import QueueFilters
from posts.selectors import Unindexed, queue_queryset
from reports import rollup
from reports.localsql import local_seconds
from reports.ranges import Period

COUNTERS: dict[str, str] = {
    "clicks": "Clicks",
    "conversions": "Conversions",
    "comments": "Comments",
    "likes": "Likes",
    "shares": "Shares",
    "impressions": "Impressions",
}
# The list endpoint brings these with every page (counters_at); shares and impressions
# need ?stats=1, one call a post (stats_at). Until then a counter is unknown, not 0.
LIST_COUNTERS = ("clicks", "conversions", "comments", "likes")
STATS_COUNTERS = ("shares", "impressions")
ENGAGEMENT = ("comments", "likes", "shares")
STATUS_COUNTS: dict[str, tuple[str, str]] = {
    "sent": (Status.COMPLETE, "Sent"),
    "partly": (Status.INCOMPLETE, "Partly failed"),
    "failed": (Status.ERROR, "Failed"),
}
DIMENSIONS: dict[str, str] = {
    "network": "Network",
    "profile": "Profile",
    "campaign": "Campaign",
    "creator": "Creator",
    "message": "Message",
    "media": "Media",
}
# The media breakdown's rows by Post.media_kind, keyed as the queue's media= filter.
MEDIA_KINDS: dict[str, tuple[str, str]] = {
    "": ("none", "Text only"),
    "image": ("image", "With image"),
    "video": ("video", "With video"),
    "pdf": ("pdf", "With PDF"),
}
ORDERS = ("posts", "engagement", *COUNTERS, *STATUS_COUNTS)
# A breakdown shows its first rows in the page's order; the CSV has all of them.
BREAKDOWN_ROWS = 25
TOP_POSTS = 5
# Rows whose oldest sent post's counters are older than this are marked stale: the stats
# refresh reads every sent post at least daily (posts/sync/stats.py), so twice that
# means it is not keeping up.
STALE_AFTER = timedelta(days=2)
_EPOCH = date(1970, 1, 1)
DAY = 86_400


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
        narrower than the range (one message, a profile, words) keeps its own index."""
        lo, hi = (period or self.period).bounds(self.zone)
        by_start = replace(self.filters, sort="start_at")
        return queue_queryset(by_start, now=now, zone=self.zone, walk_order=True).filter(
            start_at__gte=lo, start_at__lt=hi
        )

    def sent(self, *, now: datetime) -> QuerySet[Post]:
        """The period's posts sent in any way (the status test kept off its index)."""
        return (
            self.posts(now=now)
            .alias(status_plain=Unindexed(F("status")))
            .filter(status_plain__in=SENT_STATUSES)
        )


# --- aggregates ------------------------------------------------------------------------


def _aggregates(prefix: str = "", where: Q | None = None, suffix: str = "") -> dict:
    """Counter sums, post counts by outcome and freshness, as aggregate expressions.

    `where` limits every aggregate to part of the rows (one period of two)."""

    def cond(extra: Q | None = None) -> Q | None:
        parts = [q for q in (where, extra) if q is not None]
        if not parts:
            return None
        result = parts[0]
        for part in parts[1:]:
            result &= part
        return result

    sent = Q(**{f"{prefix}status__in": SENT_STATUSES})
    out: dict = {f"posts{suffix}": Count(f"{prefix}id", filter=cond())}
    for name in COUNTERS:
        out[f"{name}{suffix}"] = Coalesce(Sum(f"{prefix}{name}", filter=cond()), 0)
    for name, (status, _) in STATUS_COUNTS.items():
        out[f"{name}{suffix}"] = Count(f"{prefix}id", filter=cond(Q(**{f"{prefix}status": status})))
    out[f"outcomes{suffix}"] = Count(f"{prefix}id", filter=cond(sent))
    out[f"unfetched{suffix}"] = Count(
        f"{prefix}id", filter=cond(sent & Q(**{f"{prefix}counters_at__isnull": True}))
    )
    out[f"unfetched_stats{suffix}"] = Count(
        f"{prefix}id", filter=cond(sent & Q(**{f"{prefix}stats_at__isnull": True}))
    )
    out[f"oldest{suffix}"] = Min(f"{prefix}counters_at", filter=cond(sent))
    out[f"oldest_stats{suffix}"] = Min(f"{prefix}stats_at", filter=cond(sent))
    return out


@dataclass
class Figures:
    """One set of numbers: a period's totals or a breakdown row."""

    posts: int = 0
    clicks: int = 0
    conversions: int = 0
    comments: int = 0
    likes: int = 0
    shares: int = 0
    impressions: int = 0
    sent: int = 0
    partly: int = 0
    failed: int = 0
    outcomes: int = 0  # sent in any way: the posts that can have counters
    unfetched: int = 0
    unfetched_stats: int = 0
    oldest: datetime | None = None
    oldest_stats: datetime | None = None

    @classmethod
    def of(cls, row: dict, suffix: str = "") -> Figures:
        return cls(
            **{
                name: row.get(f"{name}{suffix}") or cls.__dataclass_fields__[name].default
                for name in cls.__dataclass_fields__
            }
        )

    @property
    def engagement(self) -> int:
        return self.comments + self.likes + self.shares

    def known(self, counter: str) -> bool:
        """False when no sent post here has had this counter read yet ("not yet")."""
        missing = self.unfetched_stats if counter in STATS_COUNTERS else self.unfetched
        return not (self.outcomes and missing >= self.outcomes)

    def missing(self, counter: str) -> int:
        return self.unfetched_stats if counter in STATS_COUNTERS else self.unfetched

    def stale(self, now: datetime) -> bool:
        return bool(self.oldest and now - self.oldest > STALE_AFTER)

    def value(self, name: str) -> int:
        return getattr(self, name)


@dataclass(frozen=True)
class Delta:
    label: str
    key: str
    now: int
    before: int
    known: bool
    missing: int

    @property
    def change(self) -> int:
        return self.now - self.before

    @property
    def percent(self) -> float | None:
        return None if not self.before else self.change / self.before * 100

    @property
    def new(self) -> bool:
        return not self.before and bool(self.now)


@dataclass(frozen=True)
class Totals:
    current: Figures
    previous: Figures
    deltas: list[Delta]


def rollup_rows(scope: Scope, *, now: datetime) -> list[rollup.DayRow] | None:
    """Every figure per (local day, network) over both periods, from the hourly rollup
    (one query; exact, see reports/rollup.py); None when the scope's filters or zone are
    not what the rollup can answer."""
    both = Period(scope.period.previous().first, scope.period.last)
    plan = rollup.plan_for(scope.filters, both, scope.zone, now=now)
    return None if plan is None else rollup.daily_rows(plan)


def daily(
    scope: Scope, *, now: datetime, rows: list[rollup.DayRow] | None = None
) -> dict[date, Figures]:
    """Every figure per local day, over the previous period and this one, in one query:
    the totals and the trend are both sums of these (a few hundred grouped rows).
    `rows`: the rollup's answer (`rollup_rows`), summed here over networks."""
    if rows is not None:
        per_day: dict[date, list[Figures]] = {}
        for row in rows:
            per_day.setdefault(row.day, []).append(Figures.of(row.figures))
        return {day: _sum(found) for day, found in per_day.items()}
    both = Period(scope.period.previous().first, scope.period.last)
    grouped = (
        scope.posts(now=now, period=both)
        .annotate(day=local_seconds(both, scope.zone) / Value(DAY))
        .values("day")
        .annotate(**_aggregates())
        .order_by()
    )
    return {_EPOCH + timedelta(days=int(r["day"])): Figures.of(r) for r in grouped}


def _sum(figures: list[Figures]) -> Figures:
    total = Figures()
    for f in figures:
        for name in Figures.__dataclass_fields__:
            value = getattr(f, name)
            if name.startswith("oldest"):
                if value is not None:
                    current = getattr(total, name)
                    setattr(total, name, value if current is None else min(current, value))
            else:
                setattr(total, name, getattr(total, name) + value)
    return total


def totals(scope: Scope, *, now: datetime, days: dict[date, Figures] | None = None) -> Totals:
    """This period and the previous one (from `daily`, read here when not given)."""
    days = daily(scope, now=now) if days is None else days
    period, previous = scope.period, scope.period.previous()
    cur = _sum([f for d, f in days.items() if period.first <= d <= period.last])
    prev = _sum([f for d, f in days.items() if previous.first <= d <= previous.last])
    deltas = [
        Delta(label, key, cur.value(key), prev.value(key), cur.known(key), cur.missing(key))
        for key, label in COUNTERS.items()
    ]
    deltas.append(Delta("Engagement", "engagement", cur.engagement, prev.engagement, True, 0))
    deltas += [
        Delta(label, key, cur.value(key), prev.value(key), True, 0)
        for key, (_, label) in STATUS_COUNTS.items()
    ]
    return Totals(cur, prev, deltas)


# --- breakdowns ------------------------------------------------------------------------


@dataclass
class BreakdownRow:
    key: str  # the id the queue filters by ("" when there is none: no campaign)
    label: str
    figures: Figures
    stale: bool = False


@dataclass
class Breakdown:
    dimension: str
    order: str
    rows: list[BreakdownRow] = field(default_factory=list)
    more: bool = False

    @property
    def label(self) -> str:
        return DIMENSIONS[self.dimension]

    @property
    def top(self) -> int:
        return max(
            (
                r.figures.value(self.order) if self.order != "engagement" else r.figures.engagement
                for r in self.rows
            ),
            default=0,
        )


_GROUP = {
    "network": "network",
    "campaign": "campaign_id",
    "creator": "created_by",
    "message": "message_id",
    "media": "media_kind",
}


def _ordered(rows: QuerySet, order: str, group: str) -> QuerySet:
    if order == "engagement":
        rows = rows.annotate(engagement=F("comments") + F("likes") + F("shares"))
    return rows.order_by(f"-{order}", group)


def breakdown_rows(
    scope: Scope, dimension: str, *, now: datetime, order: str = "posts", limit: int | None
) -> tuple[list[dict], bool]:
    """Grouped figures, largest first by `order`; `limit` rows (None: all)."""
    column = ""
    if dimension == "profile":
        group = "profile_id"
        rows = (
            Delivery.objects.filter(post__in=scope.posts(now=now).values("pk"))
            .values(group)
            .annotate(**_aggregates(prefix="post__"))
        )
    else:
        # Grouped by the column's plain value: on SQLite its own index (network, say)
        # would give the groups in order but read every wide row to sum them.
        column, group = _GROUP[dimension], "grouped"
        rows = scope.posts(now=now).values(grouped=Unindexed(F(column))).annotate(**_aggregates())
    rows = _ordered(rows, order, group)
    if limit is None:
        found, more = list(rows), False
    else:
        found = list(rows[: limit + 1])
        found, more = found[:limit], len(found) > limit
    if column:
        for r in found:
            r[column] = r.pop("grouped")
    if dimension == "message":
        # The texts of the rows shown only: one indexed read, not one per group.
        ids = [r["message_id"] for r in found if r["message_id"]]
        texts: dict[str, str] = {}
        for start in range(0, len(ids), 500):  # the CSV asks for every message
            chunk = Message.objects.filter(oktopost_id__in=ids[start : start + 500])
            texts.update(chunk.values_list("oktopost_id", "text"))
        for r in found:
            r["text"] = texts.get(r["message_id"], "")
    return found, more


def network_breakdown(
    scope: Scope,
    rows: list[rollup.DayRow],
    *,
    now: datetime,
    order: str,
    limit: int | None = BREAKDOWN_ROWS,
) -> Breakdown:
    """The per-network breakdown of this period from the rollup's rows (`rollup_rows`):
    the same rows, order and cut as `breakdown(scope, "network", …)`."""
    period = scope.period
    per_network: dict[str, list[Figures]] = {}
    for row in rows:
        if period.first <= row.day <= period.last:
            per_network.setdefault(row.network, []).append(Figures.of(row.figures))
    totals = {network: _sum(found) for network, found in per_network.items()}

    def value(f: Figures) -> int:
        return f.engagement if order == "engagement" else f.value(order)

    ranked = sorted(totals.items(), key=lambda item: (-value(item[1]), item[0]))
    shown = ranked if limit is None else ranked[:limit]
    result = Breakdown("network", order, more=limit is not None and len(ranked) > limit)
    for network, figures in shown:
        result.rows.append(
            BreakdownRow(network, network or "(none)", figures, stale=figures.stale(now))
        )
    return result


def breakdown(
    scope: Scope,
    dimension: str,
    *,
    now: datetime,
    order: str,
    names: dict[str, dict[str, str]],
    limit: int | None = BREAKDOWN_ROWS,
) -> Breakdown:
    """`names`: per dimension, id → what a person reads (profiles, campaigns, users)."""
    found, more = breakdown_rows(scope, dimension, now=now, order=order, limit=limit)
    result = Breakdown(dimension, order, more=more)
    for row in found:
        key = row.get("profile_id") or row.get(_GROUP.get(dimension, ""), "") or ""
        if dimension == "message":
            label = (row.get("text") or "").strip() or (key or "(no message)")
            label = label if len(label) <= 90 else label[:89] + "…"
        elif dimension == "network":
            label = key or "(none)"
        elif dimension == "media":
            key, label = MEDIA_KINDS.get(key, (key, key))
        else:
            fallback = {"campaign": "(no campaign)", "creator": "(unknown)"}.get(dimension, "")
            label = names.get(dimension, {}).get(key, key) or fallback
        figures = Figures.of(row)
        result.rows.append(BreakdownRow(key, label, figures, stale=figures.stale(now)))
    return result


# --- top posts -------------------------------------------------------------------------

TOP_BY: dict[str, str] = {
    "clicks": "Clicks",
    "conversions": "Conversions",
    "engagement": "Engagement (comments + likes + shares)",
}


# How many of the best posts overall (by one ranking) a walk of its (value, id) index
# reads before it leaves the ranking to a pass over the range.
TOP_WALK = 1000


def _rankings() -> dict[str, object]:
    return {
        "clicks": F("clicks"),
        "conversions": F("conversions"),
        # Written as the index post_engagement_id is (reports migration 0002).
        "engagement": F("comments") + F("likes") + F("shares"),
    }


def _walked(scope: Scope, key: str, value, *, now: datetime, limit: int) -> list[int] | None:
    """The ids of the scope's `limit` best sent posts by `value`, found among the
    TOP_WALK best posts of the whole mirror (read from the top of its (value, id) index,
    the index alone); None when fewer than `limit` of those are in scope.

    Exact: if `limit` posts of the scope are among the TOP_WALK best, no post of the
    scope outside them can rank above the `limit`-th of them. Every filter column is
    kept off its index (start_at and status too), so the only way in is the list of ids."""
    best = (
        Post.objects.annotate(v=value).filter(v__gt=0).order_by("-v", "-id").values("id")[:TOP_WALK]
    )
    lo, hi = scope.period.bounds(scope.zone)
    by_value = replace(scope.filters, sort="clicks")
    scoped = (
        queue_queryset(by_value, now=now, zone=scope.zone, walk_order=True)
        .alias(
            start_plain=Unindexed(F("start_at")),
            status_plain=Unindexed(F("status")),
            v=value,
        )
        .filter(
            id__in=best,
            start_plain__gte=lo,
            start_plain__lt=hi,
            status_plain__in=SENT_STATUSES,
        )
        .order_by("-v", "-id")
        .values_list("id", flat=True)
    )
    found = list(scoped[:limit])
    return found if len(found) == limit else None


def top_posts(scope: Scope, *, now: datetime, limit: int = TOP_POSTS) -> dict[str, list[Post]]:
    """The top posts by each of TOP_BY (ties: the newest id first; only posts with some
    of it). Each ranking first walks its index from the top (`_walked`: a few thousand
    index entries and rows at most, whatever the range); a scope too narrow for that
    (few of its posts among the best overall) is ranked by a bounded sort over its
    range instead. The ≤ 15 rows are read in one query and sorted again here."""
    walked: list[int] = []
    missing = []
    for key, value in _rankings().items():
        found = _walked(scope, key, value, now=now, limit=limit)
        if found is None:
            missing.append("eng" if key == "engagement" else key)
        else:
            walked += found
    eng = F("comments") + F("likes") + F("shares")
    picks = Q(id__in=walked)
    if missing:
        inner = (
            scope.sent(now=now)
            .annotate(eng=eng)
            .values("id", "clicks", "conversions", "eng")
            .order_by()
        )
        sql, params = inner.query.sql_with_params()
        # Each ranking is a bounded sort (the database keeps only `limit` rows while it
        # reads the range), where a window numbers every row: the same rows, a fraction
        # of the work.
        ranked = " UNION ALL ".join(
            f"SELECT id FROM (SELECT id FROM ({sql}) AS scoped"  # noqa: S608 (Django SQL)
            f" ORDER BY {key} DESC, id DESC LIMIT %s) AS top_{key}"
            for key in missing
        )
        picks |= Q(id__in=RawSQL(ranked, (*params, limit) * len(missing)))  # noqa: S611
    rows = list(
        Post.objects.filter(picks)
        .annotate(engagement=eng)
        .select_related("message")
        .only(
            "oktopost_id",
            "network",
            "status",
            "start_at",
            "counters_at",
            "stats_at",
            "message__text",
            *COUNTERS,
        )
    )
    result: dict[str, list[Post]] = {}
    for key in TOP_BY:
        ranked_rows = sorted(rows, key=lambda p, k=key: (-getattr(p, k), -p.id))[:limit]
        result[key] = [p for p in ranked_rows if getattr(p, key)]
    return result


# --- the daily trend ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrendDay:
    day: date
    posts: int
    value: int
    before_day: date
    before_posts: int
    before_value: int


def trend(
    scope: Scope, counter: str, *, now: datetime, days: dict[date, Figures] | None = None
) -> list[TrendDay]:
    """Per local day: posts sent (in any outcome) and the sum of `counter`, with the
    previous period's day at the same position."""
    days = daily(scope, now=now) if days is None else days
    empty = Figures()

    def value(f: Figures) -> int:
        return f.engagement if counter == "engagement" else f.value(counter)

    result = []
    shift = scope.period.days
    for day in scope.period.dates():
        before = day - timedelta(days=shift)
        cur, prev = days.get(day, empty), days.get(before, empty)
        result.append(TrendDay(day, cur.outcomes, value(cur), before, prev.outcomes, value(prev)))
    return result


# --- when it works best ------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    posts: int
    median: float | None


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def heatmap(scope: Scope, *, now: datetime) -> list[list[Cell]]:
    """Weekday by local hour: the median engagement per sent post, and how many posts.

    SQL counts the posts per (cell, engagement value), one GROUP BY (a sort of the
    range, where window functions numbering every row took two passes and twice the
    time); the median of each cell is read off those counts here: the middle value, or
    the mean of the middle two."""
    seconds = local_seconds(scope.period, scope.zone)
    inner = (
        scope.sent(now=now)
        .annotate(
            local_s=seconds,
            eng=F("comments") + F("likes") + F("shares"),
        )
        .annotate(
            # 1 Jan 1970 was a Thursday: day 0 is weekday 3 (Monday is 0).
            wd=(F("local_s") / Value(DAY) + Value(3)) % Value(7),
            hr=(F("local_s") % Value(DAY)) / Value(3600),
        )
        .values("wd", "hr", "eng")
        .order_by()
    )
    sql, params = inner.query.sql_with_params()
    query = (
        f"SELECT wd, hr, eng, COUNT(*) FROM ({sql}) cells "  # noqa: S608 (Django-compiled SQL)
        "GROUP BY wd, hr, eng ORDER BY wd, hr, eng"
    )
    counts: dict[tuple[int, int], list[tuple[int, int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for wd, hr, eng, n in cursor.fetchall():
            counts.setdefault((int(wd), int(hr)), []).append((int(eng), int(n)))
    grid = [[Cell(0, None) for _ in range(24)] for _ in range(7)]
    for (wd, hr), values in counts.items():
        total = sum(n for _, n in values)
        grid[wd][hr] = Cell(total, _median(values, total))
    return grid


def _median(values: list[tuple[int, int]], total: int) -> float:
    """The median of a multiset given as (value, count) in ascending value order."""
    low, high = (total + 1) // 2, (total + 2) // 2  # 1-based ranks of the middle one or two
    seen = 0
    found: list[int] = []
    for value, n in values:
        seen += n
        while len(found) < 2 and seen >= (low, high)[len(found)]:
            found.append(value)
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


# --- the CSV ---------------------------------------------------------------------------

CSV_FIELDS = (
    "oktopost_id", "start_at", "status", "network", "source", "created_by",
    "campaign_id", "campaign__name", "message_id", "message__text",
    *COUNTERS, "counters_at", "stats_at",
)  # fmt: skip


def export_rows(scope: Scope, *, now: datetime) -> Iterator[tuple]:
    """Every post in scope, oldest first, streamed from the database in chunks."""
    posts = scope.posts(now=now).order_by("start_at", "id").values_list(*CSV_FIELDS)
    return posts.iterator(chunk_size=2000)


def queue_export_rows(filters: QueueFilters, *, zone: tzinfo, now: datetime) -> Iterator[tuple]:
    """Every post of a queue view in the queue's order (its sort, then id)."""
    sign = "-" if filters.descending else ""
    posts = queue_queryset(filters, now=now, zone=zone).order_by(
        f"{sign}{filters.sort_field}", f"{sign}id"
    )
    return posts.values_list(*CSV_FIELDS).iterator(chunk_size=2000)
