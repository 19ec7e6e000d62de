"""Reads for duplicating a post into the create form and for editing an unsent post's
message: what the form starts with, and which other posts share the message."""

from __future__ import annotations

from dataclasses import dataclass

from posts.models import SENT_STATUSES, UNSENT_STATUSES, MediaItem, Post


def duplicate_initial(post: Post) -> dict[str, object]:
    """The create form's initial values from `post`: always a new message (the copy is
    the editor's to change), its profiles, campaign and first comment."""
    message = post.message
    media = [str(m.get("id", "")) for m in (message.media if message else []) or []]
    comment = post.first_comment or {}
    return {
        "source": "new",
        "network": post.network,
        "campaign": post.campaign_id or "",
        "text": message.text if message else "",
        "title": message.title if message else "",
        "link_url": message.link_url if message else "",
        "link_title": message.link_title if message else "",
        "description": message.description if message else "",
        "image_url": message.image_url if message else "",
        "profiles": list(post.credential_ids),
        "media": [m for m in media if m],
        "first_comment_text": comment.get("text", ""),
        "first_comment_media": comment.get("media_id", "") or "",
    }


@dataclass(frozen=True)
class EditPlan:
    """What editing `post`'s message would touch, shown before the editor chooses."""

    refusal: str  # why it cannot be edited, or ""
    others: list[Post]  # the other unsent posts of the message
    sent_sharing: int  # sent posts of the message (never changed)
    initial: dict[str, object]
    media_choices: list[tuple[str, str]]


LIBRARY_CHOICES = 12


def edit_plan(post: Post) -> EditPlan:
    message = post.message
    refusal = ""
    if post.is_sent:
        refusal = "This post was already sent; sent posts are never changed. Duplicate it instead."
    elif post.deleted_at:
        refusal = "This post was cancelled."
    elif message is None:
        refusal = "This post's message has not been synced yet; try again in a few minutes."
    others: list[Post] = []
    sent = 0
    if post.message_id:
        siblings = Post.objects.filter(message_id=post.message_id, deleted_at__isnull=True).exclude(
            id=post.id
        )
        others = list(siblings.filter(status__in=UNSENT_STATUSES).order_by("start_at", "id"))
        sent = siblings.filter(status__in=SENT_STATUSES).count()
    current = [m for m in (message.media if message else []) or [] if m.get("id")]
    choices = [(str(m["id"]), f"{m.get('name') or m['id']} (attached)") for m in current]
    known = {c[0] for c in choices}
    for item in MediaItem.objects.exclude(oktopost_id__in=known).order_by("-created", "-id")[
        :LIBRARY_CHOICES
    ]:
        choices.append((item.oktopost_id, f"{item.name or item.oktopost_id} ({item.kind_label})"))
    initial: dict[str, object] = {
        "expected_modified": (post.modified or post.synced_at).isoformat(),
        "scope": "post",
    }
    if message is not None:
        initial |= {
            "text": message.text,
            "link_url": message.link_url,
            "link_title": message.link_title,
            "description": message.description,
            "image_url": message.image_url,
            "media": [c[0] for c in choices if c[0] in known],
        }
    return EditPlan(
        refusal=refusal, others=others, sent_sharing=sent, initial=initial, media_choices=choices
    )
