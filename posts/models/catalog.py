"""Oktopost's catalog as mirrored: campaigns, profiles, users, tags, messages (with
their tags), media and calendar notes.

References between mirrored objects use Oktopost ids (`to_field="oktopost_id"`, no
database constraint) so a post can be stored before its message or campaign has been
fetched, and nothing is lost when Oktopost returns objects in any order.
"""

from django.db import models
from django.utils import timezone


def web_url(url: str) -> str:
    """The URL if it is http(s), else "": links from Oktopost never run script here."""
    return url if url.lower().startswith(("https://", "http://")) else ""


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
    # When its tags were last read (an answer with `withTags=1`); None: never, so a
    # full pass reads it again (posts.sync). Nullable, so adding it is an ALTER TABLE
    # that keeps the full-text index's triggers (SQLite rebuilds the table otherwise).
    tags_at = models.DateTimeField(null=True)

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


# The tag id → name list the filter forms offer (posts.selectors.queue_choices); the
# mirror writer drops it whenever tags or message tags are written.
TAG_CHOICES_CACHE_KEY = "queue:tags"


class Tag(models.Model):
    """A tag of the account (0AF…). Messages (and campaigns) carry tags by id; a post's
    tags are its message's (Oktopost returns none on posts). A tag seen on a message
    before the tag list could be read is kept with an empty name until it can."""

    oktopost_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(null=True)
    last_used = models.DateTimeField(null=True)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name or self.oktopost_id


class MessageTag(models.Model):
    """One tag of one message. The queue's tag filter reads it by tag through the
    unique (tag, message) index, then the posts of those messages through the posts'
    message index: no scan of posts, and nothing to rewrite on a post when its
    message's tags change."""

    message = models.ForeignKey(
        Message,
        to_field="oktopost_id",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="tag_links",
    )
    # No index of its own: the unique (tag, message) index starts with it.
    tag = models.ForeignKey(
        Tag,
        to_field="oktopost_id",
        db_constraint=False,
        db_index=False,
        on_delete=models.DO_NOTHING,
        related_name="message_links",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tag", "message"], name="message_tag_tag_message")
        ]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.tag_id}"


class CalendarNote(models.Model):
    """A note on Oktopost's calendar (a custom event, 0CE…): a launch, a freeze, a
    webinar. `end_at` is None for a note at one moment."""

    oktopost_id = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    color = models.CharField(max_length=32, blank=True)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField(null=True)
    campaign_ids = models.JSONField(default=list)
    created = models.DateTimeField(null=True)
    modified = models.DateTimeField(null=True)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start_at", "id"]
        indexes = [models.Index(fields=["start_at", "id"], name="note_start_id")]

    def __str__(self) -> str:
        return self.title or self.oktopost_id


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
