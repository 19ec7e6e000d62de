"""Tags, the tags of messages, and calendar notes, as Oktopost answered them.

Only models, `oktopost.types` and Django are imported: callers bring the data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime

from django.core.cache import cache

from oktopost import types as ok
from posts.models import TAG_CHOICES_CACHE_KEY, CalendarNote, Message, MessageTag, Tag


def _tag_choices_drop() -> None:
    # A cache that is down has nothing stale to drop; the filter forms read tags from it.
    with contextlib.suppress(Exception):
        cache.delete(TAG_CHOICES_CACHE_KEY)


def tags_upsert(tags: Iterable[ok.Tag], *, now: datetime, complete: bool = False) -> int:
    """The account's tags by name. `complete`: this is the whole list, so a tag it no
    longer holds and no mirrored message carries is removed (one still carried stays,
    with its last name, until the messages are read again). Returns how many were
    removed."""
    rows = {
        t.id: Tag(
            oktopost_id=t.id[:32],
            name=t.name[:255],
            created=t.created,
            last_used=t.last_used,
            raw=t.raw,
            synced_at=now,
        )
        for t in tags
    }
    Tag.objects.bulk_create(
        list(rows.values()),
        update_conflicts=True,
        unique_fields=["oktopost_id"],
        update_fields=["name", "created", "last_used", "raw", "synced_at"],
    )
    removed = 0
    if complete:
        carried = MessageTag.objects.values("tag_id")
        removed, _ = (
            Tag.objects.exclude(oktopost_id__in=list(rows))
            .exclude(oktopost_id__in=carried)
            .delete()
        )
    _tag_choices_drop()
    return removed


def message_tags_write(messages: Iterable[ok.Message], *, now: datetime) -> None:
    """Each message's tags, for the messages answered with `withTags=1` (their answer
    holds `Tags`, even empty): the links are replaced, a tag id the mirror does not know
    yet is kept nameless until the tag list names it. Call inside a transaction."""
    read = [m for m in messages if "Tags" in m.raw]
    if not read:
        return
    ids = [m.id for m in read]
    wanted = {(m.id, tag_id[:32]) for m in read for tag_id in m.tags if tag_id}
    have = set(MessageTag.objects.filter(message_id__in=ids).values_list("message_id", "tag_id"))
    gone = have - wanted
    if gone:
        by_message: dict[str, list[str]] = {}
        for message_id, tag_id in gone:
            by_message.setdefault(message_id, []).append(tag_id)
        for message_id, tag_ids in by_message.items():
            MessageTag.objects.filter(message_id=message_id, tag_id__in=tag_ids).delete()
    new = wanted - have
    if new:
        Tag.objects.bulk_create(
            [Tag(oktopost_id=tag_id, synced_at=now) for tag_id in {t for _, t in new}],
            ignore_conflicts=True,
        )
        MessageTag.objects.bulk_create(
            [MessageTag(message_id=m, tag_id=t) for m, t in sorted(new)], ignore_conflicts=True
        )
    Message.objects.filter(oktopost_id__in=ids).update(tags_at=now)
    if gone or new:
        _tag_choices_drop()


def notes_replace(notes: Iterable[ok.CalendarEvent], *, now: datetime) -> int:
    """Every calendar note Oktopost holds (the whole list): upserted, and those it no
    longer returns removed. A note without a start is not shown anywhere and is skipped.
    Returns how many were removed. Call inside a transaction."""
    rows = {
        n.id: CalendarNote(
            oktopost_id=n.id[:32],
            title=n.title[:500],
            description=n.description,
            color=n.color[:32],
            start_at=n.start_at,
            end_at=n.end_at if n.end_at and n.end_at > n.start_at else None,
            campaign_ids=list(n.campaign_ids),
            created=n.created,
            modified=n.modified,
            raw=n.raw,
            synced_at=now,
        )
        for n in notes
        if n.start_at is not None
    }
    CalendarNote.objects.bulk_create(
        list(rows.values()),
        update_conflicts=True,
        unique_fields=["oktopost_id"],
        update_fields=[
            *("title", "description", "color", "start_at", "end_at", "campaign_ids"),
            *("created", "modified", "raw", "synced_at"),
        ],
    )
    removed, _ = CalendarNote.objects.exclude(oktopost_id__in=list(rows)).delete()
    return removed
