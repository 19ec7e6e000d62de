"""Mirror rows of approval workflows, and each post's place in its workflow.

The sync, the approvals services and tests all write through here, so a post decided in
oktodash and one read back by the sync carry the same fields."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime

from django.core.cache import cache
from django.db import transaction

from oktopost import types as ok
from posts.models import (
    APPROVALS_COUNT_CACHE_KEY,
    Approval,
    ApprovalItem,
    Post,
    Workflow,
    WorkflowStep,
)

# Oktopost item Status -> Post.approval.
ITEM_APPROVAL = {
    "pending": Approval.WAITING,
    "approved": Approval.APPROVED,
    "rejected": Approval.REJECTED,
}


def workflows_upsert(workflows: Iterable[ok.Workflow], *, now: datetime) -> None:
    workflows = list(workflows)
    Workflow.objects.bulk_create(
        [
            Workflow(oktopost_id=w.id, name=w.name[:255], is_default=w.is_default, synced_at=now)
            for w in workflows
        ],
        update_conflicts=True,
        unique_fields=["oktopost_id"],
        update_fields=["name", "is_default", "synced_at"],
    )
    ids = dict(Workflow.objects.values_list("oktopost_id", "id"))
    WorkflowStep.objects.bulk_create(
        [
            WorkflowStep(
                oktopost_id=s.id,
                workflow_id=ids[w.id],
                name=s.name[:255],
                order=s.order,
                approver_ids=list(s.approver_ids),
            )
            for w in workflows
            for s in w.steps
        ],
        update_conflicts=True,
        unique_fields=["oktopost_id"],
        update_fields=["workflow", "name", "order", "approver_ids"],
    )


def items_upsert(items: Iterable[ok.WorkflowItem], *, now: datetime) -> int:
    """Store items and set each post's approval fields from its newest item. Returns
    how many items were written."""
    items = list(items)
    if not items:
        return 0
    workflows = dict(Workflow.objects.values_list("oktopost_id", "id"))
    steps = {s.oktopost_id: s for s in WorkflowStep.objects.all()}
    counts: dict[int, int] = {}
    for step in steps.values():
        counts[step.workflow_id] = max(counts.get(step.workflow_id, 0), step.order)
    with transaction.atomic():
        ApprovalItem.objects.bulk_create(
            [_item_row(i, workflows, steps, now) for i in items],
            update_conflicts=True,
            unique_fields=["oktopost_id"],
            update_fields=[
                "workflow",
                "step",
                "post_oktopost_id",
                "status",
                "created",
                "modified",
                "created_by",
                "history",
                "synced_at",
            ],
            batch_size=500,
        )
        newest: dict[str, ok.WorkflowItem] = {}
        for item in items:
            known = newest.get(item.entity_id)
            if known is None or (item.created or now, item.id) > (known.created or now, known.id):
                newest[item.entity_id] = item
        posts = list(
            Post.objects.filter(oktopost_id__in=list(newest)).only(
                "id", "oktopost_id", *APPROVAL_FIELDS
            )
        )
        changed = []
        for post in posts:
            item = newest[post.oktopost_id]
            step = steps.get(item.step_id)
            values = {
                "approval": ITEM_APPROVAL.get(item.status, Approval.NONE),
                "approval_step": step.order if step else 0,
                "approval_steps": counts.get(step.workflow_id, 0) if step else 0,
                "approval_step_name": step.name if step else "",
                "approval_item": item.id,
            }
            if any(getattr(post, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(post, key, value)
                changed.append(post)
        Post.objects.bulk_update(changed, APPROVAL_FIELDS, batch_size=500)
    _count_changed()
    return len(items)


def _count_changed() -> None:
    # A cache that is down has nothing stale to drop.
    with contextlib.suppress(Exception):
        cache.delete(APPROVALS_COUNT_CACHE_KEY)


APPROVAL_FIELDS = [
    "approval",
    "approval_step",
    "approval_steps",
    "approval_step_name",
    "approval_item",
]


def _item_row(
    item: ok.WorkflowItem,
    workflows: dict[str, int],
    steps: dict[str, WorkflowStep],
    now: datetime,
) -> ApprovalItem:
    step = steps.get(item.step_id)
    return ApprovalItem(
        oktopost_id=item.id,
        workflow_id=workflows.get(item.workflow_id),
        step=step,
        post_oktopost_id=item.entity_id,
        status=item.status,
        created=item.created,
        modified=item.modified,
        created_by=item.created_by,
        history=[
            {
                "action": h.action,
                "step": h.step_id,
                "user": h.user_id,
                "note": h.note,
                "at": h.at.isoformat() if h.at else None,
            }
            for h in item.history
        ],
        synced_at=now,
    )


def items_gone(keep: set[str]) -> None:
    """Items a full list no longer holds (withdrawn in Oktopost) leave the mirror; a post
    they held is no longer waiting."""
    gone = ApprovalItem.objects.exclude(oktopost_id__in=keep)
    Post.objects.filter(approval_item__in=gone.values("oktopost_id")).update(
        approval=Approval.NONE,
        approval_step=0,
        approval_steps=0,
        approval_step_name="",
        approval_item="",
    )
    gone.delete()
    _count_changed()
