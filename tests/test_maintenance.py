"""Planner statistics: gathered by the product after bulk loads and when they go stale."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from posts import maintenance, sync, tasks
from posts.models import Post

pytestmark = pytest.mark.django_db

SQLITE = connection.vendor == "sqlite"


def stats_rows(table: str) -> int:
    """How many rows the planner believes `table` has (0: it knows nothing)."""
    with connection.cursor() as cursor:
        if SQLITE:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return 0
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
            row = cursor.fetchone()
            return int(row[0].split()[0]) if row else 0
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return max(0, int(cursor.fetchone()[0]))


def forget_stats() -> None:
    with connection.cursor() as cursor:
        if SQLITE:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone():
                cursor.execute("DELETE FROM sqlite_stat1")
                cursor.execute("ANALYZE sqlite_schema")  # reload: the planner forgets too
        # PostgreSQL has no way back to "never analyzed"; tests below only add rows.


def test_seeding_leaves_statistics_for_the_planner() -> None:
    forget_stats()
    out = io.StringIO()
    call_command("seed_mirror", posts=300, stdout=out)
    assert stats_rows("posts_post") == Post.objects.count() == 300
    assert stats_rows("posts_message") > 0
    assert "Planner statistics gathered" in out.getvalue()


@pytest.mark.skipif(not SQLITE, reason="SQLite's planner")
def test_after_seeding_the_default_page_walks_the_schedule_index_instead_of_sorting() -> None:
    call_command("seed_mirror", posts=2000, stdout=io.StringIO())
    sql, params = (
        Post.objects.filter(deleted_at__isnull=True).order_by("-start_at", "-id")[:51].query
    ).sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(row[-1] for row in cursor.fetchall())
    assert "post_start_id" in plan
    assert "TEMP B-TREE" not in plan


def test_a_full_sync_leaves_statistics_for_the_planner(oktopost) -> None:
    forget_stats()
    result = sync.posts_sync(full=True)
    assert result.created > 0
    assert stats_rows("posts_post") == Post.objects.count()


def test_a_sync_that_wrote_many_rows_analyzes_every_mirror_table() -> None:
    analyzed = maintenance.planner_stats_after_sync(written=maintenance.BULK_ROWS, full=False)
    assert analyzed == list(maintenance.MIRROR_TABLES)
    assert maintenance.planner_stats_after_sync(written=10, full=False) == []


def test_the_periodic_refresh_analyzes_only_what_went_stale() -> None:
    forget_stats()
    call_command("seed_mirror", posts=200, stdout=io.StringIO())
    # Statistics as fresh as they get: nothing to do, and cheap to find out.
    assert "posts_post" not in maintenance.planner_stats_refresh()
    if SQLITE:
        # Statistics taken at 1 row, 200 rows now: stale.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE sqlite_stat1 SET stat = '1' || substr(stat, instr(stat, ' '))")
        assert "posts_post" in maintenance.planner_stats_refresh()
        assert stats_rows("posts_post") == 200


@pytest.mark.skipif(not SQLITE, reason="SQLite keeps statistics per index")
def test_an_index_made_after_the_statistics_makes_its_table_stale() -> None:
    """A migration that remakes an index drops its statistics with it; the table's other
    indexes still have theirs, taken at today's row count. Left so, SQLite guessed at the
    new index for good: the check looked at the row count only."""
    forget_stats()
    call_command("seed_mirror", posts=200, stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX post_network_start")
        cursor.execute(
            "CREATE INDEX post_network_start ON posts_post (network, start_at, status, deleted_at)"
        )
    assert "posts_post" in maintenance.planner_stats_refresh()
    with connection.cursor() as cursor:
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE idx = 'post_network_start'")
        assert cursor.fetchone()[0].startswith("200 ")
    assert "posts_post" not in maintenance.planner_stats_refresh()


def test_the_hourly_task_refreshes_planner_statistics() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-planner-stats"]
    assert entry["task"] == "posts.tasks.refresh_planner_stats"
    assert entry["schedule"] == 3600
    forget_stats()
    call_command("seed_mirror", posts=50, stdout=io.StringIO())
    assert tasks.refresh_planner_stats.apply().get() == {"analyzed": []}


@pytest.mark.skipif(SQLITE, reason="PostgreSQL's visibility map")
@pytest.mark.django_db(transaction=True)
def test_seeding_outside_a_transaction_vacuums_so_index_only_scans_work_at_once() -> None:
    # The stats review reads its covering index alone only where the pages are marked
    # all-visible, which VACUUM does (autovacuum may come much later, or be off).
    call_command("seed_mirror", posts=300, stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT relallvisible FROM pg_class WHERE relname = 'posts_post'")
        assert cursor.fetchone()[0] > 0
