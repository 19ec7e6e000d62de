"""Upserts of Oktopost's answers into the mirror, stats answers, and posts gone.

Only models, `core.terms`, `oktopost.types` and Django are imported: callers bring the data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from core.terms import COUNTERS, LIST_COUNTERS
from oktopost import types as ok
from posts.mirror.catalog import message_tags_write
from posts.mirror.columns import (
    POST_FIELDS,
    campaign_values,
    delivery_status,
    message_values,
    post_values,
    postlog_values,
    profile_values,
    stats_sample,
    stats_tier,
)
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
)

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
        counters_before = tuple(getattr(post, n) for n in LIST_COUNTERS)
        for name, value in values.items():
            setattr(post, name, value)
        post.deleted_at = None
        if counters_before != tuple(getattr(post, n) for n in LIST_COUNTERS):
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
    """Messages as Oktopost answered them, with their tags when the answer has them
    (`withTags=1`). Call inside a transaction."""
    messages = list(messages)
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
    message_tags_write(messages, now=now)


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
