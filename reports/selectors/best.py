"""What works best: the top posts by each ranking, and the weekday by local hour
heatmap of the median engagement."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.db import connection
from django.db.models import F, Q, Value
from django.db.models.expressions import RawSQL

from core.terms import COUNTERS
from posts.models import SENT_STATUSES, Post
from posts.selectors import Unindexed, queue_queryset
from reports import best_hours, heat, rollup
from reports.localsql import local_seconds
from reports.selectors.scope import Scope

TOP_POSTS = 5

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
    (few of its posts among the best overall) is ranked hour by hour from the rollup's
    best when the rollup serves it (reports/best_hours.py), else by a bounded sort over
    its range. The ≤ 15 rows are read in one query and sorted again here."""
    walked: list[int] = []
    missing = []
    rankings = _rankings()
    for key, value in rankings.items():
        found = _walked(scope, key, value, now=now, limit=limit)
        if found is None:
            missing.append(key)
        else:
            walked += found
    plan = missing and rollup.plan_for(scope.filters, scope.period, scope.zone, now=now)
    if plan:
        # The rollup's best post per row bounds each hour: a few hours of posts are read.
        chosen = {key: rankings[key] for key in missing}
        walked += best_hours.top_ids(scope, plan, chosen, now=now, limit=limit)
        missing = []
    missing = ["eng" if key == "engagement" else key for key in missing]
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


# --- when it works best ------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    posts: int
    median: float | None


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEK_HOURS = 7 * 24


def heatmap(scope: Scope, *, now: datetime) -> list[list[Cell]]:
    """Weekday by local hour: the median engagement per sent post, and how many posts.

    SQL counts the posts per (cell, engagement value), one GROUP BY (a sort of the
    range, where window functions numbering every row took two passes and twice the
    time); the median of each cell is read off those counts here: the middle value, or
    the mean of the middle two.

    A scope the hourly rollup serves reads its values from there instead (reports/heat.py:
    each clean hour's values, counted per cell, and the posts of the other hours)."""
    plan = rollup.plan_for(scope.filters, scope.period, scope.zone, now=now)
    if plan is not None:
        grid = _empty_grid()
        for (wd, hr), found in heat.heat_values(plan).items():
            values = sorted(zip(map(int, found), found.values(), strict=True))
            total = sum(found.values())
            grid[wd][hr] = Cell(total, _median(values, total))
        return grid
    inner = (
        scope.sent(now=now)
        .annotate(
            # The local hour of the week, Monday 00:00 as 0: one local time a post (SQLite
            # evaluated a weekday and an hour apart, each its own parse of the time).
            # 1 Jan 1970 was a Thursday: its first hour is hour 72 of its week.
            week_hour=(local_seconds(scope.period, scope.zone) / Value(rollup.HOUR) + Value(72))
            % Value(WEEK_HOURS),
            eng=F("comments") + F("likes") + F("shares"),
        )
        .values("week_hour", "eng")
        .order_by()
    )
    sql, params = inner.query.sql_with_params()
    query = (
        f"SELECT week_hour, eng, COUNT(*) FROM ({sql}) cells "  # noqa: S608 (Django-compiled SQL)
        "GROUP BY week_hour, eng ORDER BY week_hour, eng"
    )
    counts: dict[tuple[int, int], list[tuple[int, int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for week_hour, eng, n in cursor.fetchall():
            counts.setdefault(divmod(int(week_hour), 24), []).append((int(eng), int(n)))
    grid = _empty_grid()
    for (wd, hr), values in counts.items():
        total = sum(n for _, n in values)
        grid[wd][hr] = Cell(total, _median(values, total))
    return grid


def _empty_grid() -> list[list[Cell]]:
    return [[Cell(0, None) for _ in range(24)] for _ in range(7)]


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
