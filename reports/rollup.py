"""The stats page's daily figures from an hourly rollup, exact at every instant.

**What is kept.** `reports_hourrollup`: per UTC hour (hours since 1970) x network x
status x deleted flag, the sums `reports.selectors.figures.aggregates` computes: posts,
the six counters, posts whose counters / stats were never read, the oldest counters_at
and stats_at. A zone whose UTC offset is a whole number of hours at every instant of a
range, and changes only on whole UTC hours, has local days that are unions of UTC
hours: such a range can be answered from hours.

**Why it stays exact.** Triggers on posts_post (reports/triggers.py) mark the old and
new hour of every inserted, deleted or changed row dirty, in the writing transaction,
with a fresh random token. `refresh` recomputes one dirty hour at a time, in one
transaction: read the hour's token, replace the hour's rollup rows with a GROUP BY over
its posts, and delete the dirty row only if its token is still the one read. A write
that lands meanwhile changed the token (or, on PostgreSQL, holds the row until it
commits), so its hour stays dirty. Invariant, at every commit: an hour without a dirty
row has rollup rows equal to its posts' sums. The page reads, in ONE statement (one
snapshot), the rollup rows of clean hours UNION ALL the posts of dirty hours grouped the
same way: every hour is counted once, from a source that is exact for it. A rollup the
worker never built is all dirty (the migration marks every hour with posts), so it is
slow, never wrong.

**What it serves.** Scopes whose filters are network, status and the deleted switch
only (`servable`); anything else (preset, profile, campaign, source, creator, message,
words, or any filter added later) reads the posts as before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from core.terms import COUNTERS
from posts.models import SENT_STATUSES, Status
from posts.queue import QueueFilters
from reports import triggers
from reports.localsql import offsets
from reports.ranges import Period

HOUR = 3600
# Hours recomputed in one run after which PostgreSQL's statistics of the rollup tables
# are gathered again (autovacuum may be off, or not yet around).
ANALYZE_AFTER = 200
DAY = 86_400
_EPOCH = date(1970, 1, 1)
COUNTER_COLUMNS = COUNTERS
_DEFAULTS = {f.name: f.default for f in fields(QueueFilters)}


@dataclass(frozen=True)
class Plan:
    """How to read a range from hours: its bounds and the zone's offsets, in hours."""

    lo: int  # first hour
    hi: int  # hour after the last
    # (from this hour, the offset in seconds), the first from `lo`.
    offsets: tuple[tuple[int, int], ...]
    networks: tuple[str, ...]
    statuses: tuple[str, ...]
    deleted: bool
    # The filters keep sent statuses only: the queue then also says start_at <= now,
    # so hours from `now`'s on are read from the posts with that test.
    until: datetime | None


def servable(filters: QueueFilters) -> bool:
    """Only network, status (plain statuses) and the deleted switch: what the rollup's
    key holds. Any other filter, including one this module does not know, is not."""
    if filters.preset or any(s not in Status.values for s in filters.statuses):
        return False
    rest = replace(
        filters,
        networks=(),
        statuses=(),
        deleted=False,
        sort=_DEFAULTS["sort"],
        size=_DEFAULTS["size"],
        start_from=None,
        start_to=None,
    )
    return rest == QueueFilters()


def plan_for(filters: QueueFilters, period: Period, zone, *, now: datetime) -> Plan | None:
    """A plan when the rollup can answer this scope over `period` exactly, else None."""
    if not servable(filters):
        return None
    lo, hi = period.bounds(zone)
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    if lo_s % HOUR or hi_s % HOUR:
        return None
    changes = offsets(lo, hi, zone)
    found = []
    for at, offset in changes:
        at_s = int(at.timestamp())
        if offset % HOUR or at_s % HOUR:
            return None
        found.append((at_s // HOUR, offset))
    until = now if filters.statuses and set(filters.statuses) <= set(SENT_STATUSES) else None
    return Plan(
        lo_s // HOUR,
        hi_s // HOUR,
        tuple(found),
        tuple(filters.networks),
        tuple(filters.statuses),
        filters.deleted,
        until,
    )


# --- SQL pieces --------------------------------------------------------------------------


def _vendor() -> str:
    return connection.vendor


def _hour_to_time(expr: str) -> str:
    """The instant an hour number starts, comparable with posts_post.start_at."""
    if _vendor() == "sqlite":
        return f"datetime(({expr}) * 3600, 'unixepoch')"
    return f"to_timestamp(({expr}) * 3600)"


def _at(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _plain(column: str) -> str:
    """On SQLite, keep the planner off a filter column's own index (`+column`): the
    range of start_at, read from the covering index, is the way in."""
    return f"+{column}" if _vendor() == "sqlite" else column


def _in(column: str, values: tuple[str, ...], params: list) -> str:
    params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def _post_filters(plan: Plan, params: list, alias: str = "p") -> str:
    parts = []
    if plan.networks:
        parts.append(_in(_plain(f"{alias}.network"), plan.networks, params))
    if plan.statuses:
        parts.append(_in(_plain(f"{alias}.status"), plan.statuses, params))
    if not plan.deleted:
        parts.append(f"{alias}.deleted_at IS NULL")
    return "".join(f" AND {p}" for p in parts)


# Constants of the code, not input: written into the SQL as they are.
_SENT_IN = "(" + ", ".join(f"'{status}'" for status in SENT_STATUSES) + ")"


def _post_sums(alias: str = "p") -> str:
    """The rollup's sums over some posts (one row per group). Counts by outcome and the
    freshness figures are of sent posts only, as `reports.selectors.figures.aggregates`
    counts them."""
    sums = ", ".join(f"SUM({alias}.{c}) AS {c}" for c in COUNTER_COLUMNS)
    status, sent = f"{alias}.status", f"{alias}.status IN {_SENT_IN}"
    return (
        f"COUNT(*) AS posts, {sums}, "
        f"SUM(CASE WHEN {status} = '{Status.COMPLETE}' THEN 1 ELSE 0 END) AS sent, "
        f"SUM(CASE WHEN {status} = '{Status.INCOMPLETE}' THEN 1 ELSE 0 END) AS partly, "
        f"SUM(CASE WHEN {status} = '{Status.ERROR}' THEN 1 ELSE 0 END) AS failed, "
        f"SUM(CASE WHEN {sent} AND {alias}.counters_at IS NULL THEN 1 ELSE 0 END) AS unfetched, "
        f"SUM(CASE WHEN {sent} AND {alias}.stats_at IS NULL THEN 1 ELSE 0 END) AS unfetched_stats, "
        f"MIN(CASE WHEN {sent} THEN {alias}.counters_at END) AS oldest_counters_at, "
        f"MIN(CASE WHEN {sent} THEN {alias}.stats_at END) AS oldest_stats_at"
    )


# The rollup's figure columns (selectors.Figures less `outcomes`, added up in Python).
_ROW = ("posts", *COUNTER_COLUMNS, "sent", "partly", "failed", "unfetched", "unfetched_stats")
_ROW += ("oldest_counters_at", "oldest_stats_at")


def _day(plan: Plan, hour: str, params: list) -> str:
    """The local day (days since 1970) of an hour number: its first instant plus the
    zone's offset then, which is the offset of every instant of the hour."""
    if len(plan.offsets) == 1:
        params.append(plan.offsets[0][1])
        return f"(({hour}) * 3600 + %s) / 86400"
    whens = []
    for (at, _), (_, before) in zip(plan.offsets[1:], plan.offsets, strict=False):
        whens.append(f"WHEN ({hour}) < %s THEN %s")
        params += [at, before]
    params.append(plan.offsets[-1][1])
    return f"(({hour}) * 3600 + CASE {' '.join(whens)} ELSE %s END) / 86400"


def _sums_of_rows(alias: str) -> str:
    return ", ".join(
        f"MIN({alias}.{c}) AS {c}" if c.startswith("oldest") else f"SUM({alias}.{c}) AS {c}"
        for c in _ROW
    )


def daily_sql(plan: Plan) -> tuple[str, list]:
    """The one statement: (local day, network, every figure) over the plan's hours.
    Each part is grouped by local day and network where it reads (a few hundred rows
    leave each), and the parts are added up."""
    params: list = []
    cut = plan.hi if plan.until is None else min(plan.hi, _hour_of(plan.until))
    cut = max(cut, plan.lo)
    day = _day(plan, "r.hour", params)
    rollup_where = ["r.hour >= %s", "r.hour < %s"]
    params += [plan.lo, cut]
    if plan.networks:
        rollup_where.append(_in("r.network", plan.networks, params))
    if plan.statuses:
        rollup_where.append(_in("r.status", plan.statuses, params))
    if not plan.deleted:
        rollup_where.append("r.deleted = %s")
        params.append(False)
    rollup = (
        f"SELECT {day} AS day, r.network AS network, {_sums_of_rows('r')} "  # noqa: S608
        f"FROM reports_hourrollup r WHERE {' AND '.join(rollup_where)} AND NOT EXISTS "
        "(SELECT 1 FROM reports_dirtyhour d WHERE d.hour = r.hour) GROUP BY 1, 2"
    )
    # Grouped by the plain value: on SQLite the (network, start_at) index would serve
    # the grouping and read every wide row; the range of start_at in the covering index
    # post_stats_cover is the way in (as in reports.selectors).
    network = _plain("p.network")
    day = _day(plan, "d.hour", params)
    params += [plan.lo, cut]
    dirty = (
        f"SELECT {day} AS day, {network} AS network, {_post_sums()} "  # noqa: S608
        f"FROM reports_dirtyhour d JOIN posts_post p ON p.start_at >= {_hour_to_time('d.hour')} "
        f"AND p.start_at < {_hour_to_time('d.hour + 1')} "
        f"WHERE d.hour >= %s AND d.hour < %s{_post_filters(plan, params)} GROUP BY 1, 2"
    )
    parts = [rollup, dirty]
    if plan.until is not None and cut < plan.hi:
        # The hour as the triggers compute it; "%" doubled for the parameter syntax.
        hour = triggers.hour_sql(_vendor(), "p.start_at").replace("%", "%%")
        day = _day(plan, hour, params)
        params += [_at(_from_hour(cut)), _at(_from_hour(plan.hi)), _at(plan.until)]
        parts.append(
            f"SELECT {day} AS day, {network} AS network, {_post_sums()} "  # noqa: S608
            "FROM posts_post p WHERE p.start_at >= %s AND p.start_at < %s "
            f"AND p.start_at <= %s{_post_filters(plan, params)} GROUP BY 1, 2"
        )
    union = " UNION ALL ".join(parts)
    sql = f"SELECT u.day, u.network, {_sums_of_rows('u')} FROM ({union}) u GROUP BY 1, 2"  # noqa: S608
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


def daily_rows(plan: Plan) -> list[DayRow]:
    """Every figure per (local day, network) over the plan's range, in one query."""
    sql, params = daily_sql(plan)
    if _vendor() == "postgresql":
        # The planner cannot see how few posts an hour holds (the join's bounds are
        # computed from each dirty hour), guesses thousands per hour, and above its
        # cost threshold compiles the statement with JIT: ~50 ms for a ~10 ms read.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(sql, params)
            found = cursor.fetchall()
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
    rows = []
    for day, network, *values in found:
        figures = dict(zip(_ROW, values, strict=True))
        figures["oldest"] = figures.pop("oldest_counters_at")
        figures["oldest_stats"] = figures.pop("oldest_stats_at")
        figures = {
            k: (int(v or 0) if not k.startswith("oldest") else _as_time(v))
            for k, v in figures.items()
        }
        figures["outcomes"] = figures["sent"] + figures["partly"] + figures["failed"]
        rows.append(DayRow(_EPOCH + timedelta(days=int(day)), network, figures))
    return rows


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
    deleted = "p.deleted_at IS NOT NULL"
    network, status = _plain("p.network"), _plain("p.status")
    columns = ", ".join(_ROW)
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
        cursor.execute(
            f"INSERT INTO reports_hourrollup (hour, network, status, deleted, {columns}) "  # noqa: S608
            f"SELECT %s, {network}, {status}, {deleted}, {_post_sums()} FROM posts_post p "
            f"WHERE p.start_at >= %s AND p.start_at < %s GROUP BY {network}, {status}, {deleted}",
            [hour, _at(_from_hour(hour)), _at(_from_hour(hour + 1))],
        )
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
