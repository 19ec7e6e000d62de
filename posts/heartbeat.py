"""Workers note themselves in the cache on every task; the status bar reads the note."""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.infra import cache_get, cache_set

WORKER_SEEN_KEY = "oktodash:worker-seen"
WORKER_QUIET_AFTER = timedelta(minutes=10)


def worker_seen_note() -> None:
    cache_set(WORKER_SEEN_KEY, timezone.now().isoformat(), 3600)


def worker_seen_at() -> datetime | None:
    seen = cache_get(WORKER_SEEN_KEY)
    return parse_datetime(seen) if seen else None
