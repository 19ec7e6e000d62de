"""The top posts of a scope the hourly rollup serves, found hour by hour from the best.

Each rollup row keeps the largest clicks, conversions and engagement of its sent posts
(`best_*`, written by `rollup_sql.hour_inserts`), so the rows of a scope give, per clean
hour, a bound on any of its posts in scope. Reading the hours from the highest bound
down, each batch's posts in scope ranked, stops when the next bound is below the last of
the best found: no post of a later hour can rank above it (ties are read: the walk
stops only below). The hours the rollup cannot vouch for (dirty, cut by the period's
edges, after the queue's `start_at <= now`) are read first, whatever their bound. A
narrow scope (one profile, a media kind) so reads a few hours of posts, where ranking
its range read every post of it (seconds at 1M posts).

The hours and the dirty marks are read in one statement (one snapshot); each batch of
posts after, as the rest of the page's sections are."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from django.db.models import F, Q

from posts.models import SENT_STATUSES
from posts.selectors import Unindexed, queue_queryset
from reports.heat import cut_of, rows_where, sent_of
from reports.rollup import HOUR, Plan, _fetch, _from_hour
from reports.rollup_sql import BEST
from reports.selectors.scope import Scope

# Hours of posts ranked per query.
BATCH = 8


def _hours(plan: Plan, sent: tuple[str, ...], cut: int) -> tuple[dict[int, tuple], list[int]]:
    """(clean hour inside the period: its rows' best values), and the hours of [lo, cut)
    to read from the posts whatever their bound (dirty, or cut by the period's edges)."""
    params: list = []
    where = rows_where(plan, sent, cut, params)
    best = ", ".join(f"MAX(r.{column})" for column in BEST)
    nulls = ", ".join("NULL" for _ in BEST)
    params += [plan.lo, cut]
    sql = (
        f"SELECT r.hour, 0, {best} FROM reports_hourrollup r WHERE {where} "  # noqa: S608
        f"GROUP BY r.hour UNION ALL SELECT d.hour, 1, {nulls} FROM reports_dirtyhour d "
        "WHERE d.hour >= %s AND d.hour < %s"
    )
    clean: dict[int, tuple] = {}
    dirty = set()
    for hour, is_dirty, *values in _fetch(sql, params):
        if is_dirty:
            dirty.add(hour)
        else:
            clean[hour] = tuple(values)
    lo, hi = plan.lo_at.timestamp(), plan.hi_at.timestamp()
    edges = {h for h in (plan.lo, plan.hi - 1) if h * HOUR < lo or (h + 1) * HOUR > hi}
    always = sorted((dirty | edges) & set(range(plan.lo, cut)))
    return {h: v for h, v in clean.items() if h not in always}, always


def top_ids(
    scope: Scope,
    plan: Plan,
    rankings: dict[str, object],
    *,
    now: datetime,
    limit: int,
) -> list[int]:
    """The ids of the scope's `limit` best sent posts by each of `rankings` (key: one of
    "clicks", "conversions", "engagement"; value: its expression), only those with some."""
    sent = sent_of(plan)
    if not sent:
        return []
    cut = cut_of(plan)
    clean, always = _hours(plan, sent, cut)
    posts = (
        # Every filter column kept off its index but start_at: the hours are the way in.
        queue_queryset(
            replace(scope.filters, sort="start_at"), now=now, zone=scope.zone, walk_order=True
        )
        .alias(status_plain=Unindexed(F("status")))
        .filter(status_plain__in=SENT_STATUSES)
    )

    def spans(hours: list[int]) -> list[tuple[datetime, datetime]]:
        return [(max(_from_hour(h), plan.lo_at), min(_from_hour(h + 1), plan.hi_at)) for h in hours]

    def ranked(value, found: list[tuple[int, int]], ranges) -> list[tuple[int, int]]:
        if not ranges:
            return found
        within = Q()
        for lo, hi in ranges:
            within |= Q(start_at__gte=lo, start_at__lt=hi)
        rows = (
            posts.filter(within)
            .annotate(v=value)
            .filter(v__gt=0)
            .order_by("-v", "-id")
            .values_list("v", "id")[:limit]
        )
        return sorted([*found, *rows], key=lambda r: (-r[0], -r[1]))[:limit]

    # Hours after `cut`, from the posts with the queue's own test of now.
    tail = []
    if cut < plan.hi:
        tail = [(max(_from_hour(cut), plan.lo_at), plan.hi_at)]
    ids: list[int] = []
    for key, value in rankings.items():
        column = BEST.index(f"best_{key}")
        order = sorted(
            ((v[column], h) for h, v in clean.items() if v[column]), key=lambda b: (-b[0], b[1])
        )
        found = ranked(value, [], [*spans(always), *tail])
        at = 0
        while at < len(order):
            if len(found) >= limit and order[at][0] < found[limit - 1][0]:
                break
            found = ranked(value, found, spans([h for _, h in order[at : at + BATCH]]))
            at += BATCH
        ids += [post_id for _, post_id in found]
    return ids
