"""Reading approval workflows: one call for the workflows with their steps, one call per
1,000 items (with history and authors) for every item; never a call per post.

It runs inside a posts sync at most every APPROVALS_MAX_AGE (a quiet account's pass
stays at its two calls in between); decisions made in oktodash write the mirror at once
(approvals.services), so only decisions made in Oktopost wait for it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from oktopost.client import OktopostClient
from oktopost.errors import AuthError, NotFound
from posts.mirror import approvals as mirror
from posts.models import SyncState
from posts.sync.locks import state_get

APPROVALS_STATE = "approvals"
APPROVALS_MAX_AGE = timedelta(minutes=5)


def approvals_sync(client: OktopostClient, *, force: bool = False) -> int:
    """Mirror workflows and items; returns how many items were read. An account whose
    key cannot read workflows (403/404) keeps an empty mirror of them."""
    now = timezone.now()
    state = state_get(APPROVALS_STATE)
    if not force and state.last_success and now - state.last_success < APPROVALS_MAX_AGE:
        return 0
    try:
        workflows = list(client.workflows_iter())
    except (NotFound, AuthError):
        workflows = []
    if workflows:
        mirror.workflows_upsert(workflows, now=now)
        items = list(client.workflow_items_iter(with_history=True, with_authors=True))
        mirror.items_upsert(items, now=now)
        mirror.items_gone({i.id for i in items})
    else:
        items = []
    SyncState.objects.filter(name=APPROVALS_STATE).update(
        last_success=now, last_result={"workflows": len(workflows), "items": len(items)}
    )
    return len(items)
