"""Retry only what failed: a new post of the same message to exactly the profiles that
failed, never to those that succeeded (the complaint of mixpost #205).

Idempotent like the create form: the action's form carries a one-time key
(posts.services.submissions), so a double click makes one post; and a post already
retried is refused, so two tabs make one retry too. The two posts are linked both ways
(`PostLink`, kind "retry"). A profile still disconnected is refused in words before
Oktopost is asked: the retry would only fail again.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from accounts.models import User
from core.services import ServiceError
from oktopost.types import FirstCommentInput
from posts.locks import LockBusy, write_lock
from posts.models import Activity, Post, PostLink, Profile, Status
from posts.services.common import BeingChecked, record
from posts.services.create import post_create
from posts.services.submissions import submission_claim, submission_finish

RETRYABLE = (Status.INCOMPLETE, Status.ERROR)


def retry_refusal(post: Post) -> str:
    """Why `post` cannot be retried now, in words; "" when it can."""
    if post.status not in RETRYABLE:
        return "Only a post that failed on some profile can be retried."
    if not post.message_id:
        return "This post's message is not known here, so it cannot be sent again."
    failed = _failed_profiles(post)
    if not failed:
        return (
            "Which profiles failed is not known yet (Oktopost's delivery log is read within "
            "a few minutes of sending). Try again then."
        )
    earlier = _earlier_retry(post)
    if earlier is not None:
        return f"This post was already retried as post {earlier.target}; open that one instead."
    gone = [p for p in Profile.objects.filter(oktopost_id__in=failed) if not p.is_valid]
    if gone:
        names = ", ".join(f"{p.network} ({p.label})" for p in gone)
        verb = "is" if len(gone) == 1 else "are"
        return (
            f"{names} {verb} still disconnected in Oktopost, so a retry would fail again; "
            "nothing was sent. Reconnect the profile in Oktopost (Settings → Social "
            "profiles), then retry: oktodash sees the reconnection within a few minutes."
        )
    return ""


def _failed_profiles(post: Post) -> list[str]:
    return list(
        post.deliveries.filter(status="failed").order_by("id").values_list("profile_id", flat=True)
    )


def _earlier_retry(post: Post) -> PostLink | None:
    """A retry that still stands: one whose post was cancelled, or failed everywhere
    again, does not stop another."""
    for link in PostLink.objects.filter(kind=PostLink.Kind.RETRY, source=post.oktopost_id):
        made = Post.objects.filter(oktopost_id=link.target).first()
        if made is None or (made.deleted_at is None and made.status != Status.ERROR):
            return link
    return None


def post_retry(
    *, user: User, post: Post, submit_key: str, start_at: datetime | None
) -> tuple[Post, bool]:
    """Send `post`'s message again to the profiles that failed, at `start_at` (None:
    Oktopost's default, a minute from now). Returns (the new post, whether this request
    made it): the same key again answers with the first request's post."""
    row, earlier = submission_claim(user=user, key=f"retry:{submit_key}")
    if earlier is not None:
        return earlier, False
    try:
        made = _retry(user=user, post=post, start_at=start_at)
    except BeingChecked as exc:
        submission_finish(row, error=exc.message, checking=True, activity=exc.activity)
        raise
    except ServiceError as exc:
        submission_finish(row, error=exc.message)
        raise
    except BaseException:
        submission_finish(
            row,
            error="Something went wrong while retrying; check the activity log before "
            "retrying again.",
            checking=True,
        )
        raise
    submission_finish(row, post=made)
    return made, True


def _retry(*, user: User, post: Post, start_at: datetime | None) -> Post:
    try:
        with write_lock(f"retry:{post.oktopost_id}"):
            post = Post.objects.get(id=post.id)
            refusal = retry_refusal(post)
            if refusal:
                raise ServiceError(refusal)
            failed = _failed_profiles(post)
            comment = post.first_comment or {}
            first_comment = None
            if (
                comment.get("text")
                and Profile.objects.filter(oktopost_id__in=failed, network="LinkedIn").exists()
            ):
                first_comment = FirstCommentInput(comment["text"], comment.get("media_id") or None)
            made = post_create(
                user=user,
                message_id=post.message_id,
                profile_ids=failed,
                start_at=start_at,
                first_comment=first_comment,
            )
            with transaction.atomic():
                PostLink.objects.create(
                    kind=PostLink.Kind.RETRY,
                    source=post.oktopost_id,
                    target=made.oktopost_id,
                    profile_ids=failed,
                    user=user,
                )
                record(
                    user=user,
                    action=Activity.Action.RETRY,
                    outcome=Activity.Outcome.OK,
                    post_id=post.oktopost_id,
                    before={"profiles_failed": failed},
                    after={"retried_as": made.oktopost_id, "profiles": failed},
                    answer=f"Retried as post {made.oktopost_id}",
                    summary=f"Retried {len(failed)} failed profile(s) as {made.oktopost_id}",
                )
            return made
    except LockBusy:
        raise ServiceError(
            "A retry of this post is already being sent; nothing more was done."
        ) from None
