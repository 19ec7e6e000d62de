"""Keep the local mirror in step with Oktopost, within its limits.

Reads from Oktopost happen here and nowhere else. Every run:

* claims a lock with a conditional UPDATE (two syncs never overlap; a run that stops
  reporting progress for SYNC_LOCK_STALE_SECONDS is presumed dead);
* walks a window of the post list with a keyset on the `_order` field (never `_page`
  offsets, which skip rows when posts move while we page), committing after every page,
  so a failure anywhere loses nothing and the next run resumes from the committed window;
* upserts posts in bulk, fetches the messages they reference in batches of 100, the
  postlogs of posts that failed, and the campaigns and profiles on a slower cadence.

Oktopost's list order direction is not documented (docs/oktopost.md), so the walker
detects it from each page and narrows the window from the side it has read.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from oktopost import types as ok
from oktopost.client import OktopostClient
from oktopost.errors import NotFound, OktopostError, RateLimited
from posts.connection import get_client
from posts.models import (
    SENT_STATUSES,
    Activity,
    Campaign,
    Delivery,
    Message,
    Post,
    Profile,
    StatsSample,
    Status,
    SyncState,
)

log = logging.getLogger(__name__)

PAGE = 100
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
CATALOG_MAX_AGE = timedelta(minutes=30)
POSTLOGS_PER_RUN = 20  # one batch
POSTLOGS_MAX_PER_RUN = 200  # batches until none are pending, the budget says no, or this
STATS_LEASE = timedelta(minutes=5)  # how long a claimed post stays off the stats queue
# A sync waits this long for the shared budget before stopping (it resumes next tick).
SYNC_MAX_WAIT = 90.0
ONE_SECOND = timedelta(seconds=1)

POSTS_LOCK = "posts"
FULL_STATE = "posts-full"
CATALOG_STATE = "catalog"
STATS_STATE = "stats"

# How often a sent post's shares and impressions are worth one call each, by the age of
# the post: stats move most in the first hours and lag up to 24 h (API reference §4).
STATS_TIERS: tuple[tuple[timedelta, timedelta, str], ...] = (
    (timedelta(hours=48), timedelta(hours=1), "48h"),
    (timedelta(days=7), timedelta(hours=4), "7d"),
    (timedelta(days=30), timedelta(days=1), "30d"),
    (timedelta.max, timedelta(days=7), "older"),
)


class SyncBusy(Exception):
    """Another sync holds the lock."""


@dataclass
class SyncResult:
    kind: str = "incremental"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    messages: int = 0
    postlogs: int = 0
    pages: int = 0
    calls: int = 0
    catalog: bool = False  # campaigns and profiles were refreshed in this run
    pending_messages: set[str] = field(default_factory=set, repr=False)
    complete: bool = False

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("pending_messages")
        return data


@dataclass
class StatsResult:
    refreshed: int = 0
    deleted: int = 0
    failed: int = 0
    calls: int = 0
    by_tier: dict[str, int] = field(default_factory=dict)
    stopped: str = ""


# --- the lock ------------------------------------------------------------------------


def _state(name: str) -> SyncState:
    return SyncState.objects.get_or_create(name=name)[0]


def lock_claim(name: str) -> str | None:
    """Claim `name` if free, or if its holder is gone. Returns the token, or None.

    The holder is gone when it stopped reporting progress for SYNC_LOCK_STALE_SECONDS,
    or at once when it ran on this host and its process no longer exists (a worker
    stopped with Ctrl-C or killed mid-run).
    """
    state = _state(name)
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SYNC_LOCK_STALE_SECONDS)
    token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    free = Q(running_since__isnull=True) | Q(running_since__lt=stale)
    if state.running_since and _holder_is_dead(state.run_token):
        free |= Q(run_token=state.run_token)
    claimed = (
        SyncState.objects.filter(name=name)
        .filter(free)
        .update(running_since=now, run_token=token, last_started=now)
    )
    return token if claimed else None


def _holder_is_dead(token: str) -> bool:
    host, _, rest = token.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def lock_heartbeat(name: str, token: str) -> None:
    SyncState.objects.filter(name=name, run_token=token).update(running_since=timezone.now())


def lock_release(name: str, token: str, *, error: str = "", result: dict | None = None) -> None:
    now = timezone.now()
    changes: dict[str, object] = {"running_since": None, "run_token": ""}
    if error:
        changes |= {"last_error": error[:2000], "last_error_at": now}
    else:
        changes |= {"last_success": now, "last_error": ""}
        if result is not None:
            changes["last_result"] = result
    SyncState.objects.filter(name=name, run_token=token).update(**changes)


# --- the window walker ---------------------------------------------------------------


@dataclass
class Window:
    """The part of the list still to read: `lo` inclusive, `hi` exclusive (None = open)."""

    lo: datetime
    hi: datetime | None = None
    seen: list[str] = field(default_factory=list)  # ids already read at a bound's second
    top: datetime | None = None  # the newest order value read in this run
    direction: str = ""  # "asc" or "desc" once a page has shown it

    def dump(self) -> dict[str, object]:
        return {
            "lo": self.lo.isoformat(),
            "hi": self.hi.isoformat() if self.hi else None,
            "seen": self.seen,
            "top": self.top.isoformat() if self.top else None,
            "direction": self.direction,
        }

    @classmethod
    def load(cls, data: dict) -> Window:
        def when(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            lo=when(data["lo"]),
            hi=when(data["hi"]),
            seen=list(data.get("seen", [])),
            top=when(data.get("top")),
            direction=data.get("direction", ""),
        )


_ORDER_ATTR = {"created": "created", "modified": "modified", "startDateTime": "start_at"}


def walk(client: OktopostClient, window: Window, *, order: str) -> Iterator[list[ok.Post]]:
    """Yield each page of not-yet-read posts in `window`, narrowing `window` as it goes.

    After each page is yielded (and committed by the caller), `window` holds exactly
    what remains, so saving it makes the walk resumable. Bounds move by whole seconds
    (Oktopost's resolution); ids read at a bound's second are remembered and skipped,
    since `after` is inclusive and several posts can share a second.
    """
    attr = _ORDER_ATTR[order]
    while True:
        page = client.post_list(order=order, count=PAGE, after=window.lo, before=window.hi)
        items = [p for p in page.items if getattr(p, attr) is not None]
        seen = set(window.seen)
        fresh = [p for p in items if p.id not in seen]
        if not items:
            return
        keys = [getattr(p, attr) for p in items]
        newest = max(keys)
        window.top = max(window.top, newest) if window.top else newest
        if len(page.items) < PAGE:
            # Everything left in the window was on this page.
            window.lo, window.seen = window.hi or newest + ONE_SECOND, []
            yield fresh
            return
        if keys[0] != keys[-1]:
            window.direction = "asc" if keys[0] < keys[-1] else "desc"
            bound = keys[-1]
            at_bound = [p.id for p in items if getattr(p, attr) == bound]
            if window.direction == "asc":
                window.lo = bound
            else:
                window.hi = bound + ONE_SECOND
            window.seen = at_bound
            yield fresh
            continue
        # A whole page inside one second: read that second by page number (nothing
        # else can land inside it), then move the bound past it.
        second = keys[0]
        yield fresh
        yield from _drain_second(client, second, seen | {p.id for p in items}, order=order)
        if not window.direction:
            window.direction = _direction_probe(client, window, second, order=order)
        if window.direction == "asc":
            window.lo = second + ONE_SECOND
        else:
            window.hi = second
        window.seen = []


def _drain_second(
    client: OktopostClient, second: datetime, seen: set[str], *, order: str
) -> Iterator[list[ok.Post]]:
    number = 0
    while True:
        page = client.post_list(
            order=order, count=PAGE, page=number, after=second, before=second + ONE_SECOND
        )
        fresh = [p for p in page.items if p.id not in seen]
        seen.update(p.id for p in page.items)
        if fresh:
            yield fresh
        if len(page.items) < PAGE:
            return
        number += 1


def _direction_probe(
    client: OktopostClient, window: Window, second: datetime, *, order: str
) -> str:
    """The first page was one crowded second: it is the window's lowest second if
    anything lies above it (ascending order), else its highest (descending)."""
    above = client.post_list(order=order, count=25, after=second + ONE_SECOND, before=window.hi)
    return "asc" if above.items else "desc"


# --- upserts ---------------------------------------------------------------------------

_POST_FIELDS = (
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
    "clicks",
    "conversions",
    "comments",
    "likes",
)
_COUNTERS = ("clicks", "conversions", "comments", "likes", "shares", "impressions")


def _post_values(item: ok.Post) -> dict[str, object]:
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
        "clicks": max(item.clicks, 0),
        "conversions": max(item.converts, 0),
        "comments": max(item.comments, 0),
        "likes": max(item.likes, 0),
    }


def stats_tier(post: Post, now: datetime) -> tuple[timedelta, str]:
    age = now - (post.start_at or now)
    for limit, interval, name in STATS_TIERS:
        if age < limit:
            return interval, name
    return STATS_TIERS[-1][1], STATS_TIERS[-1][2]


def _sample(post: Post, now: datetime) -> StatsSample:
    return StatsSample(post=post, at=now, **{name: getattr(post, name) for name in _COUNTERS})


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
    samples: list[StatsSample] = []
    unchanged = 0
    for item in items:
        values = _post_values(item)
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
        was_sent = post.status in SENT_STATUSES
        counters_before = tuple(
            getattr(post, n) for n in ("clicks", "conversions", "comments", "likes")
        )
        differs = any(getattr(post, name) != value for name, value in values.items())
        for name, value in values.items():
            setattr(post, name, value)
        if full_run:
            post.seen_in_full_sync = full_run
        if post.deleted_at is not None:
            post.deleted_at, differs = None, True
        post.counters_at = now
        post.synced_at = now
        if counters_before != tuple(
            getattr(post, n) for n in ("clicks", "conversions", "comments", "likes")
        ):
            samples.append(_sample(post, now))
        if post.status in SENT_STATUSES and not was_sent:
            post.stats_due_at = now
        changed.append(post)
        if not differs:
            unchanged += 1
    Post.objects.bulk_create(new, batch_size=500)
    Post.objects.bulk_update(
        changed,
        [
            *_POST_FIELDS,
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
                samples.append(_sample(post, now))
    StatsSample.objects.bulk_create(samples, batch_size=500)
    _deliveries_align([*new, *changed])
    return len(new), len(changed) - unchanged, unchanged


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
        status = "success" if post.status == Status.COMPLETE else ""
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


def _messages_missing(ids: Iterable[str]) -> set[str]:
    wanted = {i for i in ids if i}
    known = Message.objects.filter(oktopost_id__in=wanted).values_list("oktopost_id", flat=True)
    return wanted - set(known)


def _messages_flush(client: OktopostClient, result: SyncResult, *, everything: bool) -> None:
    """Fetch pending messages in full batches of 100 (the most one call takes), and the
    remainder only at the end of the run: the fewest calls for the messages we need."""
    pending = sorted(result.pending_messages)
    batches = [pending[i : i + PAGE] for i in range(0, len(pending), PAGE)]
    if not everything and batches and len(batches[-1]) < PAGE:
        batches.pop()
    for batch in batches:
        messages = client.messages_by_ids(batch)
        with transaction.atomic():
            messages_upsert(messages, now=timezone.now())
        result.messages += len(messages)
        result.pending_messages.difference_update(batch)


def messages_backfill_ids(limit: int = 1000) -> set[str]:
    """Messages referenced by mirrored posts but not mirrored (a run died before its
    last batch)."""
    referenced = (
        Post.objects.filter(message_id__isnull=False)
        .exclude(message_id__in=Message.objects.values("oktopost_id"))
        .values_list("message_id", flat=True)
        .distinct()
    )
    return set(referenced[:limit])


def messages_upsert(messages: Iterable[ok.Message], *, now: datetime) -> None:
    rows = [
        Message(
            oktopost_id=m.id,
            campaign_id=m.campaign_id or None,
            network=m.network,
            text=m.text,
            subject=m.subject,
            title=m.title,
            link_url=m.link_url[:2000],
            link_title=m.link_title[:500],
            description=m.description,
            image_url=m.image_url[:2000],
            created=m.created,
            modified=m.modified,
            raw=m.raw,
            synced_at=now,
        )
        for m in messages
    ]
    Message.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["oktopost_id"],
        update_fields=[
            "campaign_id",
            "network",
            "text",
            "subject",
            "title",
            "link_url",
            "link_title",
            "description",
            "image_url",
            "created",
            "modified",
            "raw",
            "synced_at",
        ],
    )


def postlogs_pending(limit: int) -> list[Post]:
    """Failed or partly failed posts whose per-profile outcomes we have not read yet."""
    return list(
        Post.objects.filter(
            status__in=(Status.INCOMPLETE, Status.ERROR),
            deleted_at__isnull=True,
            deliveries__postlog_id="",
        )
        .distinct()
        .order_by("-start_at")[:limit]
    )


def postlogs_fetch(
    client: OktopostClient, posts: Iterable[Post], result: SyncResult | None = None
) -> int:
    """Per-profile outcomes (one call per post), with the network's error text."""
    fetched = 0
    for post in posts:
        logs = client.postlog_list(post.oktopost_id)
        with transaction.atomic():
            for entry in logs:
                Delivery.objects.update_or_create(
                    post_id=post.id,
                    profile_id=entry.credential_id,
                    defaults={
                        "postlog_id": entry.id,
                        "status": entry.status,
                        "remote_url": entry.remote_url[:2000],
                        "error": entry.error,
                        "sent_at": entry.created,
                    },
                )
            # A profile Oktopost logged nothing for: mark it read so we do not ask again.
            Delivery.objects.filter(post_id=post.id, postlog_id="").update(postlog_id="-")
        fetched += 1
        if result is not None:
            result.postlogs += 1
    return fetched


# --- catalog: campaigns and profiles ---------------------------------------------------


def catalog_sync(*, client: OktopostClient | None = None, force: bool = False) -> bool:
    """Refresh campaigns and profiles when older than CATALOG_MAX_AGE (or unknown ones
    are referenced). Returns whether it called Oktopost."""
    state = _state(CATALOG_STATE)
    now = timezone.now()
    if not force and state.last_success and now - state.last_success < CATALOG_MAX_AGE:
        return False
    client = client or get_client()
    campaigns = list(client.campaigns_iter())
    profiles = client.credential_list(include_invalid=True)
    with transaction.atomic():
        Campaign.objects.bulk_create(
            [
                Campaign(
                    oktopost_id=c.id,
                    name=c.name,
                    status=c.status,
                    created=c.created,
                    modified=c.modified,
                    raw=c.raw,
                    synced_at=now,
                )
                for c in campaigns
            ],
            update_conflicts=True,
            unique_fields=["oktopost_id"],
            update_fields=["name", "status", "created", "modified", "raw", "synced_at"],
        )
        Profile.objects.bulk_create(
            [
                Profile(
                    oktopost_id=p.id,
                    name=p.name,
                    display_name=p.display_name,
                    network=p.network,
                    status=p.status or "valid",
                    network_username=p.network_username,
                    image_link=p.image_link[:1000],
                    raw=p.raw,
                    synced_at=now,
                )
                for p in profiles
            ],
            update_conflicts=True,
            unique_fields=["oktopost_id"],
            update_fields=[
                "name",
                "display_name",
                "network",
                "status",
                "network_username",
                "image_link",
                "raw",
                "synced_at",
            ],
        )
        SyncState.objects.filter(name=CATALOG_STATE).update(
            last_success=now, last_result={"campaigns": len(campaigns), "profiles": len(profiles)}
        )
    return True


# --- post sync -------------------------------------------------------------------------


def posts_sync(*, full: bool = False, client: OktopostClient | None = None) -> SyncResult:
    """One pass: incremental (by `modified` since the cursor) or full (every post).

    Raises SyncBusy when another pass holds the lock.
    """
    token = lock_claim(POSTS_LOCK)
    if token is None:
        raise SyncBusy("another sync is running")
    client = client or get_client(max_wait=SYNC_MAX_WAIT)
    result = SyncResult(kind="full" if full else "incremental")
    calls_before = _calls(client)
    started = timezone.now()
    try:
        result.catalog = catalog_sync(client=client)
        if full:
            _full(client, token, result)
        else:
            _incremental(client, token, result)
        _finish(client, result, started=started)
    except BaseException as exc:
        result.calls = _calls(client) - calls_before
        lock_release(POSTS_LOCK, token, error=f"{exc.__class__.__name__}: {exc}")
        raise
    result.calls = _calls(client) - calls_before
    lock_release(POSTS_LOCK, token, result=result.as_dict())
    return result


def _calls(client: OktopostClient) -> int:
    counter = getattr(client, "counter", None)
    return counter.calls if counter else 0


def _apply_page(
    client: OktopostClient,
    items: list[ok.Post],
    result: SyncResult,
    *,
    full_run: datetime | None = None,
) -> None:
    now = timezone.now()
    if not result.catalog and _references_unknown(items):
        result.catalog = catalog_sync(client=client, force=True)
    with transaction.atomic():
        created, updated, unchanged = posts_upsert(items, now=now, full_run=full_run)
    result.created += created
    result.updated += updated
    result.unchanged += unchanged
    result.pages += 1
    result.pending_messages |= _messages_missing(p.message_id for p in items)
    _messages_flush(client, result, everything=False)


def _finish(client: OktopostClient, result: SyncResult, *, started: datetime) -> None:
    """After the pages: the last messages, lost write answers, then failed posts'
    outcomes (least urgent)."""
    _messages_flush(client, result, everything=True)
    activities_settle(client, synced_since=started)
    # Never wait for budget here: what is not fetched now is fetched next run. Batch after
    # batch, so the backlog a full sync leaves is worked off while the budget allows, not
    # POSTLOGS_PER_RUN per run; bounded so one run stays short.
    quick = client.with_priority(client.priority, max_wait=0.0)
    fetched: set[int] = set()
    try:
        while len(fetched) < POSTLOGS_MAX_PER_RUN:
            size = min(POSTLOGS_PER_RUN, POSTLOGS_MAX_PER_RUN - len(fetched))
            batch = [p for p in postlogs_pending(size + len(fetched)) if p.id not in fetched]
            if not batch:
                break
            for post in batch[:size]:
                postlogs_fetch(quick, [post], result)
                fetched.add(post.id)
    except RateLimited:
        pass


def _references_unknown(items: list[ok.Post]) -> bool:
    campaigns = {p.campaign_id for p in items if p.campaign_id}
    profiles = {c for p in items for c in p.credential_ids}
    known_campaigns = Campaign.objects.filter(oktopost_id__in=campaigns).count()
    known_profiles = Profile.objects.filter(oktopost_id__in=profiles).count()
    return known_campaigns < len(campaigns) or known_profiles < len(profiles)


def _incremental(client: OktopostClient, token: str, result: SyncResult) -> None:
    state = _state(POSTS_LOCK)
    # A window saved by a run that failed or was killed: resume it.
    progress = (state.last_result or {}).get("window")
    if progress:
        window = Window.load(progress)
    elif state.cursor is None:
        # Never synced: an incremental pass over everything is a full sync.
        result.kind = "full"
        _full(client, token, result)
        return
    else:
        window = Window(lo=state.cursor, seen=list(state.cursor_ids))
    start = window.lo
    for items in walk(client, window, order="modified"):
        if items:
            _apply_page(client, items, result)
        SyncState.objects.filter(name=POSTS_LOCK, run_token=token).update(
            running_since=timezone.now(), last_result={"window": window.dump()}
        )
    # The next pass starts at the newest change read: `after` is inclusive, so the
    # posts of that second come again and are skipped by id.
    top = window.top or start
    top_ids = list(Post.objects.filter(modified=top).values_list("oktopost_id", flat=True)[:1000])
    SyncState.objects.filter(name=POSTS_LOCK, run_token=token).update(
        cursor=top, cursor_ids=top_ids
    )
    result.complete = True


def _full(client: OktopostClient, token: str, result: SyncResult) -> None:
    full_state = _state(FULL_STATE)
    progress = full_state.last_result.get("window") if full_state.run_started else None
    if progress:
        window = Window.load(progress)
        run_started = full_state.run_started
    else:
        window = Window(lo=EPOCH)
        run_started = timezone.now()
        SyncState.objects.filter(name=FULL_STATE).update(run_started=run_started, last_result={})
    for items in walk(client, window, order="created"):
        if items:
            _apply_page(client, items, result, full_run=run_started)
        SyncState.objects.filter(name=FULL_STATE).update(last_result={"window": window.dump()})
        lock_heartbeat(POSTS_LOCK, token)
    result.pending_messages |= messages_backfill_ids()
    with transaction.atomic():
        # Posts Oktopost no longer returns: kept for history, hidden by default.
        result.deleted = (
            Post.objects.filter(deleted_at__isnull=True, synced_at__lt=run_started)
            .exclude(seen_in_full_sync=run_started)
            .update(deleted_at=timezone.now())
        )
        SyncState.objects.filter(name=FULL_STATE).update(
            run_started=None,
            last_success=timezone.now(),
            last_result={"deleted": result.deleted},
        )
        # A full pass also sets the incremental cursor when there was none.
        state = _state(POSTS_LOCK)
        if state.cursor is None:
            top = Post.objects.order_by("-modified").values_list("modified", flat=True).first()
            if top:
                ids = list(Post.objects.filter(modified=top).values_list("oktopost_id", flat=True))
                SyncState.objects.filter(name=POSTS_LOCK).update(cursor=top, cursor_ids=ids)
    result.complete = True


# --- counters and stats -----------------------------------------------------------------


def counters_sync(*, since: timedelta, client: OktopostClient | None = None) -> SyncResult:
    """Read the list counters (clicks, conversions, comments, likes; 100 posts a call) of
    posts scheduled in the last `since`. Stats changes do not move a post's Modified, so the
    incremental sync never sees them."""
    token = lock_claim(POSTS_LOCK)
    if token is None:
        raise SyncBusy("another sync is running")
    client = client or get_client(max_wait=SYNC_MAX_WAIT)
    result = SyncResult(kind=f"counters {since}")
    calls_before = _calls(client)
    try:
        now = timezone.now()
        window = Window(lo=now - since, hi=now + ONE_SECOND)
        for items in walk(client, window, order="startDateTime"):
            if items:
                _apply_page(client, items, result)
            lock_heartbeat(POSTS_LOCK, token)
        _messages_flush(client, result, everything=True)
        result.complete = True
    except BaseException as exc:
        lock_release(POSTS_LOCK, token, error=f"{exc.__class__.__name__}: {exc}")
        raise
    result.calls = _calls(client) - calls_before
    lock_release(POSTS_LOCK, token)
    return result


def stats_queue(now: datetime, limit: int) -> list[Post]:
    """Posts whose shares and impressions are due: requested ones first, then most overdue."""
    alive = Post.objects.filter(deleted_at__isnull=True, status__in=SENT_STATUSES)
    requested = list(
        alive.filter(stats_requested_at__isnull=False).order_by("stats_requested_at")[:limit]
    )
    rest = limit - len(requested)
    due: list[Post] = []
    if rest > 0:
        due = list(
            alive.filter(stats_requested_at__isnull=True, stats_due_at__lte=now).order_by(
                "stats_due_at"
            )[:rest]
        )
    return requested + due


def post_stats_apply(post: Post, item: ok.Post, now: datetime) -> None:
    """Store one ?stats=1 answer: the post's fields, its six counters and a history point."""
    before = tuple(getattr(post, name) for name in _COUNTERS)
    for name, value in _post_values(item).items():
        setattr(post, name, value)
    stats = item.stats
    if stats is not None:
        post.clicks = stats.link_clicks if stats.link_clicks is not None else post.clicks
        post.conversions = stats.conversions if stats.conversions is not None else post.conversions
        post.comments = stats.comments if stats.comments is not None else post.comments
        post.likes = stats.likes if stats.likes is not None else post.likes
        post.shares = stats.shares or 0
        post.impressions = stats.impressions_added or 0
    interval, _ = stats_tier(post, now)
    post.stats_at = post.counters_at = post.synced_at = now
    post.stats_due_at = now + interval
    post.stats_requested_at = None
    post.deleted_at = None
    post.save()
    if before != tuple(getattr(post, name) for name in _COUNTERS):
        _sample(post, now).save()


def stats_refresh(
    *,
    limit: int,
    client: OktopostClient | None = None,
    post_ids: list[int] | None = None,
    priority: str = "background",
) -> StatsResult:
    """Fetch ?stats=1 for up to `limit` due posts (or the given ones), within the budget.

    Stops early when the budget says wait (RateLimited); what was not reached stays due.
    """
    client = client or get_client(priority=priority)
    result = StatsResult()
    calls_before = _calls(client)
    now = timezone.now()
    if post_ids is not None:
        posts = list(Post.objects.filter(id__in=post_ids, deleted_at__isnull=True))
    else:
        posts = stats_queue(now, limit)
    for number, post in enumerate(posts):
        if post_ids is None and number % 5 == 0 and _sync_running():
            # Keeping the post list in step matters more than one more post's stats.
            result.stopped = "a sync is running; stats wait for it"
            break
        lease = _stats_claim(post)
        if lease is None:
            continue  # another worker (or an overlapping run) has it: no call spent
        try:
            item = client.post_get(post.oktopost_id, stats=True)
        except RateLimited as exc:
            _stats_unclaim(post, lease)
            result.stopped = str(exc)
            break
        except NotFound:
            Post.objects.filter(id=post.id).update(
                deleted_at=timezone.now(), stats_requested_at=None
            )
            result.deleted += 1
            continue
        except OktopostError as exc:
            log.warning("stats of %s failed: %s", post.oktopost_id, exc)
            result.failed += 1
            # Try again in 10 minutes rather than hammering one broken post (a "refresh
            # now" becomes an ordinary retry, so a broken post cannot hold the queue's head).
            retry_at = min(post.stats_due_at or lease, timezone.now()) + timedelta(minutes=10)
            Post.objects.filter(id=post.id, stats_due_at=lease).update(stats_due_at=retry_at)
            continue
        except BaseException:
            _stats_unclaim(post, lease)
            raise
        now = timezone.now()
        _, tier = stats_tier(post, now)
        with transaction.atomic():
            post_stats_apply(post, item, now)
        result.refreshed += 1
        result.by_tier[tier] = result.by_tier.get(tier, 0) + 1
    result.calls = _calls(client) - calls_before
    SyncState.objects.update_or_create(
        name=STATS_STATE,
        defaults={"last_success": timezone.now(), "last_result": asdict(result)},
    )
    return result


def _stats_claim(post: Post) -> datetime | None:
    """Take a post from the stats queue before its call, so no other worker fetches it too.

    A conditional UPDATE (portable, no transaction held across the call): it succeeds only
    if the post is still as we read it. The post is leased for STATS_LEASE: if this process
    dies before storing the answer, the post falls due again then; post_stats_apply sets the
    real next due time. Returns the lease's end, or None when another worker got there first.
    """
    lease = timezone.now() + STATS_LEASE
    claimed = Post.objects.filter(
        id=post.id, stats_due_at=post.stats_due_at, stats_requested_at=post.stats_requested_at
    ).update(stats_due_at=lease, stats_requested_at=None)
    return lease if claimed else None


def _stats_unclaim(post: Post, lease: datetime) -> None:
    """Put a claimed post back as it was (the budget stopped the batch before its call)."""
    restore: dict[str, object] = {"stats_due_at": post.stats_due_at}
    if post.stats_requested_at is not None:
        restore["stats_requested_at"] = post.stats_requested_at
    # Only if nobody has touched it since (a "refresh now" meanwhile is kept).
    Post.objects.filter(id=post.id, stats_due_at=lease).update(**restore)


def _sync_running() -> bool:
    stale = timezone.now() - timedelta(seconds=settings.SYNC_LOCK_STALE_SECONDS)
    return SyncState.objects.filter(name=POSTS_LOCK, running_since__gte=stale).exists()


def stats_request(post: Post) -> None:
    """Put a post at the head of the stats queue ("refresh now")."""
    Post.objects.filter(id=post.id).update(stats_requested_at=timezone.now())


# --- settling writes whose answer was lost ---------------------------------------------

SETTLE_AFTER = timedelta(seconds=60)


def activities_settle(client: OktopostClient, *, synced_since: datetime) -> int:
    """Decide what happened to writes whose answer was lost (services recorded them as
    "being checked"), now that a sync that started after them has read the post list."""
    settled = 0
    pending = Activity.objects.filter(
        outcome=Activity.Outcome.CHECKING, at__lt=synced_since - SETTLE_AFTER
    )
    for entry in pending[:20]:
        outcome, answer, post_id = _settle(client, entry)
        if outcome:
            Activity.objects.filter(id=entry.id).update(
                outcome=outcome,
                answer=f"{entry.answer}\nChecked by the sync: {answer}",
                post_oktopost_id=post_id or entry.post_oktopost_id,
            )
            settled += 1
    return settled


def _settle(client: OktopostClient, entry: Activity) -> tuple[str, str, str]:
    ok_, not_done = Activity.Outcome.OK, Activity.Outcome.NOT_DONE
    after = entry.after
    if entry.action == Activity.Action.CREATE:
        candidates = Post.objects.filter(
            message_id=after.get("message"), created__gte=entry.at - timedelta(minutes=2)
        )
        wanted = set(after.get("profiles") or [])
        for post in candidates:
            if set(post.credential_ids) == wanted:
                return ok_, f"Oktopost did create it, as post {post.oktopost_id}.", post.oktopost_id
        return not_done, "Oktopost did not create the post; create it again if needed.", ""
    if entry.action == Activity.Action.MESSAGE_CREATE:
        listed = client.message_list(campaign_id=after.get("campaign"), count=100)
        for message in listed.items:
            if (
                message.text == after.get("text")
                and message.created
                and message.created >= entry.at - timedelta(minutes=2)
            ):
                messages_upsert([message], now=timezone.now())
                return ok_, f"Oktopost did create it, as message {message.id}.", ""
        return not_done, "Oktopost did not create the message.", ""
    post = Post.objects.filter(oktopost_id=entry.post_oktopost_id).first()
    if post is None:
        return not_done, "The post is not in the mirror.", ""
    if entry.action in (Activity.Action.CANCEL, Activity.Action.BULK_CANCEL):
        try:
            client.post_get(post.oktopost_id)
        except NotFound:
            Post.objects.filter(id=post.id).update(deleted_at=timezone.now())
            return ok_, "The post is gone from Oktopost: cancelled.", ""
        return not_done, "The post is still in Oktopost: not cancelled.", ""
    wanted_start = after.get("start_at")
    if wanted_start and post.start_at == datetime.fromisoformat(wanted_start):
        return ok_, "The post has the new time.", ""
    wanted_profiles = after.get("profiles")
    if wanted_profiles and set(post.credential_ids) == set(wanted_profiles):
        return ok_, "The post has the new profiles.", ""
    return not_done, "The post still has its old values: the change was not made.", ""
