"""What the webhook intake keeps: our registration with Oktopost (its secret encrypted),
every delivery accepted (raw, once), and how far each post's events were applied."""

from django.db import models


class Installation(models.Model):
    """Our webhooks in Oktopost: one row (`name` "oktopost"). The secret signs every
    delivery; it is stored encrypted (inbox/crypto.py). After `install --rotate` the
    previous secret is still accepted until `previous_until`, for deliveries in flight."""

    name = models.CharField(max_length=32, unique=True, default="oktopost")
    url = models.URLField(max_length=500)
    secret = models.TextField()
    previous_secret = models.TextField(blank=True)
    previous_until = models.DateTimeField(null=True)
    # {event name: Oktopost webhook id}
    webhook_ids = models.JSONField(default=dict)
    installed_at = models.DateTimeField()
    rotated_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    """One delivery accepted, exactly as it came. `key` (the body's SHA-256) makes a
    retried or replayed delivery the same row."""

    key = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=64)
    webhook_id = models.CharField(max_length=32, blank=True)
    post_id = models.CharField(max_length=32, blank=True)  # Oktopost's 004…, "" if none
    timestamp = models.BigIntegerField()  # when Oktopost says it happened (Unix s)
    body = models.TextField()
    received_at = models.DateTimeField(db_index=True)
    processed_at = models.DateTimeField(null=True)
    outcome = models.CharField(max_length=16, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["post_id", "timestamp"],
                name="inbox_event_pending",
                condition=models.Q(processed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.post_id} @{self.timestamp}"


class PostMark(models.Model):
    """The newest event timestamp applied to a post: an older event is stale."""

    post_id = models.CharField(max_length=32, unique=True)
    timestamp = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.post_id} @{self.timestamp}"
