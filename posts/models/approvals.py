"""The mirror of Oktopost's approval workflows: workflows, their ordered steps with
approvers, and the items that carry posts through them (with their history, which holds
the notes). Written by posts.mirror.approvals from list calls only; a post's own place
in its workflow is denormalised on Post (approval, approval_step…)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

# The nav's count of waiting items, cached; posts.mirror.approvals drops it on every write.
APPROVALS_COUNT_CACHE_KEY = "approvals:waiting-count"


class Workflow(models.Model):
    oktopost_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=255)
    # Not in the SDK's public material: the sandbox sends IsDefault (docs/oktopost.md).
    is_default = models.BooleanField(default=False)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_default", "name"]

    def __str__(self) -> str:
        return self.name


class WorkflowStep(models.Model):
    oktopost_id = models.CharField(max_length=32, unique=True)
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=255)
    order = models.PositiveSmallIntegerField()
    # Oktopost user ids (00A…) who decide this step.
    approver_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["workflow", "order"]

    def __str__(self) -> str:
        return self.name


class ApprovalItem(models.Model):
    """One post's passage through a workflow (cwi…)."""

    oktopost_id = models.CharField(max_length=32, unique=True)
    workflow = models.ForeignKey(Workflow, null=True, on_delete=models.SET_NULL)
    step = models.ForeignKey(WorkflowStep, null=True, on_delete=models.SET_NULL)
    post_oktopost_id = models.CharField(max_length=32, db_index=True)
    status = models.CharField(max_length=16)  # pending, approved, rejected
    created = models.DateTimeField(null=True)
    modified = models.DateTimeField(null=True)
    created_by = models.CharField(max_length=32, blank=True)
    # [{"action", "step", "user", "note", "at"}] oldest first, from withHistory=1.
    history = models.JSONField(default=list)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The Approvals page: what waits, oldest first, by step.
            models.Index(fields=["status", "created", "id"], name="approval_status_created"),
        ]

    def __str__(self) -> str:
        return self.oktopost_id
