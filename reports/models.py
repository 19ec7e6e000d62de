"""The stats review's hourly rollup and the hours it must not be trusted for.

`HourRollup` holds, per UTC hour x network x status x deleted flag (and again per
campaign, creator, source, media and target profile), every sum the stats page's daily
figures need (`reports.selectors.figures.aggregates`). `DirtyHour` lists the hours whose
posts changed since their rollup rows were last computed: database triggers on posts_post
and posts_delivery write it (migrations 0001, 0003), in the same statement as the change, so a page
reading both tables in one statement never trusts a stale rollup row. See
reports/rollup.py and docs/ARCHITECTURE.md, "Stats review and share links".
"""

from django.db import models

from core.terms import COUNTERS

SUMS = [
    "posts",
    *COUNTERS,
    "sent", "partly", "failed",
    "unfetched", "unfetched_stats", "oldest_counters_at", "oldest_stats_at",
    "rated", "rated_impressions",
]  # fmt: skip
COVER = ["dim", "hour", "network", "status", "deleted", "key", *SUMS]
KEY_COVER = ["dim", "key", "hour", "network", "status", "deleted", *SUMS]


class HourRollup(models.Model):
    # Which rows: "" the hour's posts per (network, status, deleted); otherwise the same
    # again per value of one more column (reports.rollup.DIMS: campaign, creator, source,
    # media, profile), `key` holding the value (a campaign's id, "" for none). Each
    # post counts once in the "" rows and once in each dimension's (once per target
    # profile in "profile").
    dim = models.CharField(max_length=16, default="")
    key = models.CharField(max_length=64, default="")
    # Hours since 1970-01-01 00:00 UTC: the post's start_at, truncated to the hour.
    hour = models.BigIntegerField()
    network = models.CharField(max_length=32)
    status = models.CharField(max_length=16)
    deleted = models.BooleanField()
    posts = models.BigIntegerField()
    clicks = models.BigIntegerField()
    conversions = models.BigIntegerField()
    comments = models.BigIntegerField()
    likes = models.BigIntegerField()
    shares = models.BigIntegerField()
    impressions = models.BigIntegerField()
    # The rest count sent posts only (complete, incomplete, error), as the page does;
    # written per row although the status is in the key, so the page's read is plain
    # sums. Posts complete / partly failed / failed:
    sent = models.BigIntegerField()
    partly = models.BigIntegerField()
    failed = models.BigIntegerField()
    # Sent posts whose list counters (counters_at) / stats (stats_at) were never read.
    unfetched = models.BigIntegerField()
    unfetched_stats = models.BigIntegerField()
    oldest_counters_at = models.DateTimeField(null=True)
    oldest_stats_at = models.DateTimeField(null=True)
    # The engagement rate's parts: engagement and impressions of the posts whose
    # impressions are known (above 0), summed post by post (reports.selectors.rates).
    rated = models.BigIntegerField(default=0)
    rated_impressions = models.BigIntegerField(default=0)
    # The heatmap's values (reports/heat.py): the engagement (comments + likes + shares)
    # of each sent post of the row, comma-separated, one column per quarter of the hour
    # (minutes 0-14, 15-29, 30-44, 45-59), so that a zone 30 or 45 minutes off UTC puts
    # each quarter in its own local hour. NULL when the quarter has no sent post.
    heat0 = models.TextField(null=True)  # noqa: DJ001 (NULL: no value, as SQL gives it)
    heat1 = models.TextField(null=True)  # noqa: DJ001 (NULL: no value, as SQL gives it)
    heat2 = models.TextField(null=True)  # noqa: DJ001 (NULL: no value, as SQL gives it)
    # The top posts' bound (reports/best_hours.py): the largest clicks, conversions and
    # engagement of a sent post of the row (NULL: none).
    best_clicks = models.BigIntegerField(null=True)
    best_conversions = models.BigIntegerField(null=True)
    best_engagement = models.BigIntegerField(null=True)
    heat3 = models.TextField(null=True)  # noqa: DJ001 (NULL: no value, as SQL gives it)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dim", "hour", "network", "status", "deleted", "key"],
                name="rollup_dim_hour_key",
            )
        ]
        # Every column, the dimension and the hour first: the page reads a range of
        # hours from this index alone (SQLite: a covering index; PostgreSQL: index-only
        # where pages are all-visible), never a row by row lookup of the table. A scope
        # of a few keys (one campaign) reads each key's range of hours from the second.
        indexes = [
            models.Index(fields=COVER, name="rollup_dim_cover"),
            models.Index(fields=KEY_COVER, name="rollup_key_cover"),
        ]

    def __str__(self) -> str:
        return f"hour {self.hour} {self.network} {self.status} {self.dim} {self.key}".strip()


class DirtyHour(models.Model):
    """An hour whose rollup rows may be stale; `token` changes at every write to it, so
    the refresh clears it only if nothing was written while it recomputed."""

    hour = models.BigIntegerField(primary_key=True)
    token = models.BigIntegerField()

    def __str__(self) -> str:
        return f"dirty hour {self.hour}"


class MessageEngagement(models.Model):
    """Per message, the engagement (comments + likes + shares) of all its posts, kept
    exact by triggers on posts_post (reports/message_bounds.py): the bound the top
    messages of any scope are found under."""

    message_id = models.CharField(max_length=32, primary_key=True)
    engagement = models.BigIntegerField()

    class Meta:
        # Read from the largest sum down: the index alone (SQLite: covering).
        indexes = [models.Index(fields=["engagement", "message_id"], name="message_engagement")]

    def __str__(self) -> str:
        return f"message {self.message_id}: {self.engagement}"


class MessageKeySum(models.Model):
    """Per (dimension, value, message): the posts of that message with that network,
    source, media kind, creator or target profile, and their engagement, kept exact by triggers
    on posts_post and posts_delivery (reports/message_keys.py): the bounds the top
    messages of a scope narrowed to one such value are found under."""

    pk = models.CompositePrimaryKey("dim", "key", "message_id")
    dim = models.CharField(max_length=8)
    key = models.CharField(max_length=64)
    message_id = models.CharField(max_length=32)
    posts = models.BigIntegerField()
    engagement = models.BigIntegerField()

    class Meta:
        # Read from the largest down, ties by the message's id (SQLite: covering).
        indexes = [
            models.Index(
                fields=["dim", "key", "-engagement", "message_id"], name="message_key_engagement"
            ),
            models.Index(fields=["dim", "key", "-posts", "message_id"], name="message_key_posts"),
        ]

    def __str__(self) -> str:
        return f"{self.dim} {self.key} message {self.message_id}: {self.posts}, {self.engagement}"
