"""The stats page's figures from an hourly rollup, exact at every instant.

**What is kept.** `reports_hourrollup`: per UTC hour (hours since 1970) x network x
status x deleted flag, the sums `reports.selectors.figures.aggregates` computes: posts,
the six counters, posts whose counters / stats were never read, the oldest counters_at
and stats_at. The same rows again per value of each of `DIMS` (`dim`, `key`: per
campaign, creator, source, media kind and target profile), so a scope narrowed by one
of them, and a breakdown by one of them, are sums of rows too.

**Local days.** An hour in which no local midnight falls and the clocks do not change
lies within one local day; the others (one a day in a zone 30 or 45 minutes off UTC,
the hour of a clock change at half past, the first and last hour of a period that does
not start on a whole UTC hour) are `split`: their posts are read one by one, each with
its own local day. Any zone can so be answered from hours plus a few posts a day.

**Why it stays exact.** Triggers on posts_post and posts_delivery (reports/triggers.py)
mark the old and new hour of every inserted, deleted or changed row dirty, in the
writing transaction, with a fresh random token. `refresh` recomputes one dirty hour at a
time, in one transaction: read the hour's token, replace the hour's rollup rows with
GROUP BYs over its posts, and delete the dirty row only if its token is still the one
read. A write that lands meanwhile changed the token (or, on PostgreSQL, holds the row
until it commits), so its hour stays dirty. Invariant, at every commit: an hour without
a dirty row has rollup rows equal to its posts' sums. The page reads, in ONE statement
(one snapshot), the rollup rows of clean hours UNION ALL the posts of dirty and split
hours grouped the same way: every hour is counted once, from a source that is exact for
it. A rollup the worker never built is all dirty (the migrations mark every hour with
posts), so it is slow, never wrong.

**What it serves.** Scopes whose filters are network, status (and the presets of plain
statuses: sent, drafts), the deleted switch and at most one of `DIMS` (one profile: a
post aimed at two of them counts once); breakdowns by network, and by a dimension when
the scope is not narrowed by another. Anything else (messages, tags, words, stuck, the
approval filter, or any filter added later) reads the posts as before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from posts.models import SENT_STATUSES, Status
from posts.queue import QueueFilters
from reports.localsql import offsets
from reports.ranges import Period
from reports.rollup_sql import (
    _ROW,
    _at,
    _epoch,
    _hour_to_time,
    _in,
    _plain,
    _post_sums,
    _sums_of_rows,
    _vendor,
    hour_inserts,
)

HOUR = 3600
# Hours recomputed in one run after which PostgreSQL's statistics of the rollup tables
# are gathered again (autovacuum may be off, or not yet around).
ANALYZE_AFTER = 200
DAY = 86_400
_EPOCH = date(1970, 1, 1)
_DEFAULTS = {f.name: f.default for f in fields(QueueFilters)}

# The rollup's dimensions: the posts' value for each (SQL, posts as `p`, their target
# profiles as `dl`), and the queue filter that narrows to some of its values.
DIMS: dict[str, str] = {
    "campaign": "COALESCE(p.campaign_id, '')",
    "creator": "p.created_by",
    "source": "p.source",
    "media": "p.media_kind",
    "profile": "dl.profile_id",
}
_FILTER_OF = {
    "campaign": "campaigns",
    "creator": "created_by",
    "source": "sources",
    "media": "media",
    "profile": "profiles",
}
# The presets that are plain statuses (the others hold "stuck" or a time test).
_PLAIN_PRESETS = ("sent", "drafts")


@dataclass(frozen=True)
class Plan:
    """How to read a range from hours: its bounds, the zone's offsets, the split hours."""

    lo: int  # the hour holding the period's first instant
    hi: int  # the hour after the one holding its last
    lo_at: datetime  # the period's bounds
    hi_at: datetime
    # (from this second since 1970, the offset in seconds), the first from `lo_at`.
    offsets: tuple[tuple[int, int], ...]
    # Hours of [lo, hi) not within one local day of the period: read post by post.
    split: tuple[int, ...]
    networks: tuple[str, ...]
    statuses: tuple[str, ...]
    deleted: bool
    # The filters keep sent statuses only: the queue then also says start_at <= now,
    # so hours from `now`'s on are read from the posts with that test.
    until: datetime | None
    dim: str = ""  # one of DIMS the scope is narrowed by, and to which keys
    keys: tuple[str, ...] = ()


def scope_dim(filters: QueueFilters) -> tuple[str, tuple[str, ...]] | None:
    """("", ()) for a scope of network, status and the deleted switch only; (dimension,
    keys) when one of DIMS narrows it too; None when the rollup cannot answer it. Any
    other filter, including one this module does not know, is not servable."""
    if filters.preset and filters.preset not in _PLAIN_PRESETS:
        return None
    statuses = filters.effective_statuses()
    if filters.preset and not statuses:
        return None
    if any(s not in Status.values for s in statuses):
        return None
    rest = replace(
        filters,
        preset="",
        networks=(),
        statuses=(),
        deleted=False,
        sort=_DEFAULTS["sort"],
        size=_DEFAULTS["size"],
        start_from=None,
        start_to=None,
        **{name: _DEFAULTS[name] for name in _FILTER_OF.values()},
    )
    if rest != QueueFilters():
        return None
    used = [(dim, getattr(filters, name)) for dim, name in _FILTER_OF.items()]
    used = [(dim, values) for dim, values in used if values]
    if not used:
        return "", ()
    if len(used) > 1:
        return None
    dim, values = used[0]
    if dim == "media":
        return dim, ("" if values == "none" else values,)
    if dim == "profile" and len(values) > 1:
        return None  # a post aimed at two of them would count twice
    return dim, tuple(values)


def servable(filters: QueueFilters) -> bool:
    return scope_dim(filters) is not None


def _offset_at(changes: list[tuple[int, int]], at: int) -> int:
    found = changes[0][1]
    for since, offset in changes:
        if since <= at:
            found = offset
    return found


def plan_for(filters: QueueFilters, period: Period, zone, *, now: datetime) -> Plan | None:
    """A plan when the rollup can answer this scope over `period` exactly, else None."""
    found = scope_dim(filters)
    if found is None:
        return None
    dim, keys = found
    lo, hi = period.bounds(zone)
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    changes = [(int(at.timestamp()), offset) for at, offset in offsets(lo, hi, zone)]
    inside = [at for at, _ in changes[1:]]
    first, after = lo_s // HOUR, -(-hi_s // HOUR)
    split = []
    for hour in range(first, after):
        start, end = hour * HOUR, hour * HOUR + HOUR
        offset = _offset_at(changes, start)
        if (
            start < lo_s
            or end > hi_s
            or any(start < at < end for at in inside)
            or (start + offset) // DAY != (end - 1 + offset) // DAY
        ):
            split.append(hour)
    statuses = filters.effective_statuses()
    until = now if statuses and set(statuses) <= set(SENT_STATUSES) else None
    return Plan(
        first,
        after,
        lo,
        hi,
        tuple(changes),
        tuple(split),
        tuple(filters.networks),
        tuple(statuses),
        filters.deleted,
        until,
        dim,
        keys,
    )


def serves_breakdown(plan: Plan, dimension: str) -> bool:
    """By network always; by one of DIMS when the scope is not narrowed by another
    (nor by one profile, whose posts' other profiles the profile rows cannot tell)."""
    if dimension == "network":
        return True
    if dimension not in DIMS:
        return False
    return plan.dim == "" or (plan.dim == dimension and dimension != "profile")


# --- SQL pieces --------------------------------------------------------------------------


def _post_filters(plan: Plan, params: list, alias: str = "p") -> str:
    parts = []
    if plan.networks:
        parts.append(_in(_plain(f"{alias}.network"), plan.networks, params))
    if plan.statuses:
        parts.append(_in(_plain(f"{alias}.status"), plan.statuses, params))
    if not plan.deleted:
        parts.append(f"{alias}.deleted_at IS NULL")
    if plan.dim == "profile":
        params.extend(plan.keys)
        parts.append(
            "EXISTS (SELECT 1 FROM posts_delivery f "  # noqa: S608 (constant SQL)
            f"WHERE f.post_id = {alias}.id AND f.profile_id = %s)"
        )
    elif plan.dim:
        column = {"campaign": "campaign_id", "creator": "created_by"}.get(plan.dim, "")
        column = column or {"source": "source", "media": "media_kind"}[plan.dim]
        parts.append(_in(_plain(f"{alias}.{column}"), plan.keys, params))
    return "".join(f" AND {p}" for p in parts)


def _offset_case(plan: Plan, seconds: str, params: list) -> str:
    """The zone's offset at an instant given in seconds since 1970."""
    if len(plan.offsets) == 1:
        params.append(plan.offsets[0][1])
        return "%s"
    whens = []
    for (at, _), (_, before) in zip(plan.offsets[1:], plan.offsets, strict=False):
        whens.append(f"WHEN {seconds} < %s THEN %s")
        params += [at, before]
    params.append(plan.offsets[-1][1])
    return f"CASE {' '.join(whens)} ELSE %s END"


def _day(plan: Plan, hour: str, params: list) -> str:
    """The local day (days since 1970) of a whole hour (not split): its first instant
    plus the zone's offset then, which is the offset of every instant of the hour."""
    return f"(({hour}) * 3600 + {_offset_case(plan, f'({hour}) * 3600', params)}) / 86400"


def _post_day(plan: Plan, params: list, alias: str = "p") -> str:
    """The local day of each post (split hours, and hours read from the posts)."""
    seconds = _epoch(f"{alias}.start_at")
    return f"({seconds} + {_offset_case(plan, seconds, params)}) / 86400"


def _sql(plan: Plan, by: str | None) -> tuple[str, list]:
    """The one statement: (group, network, every figure) over the plan's hours, where
    the group is the local day (`by` None), nothing (`by` "network") or the value of
    one of DIMS. Each part is grouped where it reads (a few hundred rows leave each),
    and the parts are added up."""
    read = plan.dim if by in (None, "network") else by
    keyed = bool(plan.dim) and plan.dim == read
    key = "''" if by in (None, "network") else DIMS[by]
    join = " JOIN posts_delivery dl ON dl.post_id = p.id" if by == "profile" else ""
    cut = plan.hi if plan.until is None else min(plan.hi, _hour_of(plan.until))
    cut = max(cut, plan.lo)
    split = [h for h in plan.split if h < cut]
    params: list = []
    cte = ""
    if split:
        # Each split hour with its own bounds (the period's edges cut the first and last):
        # a constant bound beside the join's let SQLite scan to the period's end.
        cte = f"WITH split(hour, lo, hi) AS (VALUES {', '.join(['(%s, %s, %s)'] * len(split))}) "
        for h in split:
            params += [
                h,
                _at(max(_from_hour(h), plan.lo_at)),
                _at(min(_from_hour(h + 1), plan.hi_at)),
            ]

    def unsplit(column: str) -> str:
        return f" AND {column} NOT IN (SELECT hour FROM split)" if split else ""  # noqa: S608

    group = "r.key" if by not in (None, "network") else "''"
    if by is None:
        group = _day(plan, "r.hour", params)
    where = ["r.dim = %s", "r.hour >= %s", "r.hour < %s"]
    params += [read, plan.lo, cut]
    if keyed:
        where.append(_in("r.key", plan.keys, params))
    if plan.networks:
        where.append(_in("r.network", plan.networks, params))
    if plan.statuses:
        where.append(_in("r.status", plan.statuses, params))
    if not plan.deleted:
        where.append("r.deleted = %s")
        params.append(False)
    parts = [
        f"SELECT {group} AS g, r.network AS network, {_sums_of_rows('r')} "  # noqa: S608
        f"FROM reports_hourrollup r WHERE {' AND '.join(where)}{unsplit('r.hour')} "
        "AND NOT EXISTS (SELECT 1 FROM reports_dirtyhour d WHERE d.hour = r.hour) GROUP BY 1, 2"
    ]
    # Grouped by the plain value: on SQLite the (network, start_at) index would serve
    # the grouping and read every wide row; the range of start_at in the covering index
    # post_stats_cover is the way in (as in reports.selectors).
    network = _plain("p.network")
    group = _day(plan, "d.hour", params) if by is None else key
    params += [plan.lo, cut]
    parts.append(
        f"SELECT {group} AS g, {network} AS network, {_post_sums()} "  # noqa: S608
        f"FROM reports_dirtyhour d JOIN posts_post p ON p.start_at >= {_hour_to_time('d.hour')} "
        f"AND p.start_at < {_hour_to_time('d.hour + 1')}{join} "
        f"WHERE d.hour >= %s AND d.hour < %s{unsplit('d.hour')}"
        f"{_post_filters(plan, params)} GROUP BY 1, 2"
    )
    if split:
        group = _post_day(plan, params) if by is None else key
        parts.append(
            f"SELECT {group} AS g, {network} AS network, {_post_sums()} "  # noqa: S608
            f"FROM split s JOIN posts_post p ON p.start_at >= s.lo AND p.start_at < s.hi{join} "
            f"WHERE 1 = 1{_post_filters(plan, params)} GROUP BY 1, 2"
        )
    if plan.until is not None and cut < plan.hi:
        group = _post_day(plan, params) if by is None else key
        params += [_at(max(_from_hour(cut), plan.lo_at)), _at(plan.hi_at), _at(plan.until)]
        parts.append(
            f"SELECT {group} AS g, {network} AS network, {_post_sums()} "  # noqa: S608
            f"FROM posts_post p{join} WHERE p.start_at >= %s AND p.start_at < %s "
            f"AND p.start_at <= %s{_post_filters(plan, params)} GROUP BY 1, 2"
        )
    union = " UNION ALL ".join(parts)
    sql = f"{cte}SELECT u.g, u.network, {_sums_of_rows('u')} FROM ({union}) u GROUP BY 1, 2"  # noqa: S608
    return sql, params


def _hour_of(at: datetime) -> int:
    return int(at.timestamp()) // HOUR


def _from_hour(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * HOUR, tz=UTC)


def _as_time(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    return parsed.replace(tzinfo=UTC) if parsed and parsed.tzinfo is None else parsed


@dataclass(frozen=True)
class DayRow:
    day: date
    network: str
    figures: dict


@dataclass(frozen=True)
class KeyRow:
    key: str  # the dimension's value ("" for none, and for a breakdown by network)
    network: str
    figures: dict


def _fetch(sql: str, params: list) -> list[tuple]:
    # On PostgreSQL the planner cannot see how few posts an hour holds (the join's bounds
    # are computed from each dirty hour) and guesses thousands per hour: with JIT on it
    # compiled the statement, ~50 ms for a ~10 ms read. Connections have JIT off
    # (settings.py), which this relied on first with a SET LOCAL of its own.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _figures(values: list) -> dict:
    figures = dict(zip(_ROW, values, strict=True))
    figures["oldest"] = figures.pop("oldest_counters_at")
    figures["oldest_stats"] = figures.pop("oldest_stats_at")
    figures = {
        k: (int(v or 0) if not k.startswith("oldest") else _as_time(v)) for k, v in figures.items()
    }
    figures["outcomes"] = figures["sent"] + figures["partly"] + figures["failed"]
    return figures


def daily_rows(plan: Plan) -> list[DayRow]:
    """Every figure per (local day, network) over the plan's range, in one query."""
    return [
        DayRow(_EPOCH + timedelta(days=int(day)), network, _figures(values))
        for day, network, *values in _fetch(*_sql(plan, None))
    ]


def key_rows(plan: Plan, by: str) -> list[KeyRow]:
    """Every figure per (value of `by`, network) over the plan's range, in one query;
    `by` "network" or one of DIMS that `serves_breakdown`."""
    if not serves_breakdown(plan, by):
        raise ValueError(f"The rollup cannot break this scope down by {by}.")
    return [
        KeyRow(key, network, _figures(values)) for key, network, *values in _fetch(*_sql(plan, by))
    ]


# --- keeping it: the worker's side ----------------------------------------------------------


def dirty_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM reports_dirtyhour")
        return cursor.fetchone()[0]


def refresh_hour(hour: int, *, between=None) -> bool | None:
    """Recompute one hour's rollup rows from its posts; True when the hour is clean
    after (no write landed meanwhile), None when another worker is recomputing it right
    now. `between` runs after the token is read (tests use it to land a write
    mid-refresh, or to hold the hour while another refresher comes)."""
    # Workers on several machines: the dirty mark is held for the recompute, and an hour
    # another worker holds is left to it (PostgreSQL). SQLite has one writer at a time.
    hold = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM reports_dirtyhour WHERE hour = %s{hold}", [hour])  # noqa: S608
        found = cursor.fetchone()
        if found is None:
            if hold:
                cursor.execute("SELECT 1 FROM reports_dirtyhour WHERE hour = %s", [hour])
                if cursor.fetchone() is not None:
                    return None
            return True
        token = found[0]
        if between is not None:
            between()
        cursor.execute("DELETE FROM reports_hourrollup WHERE hour = %s", [hour])
        for sql, params in hour_inserts(hour, DIMS):
            cursor.execute(sql, params)
        cursor.execute(
            "DELETE FROM reports_dirtyhour WHERE hour = %s AND token = %s", [hour, token]
        )
        return cursor.rowcount == 1


def refresh(*, limit: int = 500, seconds: float = 20.0) -> dict:
    """Recompute up to `limit` dirty hours (newest first: the ones pages read most),
    within about `seconds`. Cheap when nothing is dirty: one indexed read."""
    began = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT hour FROM reports_dirtyhour ORDER BY hour DESC LIMIT %s", [limit])
        hours = [row[0] for row in cursor.fetchall()]
    done = still = elsewhere = 0
    for hour in hours:
        clean = refresh_hour(hour)
        if clean is None:
            elsewhere += 1
        elif clean:
            done += 1
        else:
            still += 1
        if time.monotonic() - began > seconds:
            break
    if done >= ANALYZE_AFTER and _vendor() == "postgresql":
        # A first build (or a big backfill) changed the two tables' sizes many times
        # over: the planner's statistics of them would be those of an empty rollup.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE reports_hourrollup, reports_dirtyhour")
    return {
        "hours": done,
        "still_dirty": still,
        "busy_elsewhere": elsewhere,
        "seconds": round(time.monotonic() - began, 3),
    }


def refresh_all(*, seconds_per_batch: float = 60.0) -> dict:
    """Until nothing is dirty (the bench, and a first build, run it as the worker would)."""
    total = {"hours": 0, "still_dirty": 0, "seconds": 0.0}
    while True:
        result = refresh(limit=1000, seconds=seconds_per_batch)
        for key in total:
            total[key] += result[key]
        if not result["hours"]:  # clean, or every hour written to while recomputed
            return total
