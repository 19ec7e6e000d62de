"""Changes Oktopost pushed (webhooks) applied to the mirror.

The inbox app receives and stores the deliveries; it hands the events of one post here,
oldest first, without the ones older than what it already applied. This module decides
the post's state from them and writes it through `posts.mirror`, like the sync does:

* the newest event wins; an older one never overwrites newer state, neither newer state
  from an event nor a newer row the sync wrote (Oktopost's `Modified` only grows);
* a delete marks the post gone (kept for history, as when a full sync misses it);
* the post is fetched (one `GET /post/{id}`) only when the events do not say enough: the
  payload has no post in it, or two different events share the newest second, so their
  order cannot be told;
* a message the mirror does not know yet is fetched with the sync's own batching.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from oktopost import types as ok
from oktopost.client import OktopostClient
from oktopost.errors import NotFound, PermanentError, RateLimited
from posts import mirror
from posts.connection import get_client
from posts.models import Post
from posts.sync.posts import SyncResult, _messages_missing, messages_flush

DELETED = "postDeleted"
# A webhook's fetch is background work that must not wait long for the budget.
PUSH_MAX_WAIT = 10.0


@dataclass(frozen=True)
class PostEvent:
    event: str  # postCreated, postModified, postDeleted, postSent
    timestamp: int  # when Oktopost says it happened (Unix seconds)
    data: dict  # the delivery's `data`


@dataclass
class PushResult:
    outcome: str  # "written", "unchanged", "gone", "stale", "missing"
    fetched: bool = False


def _post_from(data: dict) -> ok.Post | None:
    """The post in a payload, when it is a whole one; None for an id alone (or less)."""
    if not isinstance(data, dict) or "Status" not in data or "Modified" not in data:
        return None
    try:
        return ok.Post.from_api(data, call="webhook", where="data")
    except PermanentError:
        return None  # a shape we do not read: fetching tells us the truth


def _needs_fetch(events: list[PostEvent]) -> bool:
    newest = events[-1]
    ties = [e for e in events if e.timestamp == newest.timestamp]
    kinds = {(e.event == DELETED, repr(sorted(e.data.items()))) for e in ties}
    if len(kinds) > 1:
        return True  # two different changes in one second: the order is unknown
    return newest.event != DELETED and _post_from(newest.data) is None


def post_events_apply(
    oktopost_id: str,
    events: list[PostEvent],
    *,
    fetch: bool = False,
    client: OktopostClient | None = None,
) -> PushResult:
    """Apply one post's events to the mirror; `fetch` asks Oktopost whatever the events
    say (the caller cannot order them against one already applied)."""
    if not events:
        return PushResult("unchanged")
    events = sorted(events, key=lambda e: e.timestamp)
    newest = events[-1]
    fetched = False
    item: ok.Post | None = None
    gone = False
    if fetch or _needs_fetch(events):
        client = client or get_client(max_wait=PUSH_MAX_WAIT)
        fetched = True
        try:
            item = client.post_get(oktopost_id)
        except NotFound:
            gone = True
    elif newest.event == DELETED:
        gone = True
    else:
        item = _post_from(newest.data)
    now = timezone.now()
    with transaction.atomic():
        row = Post.objects.select_for_update().filter(oktopost_id=oktopost_id).first()
        if gone:
            if row is None:
                return PushResult("missing", fetched)
            if row.deleted_at is None:
                mirror.post_gone(row)
            return PushResult("gone", fetched)
        assert item is not None
        if _older(item.modified, row):
            return PushResult("stale", fetched)
        created, updated, _ = mirror.posts_upsert([item], now=now)
    if item.message_id and _messages_missing([item.message_id]):
        _messages_fetch(client, item.message_id)
    return PushResult("written" if created or updated else "unchanged", fetched)


def _older(modified: datetime | None, row: Post | None) -> bool:
    return bool(row and row.modified and modified and modified < row.modified)


def _messages_fetch(client: OktopostClient | None, message_id: str) -> None:
    """A new post's message, so its row reads as text; left to the next sync when the
    budget says wait."""
    result = SyncResult(kind="push")
    result.pending_messages.add(message_id)
    with contextlib.suppress(RateLimited):
        messages_flush(client or get_client(max_wait=0.0), result, everything=True)
