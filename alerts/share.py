"""The digest's link to the full stats view, through issue 12's share links.

Issue 12 (`sharing.services.share_link_create(page="stats", query=..., label=...,
days=..., time_zone=...)`) is not merged yet, so this returns None today and the digest
links to /stats/ for people who have a login. Once it is merged, make this call it:

    from sharing.services import share_link_create
    created = share_link_create(page="stats", query=f"from={start:%Y-%m-%d}&to=…",
                                label=f"Weekly digest for {user}", days=30,
                                time_zone=user.time_zone, user=user)
    return f"{settings.SITE_URL}/s/{created.token}/"   # its public URL
"""

from datetime import datetime

from accounts.models import User


def stats_share_link(*, user: User, start: datetime, end: datetime) -> str | None:
    """A read-only link to the stats of [start, end) for this user, or None."""
    return None
