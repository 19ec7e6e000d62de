"""The `mirror` fixture's copy of an earlier sync equals the sync (tests/fixtures_mirror.py),
and a flush leaves the tables kept by triggers as empty as the posts."""

import time
from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, transaction

from posts.models import Post
from tests import fixtures_mirror
from tests.fixtures_mirror import mirror_sync

pytestmark = pytest.mark.django_db(transaction=True)


def _everything() -> dict[str, list[tuple]]:
    tables = connection.introspection.django_table_names(only_existing=True)
    return {table: rows for table, (_, rows) in fixtures_mirror._rows(tables).items()}


@pytest.fixture
def sqlite() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the fixture copies on SQLite only")


def test_a_copied_mirror_equals_the_sync_it_was_taken_from(sqlite, oktopost, monkeypatch) -> None:
    monkeypatch.setattr(fixtures_mirror, "_SNAPSHOTS", {})
    assert mirror_sync(oktopost) == "synced"
    synced = _everything()
    assert mirror_sync(oktopost) == "synced", "copied over the rows already there"
    (taken,) = fixtures_mirror._SNAPSHOTS.values()
    assert "posts_post" in taken.tables and "reports_messagekeysum" not in taken.tables
    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=False)
    # Copied at the instant it was taken, the rows are the sync's to the last column,
    # the trigger-kept sums included (but for the sums of no post the sync left behind).
    fixtures_mirror._restore(taken, now=taken.finished)
    copied = _everything()
    kept = {*taken.tables, *fixtures_mirror._trigger_targets()} & set(synced)
    for table in kept - {"reports_dirtyhour", "reports_messagekeysum"}:
        assert copied[table] == synced[table], table
    assert {r[0] for r in copied["reports_dirtyhour"]} == {
        r[0] for r in synced["reports_dirtyhour"]
    }
    some = [row for row in synced["reports_messagekeysum"] if row[3:] != (0, 0)]
    assert copied["reports_messagekeysum"] == some
    # Copied an hour later, the sync's own stamps move by that hour; the world's times stay.
    post = Post.objects.order_by("oktopost_id").first()
    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=False)
    fixtures_mirror._restore(taken, now=taken.finished + timedelta(hours=1))
    later = Post.objects.get(oktopost_id=post.oktopost_id)
    assert (later.start_at, later.created) == (post.start_at, post.created)
    assert later.synced_at - post.synced_at == timedelta(hours=1)
    assert later.counters_at - post.counters_at == timedelta(hours=1)


def test_after_a_flush_no_sums_of_the_posts_it_deleted_are_left(sqlite, oktopost) -> None:
    mirror_sync(oktopost)
    synced = _everything()
    sums = fixtures_mirror._trigger_targets() & set(synced)
    assert any(synced[t] for t in sums)
    # A flush in the order that leaves them (its order is a set's: it varies by run):
    # the sums first, then the posts, whose delete triggers write them back negated.
    rest = sorted(set(synced) - sums - {"posts_post"})
    with transaction.atomic(), connection.cursor() as cursor:
        for table in [*sorted(sums), *rest, "posts_post"]:
            cursor.execute(f'DELETE FROM "{table}"')
    negated = _everything()
    assert any(negated[t] for t in sums)
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    left = _everything()
    assert {t: len(left[t]) for t in sums if left[t]} == {}


def test_a_world_with_faults_or_changes_of_a_test_is_not_the_copys(
    sqlite, oktopost, pinned_now
) -> None:
    if pinned_now is not None:
        # Each reset at a pinned instant sets a clock offset of its own: another world
        # every time, and the fixture syncs for real there anyway.
        pytest.skip("the copy is used on the sandbox's own clock only")
    plain = fixtures_mirror._world(oktopost)
    assert plain and fixtures_mirror._world(oktopost) == plain
    oktopost.control("POST", "faults", {"error_rate": 0.5})
    assert fixtures_mirror._world(oktopost) is None
    oktopost.control("POST", "reset")
    assert fixtures_mirror._world(oktopost) == plain
    listed = requests.get(f"{oktopost.base_url}/post", auth=oktopost.auth, timeout=10).json()
    later = int(time.time()) + 30 * 86_400
    oktopost.control("POST", f"posts/{listed['Items'][0]['Id']}", {"StartDateTime": later})
    assert fixtures_mirror._world(oktopost) not in (None, plain)
