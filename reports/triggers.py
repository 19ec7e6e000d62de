"""The triggers on posts_post and posts_delivery that mark hours dirty for the stats rollup.

AFTER INSERT / DELETE / UPDATE OF the columns the rollup reads, each changed row's old
and new hour is upserted into reports_dirtyhour with a fresh random token, in the same
statement (so the same transaction) as the change. A delivery (a post's target profile,
which the rollup's "profile" rows count by) marks its post's hour. Created by migrations
0001 and 0003 and, after every `migrate`, again if missing (`ensure`): on SQLite a later
migration of posts that remakes a table drops its triggers, and a rollup without them
would go stale silently.
"""

from __future__ import annotations

from core.terms import COUNTERS

# Columns the rollup reads: a change to any of them makes the old and new hours dirty.
WATCHED = (
    "start_at", "network", "status", "deleted_at",
    *COUNTERS,
    "counters_at", "stats_at",
    # The rollup's dimensions (reports.rollup.DIMS).
    "campaign_id", "created_by", "source", "media_kind",
)  # fmt: skip
DELIVERY_WATCHED = ("post_id", "profile_id")
POST_NAMES = ("reports_dirty_insert", "reports_dirty_delete", "reports_dirty_update")
DELIVERY_NAMES = (
    "reports_dirty_delivery_insert",
    "reports_dirty_delivery_delete",
    "reports_dirty_delivery_update",
)
NAMES = (*POST_NAMES, *DELIVERY_NAMES)

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
    # A delivery's post's hour; no row (the post already gone) marks nothing.
    of_post = (
        "INSERT INTO reports_dirtyhour (hour, token) "  # noqa: S608 (constant SQL)
        f"SELECT {SQLITE_HOUR.format(col='p.start_at')}, random() FROM posts_post p "
        "WHERE p.id = {row}.post_id ON CONFLICT(hour) DO UPDATE SET token = excluded.token;"
    )
    d_new, d_old = of_post.format(row="NEW"), of_post.format(row="OLD")
    d_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in DELIVERY_WATCHED)
    return [
        f"CREATE TRIGGER reports_dirty_insert AFTER INSERT ON posts_post BEGIN {new} END",
        f"CREATE TRIGGER reports_dirty_delete AFTER DELETE ON posts_post BEGIN {old} END",
        f"CREATE TRIGGER reports_dirty_update AFTER UPDATE OF {', '.join(WATCHED)} "
        f"ON posts_post WHEN {changed} BEGIN {old} {new} END",
        "CREATE TRIGGER reports_dirty_delivery_insert AFTER INSERT ON posts_delivery "
        f"BEGIN {d_new} END",
        "CREATE TRIGGER reports_dirty_delivery_delete AFTER DELETE ON posts_delivery "
        f"BEGIN {d_old} END",
        f"CREATE TRIGGER reports_dirty_delivery_update AFTER UPDATE OF "
        f"{', '.join(DELIVERY_WATCHED)} ON posts_delivery WHEN {d_changed} "
        f"BEGIN {d_old} {d_new} END",
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
    of_post = (
        "INSERT INTO reports_dirtyhour (hour, token) "  # noqa: S608 (constant SQL)
        f"SELECT {PG_HOUR.format(col='p.start_at')}, "
        "FLOOR(random() * 9007199254740991)::bigint FROM posts_post p "
        "WHERE p.id = {row}.post_id ON CONFLICT (hour) DO UPDATE SET token = excluded.token;"
    )
    d_new, d_old = of_post.format(row="NEW"), of_post.format(row="OLD")
    d_changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in DELIVERY_WATCHED)
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
        "CREATE OR REPLACE FUNCTION reports_dirty_delivery_mark() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN IF TG_OP IN ('UPDATE', 'DELETE') THEN {d_old} END IF; "
        f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {d_new} END IF; RETURN NULL; END $$",
        "CREATE TRIGGER reports_dirty_delivery_insert AFTER INSERT ON posts_delivery "
        "FOR EACH ROW EXECUTE FUNCTION reports_dirty_delivery_mark()",
        "CREATE TRIGGER reports_dirty_delivery_delete AFTER DELETE ON posts_delivery "
        "FOR EACH ROW EXECUTE FUNCTION reports_dirty_delivery_mark()",
        f"CREATE TRIGGER reports_dirty_delivery_update AFTER UPDATE OF "
        f"{', '.join(DELIVERY_WATCHED)} ON posts_delivery FOR EACH ROW WHEN ({d_changed}) "
        "EXECUTE FUNCTION reports_dirty_delivery_mark()",
    ]


def _drop(vendor: str) -> list[str]:
    def on(table: str) -> str:
        return f" ON {table}" if vendor == "postgresql" else ""

    drops = [f"DROP TRIGGER IF EXISTS {name}{on('posts_post')}" for name in POST_NAMES]
    drops += [f"DROP TRIGGER IF EXISTS {name}{on('posts_delivery')}" for name in DELIVERY_NAMES]
    if vendor == "postgresql":
        drops.append("DROP FUNCTION IF EXISTS reports_dirty_mark()")
        drops.append("DROP FUNCTION IF EXISTS reports_dirty_delivery_mark()")
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
    """Every trigger, (re)made, and every hour with posts dirty: the rows the rollup
    holds may be missing what the triggers did not watch until now."""
    vendor = schema_editor.connection.vendor
    for sql in [*_drop(vendor), *_create(vendor), mark_all_dirty_sql(vendor)]:
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor) -> None:
    for sql in _drop(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def present(connection) -> bool:
    """All the triggers exist, on posts_post and posts_delivery."""
    marks = ", ".join(["%s"] * len(NAMES))
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' "  # noqa: S608
                f"AND tbl_name IN ('posts_post', 'posts_delivery') AND name IN ({marks})",
                NAMES,
            )
        else:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "  # noqa: S608
                "WHERE c.relname IN ('posts_post', 'posts_delivery') "
                f"AND t.tgname IN ({marks})",
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
