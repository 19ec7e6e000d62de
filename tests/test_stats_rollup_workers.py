"""Two workers refreshing the rollup at once recompute each hour once (issue 31).

With workers on several machines two refresh ticks can overlap. An hour held by one
refresher is left to it by the other (PostgreSQL's SKIP LOCKED on the hour's dirty mark);
before, the second recomputed it too and its insert broke the rollup's unique key.
"""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections

from reports import rollup
from reports.models import DirtyHour, HourRollup
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(
    not connection.features.has_select_for_update_skip_locked,
    reason="SQLite has one writer at a time: a second refresher waits for the first",
)
def test_an_hour_one_worker_is_recomputing_is_left_to_it() -> None:
    start = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    f.post(status="complete", network="LinkedIn", start_at=start, clicks=3)
    hour = int(start.timestamp()) // 3600
    assert DirtyHour.objects.filter(hour=hour).exists()

    holding, release = threading.Event(), threading.Event()
    first: dict[str, object] = {}

    def hold_the_hour() -> None:
        holding.set()
        assert release.wait(20)

    def first_worker() -> None:
        try:
            first["clean"] = rollup.refresh_hour(hour, between=hold_the_hour)
        except Exception as exc:  # reported by the assertion below
            first["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert holding.wait(20)
        second = rollup.refresh(limit=10, seconds=5.0)
    finally:
        release.set()
        thread.join(30)
    assert "error" not in first, first
    assert first["clean"] is True
    assert second["busy_elsewhere"] == 1 and second["hours"] == 0, second
    assert not DirtyHour.objects.filter(hour=hour).exists()
    assert list(HourRollup.objects.filter(hour=hour, dim="").values_list("network", "clicks")) == [
        ("LinkedIn", 3)
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
def test_the_rollups_reads_run_without_jit() -> None:
    """The rollup's reads relied on a SET LOCAL of their own; now on the connection's
    options (settings.py): the planner guesses thousands of posts an hour and would
    JIT-compile a ~10 ms read for ~50 ms."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
