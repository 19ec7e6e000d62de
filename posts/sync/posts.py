"""Post sync: incremental (by `modified` since the cursor) and full (every post), then the
messages the posts reference (with their tags), failed posts' postlogs and, on a slower
cadence, the catalog (`posts.sync.catalog`: campaigns, profiles, users, tags, notes, each
on its own). Every page is committed, so a failure loses nothing and the next run
resumes from the saved window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from oktopost import types as ok
from oktopost.client import OktopostClient
from oktopost.errors import RateLimited
from posts import mirror, push
from posts.connection import get_client
from posts.maintenance import planner_stats_after_sync
from posts.models import Campaign, Message, Post, Profile, Status, SyncState
from posts.plan import POSTLOGS_MAX_PER_RUN, RECONCILE_PAGES_PER_RUN, SYNC_MAX_WAIT
from posts.sync.approvals import approvals_sync
from posts.sync.budget import plan_fresh
from posts.sync.catalog import REFERENCED, catalog_sync
from posts.sync.locks import POSTS_LOCK, Lock, state_get, sync_lock
from posts.sync.settle import activities_settle
from posts.sync.walker import PAGE, Window, walk

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
POSTLOGS_PER_RUN = 20  # one batch
# How many calls of a first fill (an empty mirror) may take the editors' share too.
FIRST_FILL_EDITOR_CALLS = 100
# The incremental cursor is in doubt after this long without a successful pass.
CURSOR_DOUBT_AFTER = timedelta(hours=24)

FULL_STATE = "posts-full"


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
    catalog: bool = False  # the catalog was read (or tried) in this run
    approval_items: int = 0  # workflow items read (posts/sync/approvals.py)
    pending_messages: set[str] = field(default_factory=set, repr=False)
    # Asked for in this run already: one Oktopost no longer returns is not asked twice.
    asked_messages: set[str] = field(default_factory=set, repr=False)
    complete: bool = False

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("pending_messages")
        data.pop("asked_messages")
        return data


def posts_sync(*, full: bool = False, client: OktopostClient | None = None) -> SyncResult:
    """One pass: incremental (by `modified` since the cursor) or full (every post).

    Raises SyncBusy when another pass holds the lock.
    """
    with sync_lock(POSTS_LOCK) as lock:
        client = client or get_client(max_wait=SYNC_MAX_WAIT)
        if state_get(POSTS_LOCK).cursor is None:
            # The first fill of an empty mirror: until it is done there is nothing for an
            # editor to edit, so its first calls may use the editors' share of the minute
            # too (a demo or a small team sees its queue within a minute); the rest of a
            # big account's fill is background work, paced like any other.
            client = client.with_priority("interactive", max_wait=SYNC_MAX_WAIT)
        result = SyncResult(kind="full" if full else "incremental")
        calls_before = client.calls
        started = timezone.now()
        if full:
            _full(client, lock, result)
        else:
            in_doubt = _cursor_in_doubt(started)
            _incremental(client, lock, result)
            if result.kind == "incremental" and (in_doubt or reconcile_due(started)):
                # Never waiting for the pace, and leaving the incremental its share of it.
                try:
                    slice_client = client.with_priority("reconcile", max_wait=0.0)
                    _full(slice_client, lock, result, max_pages=RECONCILE_PAGES_PER_RUN)
                except RateLimited:
                    pass  # the window is saved; the next pass goes on
        if result.complete:
            result.approval_items = approvals_sync(client)
        _finish(client, result, started=started)
        result.calls = client.calls - calls_before
        lock.result = result.as_dict()
    # Outside the lock: the next sync need not wait for ANALYZE.
    if result.complete:
        planner_stats_after_sync(
            written=result.created + result.updated + result.deleted,
            full=result.kind == "full",
        )
    return result


def _incremental(client: OktopostClient, lock: Lock, result: SyncResult) -> None:
    state = state_get(POSTS_LOCK)
    if state.window:
        # Left by a run that failed or was killed: resume it.
        window = Window.load(state.window)
    elif state.cursor is None:
        # Never synced: an incremental pass over everything is a full sync.
        result.kind = "full"
        _full(client, lock, result)
        return
    else:
        window = Window(lo=state.cursor, seen=list(state.cursor_ids))
    start = window.lo
    for items in walk(client, window, order="modified"):
        if items:
            page_apply(client, items, result)
        lock.heartbeat(window=window.dump())
    # The next pass starts at the newest change read: `after` is inclusive, so the
    # posts of that second come again and are skipped by id.
    top = window.top or start
    top_ids = list(Post.objects.filter(modified=top).values_list("oktopost_id", flat=True)[:1000])
    SyncState.objects.filter(name=POSTS_LOCK, run_token=lock.token).update(
        cursor=top, cursor_ids=top_ids, window=None
    )
    result.complete = True


def _cursor_in_doubt(now: datetime) -> bool:
    state = state_get(POSTS_LOCK)
    return bool(state.last_success and now - state.last_success > CURSOR_DOUBT_AFTER)


def reconcile_due(now: datetime) -> bool:
    """A full reconcile is half done, or the plan's interval since the last one has passed
    (daily, or every few days when the whole list does not fit its share of a day)."""
    full = state_get(FULL_STATE)
    if full.run_started and full.window:
        return True
    if full.last_success is None:
        return True
    return now - full.last_success >= timedelta(days=plan_fresh(now).reconcile_days)


def _full(
    client: OktopostClient, lock: Lock, result: SyncResult, *, max_pages: int | None = None
) -> None:
    """Read every post (deletions show only here). With `max_pages`, one slice: the walk
    stops after that many pages and the next run resumes from the saved window."""
    full_state = state_get(FULL_STATE)
    if full_state.run_started and full_state.window:
        window = Window.load(full_state.window)
        run_started = full_state.run_started
    else:
        window = Window(lo=EPOCH)
        run_started = timezone.now()
        SyncState.objects.filter(name=FULL_STATE).update(run_started=run_started, window=None)
    for pages, items in enumerate(walk(client, window, order="created"), start=1):
        if items:
            page_apply(client, items, result, full_run=run_started)
        if client.priority == "interactive" and client.calls >= FIRST_FILL_EDITOR_CALLS:
            client.priority = "sync"  # the rest of a first fill is paced background work
        SyncState.objects.filter(name=FULL_STATE).update(window=window.dump())
        lock.heartbeat()
        if max_pages is not None and pages >= max_pages:
            return
    result.pending_messages |= messages_backfill_ids()
    with transaction.atomic():
        result.deleted = mirror.posts_gone(full_run=run_started)
        SyncState.objects.filter(name=FULL_STATE).update(
            run_started=None,
            window=None,
            last_success=timezone.now(),
            last_result={"deleted": result.deleted},
        )
        # A full pass also sets the incremental cursor when there was none.
        state = state_get(POSTS_LOCK)
        if state.cursor is None:
            top = Post.objects.order_by("-modified").values_list("modified", flat=True).first()
            if top:
                ids = list(Post.objects.filter(modified=top).values_list("oktopost_id", flat=True))
                SyncState.objects.filter(name=POSTS_LOCK).update(cursor=top, cursor_ids=ids)
    result.complete = True


def page_apply(
    client: OktopostClient,
    items: list[ok.Post],
    result: SyncResult,
    *,
    full_run: datetime | None = None,
) -> None:
    """Write one page of posts, and fetch the messages they need in full batches."""
    now = timezone.now()
    if not result.catalog and _references_unknown(items):
        # Names for this page's campaigns and profiles now; the rest of the catalog
        # after the posts. Once a run, whatever Oktopost answered.
        catalog_sync(client=client, parts=REFERENCED, force=True)
        result.catalog = True
    with transaction.atomic():
        created, updated, unchanged = mirror.posts_upsert(items, now=now, full_run=full_run)
    result.created += created
    result.updated += updated
    result.unchanged += unchanged
    result.pages += 1
    # A full pass reads again the messages it has not read since it started: their tags
    # (and text) change without the post changing. The same batches of 100 a first fill
    # makes, so a reconcile costs at most what the day's plan counts for it.
    wanted = _messages_missing((p.message_id for p in items), tags_since=full_run)
    result.pending_messages |= wanted - result.asked_messages
    messages_flush(client, result, everything=False)


def _finish(client: OktopostClient, result: SyncResult, *, started: datetime) -> None:
    """After the pages: the last messages, lost write answers, the catalog when due, then
    failed posts' outcomes (least urgent)."""
    messages_flush(client, result, everything=True)
    activities_settle(client, synced_since=started)
    # After the posts: a part of the catalog Oktopost refuses, or the budget running out
    # there, costs the posts nothing (posts.sync.catalog).
    result.catalog = catalog_sync(client=client) or result.catalog
    # Never wait for budget here: what is not fetched now is fetched next run. Batch after
    # batch, so the backlog a full sync leaves is worked off while the budget allows, not
    # POSTLOGS_PER_RUN per run; bounded so one run stays short.
    quick = client.with_priority("postlogs", max_wait=0.0)
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


# --- messages --------------------------------------------------------------------------


def _messages_missing(ids: Iterable[str], *, tags_since: datetime | None = None) -> set[str]:
    """Of these message ids, those not mirrored; with `tags_since`, also those whose
    tags were not read since then."""
    wanted = {i for i in ids if i}
    known = Message.objects.filter(oktopost_id__in=wanted)
    if tags_since is not None:
        known = known.filter(tags_at__gte=tags_since)
    return wanted - set(known.values_list("oktopost_id", flat=True))


def messages_flush(client: OktopostClient, result: SyncResult, *, everything: bool) -> None:
    """Fetch pending messages in full batches of 100 (the most one call takes), and the
    remainder only at the end of the run: the fewest calls for the messages we need."""
    pending = sorted(result.pending_messages)
    batches = [pending[i : i + PAGE] for i in range(0, len(pending), PAGE)]
    if not everything and batches and len(batches[-1]) < PAGE:
        batches.pop()
    for batch in batches:
        result.asked_messages.update(batch)
        # With their tags: the queue's and the stats page's tag filter (no extra call).
        messages = client.messages_by_ids(batch, with_tags=True)
        with transaction.atomic():
            mirror.messages_upsert(messages, now=timezone.now())
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


# --- postlogs --------------------------------------------------------------------------


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
            mirror.deliveries_from_postlogs(post, logs)
        fetched += 1
        if result is not None:
            result.postlogs += 1
    return fetched


def incremental_may_rest(*, now: datetime | None = None) -> bool:
    """True when this incremental pass may be skipped: webhooks are healthy, a pass
    succeeded within WEBHOOKS_SAFETY_NET_SECONDS, and no reconcile is due or half done
    (the reconcile keeps its pace: deletions in a missed webhook show only there)."""
    if not push.webhooks_healthy():
        return False
    now = now or timezone.now()
    state = state_get(POSTS_LOCK)
    if state.window or state.last_success is None:
        return False
    if now - state.last_success >= timedelta(seconds=push.incremental_every()):
        return False
    return not reconcile_due(now)
