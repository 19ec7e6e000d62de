"""`EpochSeconds` counts the same whole seconds on every database and SQLite version: a
post's local day and hour on the stats pages depend on it (reports/localsql.py)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import F

from posts.models import Post
from reports.localsql import EpochSeconds
from tests import factories as f

pytestmark = pytest.mark.django_db

INSTANTS = [
    datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=UTC),  # a fraction is truncated
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2024, 2, 29, 23, 59, 59, 500_000, tzinfo=UTC),
    datetime(2027, 12, 31, 23, 30, 0, 1, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
]


def _seconds() -> list[int]:
    rows = Post.objects.annotate(s=EpochSeconds(F("start_at"))).order_by("id")
    return list(rows.values_list("s", flat=True))


def test_epoch_seconds_are_whole_utc_seconds_truncated(monkeypatch):
    for at in INSTANTS:
        f.post(start_at=at)
    expected = [int(at.timestamp() // 1) for at in INSTANTS]
    assert _seconds() == expected
    if connection.vendor == "sqlite":
        # Before SQLite 3.38 (no unixepoch()), strftime('%s') reads the same text.
        monkeypatch.setattr(connection.Database, "sqlite_version_info", (3, 37, 2))
        assert _seconds() == expected
