"""Each message's post count and engagement per network, source, media kind, creator
and target profile: the bounds that let a narrow scope find its top messages, and a breakdown by
message find its rows by post count, without grouping every post of the range.

**What is kept.** `reports_messagekeysum`: per (dimension, value, message), the number
of posts of that message with that value (a post aimed at two profiles counts once for
each) and their comments + likes + shares, over every post (any status, time or
deletion mark). Triggers on posts_post and posts_delivery add and subtract each
(post, value) pair as a row is inserted, deleted or changed, in the writing statement
(so the writing transaction): a pair counts when both the post and its delivery exist,
whichever is written first, so the sums are exact at every commit. A change of counters
alone adds its difference to the post's rows; a change of message, network, source,
media or creator subtracts the post's old rows and adds its new ones.

**What it gives.** A scope narrowed to one network, source, media kind, creator or
profile holds
only posts of that value, so a message's figure in scope is at most its sum for that
value: `reports.message_bounds.top_by_key` walks them from the largest down and stops
below the last of the best found (ties by the message's id, as the page orders them).
"""

from __future__ import annotations

from reports.trigger_sets import TriggerSet

# The dimensions kept, and the posts' column of each (the profile: posts_delivery's).
COLUMNS = {
    "network": "network",
    "source": "source",
    "media": "media_kind",
    "creator": "created_by",
}
PROFILE = "profile"
# The orders of a breakdown by message the sums can bound.
ORDERS = ("posts", "engagement")

POST_NAMES = (
    "reports_keysum_insert",
    "reports_keysum_delete",
    "reports_keysum_move",
    "reports_keysum_counters",
)
DELIVERY_NAMES = (
    "reports_keysum_delivery_insert",
    "reports_keysum_delivery_delete",
    "reports_keysum_delivery_update",
)
MOVED = ("message_id", *COLUMNS.values())
ENGAGED = ("comments", "likes", "shares")
_TABLE = "reports_messagekeysum"
_FIELDS = "(dim, key, message_id, posts, engagement)"


def _eng(row: str) -> str:
    return f"({row}.comments + {row}.likes + {row}.shares)"


def _sqlite_add(row: str, posts: str, eng: str) -> list[str]:
    """Statements adding (posts, eng) to every row of post `row` (NEW or OLD). A change
    of counters alone (`posts` 0) leaves the posts column, and so its index, unwritten."""
    upsert = "ON CONFLICT(dim, key, message_id) DO UPDATE SET " + (
        "engagement = engagement + excluded.engagement;"
        if posts == "0"
        else "posts = posts + excluded.posts, engagement = engagement + excluded.engagement;"
    )
    found = [
        f"INSERT INTO {_TABLE} {_FIELDS} SELECT '{dim}', {row}.{column}, {row}.message_id, "
        f"{posts}, {eng} WHERE {row}.message_id IS NOT NULL {upsert}"
        for dim, column in COLUMNS.items()
    ]
    found.append(
        f"INSERT INTO {_TABLE} {_FIELDS} SELECT '{PROFILE}', dl.profile_id, {row}.message_id, "  # noqa: S608
        f"{posts}, {eng} FROM posts_delivery dl WHERE dl.post_id = {row}.id "
        f"AND {row}.message_id IS NOT NULL {upsert}"
    )
    return found


def _sqlite_delivery_add(row: str, sign: str) -> str:
    return (
        f"INSERT INTO {_TABLE} {_FIELDS} SELECT '{PROFILE}', {row}.profile_id, p.message_id, "  # noqa: S608
        f"{sign}1, {sign}{_eng('p')} FROM posts_post p WHERE p.id = {row}.post_id "
        "AND p.message_id IS NOT NULL ON CONFLICT(dim, key, message_id) DO UPDATE SET "
        "posts = posts + excluded.posts, engagement = engagement + excluded.engagement;"
    )


def _sqlite_triggers() -> list[str]:
    moved = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in MOVED)
    old, new = _eng("OLD"), _eng("NEW")

    def body(*parts: list[str]) -> str:
        return " ".join(s for part in parts for s in part)

    d_changed = "OLD.post_id IS NOT NEW.post_id OR OLD.profile_id IS NOT NEW.profile_id"
    return [
        f"CREATE TRIGGER {POST_NAMES[0]} AFTER INSERT ON posts_post "
        f"BEGIN {body(_sqlite_add('NEW', '1', new))} END",
        f"CREATE TRIGGER {POST_NAMES[1]} AFTER DELETE ON posts_post "
        f"BEGIN {body(_sqlite_add('OLD', '-1', f'-{old}'))} END",
        f"CREATE TRIGGER {POST_NAMES[2]} AFTER UPDATE OF {', '.join(MOVED)} ON posts_post "
        f"WHEN {moved} BEGIN "
        f"{body(_sqlite_add('OLD', '-1', f'-{old}'), _sqlite_add('NEW', '1', new))} END",
        f"CREATE TRIGGER {POST_NAMES[3]} AFTER UPDATE OF {', '.join(ENGAGED)} ON posts_post "
        f"WHEN NOT ({moved}) AND {old} != {new} "
        f"BEGIN {body(_sqlite_add('NEW', '0', f'{new} - {old}'))} END",
        f"CREATE TRIGGER {DELIVERY_NAMES[0]} AFTER INSERT ON posts_delivery "
        f"BEGIN {_sqlite_delivery_add('NEW', '')} END",
        f"CREATE TRIGGER {DELIVERY_NAMES[1]} AFTER DELETE ON posts_delivery "
        f"BEGIN {_sqlite_delivery_add('OLD', '-')} END",
        f"CREATE TRIGGER {DELIVERY_NAMES[2]} AFTER UPDATE OF post_id, profile_id "
        f"ON posts_delivery WHEN {d_changed} "
        f"BEGIN {_sqlite_delivery_add('OLD', '-')} {_sqlite_delivery_add('NEW', '')} END",
    ]


_PG_UPSERT = (
    "ON CONFLICT (dim, key, message_id) DO UPDATE SET posts = s.posts + excluded.posts, "
    "engagement = s.engagement + excluded.engagement;"
)
_PG_UPSERT_ENGAGEMENT = (
    "ON CONFLICT (dim, key, message_id) DO UPDATE SET "
    "engagement = s.engagement + excluded.engagement;"
)


def _pg_add(row: str, posts: str, eng: str) -> str:
    values = ", ".join(
        f"('{dim}', {row}.{column}, {row}.message_id, {posts}, {eng})"
        for dim, column in COLUMNS.items()
    )
    upsert = _PG_UPSERT_ENGAGEMENT if posts == "0" else _PG_UPSERT
    return (
        f"IF {row}.message_id IS NOT NULL THEN "  # noqa: S608 (constant SQL)
        f"INSERT INTO {_TABLE} AS s {_FIELDS} VALUES {values} {upsert} "
        f"INSERT INTO {_TABLE} AS s {_FIELDS} SELECT '{PROFILE}', dl.profile_id, "
        f"{row}.message_id, {posts}, {eng} FROM posts_delivery dl WHERE dl.post_id = {row}.id "
        f"{upsert} END IF;"
    )


def _pg_delivery_add(row: str, sign: str) -> str:
    return (
        f"INSERT INTO {_TABLE} AS s {_FIELDS} SELECT '{PROFILE}', {row}.profile_id, "  # noqa: S608
        f"p.message_id, {sign}1, {sign}{_eng('p')} FROM posts_post p WHERE p.id = {row}.post_id "
        f"AND p.message_id IS NOT NULL {_PG_UPSERT}"
    )


def _pg_triggers() -> list[str]:
    moved = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in MOVED)
    old, new = _eng("OLD"), _eng("NEW")
    d_changed = (
        "OLD.post_id IS DISTINCT FROM NEW.post_id OR OLD.profile_id IS DISTINCT FROM NEW.profile_id"
    )
    return [
        "CREATE OR REPLACE FUNCTION reports_keysum_post() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN "
        f"IF TG_OP = 'UPDATE' AND NOT ({moved}) THEN {_pg_add('NEW', '0', f'{new} - {old}')} "
        "RETURN NULL; END IF; "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_pg_add('OLD', '-1', f'-{old}')} END IF; "
        f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {_pg_add('NEW', '1', new)} END IF; "
        "RETURN NULL; END $$",
        f"CREATE TRIGGER {POST_NAMES[0]} AFTER INSERT ON posts_post "
        "FOR EACH ROW EXECUTE FUNCTION reports_keysum_post()",
        f"CREATE TRIGGER {POST_NAMES[1]} AFTER DELETE ON posts_post "
        "FOR EACH ROW EXECUTE FUNCTION reports_keysum_post()",
        f"CREATE TRIGGER {POST_NAMES[2]} AFTER UPDATE OF {', '.join((*MOVED, *ENGAGED))} "
        f"ON posts_post FOR EACH ROW WHEN ({moved} OR {old} <> {new}) "
        "EXECUTE FUNCTION reports_keysum_post()",
        "CREATE OR REPLACE FUNCTION reports_keysum_delivery() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_pg_delivery_add('OLD', '-')} END IF; "
        f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {_pg_delivery_add('NEW', '')} END IF; "
        "RETURN NULL; END $$",
        f"CREATE TRIGGER {DELIVERY_NAMES[0]} AFTER INSERT ON posts_delivery "
        "FOR EACH ROW EXECUTE FUNCTION reports_keysum_delivery()",
        f"CREATE TRIGGER {DELIVERY_NAMES[1]} AFTER DELETE ON posts_delivery "
        "FOR EACH ROW EXECUTE FUNCTION reports_keysum_delivery()",
        f"CREATE TRIGGER {DELIVERY_NAMES[2]} AFTER UPDATE OF post_id, profile_id "
        f"ON posts_delivery FOR EACH ROW WHEN ({d_changed}) "
        "EXECUTE FUNCTION reports_keysum_delivery()",
    ]


def _names(vendor: str) -> list[tuple[str, str]]:
    """(trigger, table) of every trigger made on this database."""
    posts = POST_NAMES if vendor == "sqlite" else POST_NAMES[:3]
    return [*((n, "posts_post") for n in posts), *((n, "posts_delivery") for n in DELIVERY_NAMES)]


def _drop(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in (*POST_NAMES, *DELIVERY_NAMES)]
    drops = [f"DROP TRIGGER IF EXISTS {name} ON posts_post" for name in POST_NAMES]
    drops += [f"DROP TRIGGER IF EXISTS {name} ON posts_delivery" for name in DELIVERY_NAMES]
    return [
        *drops,
        "DROP FUNCTION IF EXISTS reports_keysum_post()",
        "DROP FUNCTION IF EXISTS reports_keysum_delivery()",
    ]


def _rebuild() -> str:
    eng = "SUM(p.comments + p.likes + p.shares)"
    parts = [
        f"SELECT '{dim}', p.{column}, p.message_id, COUNT(*), {eng} FROM posts_post p "  # noqa: S608
        f"WHERE p.message_id IS NOT NULL GROUP BY p.{column}, p.message_id"
        for dim, column in COLUMNS.items()
    ]
    parts.append(
        f"SELECT '{PROFILE}', dl.profile_id, p.message_id, COUNT(*), {eng} "  # noqa: S608
        "FROM posts_delivery dl JOIN posts_post p ON p.id = dl.post_id "
        "WHERE p.message_id IS NOT NULL GROUP BY dl.profile_id, p.message_id"
    )
    return f"INSERT INTO {_TABLE} {_FIELDS} {' UNION ALL '.join(parts)}"


def _remake(vendor: str) -> list[str]:
    """The triggers made again and every sum computed again, from the posts."""
    made = _sqlite_triggers() if vendor == "sqlite" else _pg_triggers()
    # Planner statistics of the table just filled: posts.maintenance analyzes the mirror
    # tables only, and PostgreSQL's autovacuum may be off.
    return [*_drop(vendor), *made, f"DELETE FROM {_TABLE}", _rebuild(), f"ANALYZE {_TABLE}"]  # noqa: S608


TRIGGERS = TriggerSet(
    names=lambda vendor: [name for name, _ in _names(vendor)], drop=_drop, remake=_remake
)
forward, backward, ensure = TRIGGERS.forward, TRIGGERS.backward, TRIGGERS.ensure


def bound_for(filters) -> tuple[str, str] | None:
    """(dimension, value) whose sums bound a message's figures in a scope with these
    filters: the scope holds only posts of that one value. The most selective of those
    the filters name one value of; None when they name none."""
    if len(filters.profiles) == 1:
        return PROFILE, filters.profiles[0]
    if len(filters.created_by) == 1:
        return "creator", filters.created_by[0]
    if filters.media:
        return "media", "" if filters.media == "none" else filters.media
    if len(filters.sources) == 1:
        return "source", filters.sources[0]
    if len(filters.networks) == 1:
        return "network", filters.networks[0]
    return None
