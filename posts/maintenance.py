"""Planner statistics for the mirror, kept current by the product itself.

Without statistics SQLite guesses that `deleted_at IS NULL` picks out a few rows, reads
a million through that index and sorts them: the default queue page took 2.1 s at 1M
posts, 24 ms after ANALYZE. PostgreSQL's autovacuum analyzes a table once 10 % of it
changed, but only a while after a bulk load, and the first pages are read at once.

Called after bulk loads (`seed_mirror`, a sync that wrote many rows) with `bulk=True`:
ANALYZE of every mirror table. Called hourly by the `refresh_planner_stats` task (and
after every full sync) without: only what has gone stale.

* SQLite 3.46+: `PRAGMA optimize=0x10002`, what SQLite recommends for connections that
  may not have used the tables themselves (0x10000: check every table, not only those
  this connection queried; 0x2: ANALYZE where the row count moved a lot or there are no
  statistics). https://sqlite.org/pragma.html#pragma_optimize
* Older SQLite (Debian 12 ships 3.40) ignores 0x10000 and considers only tables this
  connection queried, so the same rule is applied here: a table with no statistics, or
  whose row count grew or shrank tenfold since, is analyzed; then plain
  `PRAGMA optimize` for anything else it knows of.
* Every ANALYZE here reads whole indexes (`analysis_limit=0`). A limited one samples the
  first rows of each index only and records `deleted_at` as selective (all NULL there),
  which is the very plan it should prevent. At 1M posts a full one costs a few seconds,
  paid after a load that took minutes, or when a table changed tenfold.
* PostgreSQL: `VACUUM (ANALYZE)` of the mirror tables after a bulk load (outside a
  transaction; `ANALYZE` inside one), so index-only scans work at once; otherwise only
  tables never analyzed (`reltuples < 0`): autovacuum keeps the rest.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection

from posts.models import Campaign, Delivery, Message, Post, Profile, StatsSample

log = logging.getLogger(__name__)

MIRROR_TABLES = tuple(
    model._meta.db_table for model in (Post, Message, Delivery, StatsSample, Campaign, Profile)
)
# A sync that wrote at least this many rows (created, updated or deleted posts) is a
# bulk load.
BULK_ROWS = 10_000
# Re-analyze a table whose row count changed by this factor since its statistics.
STALE_FACTOR = 10
# From this version `PRAGMA optimize=0x10002` checks every table itself.
SQLITE_OPTIMIZE_ALL = (3, 46, 0)


def planner_stats_refresh(*, bulk: bool = False) -> list[str]:
    """Bring planner statistics up to date; returns the tables analyzed (or what SQLite
    reported doing)."""
    if connection.vendor == "sqlite":
        done = _sqlite(bulk=bulk)
    elif connection.vendor == "postgresql":
        done = _postgresql(bulk=bulk)
    else:
        done = []
    if done:
        log.info("planner statistics refreshed: %s", ", ".join(done))
    return done


def planner_stats_after_sync(*, written: int, full: bool) -> list[str]:
    """After a sync: everything when it wrote many rows; what went stale after a full
    one (which may have marked many posts deleted or filled an empty mirror)."""
    if not full and written < BULK_ROWS:
        return []
    try:
        return planner_stats_refresh(bulk=written >= BULK_ROWS)
    except DatabaseError:
        # The sync's rows are committed; the hourly task tries again.
        log.warning("planner statistics not refreshed after a sync", exc_info=True)
        return []


def _sqlite(*, bulk: bool) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit = 0")
        if bulk:
            tables = list(MIRROR_TABLES)
        elif connection.Database.sqlite_version_info >= SQLITE_OPTIMIZE_ALL:
            # 0x10003 is the same with the debug bit: what it would run, without running.
            cursor.execute("PRAGMA optimize = 0x10003")
            planned = [row[0] for row in cursor.fetchall()]
            cursor.execute("PRAGMA optimize = 0x10002")
            return planned
        else:
            tables = [t for t in MIRROR_TABLES if _sqlite_stale(cursor, t)]
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        cursor.execute("PRAGMA optimize")
    return tables


def _sqlite_stale(cursor, table: str) -> bool:
    """No statistics while there are rows, an index without statistics (made by a
    migration after them), or a tenfold change in rows since."""
    cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
    rows = cursor.fetchone()[0]
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
    then = None
    if cursor.fetchone():
        # An index's statistics start with the table's row count when they were taken.
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
        if row := cursor.fetchone():
            then = int(row[0].split()[0])
    if then is None:
        return rows > 0
    if rows and _sqlite_unmeasured_index(cursor, table):
        return True
    return max(rows, 1) >= STALE_FACTOR * max(then, 1) or then >= STALE_FACTOR * max(rows, 1)


def _postgresql(*, bulk: bool) -> list[str]:
    with connection.cursor() as cursor:
        if bulk:
            tables = list(MIRROR_TABLES)
        else:
            cursor.execute(
                "SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples < 0"
                " AND relname = ANY(%s) AND relnamespace = to_regnamespace(current_schema())",
                [list(MIRROR_TABLES)],
            )
            tables = sorted(row[0] for row in cursor.fetchall())
        if tables:
            names = ", ".join(connection.ops.quote_name(t) for t in tables)
            # After a bulk load, VACUUM too: it marks the new pages all-visible, without
            # which PostgreSQL cannot answer from an index alone (the stats review's
            # covering index, `post_stats_cover`) until autovacuum comes by, if it is on.
            # VACUUM cannot run inside a transaction (tests, a caller's atomic block).
            vacuum = bulk and not connection.in_atomic_block
            cursor.execute(f"{'VACUUM (ANALYZE) ' if vacuum else 'ANALYZE '}{names}")
    return tables


def _sqlite_unmeasured_index(cursor, table: str) -> bool:
    cursor.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
        " AND name NOT IN (SELECT idx FROM sqlite_stat1 WHERE tbl = %s AND idx IS NOT NULL)"
        " LIMIT 1",
        [table, table],
    )
    return cursor.fetchone() is not None
