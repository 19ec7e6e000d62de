"""Reads for the audit trail: the activity page and a post's history, in words."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.text import Truncator

from core import clock
from core.localtime import as_local
from posts.models import Activity, Message, Post, Profile
from posts.queue import search_words
from posts.search import posts_matching

# A post search on the activity page looks among this many matching posts at most.
POSTS_SEARCHED = 500


def activity_list(*, username: str, post_id: str, post_text: str = "", limit: int = 200):
    """The audit trail, newest first, filtered by user, by one post, or by the words of
    the posts' messages (`post_text`, read as the queue's search reads them)."""
    entries = Activity.objects.select_related("user")
    filters = {}
    if username:
        entries = entries.filter(user__username=username[:150])
        filters["user"] = username[:150]
    if post_id:
        entries = entries.filter(post_oktopost_id=post_id[:32])
        filters["post"] = post_id[:32]
    words = search_words(post_text[:200])
    if words:
        matching = Post.objects.filter(posts_matching(words)).values_list("oktopost_id", flat=True)
        entries = entries.filter(post_oktopost_id__in=list(matching[:POSTS_SEARCHED]))
        filters["post_text"] = post_text[:200].strip()
    return list(entries[:limit]), filters


def post_names(ids) -> dict[str, str]:
    """Posts as a person reads them: the network and the start of the message text
    (or the campaign), never Oktopost's id."""
    names = {}
    posts = Post.objects.filter(oktopost_id__in=set(ids)).select_related("message", "campaign")
    for post in posts.only("oktopost_id", "network", "message__text", "campaign__name"):
        names[post.oktopost_id] = post.name
    return names


# Oktopost's answers and our summaries name things by id ("Message 005000000000063
# created", "Retried as post 004…"); a person reads names.
_MESSAGE_ID = re.compile(r"\b([Mm]essage) (\d{6,32})\b")
_POST_ID = re.compile(r"\b([Pp]ost) (\d{6,32})\b")
_OTHER_ID = re.compile(r"\b(Item|Upload|Media) [0-9A-Za-z_-]{6,64}\b")


def _named(text: str, posts: dict[str, str], messages: dict[str, str]) -> str:
    """`text` with message and post ids replaced by their names (dropped when the
    mirror no longer has them), and other ids dropped."""
    text = _MESSAGE_ID.sub(lambda m: f"{m.group(1)} {messages.get(m.group(2), '')}".rstrip(), text)
    text = _POST_ID.sub(lambda m: posts[m.group(2)] if m.group(2) in posts else m.group(1), text)
    return _OTHER_ID.sub(lambda m: m.group(1), text)


def _local_label(value: object, zone) -> str:
    """An ISO instant from an activity record, in the reader's zone ("—" when absent)."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    local = as_local(moment, zone)
    return clock.fmt(local, "D j M Y, H:i")


@dataclass(frozen=True)
class ActivityRow:
    """An audit entry as the activity table shows it: the entry, and its changes in words."""

    entry: Activity
    changes: list[str]
    post_name: str = ""  # the post in words; "" when the entry names no post
    answer: str = ""  # Oktopost's answer, with posts and messages named, not numbered
    summary: str = ""  # the entry's summary, likewise


def activity_describe(
    entries: list[Activity], *, zone, profiles: dict[str, Profile]
) -> list[ActivityRow]:
    """Each entry's before → after in words: times in the reader's zone, profiles by name
    (records keep Oktopost's ids and UTC instants, which is right for an audit trail)."""

    def names(ids: object) -> str:
        if not ids:
            return "—"
        return ", ".join(
            profiles[i].label if i in profiles else str(i)
            for i in (ids if isinstance(ids, list) else [ids])
        )

    statuses = dict(Post._meta.get_field("status").choices)
    texts = [f"{e.answer}\n{e.summary}" for e in entries]
    named_posts = {p for t in texts for _, p in _POST_ID.findall(t)}
    posts = post_names({e.post_oktopost_id for e in entries if e.post_oktopost_id} | named_posts)
    message_ids = {m for t in texts for _, m in _MESSAGE_ID.findall(t)}
    messages = {
        mid: f"“{Truncator(text).chars(50)}”"
        for mid, text in Message.objects.filter(oktopost_id__in=message_ids).values_list(
            "oktopost_id", "text"
        )
    }
    rows = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        changes = []
        if before.get("start_at") or after.get("start_at"):
            changes.append(
                f"Time: {_local_label(before.get('start_at'), zone)} → "
                f"{_local_label(after.get('start_at'), zone)}"
            )
        if before.get("profiles") or after.get("profiles"):
            changes.append(
                f"Profiles: {names(before.get('profiles'))} → {names(after.get('profiles'))}"
            )
        if after.get("status"):
            old = statuses.get(before.get("status"), before.get("status") or "—")
            changes.append(f"Status: {old} → {statuses.get(after['status'], after['status'])}")
        if after.get("deleted"):
            changes.append("Cancelled (deleted in Oktopost)")
        if "first_comment" in before or "first_comment" in after:
            old_text = (before.get("first_comment") or {}).get("text") or "none"
            new_text = (after.get("first_comment") or {}).get("text") or "removed"
            changes.append(f"First comment: {old_text[:80]} → {new_text[:80]}")
        if after.get("media"):
            changes.append(f"Media: {len(after['media'])} attached")
        post_name = ""
        if entry.post_oktopost_id:
            post_name = posts.get(entry.post_oktopost_id, "a post no longer in oktodash")
        # The entry's own post is named in its Post column: "Post updated" is enough.
        others = {k: v for k, v in posts.items() if k != entry.post_oktopost_id}
        answer = _named(entry.answer or "", others, messages)
        summary = _named(entry.summary or "", others, messages)
        rows.append(ActivityRow(entry, changes, post_name, answer, summary))
    return rows
