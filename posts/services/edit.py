"""Editing an unsent post's text, link card and media, which live on its message.

A message is a template other posts may use, so the editor chooses (EditForm):

* "this post only": a new message with the new content, and the post pointed at it
  (`POST /post/{id}` with `messageId`: the client's `post_update(message_id=…)` and the
  sandbox take it; see docs/oktopost.md, "Editing a post's message"). The other posts keep
  the old message.
* "every unsent post of this message": when no sent post uses the message, the message
  itself is changed (`POST /message/{id}`); when sent posts use it, they must keep what
  they went out with, so a new message is made and every unsent post pointed at it.

Sent posts are never changed. A change made in Oktopost since the editor loaded the page
is refused as reschedule refuses it (`expected_modified`). Each write is audited with
before → after; a lost answer is "being checked" and never retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.services import ServiceError
from oktopost.client import OktopostClient
from posts import mirror
from posts.models import SENT_STATUSES, UNSENT_STATUSES, Activity, Message, Post
from posts.services.common import interactive_client, mirror_post, record, write
from posts.services.create import message_create
from posts.services.posts import _current, _one_write_at_a_time


@dataclass(frozen=True)
class EditResult:
    post: Post
    changed: list[str]  # the Oktopost ids of the posts now showing the new content
    message_id: str  # the message they use
    words: str


def _content(message: Message) -> dict[str, object]:
    return {
        "message": message.oktopost_id,
        "text": message.text,
        "link_url": message.link_url,
        "link_title": message.link_title,
        "description": message.description,
        "image_url": message.image_url,
        "media": [str(m.get("id")) for m in message.media or [] if m.get("id")],
    }


def post_message_edit(
    *,
    user: User,
    post: Post,
    scope: str,
    expected_modified: datetime | None,
    text: str,
    link_url: str = "",
    link_title: str = "",
    description: str = "",
    image_url: str = "",
    media_ids: list[str] | None = None,
    client: OktopostClient | None = None,
) -> EditResult:
    if scope not in ("post", "all"):
        raise ServiceError("Choose which posts the change is for.", field="scope")
    client = client or interactive_client()
    media_ids = list(media_ids or [])
    with _one_write_at_a_time(post):
        post = _current(client, post, expected_modified)
        if post.is_sent or post.deleted_at:
            raise ServiceError(
                "This post was already sent or cancelled; sent posts are never changed."
            )
        message = Message.objects.filter(oktopost_id=post.message_id).first()
        if message is None:
            raise ServiceError("This post's message has not been synced yet; try again soon.")
        before = _content(message)
        wanted = {
            "text": text,
            "link_url": link_url,
            "link_title": link_title,
            "description": description,
            "image_url": image_url,
            "media": media_ids,
        }
        if all(before[k] == v for k, v in wanted.items()):
            raise ServiceError("Nothing was changed: the text, link and media are as they were.")
        siblings = Post.objects.filter(message_id=message.oktopost_id, deleted_at__isnull=True)
        unsent = list(
            siblings.filter(status__in=UNSENT_STATUSES).exclude(id=post.id).order_by("start_at")
        )
        sent_sharing = siblings.filter(status__in=SENT_STATUSES).exists()
        targets = [post] if scope == "post" else [post, *unsent]
        in_place = not sent_sharing and (scope == "all" or not unsent)
        if in_place:
            return _update_message(
                client=client,
                user=user,
                post=post,
                message=message,
                before=before,
                wanted=wanted,
                targets=targets,
            )
        return _repoint(
            client=client,
            user=user,
            post=post,
            message=message,
            before=before,
            wanted=wanted,
            targets=targets,
        )


def _update_message(
    *,
    client: OktopostClient,
    user: User,
    post: Post,
    message: Message,
    before: dict[str, object],
    wanted: dict[str, object],
    targets: list[Post],
) -> EditResult:
    """Every post of the message is unsent and chosen: change the message itself."""
    ids = [t.oktopost_id for t in targets]
    changes = {k: v for k, v in wanted.items() if before[k] != v}
    item = write(
        lambda: client.message_update(
            message.oktopost_id,
            text=changes.get("text"),
            link_url=changes.get("link_url"),
            link_title=changes.get("link_title"),
            description=changes.get("description"),
            image_url=changes.get("image_url"),
            media_ids=changes.get("media"),
        ),
        user=user,
        action=Activity.Action.EDIT,
        post_id=post.oktopost_id,
        before=before,
        after={**wanted, "posts": ids},
        checking="so the message may or may not have been changed. The next sync shows it as "
        "it really is.",
    )
    with transaction.atomic():
        mirror.messages_upsert([item], now=timezone.now())
        after = _content(Message.objects.get(oktopost_id=item.id))
        for target in targets:
            record(
                user=user,
                action=Activity.Action.EDIT,
                outcome=Activity.Outcome.OK,
                post_id=target.oktopost_id,
                before=before,
                after={**after, "posts": ids},
                answer=f"Message {item.id} changed",
                summary=f"Changed message {item.id} of {len(ids)} unsent post(s)",
            )
    count = "this post" if len(ids) == 1 else f"all {len(ids)} unsent posts of this message"
    return EditResult(
        post=Post.objects.get(id=post.id),
        changed=ids,
        message_id=item.id,
        words=f"Saved: the message of {count} now has the new text, link and media.",
    )


def _repoint(
    *,
    client: OktopostClient,
    user: User,
    post: Post,
    message: Message,
    before: dict[str, object],
    wanted: dict[str, object],
    targets: list[Post],
) -> EditResult:
    """A new message with the new content, then each chosen post pointed at it. The old
    message stays for the posts that keep it (and for the sent ones)."""
    new = message_create(
        user=user,
        network=message.network,
        campaign_id=message.campaign_id or post.campaign_id or "",
        text=str(wanted["text"]),
        link_url=str(wanted["link_url"]),
        link_title=str(wanted["link_title"]),
        description=str(wanted["description"]),
        image_url=str(wanted["image_url"]),
        title=message.title,
        media_ids=list(wanted["media"]),  # type: ignore[arg-type]
        client=client,
    )
    after = _content(new)
    done: list[str] = []
    for target in targets:
        if target.id != post.id:
            target = Post.objects.get(id=target.id)
            if target.is_sent or target.deleted_at:
                continue  # sent meanwhile: it keeps what it went out with
        try:
            item = write(
                lambda t=target: client.post_update(t.oktopost_id, message_id=new.oktopost_id),
                user=user,
                action=Activity.Action.EDIT,
                post_id=target.oktopost_id,
                before=before,
                after=after,
                checking=f"so post {target.oktopost_id} may or may not use the new message "
                f"{new.oktopost_id} now. The next sync shows which."
                + (f" Already changed: {', '.join(done)}." if done else ""),
            )
        except ServiceError as exc:
            if done:
                exc.message += (
                    f" Already changed before this: {', '.join(done)} (they use the new "
                    f"message {new.oktopost_id})."
                )
            raise
        with transaction.atomic():
            mirror_post(item)
            record(
                user=user,
                action=Activity.Action.EDIT,
                outcome=Activity.Outcome.OK,
                post_id=target.oktopost_id,
                before=before,
                after=after,
                answer=f"Post {target.oktopost_id} now uses message {new.oktopost_id}",
                summary=f"New message {new.oktopost_id} instead of {message.oktopost_id}",
            )
        done.append(target.oktopost_id)
    count = "This post" if len(done) == 1 else f"{len(done)} unsent posts"
    return EditResult(
        post=Post.objects.get(id=post.id),
        changed=done,
        message_id=new.oktopost_id,
        words=f"Saved: {count} now use{'s' if len(done) == 1 else ''} a new message "
        f"({new.oktopost_id}) with the new text, link and media; the other posts keep the "
        "old one.",
    )
