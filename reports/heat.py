"""The heatmap's engagement values from the hourly rollup, exact at every instant.

A median needs every value, so the rollup keeps them: each row of `reports_hourrollup`
holds, per quarter of its hour, the engagement of its sent posts, comma-separated
(`heat0`..`heat3`, written by `rollup_sql.hour_inserts`). A quarter lies within one
local hour in every zone whose offset is a whole number of quarters (all of today's,
+5:30 and +5:45 included), so each quarter of a clean hour goes to its (weekday, local
hour) cell whole. Hours that are dirty, that the period's edges cut, that hold a clock
change inside a quarter, or whose quarters cannot be placed (an offset off the quarter
hour), and the hours the queue's `start_at <= now` cuts, are read from the posts, each
post with its own local time. One statement reads both, as the rollup's other reads do
(reports/rollup.py): every hour counted once, from a source exact for it.

The values are counted as text (`Counter` over the split strings, in C) and turned into
numbers once per distinct value, so ~700k values cost tens of milliseconds."""

from __future__ import annotations

from collections import Counter

from posts.models import SENT_STATUSES
from reports.rollup import (
    HOUR,
    Plan,
    _fetch,
    _from_hour,
    _hour_of,
    _offset_at,
    _offset_case,
    _post_filters,
)
from reports.rollup_sql import (
    HEAT,
    _at,
    _epoch,
    _hour_to_time,
    _in,
    _plain,
    text_agg,
)

QUARTER = 900
DAY = 86_400

Cell = tuple[int, int]  # (weekday, Monday 0; local hour)


def _cell(local: int) -> Cell:
    # 1 Jan 1970 was a Thursday: day 0 is weekday 3.
    return (local // DAY + 3) % 7, local % DAY // HOUR


def _quarters(plan: Plan, hour: int) -> list[Cell] | None:
    """Each quarter's cell, or None when the hour is read from the posts: it is not
    wholly inside the period, or a quarter cannot be placed whole (a clock change inside
    it, or a local hour starting inside it)."""
    start, end = hour * HOUR, hour * HOUR + HOUR
    if start < plan.lo_at.timestamp() or end > plan.hi_at.timestamp():
        return None
    if any(start < at < end for at, _ in plan.offsets[1:]):
        # A clock change inside the hour: on a quarter's edge, each quarter its own offset.
        if any(at % QUARTER for at, _ in plan.offsets[1:] if start < at < end):
            return None
        locals_ = [q + _offset_at(plan.offsets, q) for q in range(start, end, QUARTER)]
    else:
        offset = _offset_at(plan.offsets, start)
        locals_ = [q + offset for q in range(start, end, QUARTER)]
    if any(local // HOUR != (local + QUARTER - 1) // HOUR for local in locals_):
        return None
    return [_cell(local) for local in locals_]


def _posts(plan: Plan, sent: tuple[str, ...], source: str, params: list) -> tuple[str, list]:
    """Each sent post of the scope from `source` (posts as `p`; its WHERE first, with
    `params`): its local seconds and its engagement."""
    before: list = []
    seconds = _epoch("p.start_at")
    local = f"{seconds} + {_offset_case(plan, seconds, before)}"
    after = [*params]
    status = _in(_plain("p.status"), sent, after)
    filters = _post_filters(plan, after)
    sql = (
        f"SELECT {local} AS l, p.comments + p.likes + p.shares AS e "  # noqa: S608
        f"FROM {source} AND {status}{filters}"
    )
    return sql, before + after


def sent_of(plan: Plan) -> tuple[str, ...]:
    """The sent statuses the scope keeps (the heatmap and the top posts are of those)."""
    return tuple(s for s in SENT_STATUSES if not plan.statuses or s in plan.statuses)


def cut_of(plan: Plan) -> int:
    """The hour from which the queue's `start_at <= now` cuts the rollup's rows off."""
    cut = plan.hi if plan.until is None else min(plan.hi, _hour_of(plan.until))
    return max(cut, plan.lo)


def rows_where(plan: Plan, sent: tuple[str, ...], cut: int, params: list) -> str:
    """The rollup rows (as `r`) of the scope's sent posts in hours [plan.lo, cut)."""
    where = ["r.dim = %s", "r.hour >= %s", "r.hour < %s"]
    params += [plan.dim, plan.lo, cut]
    if plan.dim:
        where.append(_in("r.key", plan.keys, params))
    if plan.networks:
        where.append(_in("r.network", plan.networks, params))
    where.append(_in("r.status", sent, params))
    if not plan.deleted:
        where.append("r.deleted = %s")
        params.append(False)
    return " AND ".join(where)


def heat_values(plan: Plan) -> dict[Cell, Counter]:
    """Per (weekday, local hour): how many sent posts of the plan's scope have each
    engagement value."""
    sent = sent_of(plan)
    if not sent:
        return {}
    cut = cut_of(plan)
    cells = {h: _quarters(plan, h) for h in range(plan.lo, cut)}
    split = [h for h, found in cells.items() if found is None]
    params: list = []
    cte = ""
    if split:
        cte = f"WITH split(hour, lo, hi) AS (VALUES {', '.join(['(%s, %s, %s)'] * len(split))}) "
        for h in split:
            lo, hi = max(_from_hour(h), plan.lo_at), min(_from_hour(h + 1), plan.hi_at)
            params += [h, _at(lo), _at(hi)]

    def unsplit(column: str) -> str:
        return f" AND {column} NOT IN (SELECT hour FROM split)" if split else ""  # noqa: S608

    where = rows_where(plan, sent, cut, params)
    texts = ", ".join(f"{text_agg(f'r.{c}')}" for c in HEAT)
    parts = [
        f"SELECT r.hour AS hour, NULL AS wd, NULL AS hr, NULL AS eng, NULL AS n, {texts} "  # noqa: S608
        f"FROM reports_hourrollup r WHERE {where}{unsplit('r.hour')} "
        "AND NOT EXISTS (SELECT 1 FROM reports_dirtyhour d WHERE d.hour = r.hour) "
        "GROUP BY r.hour"
    ]
    sources = [
        (
            "reports_dirtyhour d JOIN posts_post p "
            f"ON p.start_at >= {_hour_to_time('d.hour')} "
            f"AND p.start_at < {_hour_to_time('d.hour + 1')} "
            f"WHERE d.hour >= %s AND d.hour < %s{unsplit('d.hour')}",
            [plan.lo, cut],
        )
    ]
    if split:
        sources.append(
            (
                "split s JOIN posts_post p ON p.start_at >= s.lo AND p.start_at < s.hi WHERE 1 = 1",
                [],
            )
        )
    if plan.until is not None and cut < plan.hi:
        lo = _at(max(_from_hour(cut), plan.lo_at))
        sources.append(
            (
                "posts_post p WHERE p.start_at >= %s AND p.start_at < %s AND p.start_at <= %s",
                [lo, _at(plan.hi_at), _at(plan.until)],
            )
        )
    posts = []
    for source, source_params in sources:
        sql, found = _posts(plan, sent, source, source_params)
        posts.append(sql)
        params += found
    # Grouped where they are read, as the heatmap over the posts groups them.
    nulls = ", ".join("NULL" for _ in HEAT)
    parts.append(
        f"SELECT NULL, (x.l / {DAY} + 3) %% 7, (x.l %% {DAY}) / {HOUR}, x.e, COUNT(*), {nulls} "  # noqa: S608
        f"FROM ({' UNION ALL '.join(posts)}) x GROUP BY 2, 3, 4"
    )
    texts: dict[Cell, list[str]] = {}
    counted: list[tuple[Cell, str, int]] = []
    for hour, wd, hr, eng, n, *quarters in _fetch(cte + " UNION ALL ".join(parts), params):
        if hour is None:
            counted.append(((int(wd), int(hr)), str(int(eng)), int(n)))
            continue
        for cell, text in zip(cells[hour], quarters, strict=True):
            if text:
                texts.setdefault(cell, []).append(text)
    # One split and one count per cell.
    result = {cell: Counter(",".join(found).split(",")) for cell, found in texts.items()}
    for cell, value, n in counted:
        result.setdefault(cell, Counter())[value] += n
    return result
