"""Creating in Oktopost: a message, a post, and the create form's one step that makes
both with a one-time key. A lost answer is never retried: the sync settles it."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from oktopost.client import OktopostClient
from oktopost.errors import OktopostError
from oktopost.types import FirstCommentInput
from posts import attached_media as attachment_services
from posts import mirror
from posts.mirror import approvals as approvals_mirror
from posts.models import Activity, Message, Post, Profile, WorkflowStep
from posts.networks import CREATE_STATUSES
from posts.services.common import (
    BeingChecked,
    ServiceError,
    interactive_client,
    mirror_post,
    record,
    snapshot,
    write,
)
from posts.services.submissions import (
    submission_claim,
    submission_finish,
    submission_message,
)

logger = logging.getLogger(__name__)


def message_create(
    *,
    user: User,
    network: str,
    campaign_id: str,
    text: str,
    link_url: str = "",
    link_title: str = "",
    description: str = "",
    image_url: str = "",
    title: str = "",
    media_ids: list[str] | None = None,
    client: OktopostClient | None = None,
) -> Message:
    """Create a reusable message in Oktopost (with its media, 026… ids) and mirror it."""
    client = client or interactive_client()
    after = {"network": network, "campaign": campaign_id, "text": text, "link_url": link_url}
    card = {"link_title": link_title, "description": description, "image_url": image_url}
    after |= {key: value for key, value in card.items() if value}
    if media_ids:
        after["media"] = list(media_ids)
    item = write(
        lambda: client.message_create(
            network=network,
            campaign_id=campaign_id,
            text=text,
            link_url=link_url or None,
            link_title=link_title or None,
            description=description or None,
            image_url=image_url or None,
            title=title or None,
            media_ids=media_ids or None,
        ),
        user=user,
        action=Activity.Action.MESSAGE_CREATE,
        after=after,
        checking="while creating the message, so it may exist now. Nothing else was done. Pick "
        "it from the existing messages after the next sync instead of writing it again.",
    )
    with transaction.atomic():
        mirror.messages_upsert([item], now=timezone.now())
        record(
            user=user,
            action=Activity.Action.MESSAGE_CREATE,
            outcome=Activity.Outcome.OK,
            after={**after, "id": item.id},
            answer=f"Message {item.id} created",
            summary=text[:120],
        )
    return Message.objects.get(oktopost_id=item.id)


def approval_item_find(*, post: Post, workflow_id: str, client: OktopostClient) -> Post:
    """A post created with a workflow waits at its first step: read that step's newest
    items (one call) so the mirror knows the item at once and the Approvals page shows
    it; if the read fails the next sync finds it."""
    first = WorkflowStep.objects.filter(workflow__oktopost_id=workflow_id).order_by("order")
    step = first.first()
    if step is None:
        return post
    try:
        page = client.workflow_item_list(step_id=step.oktopost_id, count=100, with_history=True)
    except OktopostError:
        logger.warning("approval item of post %s not read; the sync will", post.oktopost_id)
        return post
    approvals_mirror.items_upsert(page.items, now=timezone.now())
    post.refresh_from_db()
    return post


def post_create(
    *,
    user: User,
    message_id: str,
    profile_ids: list[str],
    start_at: datetime | None,
    status: str = "pending",
    first_comment: FirstCommentInput | None = None,
    workflow_id: str = "",
    client: OktopostClient | None = None,
) -> Post:
    """Schedule a message to profiles. A lost answer is never retried (no duplicates).
    `first_comment`: LinkedIn only (checked here too: Oktopost refuses it otherwise)."""
    if status not in CREATE_STATUSES:
        raise ServiceError(f"Unknown status {status!r}.", field="status")
    if first_comment is not None:
        _first_comment_allowed(profile_ids)
    client = client or interactive_client()
    after = {
        "message": message_id,
        "profiles": profile_ids,
        "start_at": start_at.isoformat() if start_at else "as soon as possible",
        "status": status,
    }
    if first_comment is not None:
        after["first_comment"] = {"text": first_comment.text, "media": first_comment.media_id}
    if workflow_id:
        after["workflow"] = workflow_id
    item = write(
        lambda: client.post_create(
            message_id=message_id,
            credential_ids=profile_ids,
            start_at=start_at,
            status=status,
            first_comment=first_comment,
            workflow_id=workflow_id or None,
        ),
        user=user,
        action=Activity.Action.CREATE,
        after=after,
        checking="so we cannot tell yet whether the post was created. Do not create it again: "
        "the next sync (within a few minutes) checks, and the activity log will say what "
        "happened.",
    )
    with transaction.atomic():
        post = mirror_post(item)
        record(
            user=user,
            action=Activity.Action.CREATE,
            outcome=Activity.Outcome.OK,
            post_id=post.oktopost_id,
            after={**after, **snapshot(post)},
            answer=f"Post {post.oktopost_id} created, status {post.status}",
            summary=f"{post.network} post for {len(profile_ids)} profile(s)",
        )
    return post


def _first_comment_allowed(profile_ids: list[str]) -> None:
    """LinkedIn's first comment needs a LinkedIn profile among the targets (API
    reference, posts: firstComment is "rejected if no LinkedIn credential is included")."""
    if not Profile.objects.filter(oktopost_id__in=profile_ids, network="LinkedIn").exists():
        raise ServiceError(
            "A first comment can only go with a LinkedIn profile; nothing was created.",
            field="first_comment_text",
        )


def post_compose(
    *,
    user: User,
    submit_key: str,
    message: Message | None,
    profile_ids: list[str],
    start_at: datetime | None,
    status: str = "pending",
    network: str = "",
    campaign_id: str = "",
    text: str = "",
    link_url: str = "",
    link_title: str = "",
    description: str = "",
    image_url: str = "",
    title: str = "",
    media_ids: list[str] | None = None,
    upload_keys: list[str] | None = None,
    first_comment: FirstCommentInput | None = None,
    workflow_id: str = "",
) -> tuple[Post, bool]:
    """The create form's one step: an existing message, or a new one written first, then
    the post. Returns (the post, whether this request created it): the same `submit_key`
    again answers with the first request's post and creates nothing. If the message is
    created but the post refused, the corrected form reuses that message.

    Files still being processed by Oktopost (`upload_keys`) are asked about first: unless
    every one is complete (and a video passed Oktopost's check), nothing is created."""
    row, earlier = submission_claim(user=user, key=submit_key)
    if earlier is not None:
        return earlier, False
    try:
        media_ids = list(media_ids or [])
        if upload_keys:
            ready = attachment_services.uploads_resolve(keys=upload_keys, user=user)
            media_ids += [f.media_id for f in ready if f.media_id not in media_ids]
        if first_comment is not None:
            _first_comment_allowed(profile_ids)
        client = interactive_client()
        if message is None and row.message_oktopost_id:
            message = Message.objects.filter(oktopost_id=row.message_oktopost_id).first()
        if message is None:
            message = message_create(
                user=user,
                network=network,
                campaign_id=campaign_id,
                text=text,
                link_url=link_url,
                link_title=link_title,
                description=description,
                image_url=image_url,
                title=title,
                media_ids=media_ids,
                client=client,
            )
            submission_message(row, message.oktopost_id)
        post = post_create(
            user=user,
            message_id=message.oktopost_id,
            profile_ids=profile_ids,
            start_at=start_at,
            status=status,
            first_comment=first_comment,
            workflow_id=workflow_id,
            client=client,
        )
        if workflow_id:
            post = approval_item_find(post=post, workflow_id=workflow_id, client=client)
    except BeingChecked as exc:
        submission_finish(row, error=exc.message, checking=True, activity=exc.activity)
        raise
    except ServiceError as exc:
        submission_finish(row, error=exc.message)
        raise
    except BaseException:
        # Unknown whether Oktopost acted: like a lost answer, never retried blindly.
        submission_finish(
            row,
            error="Something went wrong while creating the post; check the activity log "
            "before creating it again.",
            checking=True,
        )
        raise
    submission_finish(row, post=post)
    return post, True
