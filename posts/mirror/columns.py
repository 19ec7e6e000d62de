"""Oktopost's answers as mirror columns: the field mappings every writer shares, and
how often a post's stats are worth a call at its age."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from core.terms import COUNTERS, LIST_COUNTERS
from oktopost import types as ok
from posts.models import MediaKind, Post, StatsSample, Status, media_kind_of

# How often a sent post's shares and impressions are worth one call each, by the age of
# the post: stats move most in the first hours and lag up to 24 h (API reference §4).
STATS_TIERS: tuple[tuple[timedelta, timedelta, str], ...] = (
    (timedelta(hours=48), timedelta(hours=1), "48h"),
    (timedelta(days=7), timedelta(hours=4), "7d"),
    (timedelta(days=30), timedelta(days=1), "30d"),
    (timedelta.max, timedelta(days=7), "older"),
)

POST_FIELDS = (
    "status",
    "network",
    "source",
    "content_source",
    "campaign_id",
    "message_id",
    "created_by",
    "modified_by",
    "start_at",
    "created",
    "modified",
    "queued",
    "credential_ids",
    "total_count",
    "flag",
    "utm",
    "raw",
    "first_comment",
    *LIST_COUNTERS,
)


def post_values(item: ok.Post) -> dict[str, object]:
    """A post's columns (POST_FIELDS) from Oktopost's view of it."""
    return {
        "status": item.status,
        "network": item.network,
        "source": item.source,
        "content_source": item.content_source,
        "campaign_id": item.campaign_id or None,
        "message_id": item.message_id or None,
        "created_by": item.created_by,
        "modified_by": item.modified_by,
        # Oktopost always schedules a post; fall back to its creation just in case.
        "start_at": item.start_at or item.created or timezone.now(),
        "created": item.created,
        "modified": item.modified,
        "queued": item.queued,
        "credential_ids": list(item.credential_ids),
        "total_count": item.total_count,
        "flag": item.flag,
        "utm": item.utm,
        "raw": item.raw,
        "first_comment": first_comment_values(item.raw.get("FirstComment")),
        # -1 means "not available for this network" (API reference §4).
        "clicks": max(item.clicks, 0),
        "conversions": max(item.converts, 0),
        "comments": max(item.comments, 0),
        "likes": max(item.likes, 0),
    }


def message_values(message: ok.Message, *, now: datetime) -> dict[str, object]:
    return {
        "oktopost_id": message.id,
        "campaign_id": message.campaign_id or None,
        "network": message.network,
        "text": message.text,
        "subject": message.subject,
        "title": message.title,
        "link_url": message.link_url[:2000],
        "link_title": message.link_title[:500],
        "description": message.description,
        "image_url": message.image_url[:2000],
        "media": (media := media_list(message.raw.get("Media"))),
        "media_kind": media_kind(media),
        "created": message.created,
        "modified": message.modified,
        "raw": message.raw,
        "synced_at": now,
    }


def media_list(raw: object) -> list[dict[str, object]]:
    """A message's Media as the mirror keeps it: [{id, type, name, resource, size}].

    Read from the message's raw answer (kept whole by oktopost.types) so the mirror keeps
    exactly what Oktopost sent, in its order; items without an id are skipped."""
    items: list[dict[str, object]] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not item.get("Id"):
            continue
        size = item.get("Size")
        items.append(
            {
                "id": str(item["Id"])[:32],
                "type": str(item.get("Type") or "")[:16],
                "name": str(item.get("Name") or "")[:255],
                "resource": str(item.get("Resource") or "")[:2000],
                "size": int(size) if str(size).isdigit() else None,
            }
        )
    return items


def media_kind(media: list[dict[str, object]]) -> str:
    """The one word for a list of media: a video wins, then an image, then a PDF."""
    kinds = {media_kind_of(str(item.get("type", ""))) for item in media}
    for kind in (MediaKind.VIDEO, MediaKind.IMAGE, MediaKind.PDF):
        if kind in kinds:
            return kind
    return MediaKind.NONE


def first_comment_values(raw: object) -> dict[str, object]:
    """A LinkedIn post's FirstComment (API reference, posts: `FirstComment {Id, Text,
    Status, Media[]}`) as {text, media_id, status}; {} when there is none."""
    if not isinstance(raw, dict) or not (raw.get("Text") or raw.get("Media")):
        return {}
    media = raw.get("Media")
    first = media[0] if isinstance(media, list) and media else media
    media_id = first.get("Id", "") if isinstance(first, dict) else (first or "")
    return {
        "text": str(raw.get("Text") or ""),
        "media_id": str(media_id)[:32],
        "status": str(raw.get("Status") or ""),
    }


def campaign_values(campaign: ok.Campaign, *, now: datetime) -> dict[str, object]:
    return {
        "oktopost_id": campaign.id,
        "name": campaign.name,
        "status": campaign.status,
        "created": campaign.created,
        "modified": campaign.modified,
        "raw": campaign.raw,
        "synced_at": now,
    }


def profile_values(profile: ok.Credential, *, now: datetime) -> dict[str, object]:
    return {
        "oktopost_id": profile.id,
        "name": profile.name,
        "display_name": profile.display_name,
        "network": profile.network,
        "status": profile.status or "valid",
        "network_username": profile.network_username,
        "image_link": profile.image_link[:1000],
        "raw": profile.raw,
        "synced_at": now,
    }


def delivery_status(post_status: str) -> str:
    """A delivery's outcome before its postlog is read: only a complete post says it."""
    return "success" if post_status == Status.COMPLETE else ""


def postlog_values(log: ok.Postlog) -> dict[str, object]:
    """A delivery's outcome columns from its postlog."""
    return {
        "postlog_id": log.id,
        "status": log.status,
        "remote_url": log.remote_url[:2000],
        "error": log.error,
        "sent_at": log.created,
    }


def stats_tier(post: Post, now: datetime) -> tuple[timedelta, str]:
    """How often `post`'s stats are worth a call at its age, and the tier's name."""
    age = now - (post.start_at or now)
    for limit, interval, name in STATS_TIERS:
        if age < limit:
            return interval, name
    return STATS_TIERS[-1][1], STATS_TIERS[-1][2]


def stats_sample(post: Post, now: datetime) -> StatsSample:
    return StatsSample(post=post, at=now, **{name: getattr(post, name) for name in COUNTERS})
