"""SQL pieces of the stats rollup (reports/rollup.py): the posts' sums as the rollup
keeps them, and the few expressions that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection

from core.terms import COUNTERS
from posts.models import SENT_STATUSES, Status

COUNTER_COLUMNS = COUNTERS


def _vendor() -> str:
    return connection.vendor


def _hour_to_time(expr: str) -> str:
    """The instant an hour number starts, comparable with posts_post.start_at."""
    if _vendor() == "sqlite":
        return f"datetime(({expr}) * 3600, 'unixepoch')"
    return f"to_timestamp(({expr}) * 3600)"


def _epoch(expr: str) -> str:
    """Whole seconds since 1970 of a start_at, truncated as reports.localsql does."""
    if _vendor() == "sqlite":
        return f"CAST(strftime('%%s', substr({expr}, 1, 19)) AS INTEGER)"
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {expr})) AS BIGINT)"


def _at(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _plain(column: str) -> str:
    """On SQLite, keep the planner off a filter column's own index (`+column`): the
    range of start_at, read from the covering index, is the way in."""
    return f"+{column}" if _vendor() == "sqlite" else column


def _in(column: str, values: tuple[str, ...], params: list) -> str:
    params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


# Constants of the code, not input: written into the SQL as they are.
_SENT_IN = "(" + ", ".join(f"'{status}'" for status in SENT_STATUSES) + ")"


def _post_sums(alias: str = "p") -> str:
    """The rollup's sums over some posts (one row per group). Counts by outcome and the
    freshness figures are of sent posts only, as `reports.selectors.figures.aggregates`
    counts them."""
    sums = ", ".join(f"SUM({alias}.{c}) AS {c}" for c in COUNTER_COLUMNS)
    status, sent = f"{alias}.status", f"{alias}.status IN {_SENT_IN}"
    known = f"{alias}.impressions > 0"
    engaged = f"{alias}.comments + {alias}.likes + {alias}.shares"
    return (
        f"COUNT(*) AS posts, {sums}, "
        f"SUM(CASE WHEN {status} = '{Status.COMPLETE}' THEN 1 ELSE 0 END) AS sent, "
        f"SUM(CASE WHEN {status} = '{Status.INCOMPLETE}' THEN 1 ELSE 0 END) AS partly, "
        f"SUM(CASE WHEN {status} = '{Status.ERROR}' THEN 1 ELSE 0 END) AS failed, "
        f"SUM(CASE WHEN {sent} AND {alias}.counters_at IS NULL THEN 1 ELSE 0 END) AS unfetched, "
        f"SUM(CASE WHEN {sent} AND {alias}.stats_at IS NULL THEN 1 ELSE 0 END) AS unfetched_stats, "
        f"MIN(CASE WHEN {sent} THEN {alias}.counters_at END) AS oldest_counters_at, "
        f"MIN(CASE WHEN {sent} THEN {alias}.stats_at END) AS oldest_stats_at, "
        # The engagement rate's parts (reports.selectors.rates): the engagement and the
        # impressions of the posts whose impressions are known, post by post.
        f"SUM(CASE WHEN {known} THEN {engaged} ELSE 0 END) AS rated, "
        f"SUM(CASE WHEN {known} THEN {alias}.impressions ELSE 0 END) AS rated_impressions"
    )


# The rollup's figure columns (selectors.Figures less `outcomes`, added up in Python).
_ROW = ("posts", *COUNTER_COLUMNS, "sent", "partly", "failed", "unfetched", "unfetched_stats")
_ROW += ("oldest_counters_at", "oldest_stats_at", "rated", "rated_impressions")


def _sums_of_rows(alias: str) -> str:
    return ", ".join(
        f"MIN({alias}.{c}) AS {c}" if c.startswith("oldest") else f"SUM({alias}.{c}) AS {c}"
        for c in _ROW
    )


# The heatmap's columns (reports/heat.py): per quarter of the hour, its sent posts'
# engagement values, comma-separated.
HEAT = ("heat0", "heat1", "heat2", "heat3")
# The top posts' bounds (reports/best_hours.py): each row's best sent post by each ranking.
BEST = ("best_clicks", "best_conversions", "best_engagement")


def _heat_values(alias: str = "p") -> str:
    quarter = f"(({_epoch(f'{alias}.start_at')}) %% 3600) / 900"
    engaged = f"{alias}.comments + {alias}.likes + {alias}.shares"
    found = []
    for n, column in enumerate(HEAT):
        value = f"CASE WHEN {alias}.status IN {_SENT_IN} AND {quarter} = {n} THEN {engaged} END"
        found.append(f"{text_agg(value)} AS {column}")
    ranked = (f"{alias}.clicks", f"{alias}.conversions", engaged)
    for column, value in zip(BEST, ranked, strict=True):
        found.append(f"MAX(CASE WHEN {alias}.status IN {_SENT_IN} THEN {value} END) AS {column}")
    return ", ".join(found)


def text_agg(expr: str) -> str:
    """The non-NULL values of `expr`, comma-separated (NULL when there are none)."""
    if _vendor() == "sqlite":
        return f"group_concat({expr})"
    return f"string_agg(CAST({expr} AS text), ',')"


def hour_inserts(hour: int, dims: dict[str, str]) -> list[tuple[str, list]]:
    """The statements that write one hour's rows: the plain ones, then per dimension."""
    deleted = "p.deleted_at IS NOT NULL"
    network, status = _plain("p.network"), _plain("p.status")
    columns = ", ".join(_ROW)
    bounds = [
        _at(datetime.fromtimestamp(hour * 3600, tz=UTC)),
        _at(datetime.fromtimestamp((hour + 1) * 3600, tz=UTC)),
    ]
    statements = []
    for dim, key in (("", ""), *dims.items()):
        join = " JOIN posts_delivery dl ON dl.post_id = p.id" if dim == "profile" else ""
        grouped = f"{network}, {status}, {deleted}" + (f", {key}" if key else "")
        statements.append(
            (
                "INSERT INTO reports_hourrollup "  # noqa: S608
                f"(dim, key, hour, network, status, deleted, {columns}, {', '.join(HEAT + BEST)}) "
                f"SELECT %s, {key or "''"}, %s, {network}, {status}, {deleted}, {_post_sums()}, "
                f"{_heat_values()} "
                f"FROM posts_post p{join} WHERE p.start_at >= %s AND p.start_at < %s "
                f"GROUP BY {grouped}",
                [dim, hour, *bounds],
            )
        )
    return statements
