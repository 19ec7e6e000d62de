"""Review links: a set of posts, given as a queue scope, that someone without an account
may approve or send back, post by post, under their own name."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReviewLink(models.Model):
    """Only the token's SHA-256 is stored (sharing.links), like a share link's. `query`
    is the queue scope in canonical form, parsed again on every visit; the visitor's
    address adds nothing to it."""

    token_hash = models.CharField(max_length=64, unique=True)
    query = models.CharField(max_length=2000, blank=True)
    label = models.CharField(max_length=120)
    # Times on the review page are in the zone of whoever made the link.
    time_zone = models.CharField(max_length=64, default="UTC")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    use_count = models.PositiveIntegerField(default=0)
    decisions = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.label

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def creator_allows(self) -> bool:
        """A link lives only while its creator may still decide approvals themselves."""
        user = self.created_by
        return user is not None and user.is_active and user.can_approve

    def is_active(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and not self.is_expired(now) and self.creator_allows

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.is_expired():
            return "expired"
        return "active" if self.creator_allows else "stopped"
