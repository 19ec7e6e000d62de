"""Writes to Oktopost, then to the mirror. The only place that changes Oktopost.

Every service writes to Oktopost first and, only when Oktopost answered, updates the
mirror from that answer in one transaction together with the audit record. When
Oktopost refuses, the user sees Oktopost's words and the mirror is unchanged. When the
answer is lost after Oktopost may have acted (a timeout on a write), nothing is
retried: the action is recorded as "being checked" and the next sync settles it
(posts.sync.activities_settle), so a post is never created twice.

Before changing an existing post we read it from Oktopost (the one read outside the
sync): if its Modified moved on since the editor loaded it, we refuse and show the
current values instead of overwriting someone else's change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from oktopost import types as ok
from oktopost.client import OktopostClient
from oktopost.errors import (
    AmbiguousWriteError,
    NotFound,
    OktopostError,
    PermanentError,
    RateLimited,
)
from posts import sync
from posts.connection import get_client
from posts.models import Activity, BulkAction, Message, Post

log = logging.getLogger(__name__)

CREATE_STATUSES = {
    "pending": "Scheduled",
    "draft": "Draft",
    "inqueue": "Queued",
    "inqueue-draft": "Queued draft",
}


class ServiceError(Exception):
    """A write that did not happen, with words for the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ChangedMeanwhile(ServiceError):
    """The post changed in Oktopost since the editor loaded it."""

    def __init__(self, post: Post) -> None:
        when = timezone.localtime(post.start_at).strftime("%a %d %b %Y %H:%M %Z")
        super().__init__(
            "This post changed in Oktopost while you were editing it, so nothing was saved. "
            f"It is now {post.get_status_display().lower()}, scheduled for {when}. "
            "Check the current values and try again."
        )
        self.post = post


class BeingChecked(ServiceError):
    """Oktopost may have acted but its answer was lost; the next sync will tell."""


def _client() -> OktopostClient:
    return get_client(priority="interactive")


def _words(exc: OktopostError) -> str:
    """Oktopost's own messages, for the user."""
    if isinstance(exc, RateLimited):
        until = datetime.fromtimestamp(exc.retry_at, UTC) if exc.retry_at else None
        if exc.status == 429 or (until and until - timezone.now() > timedelta(minutes=1)):
            when = f" until {timezone.localtime(until):%H:%M %Z}" if until else ""
            return f"Oktopost is limiting our API calls{when}; nothing was changed. Try again then."
        return (
            "Our share of the Oktopost API budget is busy for the moment; nothing was changed. "
            "Try again in a minute."
        )
    if exc.messages:
        return " ".join(f"{v}" for v in exc.messages.values())
    if isinstance(exc, PermanentError):
        return f"Oktopost refused: {exc}"
    return "Oktopost could not be reached or answered with an error; nothing was changed."


def _record(
    *,
    user: User | None,
    action: str,
    outcome: str,
    post_id: str = "",
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
    answer: str = "",
    bulk: BulkAction | None = None,
) -> Activity:
    return Activity.objects.create(
        user=user,
        action=action,
        outcome=outcome,
        post_oktopost_id=post_id,
        summary=summary[:300],
        before=before or {},
        after=after or {},
        answer=answer[:4000],
        bulk=bulk,
    )


def _write[T](
    call: Callable[[], T],
    *,
    user: User | None,
    action: str,
    checking: str,
    post_id: str = "",
    before: dict | None = None,
    after: dict | None = None,
    bulk: BulkAction | None = None,
) -> T:
    """Make one write to Oktopost; record a refusal or a lost answer, in words."""
    audit = {"user": user, "action": action, "post_id": post_id, "before": before, "after": after}
    try:
        return call()
    except AmbiguousWriteError as exc:
        _record(**audit, outcome=Activity.Outcome.CHECKING, answer=str(exc), bulk=bulk)
        raise BeingChecked(checking) from exc
    except OktopostError as exc:
        _record(**audit, outcome=Activity.Outcome.FAILED, answer=str(exc), bulk=bulk)
        raise ServiceError(_words(exc), field=_field_for(exc)) from exc


def _snapshot(post: Post) -> dict[str, object]:
    return {
        "status": post.status,
        "start_at": post.start_at.isoformat(),
        "profiles": list(post.credential_ids),
        "modified": post.modified.isoformat() if post.modified else None,
    }


def _mirror(item: ok.Post) -> Post:
    """Write Oktopost's answer into the mirror (call inside the audit transaction)."""
    sync.posts_upsert([item], now=timezone.now())
    return Post.objects.get(oktopost_id=item.id)


# --- messages and new posts ------------------------------------------------------------


def message_create(
    *,
    user: User,
    network: str,
    campaign_id: str,
    text: str,
    link_url: str = "",
    title: str = "",
    client: OktopostClient | None = None,
) -> Message:
    """Create a reusable message in Oktopost and mirror it."""
    client = client or _client()
    after = {"network": network, "campaign": campaign_id, "text": text, "link_url": link_url}
    item = _write(
        lambda: client.message_create(
            network=network,
            campaign_id=campaign_id,
            text=text,
            link_url=link_url or None,
            title=title or None,
        ),
        user=user,
        action=Activity.Action.MESSAGE_CREATE,
        after=after,
        checking="Oktopost did not answer in time while creating the message; it may exist "
        "now. Nothing else was done. Pick it from the existing messages after the next sync "
        "instead of writing it again.",
    )
    with transaction.atomic():
        sync.messages_upsert([item], now=timezone.now())
        _record(
            user=user,
            action=Activity.Action.MESSAGE_CREATE,
            outcome=Activity.Outcome.OK,
            after={**after, "id": item.id},
            answer=f"Message {item.id} created",
            summary=text[:120],
        )
    return Message.objects.get(oktopost_id=item.id)


_FIELD_NAMES = {
    "credentialIds": "profiles",
    "startDateTime": "start_at",
    "messageId": "message",
    "message": "text",
    "network": "network",
    "campaignId": "campaign",
    "linkUrl": "link_url",
    "status": "status",
}


def _field_for(exc: OktopostError) -> str | None:
    for key in exc.messages:
        if key in _FIELD_NAMES:
            return _FIELD_NAMES[key]
    return None


def post_create(
    *,
    user: User,
    message_id: str,
    profile_ids: list[str],
    start_at: datetime | None,
    status: str = "pending",
    client: OktopostClient | None = None,
) -> Post:
    """Schedule a message to profiles. A lost answer is never retried (no duplicates)."""
    if status not in CREATE_STATUSES:
        raise ServiceError(f"Unknown status {status!r}.", field="status")
    client = client or _client()
    after = {
        "message": message_id,
        "profiles": profile_ids,
        "start_at": start_at.isoformat() if start_at else "as soon as possible",
        "status": status,
    }
    item = _write(
        lambda: client.post_create(
            message_id=message_id, credential_ids=profile_ids, start_at=start_at, status=status
        ),
        user=user,
        action=Activity.Action.CREATE,
        after=after,
        checking="Oktopost did not answer in time, so we cannot tell yet whether the post was "
        "created. Do not create it again: the next sync (within a few minutes) checks, and the "
        "activity log will say what happened.",
    )
    with transaction.atomic():
        post = _mirror(item)
        _record(
            user=user,
            action=Activity.Action.CREATE,
            outcome=Activity.Outcome.OK,
            post_id=post.oktopost_id,
            after={**after, **_snapshot(post)},
            answer=f"Post {post.oktopost_id} created, status {post.status}",
            summary=f"{post.network} post for {len(profile_ids)} profile(s)",
        )
    return post


# --- changing existing posts ---------------------------------------------------------


def _current(client: OktopostClient, post: Post, expected_modified: datetime | None) -> None:
    """Refuse when the post moved on in Oktopost since the editor loaded it."""
    if expected_modified is None:
        return
    try:
        fresh = client.post_get(post.oktopost_id)
    except NotFound as exc:
        with transaction.atomic():
            Post.objects.filter(id=post.id).update(deleted_at=timezone.now())
        raise ServiceError("This post no longer exists in Oktopost.") from exc
    except OktopostError as exc:
        raise ServiceError(_words(exc)) from exc
    if fresh.modified and fresh.modified > expected_modified:
        with transaction.atomic():
            current = _mirror(fresh)
        raise ChangedMeanwhile(current)


def _update(
    *,
    user: User,
    post: Post,
    action: str,
    expected_modified: datetime | None,
    start_at: datetime | None = None,
    profile_ids: list[str] | None = None,
    bulk: BulkAction | None = None,
    client: OktopostClient | None = None,
) -> Post:
    client = client or _client()
    _current(client, post, expected_modified)
    before = _snapshot(post)
    wanted = {
        k: v
        for k, v in {
            "start_at": start_at.isoformat() if start_at else None,
            "profiles": profile_ids,
        }.items()
        if v is not None
    }
    item = _write(
        lambda: client.post_update(post.oktopost_id, start_at=start_at, credential_ids=profile_ids),
        user=user,
        action=action,
        post_id=post.oktopost_id,
        before=before,
        after=wanted,
        bulk=bulk,
        checking="Oktopost did not answer in time; the change may or may not have been made. "
        "The next sync shows the post as it really is.",
    )
    with transaction.atomic():
        updated = _mirror(item)
        _record(
            user=user,
            action=action,
            outcome=Activity.Outcome.OK,
            post_id=post.oktopost_id,
            before=before,
            after=_snapshot(updated),
            answer=f"Post {post.oktopost_id} updated",
            bulk=bulk,
        )
    return updated


def post_reschedule(
    *,
    user: User,
    post: Post,
    start_at: datetime,
    expected_modified: datetime | None,
    client: OktopostClient | None = None,
) -> Post:
    return _update(
        user=user,
        post=post,
        action=Activity.Action.RESCHEDULE,
        expected_modified=expected_modified,
        start_at=start_at,
        client=client,
    )


def post_profiles_change(
    *,
    user: User,
    post: Post,
    profile_ids: list[str],
    expected_modified: datetime | None,
    client: OktopostClient | None = None,
) -> Post:
    return _update(
        user=user,
        post=post,
        action=Activity.Action.CHANGE_PROFILES,
        expected_modified=expected_modified,
        profile_ids=profile_ids,
        client=client,
    )


def post_cancel(
    *,
    user: User,
    post: Post,
    expected_modified: datetime | None,
    bulk: BulkAction | None = None,
    client: OktopostClient | None = None,
) -> None:
    """Delete an unsent post in Oktopost; the mirror keeps it, marked deleted."""
    client = client or _client()
    _current(client, post, expected_modified)
    before = _snapshot(post)
    action = Activity.Action.CANCEL
    _write(
        lambda: client.post_delete(post.oktopost_id),
        user=user,
        action=action,
        post_id=post.oktopost_id,
        before=before,
        bulk=bulk,
        checking="Oktopost did not answer in time; the post may or may not be cancelled. "
        "The next sync checks and the activity log will say.",
    )
    with transaction.atomic():
        Post.objects.filter(id=post.id).update(deleted_at=timezone.now())
        _record(
            user=user,
            action=action,
            outcome=Activity.Outcome.OK,
            post_id=post.oktopost_id,
            before=before,
            after={"deleted": True},
            answer="Deleted in Oktopost",
            bulk=bulk,
        )


# --- bulk ---------------------------------------------------------------------------


def bulk_start(
    *, user: User, kind: str, post_ids: list[str], params: dict[str, object]
) -> BulkAction:
    """Record a bulk action; a worker runs it (posts.tasks.bulk_run)."""
    if kind not in BulkAction.Kind.values:
        raise ServiceError(f"Unknown bulk action {kind!r}.")
    if not post_ids:
        raise ServiceError("Select at least one post.")
    return BulkAction.objects.create(user=user, kind=kind, post_ids=post_ids, params=params)


def _bulk_target(bulk: BulkAction, post: Post) -> datetime:
    zone = bulk.user.zone
    if bulk.kind == BulkAction.Kind.SHIFT:
        return post.start_at + timedelta(minutes=int(bulk.params["minutes"]))
    # Move to a date keeping the local time of day, in the editor's zone (DST-safe:
    # the same wall-clock time on the new day, whatever the offset there).
    local = post.start_at.astimezone(zone)
    day = date.fromisoformat(str(bulk.params["date"]))
    return local_to_utc(datetime.combine(day, local.time()), zone)


def bulk_run(bulk_id: int, *, client: OktopostClient | None = None) -> BulkAction:
    """Apply a bulk action post by post, saving after each; a rerun skips what is done."""
    bulk = BulkAction.objects.select_related("user").get(id=bulk_id)
    client = client or _client()
    done = {r["post"] for r in bulk.results}
    for oktopost_id in bulk.post_ids:
        if oktopost_id in done:
            continue
        post = Post.objects.filter(oktopost_id=oktopost_id).first()
        try:
            if post is None or post.deleted_at:
                raise ServiceError("This post is no longer in Oktopost.")
            if bulk.kind == BulkAction.Kind.CANCEL:
                post_cancel(
                    user=bulk.user, post=post, expected_modified=None, bulk=bulk, client=client
                )
                message = "Cancelled"
            else:
                target = _bulk_target(bulk, post)
                _update(
                    user=bulk.user,
                    post=post,
                    action=Activity.Action.BULK_SHIFT
                    if bulk.kind == BulkAction.Kind.SHIFT
                    else Activity.Action.BULK_MOVE,
                    expected_modified=None,
                    start_at=target,
                    bulk=bulk,
                    client=client,
                )
                message = f"Now {timezone.localtime(target, bulk.user.zone):%a %d %b %Y %H:%M %Z}"
            result = {"post": oktopost_id, "ok": True, "message": message}
        except ServiceError as exc:
            result = {"post": oktopost_id, "ok": False, "message": exc.message}
        bulk.results.append(result)
        BulkAction.objects.filter(id=bulk.id).update(results=bulk.results)
    bulk.finished = timezone.now()
    BulkAction.objects.filter(id=bulk.id).update(finished=bulk.finished)
    return bulk


# --- time ----------------------------------------------------------------------------


class BadLocalTime(ValueError):
    pass


def local_to_utc(naive: datetime, zone: tzinfo) -> datetime:
    """A wall-clock time in `zone` as an aware UTC instant, refusing times that do not
    exist there (the hour skipped when clocks go forward). A time that happens twice
    (clocks go back) is taken at its first occurrence."""
    first = naive.replace(tzinfo=zone, fold=0)
    round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        raise BadLocalTime(
            f"{naive:%H:%M} does not exist on {naive:%d %b %Y} in {zone} "
            "(the clocks skip that hour); pick another time."
        )
    return first.astimezone(UTC)


def is_ambiguous(naive: datetime, zone: tzinfo) -> bool:
    return (
        naive.replace(tzinfo=zone, fold=0).utcoffset()
        != naive.replace(tzinfo=zone, fold=1).utcoffset()
    )
