"""Files people attach from their computer, kept by oktodash until Oktopost has them.

The bytes live under `VAR_DIR/media/` (attachments.storage), never in static files and
never in git. A row follows the file through Oktopost's upload: stored here, handed to
`POST /upload` (pending), then complete (with Oktopost's media id) or failed (with
Oktopost's reason; the file is kept so the user can try again).
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_key() -> str:
    return secrets.token_urlsafe(16)


class LocalFile(models.Model):
    class State(models.TextChoices):
        STORED = "stored", "Stored here, not yet sent to Oktopost"
        PENDING = "pending", "Oktopost is processing it"
        COMPLETE = "complete", "Ready in Oktopost"
        FAILED = "failed", "Oktopost could not take it"

    # The name on disk and in the signed URL: never the user's file name.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # What pages and the compose form call the file: random, so one editor cannot walk
    # through another's uploads by counting (the row id is never shown).
    key = models.CharField(max_length=32, unique=True, default=new_key, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=255)  # as the user's computer called it, for display
    kind = models.CharField(max_length=8)  # attachments.sniff.KINDS
    mime_type = models.CharField(max_length=40)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True)
    height = models.PositiveIntegerField(null=True)
    duration = models.FloatField(null=True)  # seconds, videos
    created = models.DateTimeField(default=timezone.now)

    state = models.CharField(max_length=10, choices=State.choices, default=State.STORED)
    upload_id = models.CharField(max_length=32, blank=True)
    media_id = models.CharField(max_length=32, blank=True, db_index=True)
    reason = models.TextField(blank=True)  # Oktopost's words when it failed, or ours
    # Videos: what GET /video-validate/{mediaId} said (None: not asked yet).
    video_ok = models.BooleanField(null=True)
    checked_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def media_kind(self) -> str:
        if self.kind == "mp4":
            return "video"
        return "pdf" if self.kind == "pdf" else "image"

    @property
    def kind_label(self) -> str:
        from attachments.sniff import KINDS

        return KINDS.get(self.kind, ("", self.mime_type))[1]

    @property
    def disk_name(self) -> str:
        from attachments.sniff import EXTENSIONS

        return f"{self.token}.{EXTENSIONS.get(self.kind, 'bin')}"

    @property
    def poll_seconds(self) -> int:
        """How long the page waits before asking again: each ask is one Oktopost call
        from the editors' share, so a long processing is asked about less often."""
        age = (timezone.now() - self.created).total_seconds()
        return 1 if age < 15 else 3 if age < 60 else 10

    @property
    def usable(self) -> bool:
        """Complete in Oktopost and, for a video, accepted by its video check."""
        if self.state != self.State.COMPLETE or not self.media_id:
            return False
        return self.video_ok is True if self.kind == "mp4" else True
