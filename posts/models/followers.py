"""Followers per profile per day, read once a day from Oktopost's `GET /followers/{id}`
(docs/oktopost.md; /work/shared/oktopost-api.md §4), and which profiles were read when.

Days are Oktopost's `HistoryDate`s: calendar days as Oktopost counts them (UTC in the
sandbox), not the viewer's local days.
"""

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from posts.models.catalog import Profile


class FollowerDay(models.Model):
    """One profile's followers at the end of one day, and how many it gained that day
    (negative when it lost some)."""

    profile = models.ForeignKey(
        Profile,
        to_field="oktopost_id",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="follower_days",
    )
    day = models.DateField()
    followers = models.IntegerField()
    added = models.IntegerField()
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "day"], name="follower_day_profile_day")
        ]
        # The stats page reads a range of days for every profile (or a few).
        indexes = [models.Index(fields=["day", "profile"], name="follower_day_day_profile")]

    def __str__(self) -> str:
        return f"{self.profile_id} {self.day}: {self.followers} ({self.added:+d})"


class FollowerRead(models.Model):
    """The day a profile's followers were last asked for: the daily sync claims a profile
    by moving `read_on` to today with a conditional UPDATE, so each profile costs one call
    a day however often (or however many workers) the task runs."""

    profile = models.CharField(max_length=64, unique=True)
    read_on = models.DateField(null=True)
    error = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.profile}: {self.read_on}"


def follower_profiles() -> QuerySet[Profile]:
    """The profiles whose followers are read each day: connected ones. The day's budget
    plan counts one call for each (posts/plan.py, `followers`)."""
    return Profile.objects.filter(status="valid")
