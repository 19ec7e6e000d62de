"""Changing single posts in Oktopost, and asking for fresh stats.

Before changing an existing post we read it from Oktopost (the one read outside the
sync): if its Modified moved on since the editor loaded it, we refuse and show the
current values instead of overwriting someone else's change.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core import infra
from core.services import ServiceError, enqueue, queue_down_words
from oktopost.client import OktopostClient
from oktopost.errors import NotFound, OktopostError
from oktopost.limiter import next_midnight
from oktopost.types import FirstCommentInput
from posts import mirror
from posts import task_names as tasks
from posts.connection import get_limiter
from posts.locks import LockBusy, write_lock
from posts.models import Activity, BulkAction, Post, Profile
from posts.services.common import (
    ChangedMeanwhile,
    interactive_client,
    mirror_post,
    record,
    snapshot,
    words,
    write,
)

# --- changing existing posts ---------------------------------------------------------


@contextmanager
def _one_write_at_a_time(post: Post, bulk: BulkAction | None = None) -> Iterator[None]:
    """Read, compare and write a post with no other write to it in between, from any
    process: Oktopost has no conditional update to do it for us.

    A bulk holds its posts' locks as itself: when its worker is killed mid-write, the
    bulk's next run (which alone holds the bulk, posts.services.bulk) takes the post
    over at once instead of refusing it until the dead hold expires."""
    owner = f"bulk-{bulk.id}" if bulk is not None else None
    try:
        with write_lock(f"post:{post.oktopost_id}", owner=owner):
            yield
    except LockBusy:
        raise ServiceError(
            "Another change to this post is still being saved; nothing was changed. "
            "Try again in a moment."
        ) from None


def _current(client: OktopostClient, post: Post, expected_modified: datetime | None) -> Post:
    """Refuse when the post moved on since the editor loaded it: in the mirror (a change
    saved just before, from here) or in Oktopost. Returns the post as it is now."""
    row = Post.objects.get(id=post.id)
    if expected_modified is None:
        return row
    if row.modified and row.modified > expected_modified:
        raise ChangedMeanwhile(row)
    try:
        fresh = client.post_get(post.oktopost_id)
    except NotFound as exc:
        with transaction.atomic():
            Post.objects.filter(id=post.id).update(deleted_at=timezone.now())
        raise ServiceError("This post no longer exists in Oktopost.") from exc
    except OktopostError as exc:
        raise ServiceError(words(exc)) from exc
    if fresh.modified and fresh.modified > expected_modified:
        with transaction.atomic():
            current = mirror_post(fresh)
        raise ChangedMeanwhile(current)
    return row


def post_update(
    *,
    user: User,
    post: Post,
    action: str,
    expected_modified: datetime | None,
    start_at: datetime | None = None,
    profile_ids: list[str] | None = None,
    first_comment: FirstCommentInput | None = None,
    remove_first_comment: bool = False,
    bulk: BulkAction | None = None,
    client: OktopostClient | None = None,
    status: str | None = None,
) -> Post:
    client = client or interactive_client()
    with _one_write_at_a_time(post, bulk):
        post = _current(client, post, expected_modified)
        return _update(
            client=client,
            user=user,
            post=post,
            action=action,
            start_at=start_at,
            status=status,
            profile_ids=profile_ids,
            first_comment=first_comment,
            remove_first_comment=remove_first_comment,
            bulk=bulk,
        )


def _update(
    *,
    client: OktopostClient,
    user: User,
    post: Post,
    action: str,
    start_at: datetime | None,
    profile_ids: list[str] | None,
    bulk: BulkAction | None,
    first_comment: FirstCommentInput | None = None,
    remove_first_comment: bool = False,
    status: str | None = None,
) -> Post:
    before = snapshot(post)
    wanted = {
        k: v
        for k, v in {
            "start_at": start_at.isoformat() if start_at else None,
            "profiles": profile_ids,
            "status": status,
        }.items()
        if v is not None
    }
    if first_comment is not None or remove_first_comment:
        before["first_comment"] = post.first_comment
        wanted["first_comment"] = (
            {"text": first_comment.text, "media_id": first_comment.media_id or ""}
            if first_comment is not None
            else {}
        )
    item = write(
        lambda: client.post_update(
            post.oktopost_id,
            start_at=start_at,
            credential_ids=profile_ids,
            status=status,
            first_comment=first_comment,
            remove_first_comment=remove_first_comment,
        ),
        user=user,
        action=action,
        post_id=post.oktopost_id,
        before=before,
        after=wanted,
        bulk=bulk,
        checking="so the change may or may not have been made. The next sync shows the post "
        "as it really is.",
    )
    with transaction.atomic():
        updated = mirror_post(item)
        after = snapshot(updated)
        if "first_comment" in before:
            after["first_comment"] = updated.first_comment
        record(
            user=user,
            action=action,
            outcome=Activity.Outcome.OK,
            post_id=post.oktopost_id,
            before=before,
            after=after,
            answer=f"Post {post.oktopost_id} updated",
            bulk=bulk,
        )
    return updated


def post_reschedule(
    *,
    user: User,
    post: Post,
    start_at: datetime,
    expected_modified: datetime,
    client: OktopostClient | None = None,
) -> Post:
    return post_update(
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
    expected_modified: datetime,
    client: OktopostClient | None = None,
) -> Post:
    return post_update(
        user=user,
        post=post,
        action=Activity.Action.CHANGE_PROFILES,
        expected_modified=expected_modified,
        profile_ids=profile_ids,
        client=client,
    )


def post_first_comment_change(
    *,
    user: User,
    post: Post,
    text: str,
    media_id: str,
    expected_modified: datetime,
    client: OktopostClient | None = None,
) -> Post:
    """Set (or replace) the LinkedIn first comment of an unsent post; an empty text and
    no picture removes it (`firstComment=null`)."""
    if post.is_sent or post.deleted_at:
        raise ServiceError("This post was already sent or cancelled; its comment stays as it is.")
    if (
        post.network != "LinkedIn"
        and not Profile.objects.filter(
            oktopost_id__in=post.credential_ids, network="LinkedIn"
        ).exists()
    ):
        raise ServiceError("A first comment can only go with a LinkedIn profile.")
    remove = not text.strip() and not media_id
    if remove and not post.first_comment:
        raise ServiceError("This post has no first comment to remove.")
    return post_update(
        user=user,
        post=post,
        action=Activity.Action.FIRST_COMMENT,
        expected_modified=expected_modified,
        first_comment=None if remove else FirstCommentInput(text.strip(), media_id or None),
        remove_first_comment=remove,
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
    client = client or interactive_client()
    with _one_write_at_a_time(post, bulk):
        post = _current(client, post, expected_modified)
        _delete(client=client, user=user, post=post, bulk=bulk)


def _delete(*, client: OktopostClient, user: User, post: Post, bulk: BulkAction | None) -> None:
    before = snapshot(post)
    action = Activity.Action.CANCEL
    write(
        lambda: client.post_delete(post.oktopost_id),
        user=user,
        action=action,
        post_id=post.oktopost_id,
        before=before,
        bulk=bulk,
        checking="so the post may or may not be cancelled. The next sync checks and the "
        "activity log will say.",
    )
    with transaction.atomic():
        Post.objects.filter(id=post.id).update(deleted_at=timezone.now())
        record(
            user=user,
            action=action,
            outcome=Activity.Outcome.OK,
            post_id=post.oktopost_id,
            before=before,
            after={"deleted": True},
            answer="Deleted in Oktopost",
            bulk=bulk,
        )


# "Refresh now" costs one Oktopost call: a person may ask this often, a post this often.
REFRESH_NOW_PER_USER = 10
REFRESH_NOW_WINDOW = 600  # seconds
REFRESH_NOW_MIN_AGE = timedelta(minutes=1)


def post_stats_refresh_now(*, post: Post, user: User) -> tuple[bool, str]:
    """ "Refresh now": the post jumps the stats queue and a worker fetches it at once,
    within the shared API budget. Returns (queued, words for the user). A post already
    queued or fetched within the last minute costs nothing more."""
    if post.stats_requested_at is not None:
        return False, "A refresh of this post is already queued."
    if post.stats_at and timezone.now() - post.stats_at < REFRESH_NOW_MIN_AGE:
        return False, "These numbers were fetched less than a minute ago."
    if not infra.rate_take(
        f"stats-now:{user.pk}", limit=REFRESH_NOW_PER_USER, window=REFRESH_NOW_WINDOW
    ):
        return False, (
            f"You asked for {REFRESH_NOW_PER_USER} refreshes in the last "
            f"{REFRESH_NOW_WINDOW // 60} minutes; the rest refresh on their own schedule. "
            "Try again in a few minutes."
        )
    try:
        budget = get_limiter().report()
    except Exception:  # the budget's store is down: the worker's own call will say so
        budget = None
    if budget and budget.used_today >= budget.limit_today:
        hours = math.ceil((next_midnight(time.time()) - time.time()) / 3600)
        return False, (
            "Today's Oktopost call budget is spent, so this post cannot be refreshed now. "
            f"Its numbers refresh after midnight UTC (in about {hours} h)."
        )
    mirror.post_stats_request(post)
    if not enqueue(tasks.refresh_post_stats, post.id):
        return False, queue_down_words(
            "the refresh waits at the head of the queue until the worker can take it."
        )
    ahead = (
        Post.objects.filter(stats_requested_at__isnull=False, deleted_at__isnull=True)
        .exclude(id=post.id)
        .count()
    )
    place = "next in line" if not ahead else f"{ahead + 1} in line ({ahead} asked before it)"
    words = f"Stats refresh queued, {place}; the numbers update when Oktopost answers."
    if budget and budget.blocked_until_datetime:
        words += (
            f" Oktopost is blocking our API key until {budget.blocked_until_datetime:%H:%M} UTC;"
            " the refresh waits until then."
        )
    return True, words
