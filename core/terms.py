"""What a post's numbers and states are called, defined once for every app.

The six counters are the mirror's columns (posts.models.Post), the rollup's sums, the
CSV's columns and the queue's sorts, in this order. "Stuck" is one duration for the
queue's badge and filter, the calendar, the demo data and alerts.
"""

from datetime import timedelta

from django.conf import settings

COUNTERS = ("clicks", "conversions", "comments", "likes", "shares", "impressions")
# The list endpoint brings these with every page (`counters_at`); shares and impressions
# need `?stats=1`, one call a post (`stats_at`). Until read, a counter is unknown, not 0.
LIST_COUNTERS = COUNTERS[:4]
STATS_COUNTERS = COUNTERS[4:]
COUNTER_LABELS = {name: name.capitalize() for name in COUNTERS}
# How a summary (the weekly digest) lists them: reach and reactions before conversions.
READING_ORDER = ("clicks", "likes", "comments", "shares", "impressions", "conversions")
assert sorted(READING_ORDER) == sorted(COUNTERS)

# Which way is good news for every figure the stats page compares with the period
# before: +1 more is better (reach, reactions, posts that went out), -1 more is worse
# (failures). A change is coloured and worded by this, on /stats/ and on share links
# alike; a figure without a polarity is shown without either.
POLARITY: dict[str, int] = {
    **dict.fromkeys(COUNTERS, 1),
    "engagement": 1,
    "sent": 1,  # posts sent in full
    "partly": -1,  # posts partly failed
    "failed": -1,
}


def change_tone(key: str, change: int) -> str:
    """ "good", "bad" or "" (no change, or a figure that is neither) for a change of
    `change` in the figure `key`."""
    direction = POLARITY.get(key, 0) * change
    return "good" if direction > 0 else "bad" if direction < 0 else ""


# A post still waiting (pending, queued) this long after its time is stuck.
STUCK_AFTER = timedelta(minutes=settings.STUCK_AFTER_MINUTES)
