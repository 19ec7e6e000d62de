"""oktodash's own records beside the mirror: saved views, the audit trail, bulk
changes, write locks and the create form's one-time keys."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class SavedView(models.Model):
    """A named queue filter set (the query string); private unless shared with the team."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, blank=True)
    shared = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="savedview_owner_name")
        ]

    def __str__(self) -> str:
        return self.name


class Activity(models.Model):
    """The audit trail: every write an editor asked for, and what Oktopost answered."""

    class Action(models.TextChoices):
        MESSAGE_CREATE = "message_create", "Created message"
        CREATE = "create", "Created post"
        RESCHEDULE = "reschedule", "Rescheduled"
        CHANGE_PROFILES = "profiles", "Changed profiles"
        CANCEL = "cancel", "Cancelled"
        FIRST_COMMENT = "first_comment", "Changed first comment"
        MEDIA_UPLOAD = "media_upload", "Uploaded media"
        MEDIA_ADD = "media_add", "Added media by address"
        BULK_SHIFT = "bulk_shift", "Bulk shift"
        BULK_MOVE = "bulk_move", "Bulk move"
        APPROVAL_SEND = "approval_send", "Sent for approval"
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Requested changes"
        RETRY = "retry", "Retried failed profiles"
        EDIT = "edit", "Edited text, link or media"

    class Outcome(models.TextChoices):
        OK = "ok", "Done"
        FAILED = "failed", "Failed"
        CHECKING = "checking", "Being checked"  # Oktopost's answer was lost
        NOT_DONE = "not_done", "Not done"  # checked: Oktopost did not act
        UNCLEAR = "unclear", "Could not tell"  # checked: more than one post could be it

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="activities"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # The Oktopost id survives the post (a cancelled post may leave the mirror).
    post_oktopost_id = models.CharField(max_length=32, blank=True, db_index=True)
    summary = models.CharField(max_length=300, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    answer = models.TextField(blank=True)  # Oktopost's answer, or its error, in words
    bulk = models.ForeignKey(
        "BulkAction", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "at"], name="activity_user_at")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.post_oktopost_id} ({self.outcome})"


class BulkAction(models.Model):
    """A change to many posts, run by a worker one post at a time (resumable)."""

    class Kind(models.TextChoices):
        SHIFT = "shift", "Shift by a duration"
        MOVE = "move", "Move to a date"
        CANCEL = "cancel", "Cancel"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    params = models.JSONField(default=dict)
    post_ids = models.JSONField(default=list)  # Oktopost ids, in order
    results = models.JSONField(default=list)  # [{"post", "ok", "message"}], one per done post
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {len(self.post_ids)} posts"

    @property
    def done(self) -> int:
        return len(self.results)

    @property
    def succeeded(self) -> int:
        return sum(1 for r in self.results if r["ok"])

    @property
    def failed(self) -> int:
        return self.done - self.succeeded


class WriteLock(models.Model):
    """One write at a time to one Oktopost object, across every web process and worker.

    Oktopost has no conditional update, so two editors changing one post at once would
    both read, compare and write. Claimed by INSERT (the unique name decides, on SQLite
    and PostgreSQL alike), released by DELETE; a holder that died frees it at
    `expires_at`."""

    name = models.CharField(max_length=64, unique=True)
    token = models.CharField(max_length=32)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Submission(models.Model):
    """A create form's one-time key: the same key posted again returns the first
    submission's result instead of creating the post twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True)  # null while a request is working on it
    message_oktopost_id = models.CharField(max_length=32, blank=True)  # created on the way
    post_oktopost_id = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)  # words for the user when it did not create
    checking = models.BooleanField(default=False)  # the answer was lost: never retry
    # The audit entry of a lost answer: once the sync has settled it, its outcome is the
    # answer to this key.
    activity = models.ForeignKey(
        "Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="submission_user_key")]

    def __str__(self) -> str:
        return f"{self.key} → {self.post_oktopost_id or self.error or 'in progress'}"
