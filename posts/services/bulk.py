"""Changing many posts at once: recorded here, run by a worker post by post."""

from __future__ import annotations

import logging
import math
from datetime import date, datetime, timedelta

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from accounts.models import User
from oktopost.client import OktopostClient
from oktopost.errors import OktopostError
from posts import mirror, queue, selectors, tasks
from posts.connection import get_client
from posts.localtime import BadLocalTime, as_local, local_to_utc, within_reach
from posts.models import Activity, BulkAction, Post
from posts.services.common import ServiceError, enqueue, queue_down_words
from posts.services.posts import post_cancel, post_update


def bulk_start(
    *, user: User, kind: str, post_ids: list[str], params: dict[str, object]
) -> BulkAction:
    """Record a bulk action; a worker runs it (posts.tasks.bulk_run)."""
    if kind not in BulkAction.Kind.values:
        raise ServiceError(f"Unknown bulk action {kind!r}.")
    if not post_ids:
        raise ServiceError("Select at least one post.")
    bulk = BulkAction.objects.create(user=user, kind=kind, post_ids=post_ids, params=params)
    if not enqueue(tasks.bulk_run, bulk.id):
        bulk.delete()  # nothing half-started: no record of a change that never runs
        raise ServiceError(queue_down_words("nothing was changed. Try again when it is back."))
    return bulk


def bulk_request(
    *,
    user: User,
    kind: str,
    scope: str,
    selected: list[str],
    query: str,
    minutes: int | None = None,
    day: date | None = None,
) -> BulkAction:
    """A bulk change as the queue asks for it: the selected posts, or every unsent post
    matching the queue's filters (read now, so later syncs do not change the set)."""
    if scope == "matching":
        choices = selectors.queue_choices()
        parsed = queue.parse(
            QueryDict(query),
            profiles=set(choices["profiles"]),
            campaigns={cid for cid, _ in choices["campaigns"]},
        )
        post_ids = selectors.bulk_matching(parsed.filters, zone=user.zone)
    else:
        post_ids = selectors.bulk_selected(selected)
    params = {"minutes": minutes, "date": day.isoformat() if day else None}
    return bulk_start(user=user, kind=kind, post_ids=post_ids, params=params)


def _bulk_target(bulk: BulkAction, post: Post) -> datetime:
    zone = bulk.user.zone
    try:
        if bulk.kind == BulkAction.Kind.SHIFT:
            target = post.start_at + timedelta(minutes=int(bulk.params["minutes"]))
        else:
            # Move to a date keeping the local time of day, in the editor's zone (DST-safe:
            # the same wall-clock time on the new day, whatever the offset there).
            local = as_local(post.start_at, zone)
            day = date.fromisoformat(str(bulk.params["date"]))
            target = local_to_utc(datetime.combine(day, local.time()), zone)
        within_reach(target, now=timezone.now())
    except OverflowError:
        raise ServiceError("The new time would be outside any calendar.") from None
    except BadLocalTime as exc:
        raise ServiceError(str(exc)) from None
    return target


log = logging.getLogger(__name__)
# Pages a bulk may read beyond one per 100 of its posts (other posts share its time span).
BULK_READ_EXTRA_PAGES = 3
BULK_MAX_WAIT = 120.0


def bulk_current(client: OktopostClient, post_ids: list[str]) -> int:
    """Read the current state of these posts from Oktopost's list, 100 a call, into the
    mirror, so a shift starts from where each post is now (one read per post would double
    a bulk's calls). Posts outside the pages read keep the mirror's state. Returns calls."""
    wanted = set(post_ids)
    starts = list(
        Post.objects.filter(
            oktopost_id__in=wanted, deleted_at__isnull=True, start_at__isnull=False
        ).values_list("start_at", flat=True)
    )
    if not starts:
        return 0
    lo, hi = min(starts), max(starts) + timedelta(seconds=1)
    found = []
    calls = 0
    try:
        for number in range(math.ceil(len(wanted) / 100) + BULK_READ_EXTRA_PAGES):
            page = client.post_list(
                page=number, count=100, order="startDateTime", after=lo, before=hi
            )
            calls += 1
            found += [item for item in page.items if item.id in wanted]
            if len(page.items) < 100:
                break
    except OktopostError as exc:
        log.warning("bulk: reading current states failed (%s); using the mirror's", exc)
    if found:
        with transaction.atomic():
            mirror.posts_upsert(found, now=timezone.now())
    return calls


def bulk_run(bulk_id: int, *, client: OktopostClient | None = None) -> BulkAction:
    """Apply a bulk action post by post, saving after each; a rerun skips what is done."""
    bulk = BulkAction.objects.select_related("user").get(id=bulk_id)
    # A worker runs this, nobody waits on a page: each call may wait for its turn longer
    # than an inline edit would (editors' calls still go first, background work yields).
    client = client or get_client(priority="interactive", max_wait=BULK_MAX_WAIT)
    done = {r["post"] for r in bulk.results}
    bulk_current(client, [i for i in bulk.post_ids if i not in done])
    for oktopost_id in bulk.post_ids:
        if oktopost_id in done:
            continue
        post = Post.objects.filter(oktopost_id=oktopost_id).first()
        try:
            if post is None or post.deleted_at:
                raise ServiceError("This post is no longer in Oktopost.")
            if bulk.kind == BulkAction.Kind.CANCEL:
                post_cancel(
                    user=bulk.user, post=post, expected_modified=None, bulk=bulk, client=client
                )
                message = "Cancelled"
            else:
                target = _bulk_target(bulk, post)
                post_update(
                    user=bulk.user,
                    post=post,
                    action=Activity.Action.BULK_SHIFT
                    if bulk.kind == BulkAction.Kind.SHIFT
                    else Activity.Action.BULK_MOVE,
                    expected_modified=None,
                    start_at=target,
                    bulk=bulk,
                    client=client,
                )
                message = f"Now {as_local(target, bulk.user.zone):%a %d %b %Y %H:%M %Z}"
            result = {"post": oktopost_id, "ok": True, "message": message}
        except ServiceError as exc:
            result = {"post": oktopost_id, "ok": False, "message": exc.message}
        bulk.results.append(result)
        BulkAction.objects.filter(id=bulk.id).update(results=bulk.results)
    bulk.finished = timezone.now()
    BulkAction.objects.filter(id=bulk.id).update(finished=bulk.finished)
    return bulk
