"""Each message's engagement over all its posts, the bound that lets the stats page find
its top messages without grouping every post of the range.

**What is kept.** `reports_messageengagement`: per `posts_post.message_id`, the sum of
comments + likes + shares of every post of that message (any status, time, network or
deletion mark). Triggers on posts_post add and subtract each row's engagement as it is
inserted, deleted, or changes message or counters, in the writing statement (so the
writing transaction): the sum is exact at every commit. A message's engagement within
any scope is at most that sum, since no counter is negative.

**What it gives.** The top messages by engagement of a scope (`top_by_engagement`):
walk the messages from the largest sum down, in batches, summing each batch's posts in
scope (through the posts' message index); stop when the next sum is below the last
of the best found, as no message further down can rank above it. A broad scope stops
within a few hundred messages; a narrow one (one profile, a media kind) whose messages
hold little of their sums in scope would walk far, so past `WALK` messages the caller
groups the range's posts as before.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection

from reports.trigger_sets import TriggerSet

NAMES = (
    "reports_engagement_insert",
    "reports_engagement_delete",
    "reports_engagement_update",
    "reports_engagement_counters",
)
WATCHED = ("message_id", "comments", "likes", "shares")
# Messages read per batch, and the most walked before the caller groups the range.
BATCH = 250
WALK = 2500

_REBUILD = (
    "INSERT INTO reports_messageengagement (message_id, engagement) "
    "SELECT message_id, SUM(comments + likes + shares) FROM posts_post "
    "WHERE message_id IS NOT NULL GROUP BY message_id"
)


def _eng(row: str) -> str:
    return f"({row}.comments + {row}.likes + {row}.shares)"


def _sqlite_triggers() -> list[str]:
    def add(row: str, value: str) -> str:
        return (
            "INSERT INTO reports_messageengagement (message_id, engagement) "
            f"SELECT {row}.message_id, {value} WHERE {row}.message_id IS NOT NULL "
            "ON CONFLICT(message_id) DO UPDATE SET engagement = engagement + excluded.engagement;"
        )

    # A change of counters alone adds the difference to its message: one statement.
    same = "OLD.message_id IS NEW.message_id"
    return [
        f"CREATE TRIGGER {NAMES[0]} AFTER INSERT ON posts_post BEGIN {add('NEW', _eng('NEW'))} END",
        f"CREATE TRIGGER {NAMES[1]} AFTER DELETE ON posts_post "
        f"BEGIN {add('OLD', f'-{_eng("OLD")}')} END",
        f"CREATE TRIGGER {NAMES[2]} AFTER UPDATE OF message_id ON posts_post "
        f"WHEN NOT ({same}) BEGIN {add('OLD', f'-{_eng("OLD")}')} {add('NEW', _eng('NEW'))} END",
        f"CREATE TRIGGER {NAMES[3]} AFTER UPDATE OF comments, likes, shares ON posts_post "
        f"WHEN {same} AND {_eng('OLD')} != {_eng('NEW')} "
        f"BEGIN {add('NEW', f'{_eng("NEW")} - {_eng("OLD")}')} END",
    ]


def _pg_triggers() -> list[str]:
    def add(row: str, value: str) -> str:
        return (
            f"IF {row}.message_id IS NOT NULL THEN "  # noqa: S608 (constant SQL)
            "INSERT INTO reports_messageengagement (message_id, engagement) "
            f"VALUES ({row}.message_id, {value}) ON CONFLICT (message_id) DO UPDATE SET "
            "engagement = reports_messageengagement.engagement + excluded.engagement; END IF;"
        )

    old, new = _eng("OLD"), _eng("NEW")
    moved = "OLD.message_id IS DISTINCT FROM NEW.message_id"
    return [
        "CREATE OR REPLACE FUNCTION reports_engagement_add() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' THEN {add('NEW', new)} "
        f"ELSIF TG_OP = 'DELETE' THEN {add('OLD', f'-{old}')} "
        f"ELSIF {moved} THEN {add('OLD', f'-{old}')} {add('NEW', new)} "
        f"ELSE {add('NEW', f'{new} - {old}')} END IF; RETURN NULL; END $$",
        f"CREATE TRIGGER {NAMES[0]} AFTER INSERT ON posts_post "
        "FOR EACH ROW EXECUTE FUNCTION reports_engagement_add()",
        f"CREATE TRIGGER {NAMES[1]} AFTER DELETE ON posts_post "
        "FOR EACH ROW EXECUTE FUNCTION reports_engagement_add()",
        f"CREATE TRIGGER {NAMES[2]} AFTER UPDATE OF {', '.join(WATCHED)} ON posts_post "
        f"FOR EACH ROW WHEN ({moved} OR {old} <> {new}) "
        "EXECUTE FUNCTION reports_engagement_add()",
    ]


def _drop(vendor: str) -> list[str]:
    on = " ON posts_post" if vendor == "postgresql" else ""
    drops = [f"DROP TRIGGER IF EXISTS {name}{on}" for name in NAMES]
    if vendor == "postgresql":
        drops.append("DROP FUNCTION IF EXISTS reports_engagement_add()")
    return drops


def _remake(vendor: str) -> list[str]:
    """The triggers made again and every sum computed again, from the posts."""
    made = _sqlite_triggers() if vendor == "sqlite" else _pg_triggers()
    return [*_drop(vendor), *made, "DELETE FROM reports_messageengagement", _REBUILD]


# PostgreSQL's one function tells a move from a change of counters: three triggers.
TRIGGERS = TriggerSet(
    names=lambda vendor: list(NAMES if vendor == "sqlite" else NAMES[:3]),
    drop=_drop,
    remake=_remake,
)
forward, backward, ensure = TRIGGERS.forward, TRIGGERS.backward, TRIGGERS.ensure


# --- reading -----------------------------------------------------------------------------


def top_by_engagement(
    grouped: Callable[[list[str]], list[dict]], *, limit: int
) -> list[dict] | None:
    """The `limit` best messages of a scope by engagement (dicts as `grouped` gives them,
    each with "grouped" (the message id) and "engagement"), in no particular order;
    fewer when the scope has fewer messages with posts; None past WALK messages.

    `grouped(ids)`: the scope's figures of those messages, one dict per message with
    posts in scope. Exact: every message not read has a sum, hence an engagement in
    scope, below the `limit`-th found (ties are read: the walk stops only below it)."""
    found: list[dict] = []
    last: tuple[int, str] | None = None
    walked = 0
    while walked < WALK:
        with connection.cursor() as cursor:
            after = "WHERE (engagement, message_id) < (%s, %s) " if last else ""
            cursor.execute(
                "SELECT message_id, engagement FROM reports_messageengagement "  # noqa: S608
                f"{after}ORDER BY engagement DESC, message_id DESC LIMIT %s",
                [*(last or ()), BATCH],
            )
            batch = cursor.fetchall()
        if not batch:
            return found
        if len(found) >= limit:
            best = sorted((r["engagement"] for r in found), reverse=True)
            if batch[0][1] < best[limit - 1]:
                return found
        found += grouped([message for message, _ in batch])
        walked += len(batch)
        last = (batch[-1][1], batch[-1][0])
    return None


def top_by_key(
    grouped: Callable[[list[str]], list[dict]], *, dim: str, key: str, order: str, limit: int
) -> list[dict] | None:
    """The `limit` best messages by `order` ("posts" or "engagement") of a scope that
    holds only posts of value `key` of `dim` (reports/message_keys.py), ranked as the
    page ranks them: largest first, ties by the message's id. None past WALK messages.

    The sums are read largest first and, within a value, by id: a message not read yet
    has a figure in scope at most its sum, so once the next sum is below the
    `limit`-th found, or equal to it with a larger id, none below can rank above it.
    Post counts are small numbers shared by thousands of messages: the ties are cut by
    id, not read whole."""
    found: list[dict] = []
    last: tuple[int, str] | None = None
    walked = 0
    while walked < WALK:
        params: list = [dim, key]
        after = ""
        if last:
            # The first condition lets the index start at the last sum read.
            after = f"AND {order} <= %s AND ({order} < %s OR message_id > %s) "
            params += [last[0], last[0], last[1]]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT message_id, {order} FROM reports_messagekeysum "  # noqa: S608
                f"WHERE dim = %s AND key = %s {after}"
                f"ORDER BY {order} DESC, message_id LIMIT %s",
                [*params, BATCH],
            )
            batch = cursor.fetchall()
        if not batch:
            return found
        if len(found) >= limit:
            ranked = sorted(found, key=lambda r: (-r[order], r["grouped"]))
            edge = ranked[limit - 1]
            value, message = batch[0][1], batch[0][0]
            if value < edge[order] or (value == edge[order] and message > edge["grouped"]):
                return found
        found += grouped([message for message, _ in batch])
        walked += len(batch)
        last = (batch[-1][1], batch[-1][0])
    return None
