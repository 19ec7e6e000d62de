"""Follower history: one `GET /followers/{credentialId}` per connected profile per day
(docs/oktopost.md; /work/shared/oktopost-api.md §4), which the day's budget plan counts
(`posts.plan`, `followers`).

A profile is claimed for today by a conditional UPDATE of its `FollowerRead` before it is
asked, so the hourly task, a second worker or a redelivered task never asks twice in a
day. The call reads from the last day already held (its figure may have been read while
the day was still running) to today; a profile never read before gets
FOLLOWERS_BACKFILL_DAYS of history. Days are Oktopost's (UTC).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from oktopost.client import OktopostClient
from oktopost.errors import OktopostError, RateLimited
from posts import mirror
from posts.connection import get_client
from posts.models import FollowerDay, FollowerRead, follower_profiles
from posts.plan import PACED_MAX_WAIT
from posts.sync.locks import failure_words

log = logging.getLogger(__name__)

FOLLOWERS_BACKFILL_DAYS = 90
# Oktopost's longest range in one call (the sandbox refuses more; docs/oktopost.md).
FOLLOWERS_MAX_DAYS = 366


@dataclass
class FollowersResult:
    read: int = 0  # profiles asked (and answered) this run
    days: int = 0  # days written
    calls: int = 0
    failed: int = 0
    stopped: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _first_day(profile_id: str, today: date) -> date:
    last = FollowerDay.objects.filter(profile_id=profile_id).aggregate(last=Max("day"))["last"]
    if last is None or last > today:
        return today - timedelta(days=FOLLOWERS_BACKFILL_DAYS - 1)
    return max(last, today - timedelta(days=FOLLOWERS_MAX_DAYS - 1))


def _claim(read: FollowerRead, today: date) -> bool:
    """Today's read of this profile is ours: nobody moved `read_on` since we looked."""
    return bool(FollowerRead.objects.filter(pk=read.pk, read_on=read.read_on).update(read_on=today))


def _give_back(read: FollowerRead, today: date) -> None:
    """The profile stays due (the budget said wait, or Oktopost failed for now)."""
    FollowerRead.objects.filter(pk=read.pk, read_on=today).update(read_on=read.read_on)


def followers_sync(
    *, client: OktopostClient | None = None, now: datetime | None = None
) -> FollowersResult:
    """Read each connected profile not read yet today. The budget saying wait stops the
    run (the rest stays due for the next hourly run); a profile Oktopost refuses or does
    not know is recorded and asked again tomorrow; a failure that may pass is retried
    by the next run."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    result = FollowersResult()
    ids = list(follower_profiles().values_list("oktopost_id", flat=True))
    FollowerRead.objects.bulk_create(
        [FollowerRead(profile=pid) for pid in ids], ignore_conflicts=True
    )
    due = FollowerRead.objects.filter(profile__in=ids).filter(
        Q(read_on__isnull=True) | Q(read_on__lt=today)
    )
    for read in due.order_by("read_on", "profile"):
        if not _claim(read, today):
            continue  # another run has it
        client = client or get_client(priority="counters", max_wait=PACED_MAX_WAIT)
        calls_before = client.calls
        try:
            points = client.followers(
                read.profile, from_date=_first_day(read.profile, today), to_date=today
            )
        except RateLimited as exc:
            _give_back(read, today)
            result.stopped = str(exc)
            break
        except OktopostError as exc:
            if not exc.permanent:
                _give_back(read, today)
            FollowerRead.objects.filter(pk=read.pk).update(
                error=failure_words(exc)[:1000], error_at=now
            )
            log.warning("followers of %s not read: %s", read.profile, exc.__class__.__name__)
            result.failed += 1
            continue
        finally:
            result.calls += client.calls - calls_before
        with transaction.atomic():
            result.days += mirror.follower_days_upsert(read.profile, points, now=now)
            FollowerRead.objects.filter(pk=read.pk).update(error="", error_at=None)
        result.read += 1
    return result
