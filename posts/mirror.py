"""The one writer of mirror rows from Oktopost's answers.

Sync, services and the seeding command all build their rows here, so a post written after
an editor's change, read by the sync or generated for a benchmark has the same shape.
Only models, `oktopost.types` and Django are imported: callers bring the data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from oktopost import types as ok
from posts.models import (
    SENT_STATUSES,
    USER_NAMES_CACHE_KEY,
    Campaign,
    Delivery,
    MediaItem,
    MediaKind,
    Message,
    OktopostUser,
    Post,
    Profile,
    StatsSample,
    Status,
    media_kind_of,
)

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
    "clicks",
    "conversions",
    "comments",
    "likes",
)
COUNTERS = ("clicks", "conversions", "comments", "likes", "shares", "impressions")
_LIST_COUNTERS = ("clicks", "conversions", "comments", "likes")
_MESSAGE_FIELDS = (
    "campaign_id",
    "network",
    "text",
    "subject",
    "title",
    "link_url",
    "link_title",
    "description",
    "image_url",
    "media",
    "media_kind",
    "created",
    "modified",
    "raw",
    "synced_at",
)
_CAMPAIGN_FIELDS = ("name", "status", "created", "modified", "raw", "synced_at")
_PROFILE_FIELDS = (
    "name",
    "display_name",
    "network",
    "status",
    "network_username",
    "image_link",
    "raw",
    "synced_at",
)


# --- column mappings -----------------------------------------------------------------


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


# --- upserts -------------------------------------------------------------------------


def posts_upsert(
    items: Iterable[ok.Post], *, now: datetime, full_run: datetime | None = None
) -> tuple[int, int, int]:
    """Write Oktopost's view of these posts into the mirror. Call inside a transaction.

    Returns (created, updated, unchanged).
    """
    items = list({item.id: item for item in items}.values())
    existing = {
        p.oktopost_id: p for p in Post.objects.filter(oktopost_id__in=[i.id for i in items])
    }
    new: list[Post] = []
    changed: list[Post] = []
    # Rows Oktopost gave back as they were: only their stamps move, in one UPDATE (a
    # bulk_update of every field costs a CASE per field and row, most of a quiet sync).
    same: list[Post] = []
    samples: list[StatsSample] = []
    kinds = dict(
        Message.objects.filter(oktopost_id__in={i.message_id for i in items if i.message_id})
        .exclude(media_kind="")
        .values_list("oktopost_id", "media_kind")
    )
    for item in items:
        values = post_values(item)
        values["media_kind"] = kinds.get(item.message_id, MediaKind.NONE)
        post = existing.get(item.id)
        if post is None:
            post = Post(oktopost_id=item.id, **values)
            post.counters_at = now
            post.synced_at = now
            post.seen_in_full_sync = full_run
            if post.status in SENT_STATUSES:
                post.stats_due_at = now
            new.append(post)
            continue
        post.counters_at = now
        post.synced_at = now
        if full_run:
            post.seen_in_full_sync = full_run
        if post.deleted_at is None and all(
            getattr(post, name) == value for name, value in values.items()
        ):
            same.append(post)
            continue
        was_sent = post.status in SENT_STATUSES
        counters_before = tuple(getattr(post, n) for n in _LIST_COUNTERS)
        for name, value in values.items():
            setattr(post, name, value)
        post.deleted_at = None
        if counters_before != tuple(getattr(post, n) for n in _LIST_COUNTERS):
            samples.append(stats_sample(post, now))
        if post.status in SENT_STATUSES and not was_sent:
            post.stats_due_at = now
        changed.append(post)
    Post.objects.bulk_create(new, batch_size=500)
    stamps = {"counters_at": now, "synced_at": now}
    if full_run:
        stamps["seen_in_full_sync"] = full_run
    for start in range(0, len(same), 500):
        Post.objects.filter(id__in=[p.id for p in same[start : start + 500]]).update(**stamps)
    Post.objects.bulk_update(
        changed,
        [
            *POST_FIELDS,
            "media_kind",
            "counters_at",
            "synced_at",
            "seen_in_full_sync",
            "deleted_at",
            "stats_due_at",
        ],
        batch_size=500,
    )
    # Ids of rows just inserted are needed for deliveries and samples.
    if new:
        ids = dict(
            Post.objects.filter(oktopost_id__in=[p.oktopost_id for p in new]).values_list(
                "oktopost_id", "id"
            )
        )
        for post in new:
            post.id = ids[post.oktopost_id]
            if post.clicks or post.conversions or post.comments or post.likes:
                samples.append(stats_sample(post, now))
    StatsSample.objects.bulk_create(samples, batch_size=500)
    _deliveries_align([*new, *changed, *same])
    return len(new), len(changed), len(same)


def _deliveries_align(posts: list[Post]) -> None:
    """One Delivery per target profile; outcomes of sent posts are filled from postlogs."""
    if not posts:
        return
    have: dict[int, set[str]] = {}
    for post_id, profile_id in Delivery.objects.filter(post__in=posts).values_list(
        "post_id", "profile_id"
    ):
        have.setdefault(post_id, set()).add(profile_id)
    create: list[Delivery] = []
    drop: list[Q] = []
    now_complete: list[int] = []
    for post in posts:
        wanted = set(post.credential_ids)
        current = have.get(post.id, set())
        status = delivery_status(post.status)
        create += [
            Delivery(post_id=post.id, profile_id=pid, status=status) for pid in wanted - current
        ]
        if current - wanted and not post.is_sent:
            drop.append(Q(post_id=post.id, profile_id__in=current - wanted))
        if post.status == Status.COMPLETE and current:
            now_complete.append(post.id)
    if now_complete:
        # Sent to every profile: one statement for the page, not one per post.
        Delivery.objects.filter(post_id__in=now_complete, status="").update(status="success")
    Delivery.objects.bulk_create(create, batch_size=500, ignore_conflicts=True)
    if drop:
        query = drop[0]
        for extra in drop[1:]:
            query |= extra
        Delivery.objects.filter(query).delete()


def deliveries_from_postlogs(post: Post, logs: Iterable[ok.Postlog]) -> None:
    """Per-profile outcomes of one post. Call inside a transaction."""
    for log in logs:
        Delivery.objects.update_or_create(
            post_id=post.id, profile_id=log.credential_id, defaults=postlog_values(log)
        )
    # A profile Oktopost logged nothing for: mark it read so we do not ask again.
    Delivery.objects.filter(post_id=post.id, postlog_id="").update(postlog_id="-")


def messages_upsert(messages: Iterable[ok.Message], *, now: datetime) -> None:
    rows = [Message(**message_values(m, now=now)) for m in messages]
    Message.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["oktopost_id"],
        update_fields=list(_MESSAGE_FIELDS),
    )
    # Posts copy their message's media kind (an indexed column for the queue): one
    # UPDATE per kind, touching only posts whose kind is different.
    by_kind: dict[str, list[str]] = {}
    for row in rows:
        by_kind.setdefault(row.media_kind, []).append(row.oktopost_id)
    for kind, ids in by_kind.items():
        Post.objects.filter(message_id__in=ids).exclude(media_kind=kind).update(media_kind=kind)
    media_upsert_raw([item for m in messages for item in m.raw.get("Media") or []], now=now)


def media_upsert_raw(raw_items: Iterable[object], *, now: datetime) -> None:
    """Media records from Oktopost's answers (a message's Media, the library's list, an
    upload's media): what thumbnails may be fetched from."""
    rows = {}
    for raw in raw_items:
        if not isinstance(raw, dict) or not raw.get("Id"):
            continue
        size = raw.get("Size")
        created = raw.get("Created")
        rows[str(raw["Id"])] = MediaItem(
            oktopost_id=str(raw["Id"])[:32],
            type=str(raw.get("Type") or "")[:16],
            name=str(raw.get("Name") or "")[:255],
            resource=str(raw.get("Resource") or "")[:2000],
            size=int(size) if str(size).isdigit() else None,
            status=str(raw.get("Status") or "")[:32],
            created=ok.parse_datetime(created) if _is_datetime(created) else None,
            synced_at=now,
        )
    if rows:
        MediaItem.objects.bulk_create(
            list(rows.values()),
            update_conflicts=True,
            unique_fields=["oktopost_id"],
            update_fields=["type", "name", "resource", "size", "status", "created", "synced_at"],
        )


def _is_datetime(value: object) -> bool:
    try:
        return isinstance(value, str) and ok.parse_datetime(value) is not None
    except ValueError:
        return False


def campaigns_upsert(campaigns: Iterable[ok.Campaign], *, now: datetime) -> None:
    Campaign.objects.bulk_create(
        [Campaign(**campaign_values(c, now=now)) for c in campaigns],
        update_conflicts=True,
        unique_fields=["oktopost_id"],
        update_fields=list(_CAMPAIGN_FIELDS),
    )


def profiles_upsert(profiles: Iterable[ok.Credential], *, now: datetime) -> None:
    Profile.objects.bulk_create(
        [Profile(**profile_values(p, now=now)) for p in profiles],
        update_conflicts=True,
        unique_fields=["oktopost_id"],
        update_fields=list(_PROFILE_FIELDS),
    )


def users_upsert(users: Iterable[ok.User], *, now: datetime) -> None:
    """Oktopost's users, for names in place of ids; the cached name map is dropped."""
    OktopostUser.objects.bulk_create(
        [
            OktopostUser(
                oktopost_id=u.id,
                name=u.name[:255],
                email=u.email[:255],
                last_login=u.last_login,
                raw=u.raw,
                synced_at=now,
            )
            for u in users
        ],
        update_conflicts=True,
        unique_fields=["oktopost_id"],
        update_fields=["name", "email", "last_login", "raw", "synced_at"],
    )
    # A cache that is down has nothing stale to drop; pages read names from it.
    with contextlib.suppress(Exception):
        cache.delete(USER_NAMES_CACHE_KEY)


# --- stats ---------------------------------------------------------------------------


def post_stats_apply(
    post: Post, item: ok.Post, *, now: datetime, interval: timedelta | None = None
) -> None:
    """Store one ?stats=1 answer: the post's fields, its six counters and a history point.
    The next read falls due after `interval` (the day's plan), else the tier's default."""
    before = tuple(getattr(post, name) for name in COUNTERS)
    for name, value in post_values(item).items():
        setattr(post, name, value)
    stats = item.stats
    if stats is not None:
        post.clicks = stats.link_clicks if stats.link_clicks is not None else post.clicks
        post.conversions = stats.conversions if stats.conversions is not None else post.conversions
        post.comments = stats.comments if stats.comments is not None else post.comments
        post.likes = stats.likes if stats.likes is not None else post.likes
        post.shares = stats.shares or 0
        post.impressions = stats.impressions_added or 0
    if interval is None:
        interval, _ = stats_tier(post, now)
    post.stats_at = post.counters_at = post.synced_at = now
    post.stats_due_at = now + interval
    post.stats_requested_at = None
    post.deleted_at = None
    post.save()
    if before != tuple(getattr(post, name) for name in COUNTERS):
        stats_sample(post, now).save()


def post_stats_request(post: Post) -> None:
    """Put a post at the head of the stats queue ("refresh now")."""
    Post.objects.filter(id=post.id).update(stats_requested_at=timezone.now())


# --- brand-new rows in bulk ----------------------------------------------------------


def rows_insert(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """INSERT brand-new `rows` (field name -> value) with one prepared statement.

    For seeding a million posts: what bulk_create does minus its per-value compiler work,
    which measured ~200 µs a post (40 columns), 3+ minutes of a million-post seed on its
    own. Values go through the backend's own adapters (`connection.ops`), so they are
    stored exactly as the ORM stores them; fields a row leaves out get their default.
    Build the rows with the mappings above so they match what the upserts write.
    """
    if not rows:
        return
    ops = connection.ops
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    adapters: list[Callable[[Any], Any] | None] = []
    defaults: list[Any] = []
    for f in fields:
        if isinstance(f, models.DateTimeField):
            adapters.append(ops.adapt_datetimefield_value)
        elif isinstance(f, models.JSONField):
            adapters.append(partial(ops.adapt_json_value, encoder=f.encoder))
        else:
            adapters.append(None)
        defaults.append(f.get_default())
    columns = list(zip([f.attname for f in fields], defaults, adapters, strict=True))
    quote = ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 (names from the model)

    def values(row: dict[str, Any]) -> list[Any]:
        out = []
        for name, default, adapt in columns:
            value = row.get(name, default)
            out.append(adapt(value) if adapt and value is not None else value)
        return out

    with connection.cursor() as cursor:
        cursor.executemany(sql, [values(row) for row in rows])


# --- posts Oktopost no longer has ----------------------------------------------------


def post_gone(post: Post) -> None:
    """Oktopost answered 404 for this post: kept for history, hidden by default."""
    Post.objects.filter(id=post.id).update(deleted_at=timezone.now(), stats_requested_at=None)


def posts_gone(*, full_run: datetime) -> int:
    """Posts a full listing that started at `full_run` did not return. Returns how many."""
    return (
        Post.objects.filter(deleted_at__isnull=True, synced_at__lt=full_run)
        .exclude(seen_in_full_sync=full_run)
        .update(deleted_at=timezone.now())
    )
