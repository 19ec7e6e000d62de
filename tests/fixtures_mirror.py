"""The `mirror` fixture: the mirror as a full sync from the per-test sandbox leaves it.

Some 160 tests start from that mirror, and a full sync of the sandbox's 300 posts costs
about 0.3 s of this process's CPU and some of the sandbox's. The sandbox's world is the
same from one reset to the next (laid out from the day's start, plus the posts it sent
as their time came; tests/fixtures_sandbox.py resets it before each test), so on SQLite
each test process syncs it for real once and keeps the rows the sync wrote; a later
test whose mirror tables are still empty, and whose sandbox has the same world (the
same day, the same changes since the reset: `version` in its state) and no fault set,
gets them back in one transaction until the next post is due (the 20 files that use
it: 81 s -> 70 s at -n 3):
- the sync's own time stamps (synced, counters read, stats due) move to this test's
  now, as a sync now would write them;
- tables written by triggers (the rollup's dirty hours, the per-message sums) are not
  copied: the rows go in parents first and the triggers write those again, as they did
  for the sync;
- the caches a sync empties are emptied.

What a copy cannot give: the sandbox's call log and rate window with the sync's calls
in them, and counters that grew since the first sync (the sandbox's counters grow with
time since sending). The copy does not refresh the planner's statistics either.
A test that needs the sync itself gets a real one: marked `real_sync`, on a pinned
clock, on PostgreSQL, or with rows of its own written first (in the tables the sync
wrote: a test that wrote rows the sync would settle, such as lost writes in
posts_activity, before asking for `mirror` would need `real_sync`).
tests/test_fixtures_mirror.py holds the copy to the sync.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, models, transaction
from django.db.models.signals import post_migrate
from django.utils import timezone

from posts import sync
from posts.models import (
    APPROVALS_COUNT_CACHE_KEY,
    TAG_CHOICES_CACHE_KEY,
    USER_NAMES_CACHE_KEY,
    Post,
)

_TRIGGER_TARGET = re.compile(
    r"\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM)\s+[\"`]?(\w+)", re.IGNORECASE
)


@dataclass
class _Synced:
    """The rows one real sync wrote into empty tables, and when it ran."""

    started: datetime
    finished: datetime
    # The first start after the sync: from then on the sandbox sends a post the copy has
    # as scheduled.
    next_start: datetime | None
    tables: dict[str, tuple[list[str], set[int], list[tuple]]]  # columns, stamp columns, rows


_SNAPSHOTS: dict[tuple, _Synced] = {}


def _rows(tables: list[str]) -> dict[str, tuple[list[str], list[tuple]]]:
    """Each table's column names and rows."""
    found = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')
            found[table] = ([c[0] for c in cursor.description], cursor.fetchall())
    return found


def _empty(tables) -> bool:
    with connection.cursor() as cursor:
        return not any(cursor.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() for t in tables)


def _trigger_targets(target=connection) -> set[str]:
    with target.cursor() as cursor:
        rows = cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    return {match.lower() for (sql,) in rows for match in _TRIGGER_TARGET.findall(sql or "")}


def _sums_emptied_after_a_flush(sender, using: str = "default", **kwargs) -> None:
    """Tables kept by triggers start each test empty, as the posts do.

    A flush (the end of every test on a live server or in transactions) deletes table by
    table: on SQLite the stats' sums are emptied before posts_post, whose delete triggers
    then write each post's sums back, negated, and the next test started from those."""
    target = connections[using]
    if target.vendor != "sqlite":  # PostgreSQL's flush truncates: no row triggers run
        return
    tables = set(target.introspection.django_table_names(only_existing=True))
    with target.cursor() as cursor:
        if (
            "posts_post" not in tables
            or cursor.execute("SELECT 1 FROM posts_post LIMIT 1").fetchone()
        ):
            return
        for table in sorted(_trigger_targets(target) & tables):
            cursor.execute(f'DELETE FROM "{table}"')


# Once a flush (sent for each app: the one whose triggers these are).
post_migrate.connect(
    _sums_emptied_after_a_flush,
    sender=apps.get_app_config("reports"),
    dispatch_uid="tests.sums_after_flush",
)


def _models() -> dict[str, type[models.Model]]:
    return {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}


def _parents_first(tables: list[str]) -> list[str]:
    """`tables`, each after those its foreign keys point to: a row's triggers find what
    they read (a delivery's sums read its post), as they did in the sync."""
    by_table = _models()
    done: list[str] = []

    def visit(table: str, path: tuple[str, ...]) -> None:
        if table in done or table in path or table not in tables:
            return
        model = by_table.get(table)
        for field in model._meta.concrete_fields if model else ():
            if field.is_relation and field.related_model is not None:
                visit(field.related_model._meta.db_table, (*path, table))
        done.append(table)

    for table in sorted(tables):
        visit(table, ())
    return done


def _take(
    rows: dict[str, tuple[list[str], list[tuple]]], started: datetime, finished: datetime
) -> _Synced:
    """`rows` (as `_rows` read them after the sync) kept, with their stamp columns."""
    next_start = (
        Post.objects.filter(start_at__gt=started)
        .order_by("start_at")
        .values_list("start_at", flat=True)
        .first()
    )
    by_table = _models()
    taken = {}
    for table, (columns, found) in rows.items():
        model = by_table.get(table)
        fields = model._meta.concrete_fields if model else ()
        dated = {f.column for f in fields if isinstance(f, models.DateTimeField)}
        taken[table] = (columns, {i for i, c in enumerate(columns) if c in dated}, found)
    return _Synced(started, finished, next_start, taken)


def _moved(value: object, synced: _Synced, by: timedelta) -> object:
    """A time stamp the sync wrote (within its run) moved by `by`; anything else as is.
    Django's SQLite connection reads datetime columns as naive UTC datetimes."""
    if not isinstance(value, datetime):
        return value
    if not synced.started <= value.replace(tzinfo=UTC) <= synced.finished:
        return value
    return value + by


def _restore(synced: _Synced, *, now: datetime | None = None) -> None:
    by = (now or timezone.now()) - synced.finished  # every stamp in the past, as after a sync
    with transaction.atomic(), connection.cursor() as cursor:
        for table, (columns, stamps, rows) in synced.tables.items():
            if not rows:
                continue
            if stamps:
                rows = [
                    tuple(_moved(v, synced, by) if i in stamps else v for i, v in enumerate(row))
                    for row in rows
                ]
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
    cache.delete_many([USER_NAMES_CACHE_KEY, APPROVALS_COUNT_CACHE_KEY, TAG_CHOICES_CACHE_KEY])


def _world(sandbox) -> str | None:
    """The sandbox's world and configuration and this process's Oktopost settings, as a
    key; None when faults are set (a sync through faults is what such a test is about).

    The world's `version` counts its changes since the reset: the posts the sandbox sent
    as their time came (the same ones for every reset until `next_start`) and a test's
    own changes, which make it another key."""
    state = sandbox.control("GET", "state")
    faults = state["faults"]
    if (
        state["denied"]
        or faults["next"]
        or any(v for k, v in faults.items() if k.endswith(("_rate", "_ms")))
    ):
        return None
    ours = {
        name: str(getattr(settings, name))
        for name in dir(settings)
        if name.startswith("OKTOPOST_") and name != "OKTOPOST_LIMITER_URL"  # a file a test
    }
    limits = {k: v for k, v in state["limits"].items() if not k.startswith(("calls_", "blocked"))}
    keep = ("account_id", "seed", "version", "counts", "options")
    clock = {k: v for k, v in state["clock"].items() if k not in ("now", "now_ts")}
    return json.dumps(
        [sandbox.root_url, clock, limits, ours, {k: state[k] for k in keep}],
        sort_keys=True,
        default=str,
    )


def mirror_sync(sandbox) -> str:
    """A full sync from `sandbox`, or the rows it wrote before copied back; which one."""
    key = _world(sandbox)
    synced = _SNAPSHOTS.get(key) if key else None
    if synced is not None and synced.next_start and timezone.now() >= synced.next_start:
        del _SNAPSHOTS[key]  # the sandbox has sent a post since: take it again
        synced = None
    if synced is not None and _empty(synced.tables):
        _restore(synced)
        return "copied"
    if key is None or synced is not None:
        sync.posts_sync(full=True)
        return "synced"
    tables = connection.introspection.django_table_names(only_existing=True)
    before = _rows(tables)
    started = timezone.now()
    sync.posts_sync(full=True)
    finished = timezone.now()
    after = _rows(tables)
    written = [t for t in tables if after[t] != before[t]]
    # Kept when the sync wrote into empty tables only (no test's rows mixed in).
    if not any(before[t][1] for t in written):
        derived = _trigger_targets()
        kept = _parents_first([t for t in written if t not in derived])
        _SNAPSHOTS[key] = _take({t: after[t] for t in kept}, started, finished)
    return "synced"


@pytest.fixture
def mirror(oktopost, pinned_now, request):
    """The mirror as a full sync from the per-test sandbox leaves it; returns the sandbox."""
    if (
        connection.vendor != "sqlite"
        or pinned_now is not None
        or request.node.get_closest_marker("real_sync") is not None
    ):
        sync.posts_sync(full=True)
    else:
        mirror_sync(oktopost)
    return oktopost
