"""The digest's link to the full stats view: a read-only share link (issue 12's
`sharing.services.share_link_create`) over the digest's local days, valid 30 days, so a
manager can open it (and pass it on) without an account."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from accounts.models import User
from sharing.services import share_link_create

DIGEST_LINK_DAYS = 30


def stats_share_link(*, user: User, start: datetime, end: datetime) -> str | None:
    """A read-only link to the stats of [start, end) in the user's zone."""
    zone = ZoneInfo(user.time_zone)
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    created = share_link_create(
        page="stats",
        query=f"from={first:%Y-%m-%d}&to={last:%Y-%m-%d}",
        label=f"Weekly digest for {user.get_username()}, {first:%-d %b} to {last:%-d %b %Y}",
        days=DIGEST_LINK_DAYS,
        time_zone=user.time_zone,
        user=user,
        # Any role lets its holder read the stats: the link dies when they have none.
        made_as="viewer",
    )
    return f"{settings.SITE_URL}/s/{created.token}/"


REPORT_LINK_DAYS = {"weekly": 30, "monthly": 62}


def report_share_link(*, subscription, figures, time_zone: str) -> str:
    """A read-only link to a scheduled report's scope over its period, made as its
    owner's (it stops opening when they lose the role that sees stats)."""
    created = share_link_create(
        page="stats",
        query=figures.scope_query,
        label=f"Report “{subscription.name}”, {figures.span}"[:120],
        days=REPORT_LINK_DAYS.get(subscription.frequency, DIGEST_LINK_DAYS),
        time_zone=time_zone,
        user=subscription.owner,
        made_as="viewer",
    )
    return f"{settings.SITE_URL}/s/{created.token}/"
