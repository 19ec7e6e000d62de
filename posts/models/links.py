"""How two posts are related when oktodash made one from the other: a retry of the
profiles that failed (docs/ARCHITECTURE.md, "Fixing what failed"). A kind, so that a
later relation (a copy made by an edit, should Oktopost ever refuse to repoint a post)
needs no new table."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class PostLink(models.Model):
    """`target` was made from `source` (both Oktopost ids: either may leave the mirror)."""

    class Kind(models.TextChoices):
        RETRY = "retry", "Retry of the failed profiles"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    source = models.CharField(max_length=32)
    target = models.CharField(max_length=32)
    profile_ids = models.JSONField(default=list, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "source", "target"], name="postlink_unique")
        ]
        indexes = [
            models.Index(fields=["source"], name="postlink_source"),
            models.Index(fields=["target"], name="postlink_target"),
        ]

    def __str__(self) -> str:
        return f"{self.target} {self.kind} of {self.source}"
