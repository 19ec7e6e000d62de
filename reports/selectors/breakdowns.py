"""The stats review's breakdowns: the period's figures grouped by network, profile,
campaign, creator, message or media, one GROUP BY each."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db import connection
from django.db.models import F, QuerySet

from core.terms import COUNTERS
from posts.models import Delivery, Message
from posts.selectors import Unindexed, queue_queryset
from reports import message_bounds, message_keys, rollup
from reports.selectors.figures import Figures, aggregates, figures_sum
from reports.selectors.rates import engagement_rate, rated_sums
from reports.selectors.scope import STATUS_COUNTS, Scope

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


# --- breakdowns ------------------------------------------------------------------------


def profile_label(name: str, network: str) -> str:
    """A profile as breakdowns name it: one name can be a profile on several networks
    ("Northwind Analytics · LinkedIn", "Northwind Analytics · Twitter")."""
    return f"{name} · {network}" if network else name


@dataclass
class BreakdownRow:
    key: str  # the id the queue filters by ("" when there is none: no campaign)
    label: str
    figures: Figures
    stale: bool = False
    # The engagement and impressions of the posts whose impressions are known
    # (reports/selectors/rates.py).
    rated: int = 0
    rated_impressions: int = 0

    @property
    def engagement_rate(self) -> float | None:
        return engagement_rate(self.rated, self.rated_impressions)


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


# The breakdowns the hourly rollup can answer, and the column each row is keyed by.
_ROLLUP_COLUMN = {
    "network": "network",
    "campaign": "campaign_id",
    "creator": "created_by",
    "media": "media_kind",
    "profile": "profile_id",
}


def _from_rollup(scope: Scope, dimension: str, *, now: datetime, order: str) -> list[dict] | None:
    """Every group of the breakdown, from the rollup's rows (reports/rollup.py), in the
    order the GROUP BY over the posts gives: largest first, ties by the group's value
    (no campaign first on SQLite, last on PostgreSQL, as each sorts NULL); None when
    the rollup does not serve this scope or dimension."""
    column = _ROLLUP_COLUMN.get(dimension)
    plan = column and rollup.plan_for(scope.filters, scope.period, scope.zone, now=now)
    if not plan or not rollup.serves_breakdown(plan, dimension):
        return None
    groups: dict[str, list[Figures]] = {}
    rated: dict[str, list[int]] = {}
    for row in rollup.key_rows(plan, dimension):
        group = row.network if dimension == "network" else row.key
        groups.setdefault(group, []).append(Figures.of(row.figures))
        parts = rated.setdefault(group, [0, 0])
        parts[0] += row.figures.get("rated", 0)
        parts[1] += row.figures.get("rated_impressions", 0)
    found = []
    for key, figures in groups.items():
        total = figures_sum(figures)
        row = {"rated": rated[key][0], "rated_impressions": rated[key][1]}
        row |= {name: getattr(total, name) for name in Figures.__dataclass_fields__}
        row[column] = None if dimension == "campaign" and key == "" else key
        if order == "engagement":
            row["engagement"] = total.engagement
        found.append(row)
    nulls_first = connection.vendor == "sqlite"

    def rank(row: dict) -> tuple:
        key = row[column]
        return (-row[order], (key is not None) == nulls_first, key or "")

    return sorted(found, key=rank)


def _walked_messages(
    scope: Scope, *, now: datetime, order: str, limit: int | None
) -> list[dict] | None:
    """The first `limit` + 1 groups of the breakdown by message by engagement or by
    posts, found by walking the messages' sums from the largest down, each batch's posts
    read through the posts' message index: the sums of the one network, source, media
    kind or profile the scope is narrowed to (reports/message_keys.py), else each
    message's engagement over all its posts (reports/message_bounds.py). None when no
    walk serves (another order, every row, a scope of chosen messages, by posts with no
    one value to bound them, or too long a walk)."""
    if order not in message_keys.ORDERS or limit is None or scope.filters.messages:
        return None
    bound = message_keys.bound_for(scope.filters)
    if bound is None and order != "engagement":
        return None
    lo, hi = scope.period.bounds(scope.zone)
    # Every filter column kept off its index, start_at too: the way in is the message.
    posts = queue_queryset(
        replace(scope.filters, sort="clicks"), now=now, zone=scope.zone, walk_order=True
    ).alias(start_plain=Unindexed(F("start_at")))
    posts = posts.filter(start_plain__gte=lo, start_plain__lt=hi)

    def grouped(posts: QuerySet) -> list[dict]:
        rows = posts.values(grouped=Unindexed(F("message_id")))
        return list(_ordered(rows.annotate(**rated_sums(), **aggregates()), order, "grouped"))

    def fetch(ids: list[str]) -> list[dict]:
        return grouped(posts.filter(message_id__in=ids))

    if bound is None:
        found = message_bounds.top_by_engagement(fetch, limit=limit + 1)
    else:
        dim, key = bound
        found = message_bounds.top_by_key(fetch, dim=dim, key=key, order=order, limit=limit + 1)
    if found is None:
        return None
    # The posts without a message are one group of their own.
    found += grouped(posts.filter(message_id__isnull=True))
    nulls_first = connection.vendor == "sqlite"
    found.sort(
        key=lambda r: (
            -r[order],
            (r["grouped"] is not None) == nulls_first,
            r["grouped"] or "",
        )
    )
    return found[: limit + 1]


def breakdown_rows(
    scope: Scope, dimension: str, *, now: datetime, order: str = "posts", limit: int | None
) -> tuple[list[dict], bool]:
    """Grouped figures, largest first by `order`; `limit` rows (None: all)."""
    served = _from_rollup(scope, dimension, now=now, order=order)
    if served is not None:
        if limit is None:
            return served, False
        return served[:limit], len(served) > limit
    column = ""
    walked = None
    if dimension == "message":
        walked = _walked_messages(scope, now=now, order=order, limit=limit)
    if dimension == "profile":
        group = "profile_id"
        rows = (
            Delivery.objects.filter(post__in=scope.posts(now=now).values("pk"))
            .values(group)
            .annotate(**aggregates(prefix="post__"), **rated_sums(prefix="post__"))
        )
    else:
        # Grouped by the column's plain value: on SQLite its own index (network, say)
        # would give the groups in order but read every wide row to sum them.
        column, group = _GROUP[dimension], "grouped"
        rows = (
            scope.posts(now=now)
            .values(grouped=Unindexed(F(column)))
            # The rate's sums first: after aggregates(), "comments" names its sum.
            .annotate(**rated_sums(), **aggregates())
        )
    rows = _ordered(rows, order, group)
    if dimension == "message" and walked is not None:
        found, more = walked[:limit], len(walked) > limit
    elif limit is None:
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
    # The rate's parts, summed post by post in the rollup (reports.selectors.rates).
    rated: dict[str, list[int]] = {}
    for row in rows:
        if period.first <= row.day <= period.last:
            parts = rated.setdefault(row.network, [0, 0])
            parts[0] += row.figures.get("rated", 0)
            parts[1] += row.figures.get("rated_impressions", 0)
    totals = {network: figures_sum(found) for network, found in per_network.items()}

    def value(f: Figures) -> int:
        return f.engagement if order == "engagement" else f.value(order)

    ranked = sorted(totals.items(), key=lambda item: (-value(item[1]), item[0]))
    shown = ranked if limit is None else ranked[:limit]
    result = Breakdown("network", order, more=limit is not None and len(ranked) > limit)
    for network, figures in shown:
        row = BreakdownRow(network, network or "(none)", figures, stale=figures.stale(now))
        row.rated, row.rated_impressions = rated[network]
        result.rows.append(row)
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
        found_row = BreakdownRow(key, label, figures, stale=figures.stale(now))
        found_row.rated = row.get("rated") or 0
        found_row.rated_impressions = row.get("rated_impressions") or 0
        result.rows.append(found_row)
    return result
