"""Creating, revoking and counting uses of share links."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F
from django.http import QueryDict
from django.utils import timezone

from core.infra import cache_set
from sharing import tokens
from sharing.models import ShareLink, SharingPolicy
from sharing.selectors import POLICY_CACHE_KEY

DEFAULT_DAYS = 30
MAX_DAYS = 365
MAX_QUERY = 2000


class ShareError(ValueError):
    """Why a link cannot be made, in words for the user."""


@dataclass(frozen=True)
class Created:
    link: ShareLink
    token: str  # shown once: only its hash is kept


def share_link_create(
    *,
    page: str,
    query: str,
    label: str,
    days: int = DEFAULT_DAYS,
    time_zone: str = "UTC",
    user=None,
    made_as: str = "",
    now: datetime | None = None,
) -> Created:
    """A new link. `made_as`: the role that allows `user` to make it (the link dies when
    they lose it): an editor's by default; without a user, the command's."""
    if page not in ShareLink.Page.values:
        raise ShareError("Choose what to share: the stats or the queue.")
    query = query.strip().lstrip("?")
    if len(query) > MAX_QUERY:
        raise ShareError("That view's address is too long to share.")
    if "cursor" in QueryDict(query):
        query = "&".join(p for p in query.split("&") if not p.startswith("cursor="))
    label = label.strip()[:120]
    if not label:
        raise ShareError("Give the link a label, so you can tell it apart later.")
    if not 1 <= days <= MAX_DAYS:
        raise ShareError(f"A link lasts from 1 to {MAX_DAYS} days.")
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ShareError(f"{time_zone!r} is not a known time zone.") from None
    creator = user if user is not None and user.is_authenticated else None
    made_as = made_as or (ShareLink.MadeAs.EDITOR if creator else ShareLink.MadeAs.OPERATOR)
    if made_as not in ShareLink.MadeAs.values or (creator is None) != (
        made_as == ShareLink.MadeAs.OPERATOR
    ):
        raise ShareError("A link is made by a user with a role, or by the command.")
    now = now or timezone.now()
    token = tokens.token_new()
    link = ShareLink.objects.create(
        token_hash=tokens.token_hash(token),
        page=page,
        query=query,
        label=label,
        time_zone=time_zone,
        created_by=creator,
        made_as=made_as,
        created=now,
        expires_at=now + timedelta(days=days),
    )
    return Created(link, token)


def share_link_revoke(*, link_id: int, now: datetime | None = None) -> bool:
    """Revoke for good (a revoked link never opens again); False if unknown or done."""
    done = ShareLink.objects.filter(id=link_id, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )
    return bool(done)


def share_link_used(link: ShareLink, *, now: datetime | None = None) -> None:
    """One more visit, counted in the database (no read-modify-write race)."""
    ShareLink.objects.filter(id=link.id).update(
        use_count=F("use_count") + 1, last_used_at=now or timezone.now()
    )


def sharing_policy_set(*, viewers_may_share: bool, user) -> SharingPolicy:
    """An admin's choice: may viewers and approvers make share links?"""
    policy, _ = SharingPolicy.objects.update_or_create(
        pk=1,
        defaults={
            "viewers_may_share": viewers_may_share,
            "changed_at": timezone.now(),
            "changed_by": user,
        },
    )
    # The pages read the switch from the cache (selectors.viewers_may_share): answer anew.
    cache_set(POLICY_CACHE_KEY, viewers_may_share, 60)
    return policy
