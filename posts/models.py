"""The local mirror of Oktopost. Pages read only these tables; sync code writes them.

References between mirrored objects use Oktopost ids (`to_field="oktopost_id"`, no
database constraint) so a post can be stored before its message or campaign has been
fetched, and nothing is lost when Oktopost returns objects in any order.
"""

from datetime import timedelta

from django.db import models
from django.utils import timezone


class Status(models.TextChoices):
    # Oktopost's seven post statuses (Posts API page, "Statuses").
    PENDING = "pending", "Scheduled"
    INQUEUE = "inqueue", "Queued"
    INQUEUE_DRAFT = "inqueue-draft", "Queued draft"
    DRAFT = "draft", "Draft"
    COMPLETE = "complete", "Sent"
    INCOMPLETE = "incomplete", "Sent with errors"
    ERROR = "error", "Failed"


UNSENT_STATUSES = (Status.PENDING, Status.INQUEUE, Status.INQUEUE_DRAFT, Status.DRAFT)
SENT_STATUSES = (Status.COMPLETE, Status.INCOMPLETE, Status.ERROR)
# Scheduled to go out by themselves: these become "stuck" when their time has passed.
WAITING_STATUSES = (Status.PENDING, Status.INQUEUE)
STUCK_AFTER = timedelta(minutes=10)


class Source(models.TextChoices):
    UI = "UI"
    API = "API"
    AUTOPOSTER = "Autoposter"
    BOOKMARKLET = "Bookmarklet"
    BOARD = "Board"
    EMBEDDED = "Embedded"


NETWORKS = ("Twitter", "LinkedIn", "Facebook", "Instagram", "YouTube")


class Campaign(models.Model):
    oktopost_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=32, blank=True)
    created = models.DateTimeField(null=True)
    modified = models.DateTimeField(null=True)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """A social profile: Oktopost calls it a credential (003-…)."""

    oktopost_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255, blank=True)
    network = models.CharField(max_length=32, db_index=True)
    status = models.CharField(max_length=16, default="valid")
    network_username = models.CharField(max_length=255, blank=True)
    image_link = models.URLField(max_length=1000, blank=True)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["network", "name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.display_name or self.name

    @property
    def is_valid(self) -> bool:
        return self.status == "valid"


class Message(models.Model):
    """A reusable message template (005…); posts schedule it to profiles."""

    oktopost_id = models.CharField(max_length=32, unique=True)
    campaign = models.ForeignKey(
        Campaign,
        to_field="oktopost_id",
        db_constraint=False,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="messages",
    )
    network = models.CharField(max_length=32, db_index=True)
    text = models.TextField(blank=True)
    subject = models.CharField(max_length=500, blank=True)
    title = models.CharField(max_length=500, blank=True)
    link_url = models.URLField(max_length=2000, blank=True)
    link_title = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    image_url = models.URLField(max_length=2000, blank=True)
    created = models.DateTimeField(null=True)
    modified = models.DateTimeField(null=True)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.text[:60]


class Post(models.Model):
    """One scheduling of a message to one or more profiles (004…)."""

    oktopost_id = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    network = models.CharField(max_length=32, db_index=True)
    source = models.CharField(max_length=32, blank=True, db_index=True)
    content_source = models.CharField(max_length=32, blank=True)
    campaign = models.ForeignKey(
        Campaign,
        to_field="oktopost_id",
        db_constraint=False,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="posts",
    )
    message = models.ForeignKey(
        Message,
        to_field="oktopost_id",
        db_constraint=False,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="posts",
    )
    created_by = models.CharField(max_length=32, blank=True, db_index=True)
    modified_by = models.CharField(max_length=32, blank=True)
    start_at = models.DateTimeField(null=True, db_index=True)
    created = models.DateTimeField(null=True, db_index=True)
    modified = models.DateTimeField(null=True, db_index=True)
    queued = models.BooleanField(default=False)
    credential_ids = models.JSONField(default=list)
    total_count = models.PositiveIntegerField(default=0)
    flag = models.CharField(max_length=32, blank=True)
    utm = models.CharField(max_length=500, blank=True)
    raw = models.JSONField(default=dict)

    # Counters. The first four come with every list page (cheap); shares and
    # impressions only from GET /post/{id}?stats=1 (one call per post).
    clicks = models.PositiveIntegerField(default=0, db_index=True)
    conversions = models.PositiveIntegerField(default=0, db_index=True)
    comments = models.PositiveIntegerField(default=0, db_index=True)
    likes = models.PositiveIntegerField(default=0, db_index=True)
    shares = models.PositiveIntegerField(null=True, db_index=True)
    impressions = models.PositiveIntegerField(null=True, db_index=True)
    counters_at = models.DateTimeField(null=True)  # when the four list counters were read
    stats_at = models.DateTimeField(null=True)  # when ?stats=1 last answered
    # The stats scheduler's queue: refresh when due; a user's request jumps ahead.
    stats_due_at = models.DateTimeField(null=True, db_index=True)
    stats_requested_at = models.DateTimeField(null=True, db_index=True)

    synced_at = models.DateTimeField(default=timezone.now)
    # The last full sync that saw this post: a full sync that completes without
    # seeing it marks it deleted (kept for history, hidden by default).
    seen_in_full_sync = models.DateTimeField(null=True)
    deleted_at = models.DateTimeField(null=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["start_at", "id"], name="post_start_id"),
            models.Index(fields=["status", "start_at"], name="post_status_start"),
        ]

    def __str__(self) -> str:
        return self.oktopost_id

    @property
    def is_sent(self) -> bool:
        return self.status in SENT_STATUSES

    @property
    def is_stuck(self) -> bool:
        return (
            self.status in WAITING_STATUSES
            and self.start_at is not None
            and self.start_at < timezone.now() - STUCK_AFTER
        )


class Delivery(models.Model):
    """A post's target profile and, once sent, the outcome there (from postlogs, 007…)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="deliveries")
    profile = models.ForeignKey(
        Profile,
        to_field="oktopost_id",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="deliveries",
    )
    postlog_id = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, blank=True)  # "", success, failed
    remote_url = models.URLField(max_length=2000, blank=True)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "profile"], name="delivery_post_profile")
        ]
        indexes = [models.Index(fields=["profile", "post"], name="delivery_profile_post")]

    def __str__(self) -> str:
        return f"{self.post_id} -> {self.profile_id}: {self.status or 'not sent'}"


class StatsSample(models.Model):
    """A point of a post's stats history, stored only when a counter changed."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="samples")
    at = models.DateTimeField()
    clicks = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    likes = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(null=True)
    impressions = models.PositiveIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["post", "at"], name="sample_post_at")]
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.post_id} at {self.at:%Y-%m-%d %H:%M}"


class SyncState(models.Model):
    """Cursor, lock and outcome of one kind of sync (posts, full, catalog, stats)."""

    name = models.CharField(max_length=32, unique=True)
    cursor = models.DateTimeField(null=True)
    # Ids already seen at the cursor's second: Oktopost's `after` is inclusive and
    # several posts can share a second.
    cursor_ids = models.JSONField(default=list)
    # A run in progress (the lock): a conditional UPDATE claims it.
    running_since = models.DateTimeField(null=True)
    run_token = models.CharField(max_length=64, blank=True)
    # The full sync's run start, kept across resumed runs for deletion reconciliation.
    run_started = models.DateTimeField(null=True)
    last_started = models.DateTimeField(null=True)
    last_success = models.DateTimeField(null=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True)
    last_result = models.JSONField(default=dict)

    def __str__(self) -> str:
        return self.name
