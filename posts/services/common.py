"""What every write to Oktopost shares: errors in words, the audit record, the mirror.

Every service writes to Oktopost first and, only when Oktopost answered, updates the
mirror from that answer in one transaction together with the audit record. When
Oktopost refuses, the user sees Oktopost's words and the mirror is unchanged. When the
answer is lost after Oktopost may have acted (a timeout on a write), nothing is
retried: the action is recorded as "being checked" and the next sync settles it
(posts.sync.activities_settle), so a post is never created twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from accounts.models import User
from core.services import ServiceError
from oktopost import types as ok
from oktopost.client import OktopostClient
from oktopost.errors import AmbiguousWriteError, OktopostError, PermanentError, RateLimited
from posts import mirror
from posts.connection import get_client
from posts.models import Activity, BulkAction, Post

log = logging.getLogger(__name__)


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

    def __init__(self, message: str, *, activity: Activity | None = None) -> None:
        super().__init__(message)
        self.activity = activity  # the audit entry the sync will settle


def lost_answer_words(exc: AmbiguousWriteError) -> str:
    """Why we cannot tell what Oktopost did, in the user's words."""
    if exc.status and exc.status >= 400:
        return f"Oktopost answered the write with an error (HTTP {exc.status}) after receiving it,"
    if exc.status:
        return "Oktopost's answer to the write could not be read (it came cut off or garbled),"
    if exc.timed_out:
        return "Oktopost did not answer in time,"
    return "Oktopost's answer was cut off,"


def interactive_client() -> OktopostClient:
    return get_client(priority="interactive")


def words(exc: OktopostError) -> str:
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
    if exc.status and exc.status >= 500:
        # Its text ("Internal Server Error") says nothing the user can act on.
        return (
            f"Oktopost had a problem of its own (HTTP {exc.status}); nothing was changed. "
            "Try again in a few minutes."
        )
    if exc.messages:
        return " ".join(f"{v}" for v in exc.messages.values())
    if isinstance(exc, PermanentError):
        return f"Oktopost refused: {exc}"
    return "Oktopost could not be reached or answered with an error; nothing was changed."


def record(
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


def write[T](
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
        entry = record(**audit, outcome=Activity.Outcome.CHECKING, answer=str(exc), bulk=bulk)
        raise BeingChecked(f"{lost_answer_words(exc)} {checking}", activity=entry) from exc
    except OktopostError as exc:
        record(**audit, outcome=Activity.Outcome.FAILED, answer=str(exc), bulk=bulk)
        raise ServiceError(words(exc), field=field_for(exc)) from exc


def snapshot(post: Post) -> dict[str, object]:
    return {
        "status": post.status,
        "start_at": post.start_at.isoformat(),
        "profiles": list(post.credential_ids),
        "modified": post.modified.isoformat() if post.modified else None,
    }


def mirror_post(item: ok.Post) -> Post:
    """Write Oktopost's answer into the mirror (call inside the audit transaction)."""
    mirror.posts_upsert([item], now=timezone.now())
    return Post.objects.get(oktopost_id=item.id)


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


def field_for(exc: OktopostError) -> str | None:
    for key in exc.messages:
        if key in _FIELD_NAMES:
            return _FIELD_NAMES[key]
    return None
