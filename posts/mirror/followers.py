"""Follower history rows from `GET /followers/{credentialId}` answers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from oktopost import types as ok
from posts.models import FollowerDay


def follower_days_upsert(
    profile_id: str, points: Iterable[ok.FollowerPoint], *, now: datetime
) -> int:
    """Store each day of a profile's answer, replacing what an earlier read said of the
    same day (a day read while it was still running has its final figure later). A
    point without a day is skipped. Returns the days written."""
    rows = [
        FollowerDay(
            profile_id=profile_id,
            day=p.day,
            followers=p.followers,
            added=p.added,
            synced_at=now,
        )
        for p in points
        if p.day is not None
    ]
    FollowerDay.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["profile", "day"],
        update_fields=["followers", "added", "synced_at"],
    )
    return len(rows)
