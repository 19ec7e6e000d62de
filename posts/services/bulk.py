"""Changing many posts at once: recorded here, run by a worker post by post."""

from __future__ import annotations

import logging
import math
import time
from datetime import date, datetime, timedelta

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from accounts.models import User
from core.localtime import BadLocalTime, as_local, local_to_utc, within_reach
from core.services import ServiceError, enqueue, queue_down_words
from oktopost.client import OktopostClient
from oktopost.errors import NotFound, OktopostError
from posts import mirror, queue, selectors, task_names
from posts.connection import get_client
from posts.locks import write_lock
from posts.models import Activity, BulkAction, Post
from posts.services.common import record
from posts.services.posts import post_cancel, post_update


def bulk_start(
    *, user: User, kind: str, post_ids: list[str], params: dict[str, object]
) -> BulkAction:
    """Record a bulk action; a worker runs it (posts.tasks.bulk_run).

    A shift or a move is planned here, post by post, from the times the editor sees: each
    post's time now and the time it is to have. The worker writes those targets, so a
    run that starts again (its worker died) never shifts a post twice."""
    if kind not in BulkAction.Kind.values:
        raise ServiceError(f"Unknown bulk action {kind!r}.")
    if not post_ids:
        raise ServiceError("Select at least one post.")
    bulk = BulkAction(user=user, kind=kind, post_ids=post_ids, params=params)
    if kind != BulkAction.Kind.CANCEL:
        bulk.params = {**params, "targets": _bulk_plan(bulk)}
    bulk.save()
    if not enqueue(task_names.bulk_run, bulk.id):
        bulk.delete()  # nothing half-started: no record of a change that never runs
        raise ServiceError(queue_down_words("nothing was changed. Try again when it is back."))
    return bulk


def _bulk_plan(bulk: BulkAction) -> dict[str, dict[str, str]]:
    """{post id: {"from": its time now, "to": its new time} or {"error": why not}}."""
    plan: dict[str, dict[str, str]] = {}
    rows = Post.objects.filter(oktopost_id__in=bulk.post_ids, deleted_at__isnull=True)
    for post in rows:
        try:
            target = _bulk_target(bulk, post)
        except ServiceError as exc:
            plan[post.oktopost_id] = {"error": exc.message}
            continue
        plan[post.oktopost_id] = {"from": post.start_at.isoformat(), "to": target.isoformat()}
    return plan


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
        parsed = queue.parse(QueryDict(query), **selectors.filter_ids(choices))
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


# A run holds its bulk this long at most; one run works for RUN_FOR, then the task queues
# the rest, so no task runs longer than the broker's visibility timeout allows.
RUN_FOR = 120.0
HOLD_RUN = timedelta(seconds=360)


def bulk_run(
    bulk_id: int,
    *,
    client: OktopostClient | None = None,
    run_for: float = RUN_FOR,
    runner: str | None = None,
) -> BulkAction:
    """Apply a bulk action post by post, for `run_for` seconds at most; check
    `bulk.finished` for whether the rest must run again.

    Safe to run twice: one run at a time holds the bulk (a second one raises LockBusy);
    each post's step is recorded before its write (`params["writing"]`) and its result
    after it; a post already at its planned time counts as done, one that moved
    elsewhere in Oktopost since the bulk was made is refused, not shifted again.
    `runner` names the run (the task's id): the same task delivered again after its
    worker died takes over its own hold at once instead of waiting for it to expire."""
    with write_lock(f"bulk:{bulk_id}", wait=1.0, hold=HOLD_RUN, owner=runner):
        return _bulk_run(bulk_id, client=client, run_for=run_for)


def _bulk_run(bulk_id: int, *, client: OktopostClient | None, run_for: float) -> BulkAction:
    bulk = BulkAction.objects.select_related("user").get(id=bulk_id)
    if bulk.finished:
        return bulk
    # A worker runs this, nobody waits on a page: each call may wait for its turn longer
    # than an inline edit would (editors' calls still go first, background work yields).
    client = client or get_client(priority="interactive", max_wait=BULK_MAX_WAIT)
    stop_at = time.monotonic() + run_for
    done = {r["post"] for r in bulk.results}
    interrupted = bulk.params.get("writing")
    bulk_current(client, [i for i in bulk.post_ids if i not in done])
    if bulk.kind != BulkAction.Kind.CANCEL and "targets" not in bulk.params:
        # Made before bulks were planned when made: planned once, before any write,
        # from the states just read.
        bulk.params["targets"] = _bulk_plan(bulk)
        BulkAction.objects.filter(id=bulk.id).update(params=bulk.params)
    for oktopost_id in bulk.post_ids:
        if oktopost_id in done:
            continue
        if time.monotonic() > stop_at:
            return bulk  # not finished: the task queues the rest
        _bulk_writing(bulk, oktopost_id)
        result = _bulk_one(bulk, oktopost_id, client=client, interrupted=interrupted)
        bulk.results.append(result)
        bulk.params["writing"] = None
        BulkAction.objects.filter(id=bulk.id).update(results=bulk.results, params=bulk.params)
    bulk.finished = timezone.now()
    BulkAction.objects.filter(id=bulk.id).update(finished=bulk.finished)
    return bulk


def _bulk_writing(bulk: BulkAction, oktopost_id: str) -> None:
    """Record the post about to be written, before its write."""
    bulk.params["writing"] = oktopost_id
    BulkAction.objects.filter(id=bulk.id).update(params=bulk.params)


def _bulk_one(
    bulk: BulkAction, oktopost_id: str, *, client: OktopostClient, interrupted: str | None
) -> dict[str, object]:
    post = Post.objects.filter(oktopost_id=oktopost_id).first()
    try:
        if bulk.kind == BulkAction.Kind.CANCEL:
            if oktopost_id == interrupted and _gone(client, oktopost_id):
                # The run before was stopped while cancelling this post, after Oktopost
                # deleted it: done, not refused.
                return {"post": oktopost_id, "ok": True, "message": "Cancelled"}
            if post is None or post.deleted_at:
                raise ServiceError("This post is no longer in Oktopost.")
            post_cancel(user=bulk.user, post=post, expected_modified=None, bulk=bulk, client=client)
            return {"post": oktopost_id, "ok": True, "message": "Cancelled"}
        if post is None or post.deleted_at:
            raise ServiceError("This post is no longer in Oktopost.")
        planned = bulk.params.get("targets", {}).get(oktopost_id) or {}
        if "error" in planned:
            raise ServiceError(planned["error"])
        if not planned:
            raise ServiceError("This post was not in the mirror when the change was made.")
        target = datetime.fromisoformat(planned["to"])
        local = f"{as_local(target, bulk.user.zone):%a %d %b %Y %H:%M %Z}"
        action = (
            Activity.Action.BULK_SHIFT
            if bulk.kind == BulkAction.Kind.SHIFT
            else Activity.Action.BULK_MOVE
        )
        if post.start_at == target:
            if oktopost_id == interrupted:
                # The run before wrote it, then stopped before saying so.
                record(
                    user=bulk.user,
                    action=action,
                    outcome=Activity.Outcome.OK,
                    post_id=oktopost_id,
                    before={"start_at": planned["from"]},
                    after={"start_at": planned["to"]},
                    answer="Found at its new time after the worker making the change stopped",
                    bulk=bulk,
                )
            return {"post": oktopost_id, "ok": True, "message": f"Now {local}"}
        if post.start_at != datetime.fromisoformat(planned["from"]):
            raise ServiceError(
                "This post's time changed in Oktopost after the change was asked for, so it "
                f"was left at {as_local(post.start_at, bulk.user.zone):%a %d %b %Y %H:%M %Z}."
            )
        post_update(
            user=bulk.user,
            post=post,
            action=action,
            expected_modified=None,
            start_at=target,
            bulk=bulk,
            client=client,
        )
        return {"post": oktopost_id, "ok": True, "message": f"Now {local}"}
    except ServiceError as exc:
        return {"post": oktopost_id, "ok": False, "message": exc.message}


def _gone(client: OktopostClient, oktopost_id: str) -> bool:
    try:
        client.post_get(oktopost_id)
    except NotFound:
        return True
    except OktopostError:
        return False
    return False
