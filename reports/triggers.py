"""The triggers on posts_post that mark hours dirty for the stats rollup.

AFTER INSERT / DELETE / UPDATE OF the columns the rollup reads, each changed row's old
and new hour is upserted into reports_dirtyhour with a fresh random token, in the same
statement (so the same transaction) as the change. Created by migration 0001 and, after
every `migrate`, again if missing (`ensure`): on SQLite a later migration of posts that
remakes the table drops its triggers, and a rollup without them would go stale silently.
"""

from __future__ import annotations

from core.terms import COUNTERS

# Columns the rollup reads: a change to any of them makes the old and new hours dirty.
WATCHED = (
    "start_at", "network", "status", "deleted_at",
    *COUNTERS,
    "counters_at", "stats_at",
)  # fmt: skip
NAMES = ("reports_dirty_insert", "reports_dirty_delete", "reports_dirty_update")

# The hour of a start_at: the instant truncated to the second, then to the hour, as
# reports/rollup.py and reports/localsql.py compute it (a text prefix on SQLite, where
# Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]"; strftime('%s') alone would round).
SQLITE_HOUR = "(CAST(strftime('%s', substr({col}, 1, 19)) AS INTEGER) / 3600)"
PG_HOUR = "(FLOOR(EXTRACT(EPOCH FROM {col}) / 3600)::bigint)"


# The top posts by engagement walk this (reports/selectors/best.py, migration 0002); the
# expression is written as Django writes F("comments") + F("likes") + F("shares").
ENGAGEMENT_INDEX = (
    "CREATE INDEX IF NOT EXISTS post_engagement_id "
    "ON posts_post (((comments + likes) + shares), id)"
)
ENGAGEMENT_INDEX_DROP = "DROP INDEX IF EXISTS post_engagement_id"


def _sqlite_triggers() -> list[str]:
    mark = (
        "INSERT INTO reports_dirtyhour (hour, token) VALUES ({hour}, random()) "
        "ON CONFLICT(hour) DO UPDATE SET token = excluded.token;"
    )
    new = mark.format(hour=SQLITE_HOUR.format(col="NEW.start_at"))
    old = mark.format(hour=SQLITE_HOUR.format(col="OLD.start_at"))
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)
    return [
        f"CREATE TRIGGER reports_dirty_insert AFTER INSERT ON posts_post BEGIN {new} END",
        f"CREATE TRIGGER reports_dirty_delete AFTER DELETE ON posts_post BEGIN {old} END",
        f"CREATE TRIGGER reports_dirty_update AFTER UPDATE OF {', '.join(WATCHED)} "
        f"ON posts_post WHEN {changed} BEGIN {old} {new} END",
    ]


def _pg_triggers() -> list[str]:
    mark = (
        "INSERT INTO reports_dirtyhour (hour, token) "
        "VALUES ({hour}, FLOOR(random() * 9007199254740991)::bigint) "
        "ON CONFLICT (hour) DO UPDATE SET token = excluded.token;"
    )
    new = mark.format(hour=PG_HOUR.format(col="NEW.start_at"))
    old = mark.format(hour=PG_HOUR.format(col="OLD.start_at"))
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED)
    return [
        "CREATE OR REPLACE FUNCTION reports_dirty_mark() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN IF TG_OP IN ('UPDATE', 'DELETE') THEN {old} END IF; "
        f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {new} END IF; RETURN NULL; END $$",
        "CREATE TRIGGER reports_dirty_insert AFTER INSERT ON posts_post "
        "FOR EACH ROW EXECUTE FUNCTION reports_dirty_mark()",
        "CREATE TRIGGER reports_dirty_delete AFTER DELETE ON posts_post "
        "FOR EACH ROW EXECUTE FUNCTION reports_dirty_mark()",
        f"CREATE TRIGGER reports_dirty_update AFTER UPDATE OF {', '.join(WATCHED)} "
        f"ON posts_post FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION reports_dirty_mark()",
    ]


def _drop(vendor: str) -> list[str]:
    on = " ON posts_post" if vendor == "postgresql" else ""
    drops = [f"DROP TRIGGER IF EXISTS {name}{on}" for name in NAMES]
    if vendor == "postgresql":
        drops.append("DROP FUNCTION IF EXISTS reports_dirty_mark()")
    return drops


def hour_sql(vendor: str, col: str) -> str:
    return (SQLITE_HOUR if vendor == "sqlite" else PG_HOUR).format(col=col)


def mark_all_dirty_sql(vendor: str) -> str:
    """Every hour that has posts, dirty (token 0: any write changes it)."""
    hour = hour_sql(vendor, "start_at")
    conflict = "ON CONFLICT (hour) DO NOTHING" if vendor == "postgresql" else ""
    where = "" if vendor == "postgresql" else "WHERE true ON CONFLICT(hour) DO NOTHING"
    return (
        "INSERT INTO reports_dirtyhour (hour, token) "  # noqa: S608 (constant SQL)
        f"SELECT DISTINCT {hour}, 0 FROM posts_post {where} {conflict}"
    )


def _create(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return _sqlite_triggers()
    if vendor == "postgresql":
        return _pg_triggers()
    raise RuntimeError(
        f"The stats rollup's triggers exist for SQLite and PostgreSQL, not {vendor}."
    )


def forward(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for sql in [*_create(vendor), mark_all_dirty_sql(vendor)]:
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor) -> None:
    for sql in _drop(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def present(connection) -> bool:
    """All three triggers exist on posts_post."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'posts_post' AND name IN (%s, %s, %s)",
                NAMES,
            )
        else:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname = 'posts_post' AND t.tgname IN (%s, %s, %s)",
                NAMES,
            )
        return cursor.fetchone()[0] == len(NAMES)


def ensure(connection) -> bool:
    """Recreate missing triggers, marking every hour dirty (the rollup may have missed
    writes while they were gone), and the engagement index (a remade table loses it
    too). True when the triggers had to be recreated."""
    from django.db import transaction

    with connection.cursor() as cursor:
        cursor.execute(ENGAGEMENT_INDEX)
    if present(connection):
        return False
    vendor = connection.vendor
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for sql in [*_drop(vendor), *_create(vendor), mark_all_dirty_sql(vendor)]:
            cursor.execute(sql)
    return True
