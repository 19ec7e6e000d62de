"""The mirrored posts: their statuses, target profiles, stats history, and the sync's
own bookkeeping (cursors, locks, last runs)."""

from datetime import timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import Truncator

from core.terms import COUNTERS, STUCK_AFTER
from posts.models.catalog import Campaign, MediaKind, Message, Profile


class Status(models.TextChoices):
    # Oktopost's seven post statuses (Posts API page, "Statuses").
    PENDING = "pending", "Scheduled"
    INQUEUE = "inqueue", "Queued"
    INQUEUE_DRAFT = "inqueue-draft", "Queued draft"
    DRAFT = "draft", "Draft"
    COMPLETE = "complete", "Sent"
    INCOMPLETE = "incomplete", "Sent with errors"
    ERROR = "error", "Failed"


# What get_status_display() says, from a dict: it flattens the choices on every call,
# and the calendar asks once a chip (some 300 times a page, issue 31).
_STATUS_LABELS = dict(Status.choices)


class Approval(models.TextChoices):
    NONE = "", "Not in a workflow"
    WAITING = "waiting", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Changes requested"


UNSENT_STATUSES = (Status.PENDING, Status.INQUEUE, Status.INQUEUE_DRAFT, Status.DRAFT)
SENT_STATUSES = (Status.COMPLETE, Status.INCOMPLETE, Status.ERROR)
# Scheduled to go out by themselves: these become "stuck" when their time has passed.
WAITING_STATUSES = (Status.PENDING, Status.INQUEUE)


class Source(models.TextChoices):
    UI = "UI"
    API = "API"
    AUTOPOSTER = "Autoposter"
    BOOKMARKLET = "Bookmarklet"
    BOARD = "Board"
    EMBEDDED = "Embedded"


NETWORKS = ("Twitter", "LinkedIn", "Facebook", "Instagram", "YouTube")


# The columns of the stats review's aggregates, in index order (range column first).
STATS_COVER = [
    "start_at",
    "deleted_at",
    "status",
    "network",
    "campaign",
    "created_by",
    "source",
    "message",
    *COUNTERS,
    "counters_at",
    "stats_at",
]
WORDS_COVER = ["message", *(name for name in STATS_COVER if name != "message")]


def _related(post: "Post", field: str):
    """The row a post's reference names, or None when there is none or the sync has not
    mirrored it yet (the references carry no database constraint)."""
    try:
        return getattr(post, field)
    except ObjectDoesNotExist:
        return None


class Post(models.Model):
    """One scheduling of a message to one or more profiles (004…)."""

    oktopost_id = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    network = models.CharField(max_length=32)
    source = models.CharField(max_length=32, blank=True)
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
    created_by = models.CharField(max_length=32, blank=True)
    modified_by = models.CharField(max_length=32, blank=True)
    # Scheduled time; Oktopost always sets it (default: a minute after creation).
    start_at = models.DateTimeField()
    created = models.DateTimeField(null=True)
    modified = models.DateTimeField(null=True)
    queued = models.BooleanField(default=False)
    credential_ids = models.JSONField(default=list)
    total_count = models.PositiveIntegerField(default=0)
    flag = models.CharField(max_length=32, blank=True)
    utm = models.CharField(max_length=500, blank=True)
    raw = models.JSONField(default=dict)
    # Copied from the message's media by the mirror, so "with image / with video / text
    # only" is an indexed column for the queue and the stats pages.
    media_kind = models.CharField(max_length=8, blank=True, default="", choices=MediaKind.choices)
    # LinkedIn's first comment as Oktopost returns it: {text, media_id, status}, or {}.
    first_comment = models.JSONField(default=dict, blank=True)

    # Counters. The first four come with every list page (cheap); shares and
    # impressions only from GET /post/{id}?stats=1 (one call per post).
    clicks = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    likes = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(default=0)
    impressions = models.PositiveIntegerField(default=0)
    counters_at = models.DateTimeField(null=True)  # when the four list counters were read
    # When ?stats=1 last answered; until then shares and impressions are unknown (0).
    stats_at = models.DateTimeField(null=True)
    # The stats scheduler's queue: refresh when due; a user's request jumps ahead.
    stats_due_at = models.DateTimeField(null=True, db_index=True)
    stats_requested_at = models.DateTimeField(null=True, db_index=True)

    synced_at = models.DateTimeField(default=timezone.now)
    # The last full sync that saw this post: a full sync that completes without
    # seeing it marks it deleted (kept for history, hidden by default).
    seen_in_full_sync = models.DateTimeField(null=True)
    deleted_at = models.DateTimeField(null=True, db_index=True)
    # Where the post stands in an approval workflow (posts.mirror.approvals writes these
    # from the workflow items list): "" outside any workflow, else waiting, approved or
    # rejected, with the step it is at (1-based), the workflow's number of steps and the
    # step's name, so the queue says "Awaiting approval · step 2 of 3 · Legal" without a
    # join.
    approval = models.CharField(max_length=8, blank=True, default="", choices=Approval.choices)
    approval_step = models.PositiveSmallIntegerField(default=0)
    approval_steps = models.PositiveSmallIntegerField(default=0)
    approval_step_name = models.CharField(max_length=255, blank=True, default="")
    approval_item = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        # The queue sorts by each (x, id) with the id as tie-breaker (keyset paging)
        # and filters by every leading column. Declared here rather than with
        # db_index=True, which on PostgreSQL also adds a LIKE index per text column
        # that no query uses and every sync write pays for.
        indexes = [
            models.Index(fields=["source"], name="post_source"),
            models.Index(fields=["created_by"], name="post_created_by"),
            # The three a page's counts walk (the queue's capped count, the calendar's
            # count a cell) end with what those filters test besides their lead, so a
            # count reads the index alone: with the rows looked up for `deleted_at`
            # and `status`, they were 60 % of the calendar's CPU at 1M posts (issue 31).
            models.Index(fields=["start_at", "id", "deleted_at"], name="post_start_id"),
            models.Index(fields=["created", "id"], name="post_created_id"),
            models.Index(fields=["modified", "id"], name="post_modified_id"),
            # A sort by a counter walks its index and tests each post against the
            # filters: what it tests most is in the index, so the walk reads only the
            # matching posts' rows (issue 31: 24,000 rows for 50 of one network).
            *(
                models.Index(
                    fields=[c, "id", "deleted_at", "status", "network"], name=f"post_{c}_id"
                )
                for c in COUNTERS
            ),
            models.Index(
                fields=["status", "start_at", "network", "deleted_at"], name="post_status_start"
            ),
            models.Index(
                fields=["network", "start_at", "status", "deleted_at"], name="post_network_start"
            ),
            models.Index(fields=["media_kind", "start_at"], name="post_media_start"),
            models.Index(fields=["approval", "start_at"], name="post_approval_start"),
            # The stats review (reports/selectors/) aggregates every post of a range:
            # this index holds every column those queries read, so they never touch the
            # wide rows (raw JSON) and read about a tenth of the bytes.
            models.Index(fields=STATS_COVER, name="post_stats_cover"),
            # The same columns led by the message, for a scope of words that many
            # messages match: their posts' entries side by side, read through the
            # matching messages rather than over the whole range (issue 31: 2.5x faster
            # at 1M posts; each counters write updates one more entry, +20 %).
            models.Index(fields=WORDS_COVER, name="post_words_cover"),
        ]

    def __str__(self) -> str:
        return self.oktopost_id

    @property
    def name(self) -> str:
        """The post as a person reads it: its network and the start of its message (or
        its campaign), never Oktopost's id. Reads `message` and `campaign` (select them);
        either may not be mirrored yet."""
        message, campaign = _related(self, "message"), _related(self, "campaign")
        if message and message.text:
            what = f"“{Truncator(message.text).chars(50)}”"
        elif campaign:
            what = f"in {campaign.name}"
        else:
            what = "(message not synced yet)"
        return f"{self.network} post {what}"

    @property
    def is_sent(self) -> bool:
        return self.status in SENT_STATUSES

    @property
    def awaiting_approval(self) -> bool:
        return self.approval == Approval.WAITING and not self.is_sent

    @cached_property
    def is_stuck(self) -> bool:
        # A post held by an approval workflow is not sent at its time on purpose.
        return (
            self.status in WAITING_STATUSES
            and not self.awaiting_approval
            and self.start_at < timezone.now() - STUCK_AFTER
        )

    @property
    def approval_label(self) -> str:
        """ "Awaiting approval · step 2 of 3 · Legal", or "" outside a workflow."""
        if self.approval == Approval.WAITING and not self.is_sent:
            words = f"Awaiting approval · step {self.approval_step} of {self.approval_steps}"
            return f"{words} · {self.approval_step_name}" if self.approval_step_name else words
        if self.approval == Approval.REJECTED:
            return "Changes requested"
        if self.approval == Approval.APPROVED:
            return "Approved"
        return ""

    @property
    def is_cancelled(self) -> bool:
        """Deleted before it was sent (from here or in Oktopost): it will never go out."""
        return self.deleted_at is not None and not self.is_sent

    @property
    def status_key(self) -> str:
        if self.is_cancelled:
            return "cancelled"
        if self.awaiting_approval:
            return "approval"
        return "stuck" if self.is_stuck else self.status

    @property
    def status_label(self) -> str:
        if self.is_cancelled:
            return "Cancelled"
        if self.awaiting_approval:
            return self.approval_label
        return "Stuck" if self.is_stuck else _STATUS_LABELS.get(self.status, self.status)

    @property
    def is_live(self) -> bool:
        """Can still change soon: due within the hour, stuck, or just sent."""
        now = timezone.now()
        if self.deleted_at:
            return False
        if self.status in WAITING_STATUSES:
            return self.start_at < now + timedelta(hours=1)
        return self.is_sent and self.start_at > now - timedelta(hours=1)

    @cached_property
    def counters_stale(self) -> bool:
        """Older than twice the refresh interval its age deserves (see posts.sync)."""
        if not self.is_sent:
            return False
        if self.counters_at is None:
            return True
        age = timezone.now() - self.start_at
        expected = timedelta(hours=1) if age < timedelta(hours=48) else timedelta(days=1)
        return timezone.now() - self.counters_at > 2 * expected

    @property
    def oktopost_url(self) -> str:
        return f"https://app.oktopost.com/post/{self.oktopost_id}"


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
    shares = models.PositiveIntegerField(default=0)
    impressions = models.PositiveIntegerField(default=0)

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
    last_result = models.JSONField(default=dict)  # what the last finished run did
    # The part of the list a run has still to read, saved after every page so the next
    # run resumes there; None when no run is half done.
    window = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
