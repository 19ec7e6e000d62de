"""The local mirror of Oktopost. Pages read only these tables; sync code writes them.

References between mirrored objects use Oktopost ids (`to_field="oktopost_id"`, no
database constraint) so a post can be stored before its message or campaign has been
fetched, and nothing is lost when Oktopost returns objects in any order.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property

from core.terms import STUCK_AFTER


def web_url(url: str) -> str:
    """The URL if it is http(s), else "": links from Oktopost never run script here."""
    return url if url.lower().startswith(("https://", "http://")) else ""


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


# The id → name map pages read (posts.selectors.user_names); the mirror writer drops it.
USER_NAMES_CACHE_KEY = "users:names"


class OktopostUser(models.Model):
    """A user of the Oktopost account (00A…): pages show this name, never the id."""

    oktopost_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)
    last_login = models.DateTimeField(null=True)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name or self.email or self.oktopost_id


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
    # The message's attached media as Oktopost lists them: [{id, type, name, resource,
    # size}] (posts.mirror.media_list), and the one word the queue filters by.
    media = models.JSONField(default=list, blank=True)
    media_kind = models.CharField(max_length=8, blank=True, default="")
    created = models.DateTimeField(null=True)
    modified = models.DateTimeField(null=True)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The create form lists messages newest first.
        indexes = [models.Index(fields=["created", "id"], name="message_created_id")]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def link_href(self) -> str:
        return web_url(self.link_url)

    @property
    def image_src(self) -> str:
        return web_url(self.image_url)


class MediaKind(models.TextChoices):
    NONE = "", "Text only"
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    PDF = "pdf", "PDF"


class MediaItem(models.Model):
    """A media record in Oktopost's library (026…), as last seen in an answer: a
    message's Media, the library's list, an upload or an added image URL. Thumbnails
    are fetched only from a record's `resource` (attachments.fetch)."""

    oktopost_id = models.CharField(max_length=32, unique=True)
    type = models.CharField(max_length=16, blank=True)  # Image, Video, ImageUrl, PDF
    name = models.CharField(max_length=255, blank=True)
    resource = models.URLField(max_length=2000, blank=True)
    size = models.BigIntegerField(null=True)
    status = models.CharField(max_length=32, blank=True)
    created = models.DateTimeField(null=True)
    synced_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name or self.oktopost_id

    @property
    def kind(self) -> str:
        return media_kind_of(self.type)

    @property
    def kind_label(self) -> str:
        return MediaKind(self.kind).label


def media_kind_of(oktopost_type: str) -> str:
    """Oktopost's media Type (Image, ImageUrl, Video, PDF) as a MediaKind value."""
    word = oktopost_type.lower()
    if word.startswith("video"):
        return MediaKind.VIDEO
    if word == "pdf":
        return MediaKind.PDF
    return MediaKind.IMAGE if word.startswith("image") else MediaKind.NONE


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
    "clicks",
    "conversions",
    "comments",
    "likes",
    "shares",
    "impressions",
    "counters_at",
    "stats_at",
]


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

    class Meta:
        # The queue sorts by each (x, id) with the id as tie-breaker (keyset paging)
        # and filters by every leading column. Declared here rather than with
        # db_index=True, which on PostgreSQL also adds a LIKE index per text column
        # that no query uses and every sync write pays for.
        indexes = [
            models.Index(fields=["source"], name="post_source"),
            models.Index(fields=["created_by"], name="post_created_by"),
            models.Index(fields=["start_at", "id"], name="post_start_id"),
            models.Index(fields=["created", "id"], name="post_created_id"),
            models.Index(fields=["modified", "id"], name="post_modified_id"),
            models.Index(fields=["clicks", "id"], name="post_clicks_id"),
            models.Index(fields=["conversions", "id"], name="post_conversions_id"),
            models.Index(fields=["comments", "id"], name="post_comments_id"),
            models.Index(fields=["likes", "id"], name="post_likes_id"),
            models.Index(fields=["shares", "id"], name="post_shares_id"),
            models.Index(fields=["impressions", "id"], name="post_impressions_id"),
            models.Index(fields=["status", "start_at"], name="post_status_start"),
            models.Index(fields=["network", "start_at"], name="post_network_start"),
            models.Index(fields=["media_kind", "start_at"], name="post_media_start"),
            # The stats review (reports/selectors.py) aggregates every post of a range:
            # this index holds every column those queries read, so they never touch the
            # wide rows (raw JSON) and read about a tenth of the bytes.
            models.Index(fields=STATS_COVER, name="post_stats_cover"),
        ]

    def __str__(self) -> str:
        return self.oktopost_id

    @property
    def is_sent(self) -> bool:
        return self.status in SENT_STATUSES

    @cached_property
    def is_stuck(self) -> bool:
        return self.status in WAITING_STATUSES and self.start_at < timezone.now() - STUCK_AFTER

    @property
    def is_cancelled(self) -> bool:
        """Deleted before it was sent (from here or in Oktopost): it will never go out."""
        return self.deleted_at is not None and not self.is_sent

    @property
    def status_key(self) -> str:
        if self.is_cancelled:
            return "cancelled"
        return "stuck" if self.is_stuck else self.status

    @property
    def status_label(self) -> str:
        if self.is_cancelled:
            return "Cancelled"
        return "Stuck" if self.is_stuck else self.get_status_display()

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
