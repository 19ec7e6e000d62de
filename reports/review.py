"""Everything the stats page shows for one view, read once for the signed-in page and
for a share link alike (they differ only in which links and controls they render).

This is reports' interface to the apps beside it: share links (sharing/) parse, render
and export through what is here and never import the rest of reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from core.localtime import as_local
from core.rendering import render_page_or_partial
from core.terms import COUNTER_LABELS, COUNTERS
from posts.queue import QueueFilters
from posts.selectors import chips_named, queue_choices
from posts.status import budget_plan
from reports import charts, services
from reports.followers import follower_section
from reports.query import DISPLAY_KEYS, FILTER_KEYS, TREND_COUNTERS, StatsQuery, stats_parse
from reports.ranges import PRESETS
from reports.selectors import (
    DIMENSIONS,
    STATUS_COUNTS,
    TOP_BY,
    WEEKDAYS,
    Breakdown,
    breakdown,
    daily,
    engagement_rates,
    heatmap,
    network_breakdown,
    posts_day_rows,
    rollup_rows,
    top_posts,
    totals,
    trend,
)
from reports.services import names_for_page

# What share links (sharing/) use of reports.
__all__ = [
    "DISPLAY_KEYS",
    "FILTER_KEYS",
    "PRESETS",
    "SECTIONS",
    "StatsQuery",
    "csv_response",
    "queue_csv_response",
    "section_response",
    "stats_parse",
    "stats_review",
]


@dataclass(frozen=True)
class BarRow:
    row: object
    value: int
    percent: float
    queue_query: str


@dataclass(frozen=True)
class HeatRow:
    day: str
    # Per hour: the cell, its shade (0-5), the hour ("09") and whether it is thin.
    cells: list[tuple[object, int, str, bool]]


def _ago(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} days"


def _narrow(dimension: str, key: str) -> dict[str, tuple[str, ...] | str]:
    if dimension == "media":
        return {"media": key}  # one value, not a list: the queue's media= filter
    field = {
        "network": "networks",
        "profile": "profiles",
        "campaign": "campaigns",
        "creator": "created_by",
        "message": "messages",
    }[dimension]
    return {field: (key,)}


def bar_rows(sq: StatsQuery, found: Breakdown) -> list[BarRow]:
    top = found.top
    rows = []
    for row in found.rows:
        value = (
            row.figures.engagement
            if found.order == "engagement"
            else row.figures.value(found.order)
        )
        link = sq.queue_query(**_narrow(found.dimension, row.key)) if row.key else ""
        rows.append(BarRow(row, value, charts.bar_percent(value, top), link))
    return rows


def view_links(sq: StatsQuery, *, shared: bool) -> dict:
    """Query strings of the page's own links (templates cannot call with arguments).

    On a share link only display choices travel in the URL: its scope is fixed."""
    make = sq.display_query if shared else sq.query
    return {
        "by": [(key, label, make(by=key)) for key, label in DIMENSIONS.items()],
        "order": {
            key: make(order=key) for key in ("posts", "engagement", *COUNTERS, *STATUS_COUNTS)
        },
        "counter": [(key, label, make(counter=key)) for key, label in TREND_COUNTERS.items()],
        "ranges": [(key, label, sq.with_range(range=key)) for key, label in PRESETS.items()],
    }


# What the heatmap's template reads of its section (the PDF renders it too).
HEATMAP_KEYS = (
    "heat_rows",
    "hours",
    "heat_halves",
    "heat_top",
    "heat_solid",
    "thin_posts",
    "heat_any",
)

# The sections a page fills in after it loads (htmx GET, same query): they read every
# post of the range (a median, per-message sums, rankings), which no sum rollup answers.
SECTIONS: dict[str, str] = {
    "breakdown": "Breakdown",
    "messages": "What each message achieved",
    "top": "Top posts",
    "heatmap": "When it works best",
    "followers": "Follower growth",
}


def _common(sq: StatsQuery, *, shared: bool) -> dict:
    return {
        "sq": sq,
        "period": sq.period,
        "zone": sq.scope.zone,
        "dimensions": DIMENSIONS,
        "counters": COUNTER_LABELS,
        "status_counts": STATUS_COUNTS,
        "links": view_links(sq, shared=shared),
        "shared": shared,
    }


def stats_review(
    sq: StatsQuery, *, now: datetime, choices: dict | None = None, shared: bool = False
) -> dict:
    """The page itself: freshness, totals, the trend and, when the rollup answers the
    scope, the per-network breakdown. The other sections are `lazy` (see `section`)."""
    choices = choices if choices is not None else queue_choices()
    scope = sq.scope
    zone = scope.zone
    rows = rollup_rows(scope, now=now)
    # Per (local day, network): from the rollup, or else in one read of the posts.
    day_rows = rows if rows is not None else posts_day_rows(scope, now=now)
    by_day = daily(scope, now=now, rows=day_rows)
    found_totals = totals(scope, now=now, days=by_day)
    lazy = ["top", "heatmap", "followers"]
    if sq.display.by != "message":
        lazy.insert(0, "messages")
    if sq.display.by == "network":
        found = network_breakdown(scope, day_rows, now=now, order=sq.display.order)
        bars = bar_rows(sq, found)
    else:
        found, bars = Breakdown(sq.display.by, sq.display.order), []
        lazy.insert(0, "breakdown")
    days = trend(scope, sq.display.counter, now=now, days=by_day)
    # A range of complete days has no day "so far"; one with none (reports.ranges) holds
    # today, whose point is marked, and compares with nothing.
    today = as_local(now, zone).date()
    so_far = {d.day: " (so far)" for d in days if d.day == today}
    labels = [f"{d.day.day} {d.day:%b}{so_far.get(d.day, '')}" for d in days]
    counter_label = TREND_COUNTERS[sq.display.counter]
    compared = not sq.period.partial
    value_chart = charts.line_chart(
        [d.value for d in days],
        [d.before_value for d in days] if compared else [],
        labels,
        [
            f"{d.day:%a %-d %b}{so_far.get(d.day, '')}: {d.value} {counter_label.lower()}"
            for d in days
        ],
    )
    posts_chart = charts.line_chart(
        [d.posts for d in days],
        [d.before_posts for d in days] if compared else [],
        labels,
        [f"{d.day:%a %-d %b}{so_far.get(d.day, '')}: {d.posts} posts sent" for d in days],
        height=110,
    )
    cur = found_totals.current
    oldest = cur.oldest
    return {
        **_common(sq, shared=shared),
        # The active filters, named: a share link's page shows them as its scope.
        "chips": chips_named(sq.chips(), choices),
        "previous": sq.period.previous(),
        "totals": found_totals,
        "rates": engagement_rates(scope, now=now, rows=day_rows),
        "breakdown": found,
        "breakdown_title": f"By {found.label.lower()}",
        "bars": bars,
        "lazy": lazy,
        "from_rollup": rows is not None,
        "trend_counters": TREND_COUNTERS,
        "counter_label": counter_label,
        "days": days,
        "today": today,
        "value_chart": value_chart,
        "posts_chart": posts_chart,
        "oldest": as_local(oldest, zone) if oldest else None,
        "oldest_ago": _ago(now - oldest) if oldest else "",
        "oldest_stats": as_local(cur.oldest_stats, zone) if cur.oldest_stats else None,
        "oldest_stats_ago": _ago(now - cur.oldest_stats) if cur.oldest_stats else "",
        "stale": cur.stale(now),
        # How often the day's budget plan refreshes what (posts/plan.py).
        "plan": budget_plan(),
        "now": now,
        "choices": choices,
    }


def section(
    sq: StatsQuery, name: str, *, now: datetime, choices: dict, shared: bool = False
) -> dict:
    """One of SECTIONS, for the page to fill in (or to open on its own without script)."""
    scope = sq.scope
    context = {**_common(sq, shared=shared), "section": name, "section_title": SECTIONS[name]}
    if name == "breakdown":
        names = names_for_page(choices)
        found = breakdown(scope, sq.display.by, now=now, order=sq.display.order, names=names)
        return context | {"breakdown": found, "bars": bar_rows(sq, found)}
    if name == "messages":
        names = names_for_page(choices)
        found = breakdown(scope, "message", now=now, order="engagement", names=names, limit=10)
        return context | {"breakdown": found, "message_rows": bar_rows(sq, found)}
    if name == "followers":
        return context | follower_section(sq)
    if name == "top":
        found_top = top_posts(scope, now=now)
        return context | {
            "top_lists": [
                (key, label, [(p, getattr(p, key)) for p in found_top[key]])
                for key, label in TOP_BY.items()
            ]
        }
    grid = heatmap(scope, now=now)
    top_cell = charts.heat_top([(c.posts, c.median) for row in grid for c in row])
    heat_rows = [
        HeatRow(
            WEEKDAYS[wd],
            [
                (
                    cell,
                    charts.heat_level(cell.median, top_cell, cell.posts),
                    f"{hour:02d}",
                    0 < cell.posts < charts.THIN_POSTS,
                )
                for hour, cell in enumerate(grid[wd])
            ],
        )
        for wd in range(7)
    ]
    return context | {
        "heat_rows": heat_rows,
        "hours": [f"{h:02d}" for h in range(24)],
        # Two halves of the day, side by side on a desktop and stacked on a phone, so
        # every hour is on screen without a sideways scroll.
        "heat_halves": [
            ("Midnight to noon", ":12", [f"{h:02d}" for h in range(12)]),
            ("Noon to midnight", "12:", [f"{h:02d}" for h in range(12, 24)]),
        ],
        "heat_top": top_cell,
        "heat_solid": any(c.posts >= charts.THIN_POSTS for row in grid for c in row),
        "thin_posts": charts.THIN_POSTS,
        "heat_any": any(c.posts for row in grid for c in row),
    }


# --- Answers the signed-in pages and share links both give --------------------------


def section_response(
    request: HttpRequest,
    sq: StatsQuery,
    name: str,
    *,
    choices: dict,
    shared: bool,
    page: str,
    extra: dict | None = None,
) -> HttpResponse:
    """One of the page's later sections: the section alone for htmx, else on a page of
    its own (`page`: the template around it, whose `section` partial is the section)
    for a browser without script."""
    if name not in SECTIONS:
        raise Http404("No such section.")
    context = section(sq, name, now=timezone.now(), choices=choices, shared=shared)
    context |= extra or {}
    return render_page_or_partial(request, page, "section", context)


def _csv_response(csv_file: services.CsvFile) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_file.lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_file.name}.csv"'
    return response


def csv_response(
    sq: StatsQuery, *, breakdown: str, choices: dict, filename: str
) -> StreamingHttpResponse:
    """The posts in scope (or, with `breakdown`, that breakdown's rows) as CSV."""
    return _csv_response(
        services.stats_csv(sq, breakdown=breakdown, choices=choices, name=filename)
    )


def queue_csv_response(filters: QueueFilters, *, zone, filename: str) -> StreamingHttpResponse:
    """Every post of a queue view (all pages), in the queue's order."""
    return _csv_response(services.queue_csv(filters, zone=zone, name=filename))
