"""Reads for scheduled reports: who may see stats (and so subscribe, or receive), the
admins' setting for outside addresses, the subscriptions page's rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import EDITOR, VIEWER, User
from alerts.models import ReportPolicy, ReportRecipient, ReportSubscription
from alerts.selectors import inside_our_domains
from alerts.stats import scope_words
from core.localtime import as_local
from core.roles import APPROVER
from posts.models import SavedView


def may_see_stats(user: User) -> bool:
    """The stats page's own rule (`viewer_required`): an active user with any role."""
    return user.is_active and any(user.has_role(r) for r in (VIEWER, EDITOR, APPROVER))


def outside_allowed() -> bool:
    """The admins' setting: reports may go to addresses that belong to no account."""
    policy = ReportPolicy.objects.filter(id=1).first()
    return bool(policy and policy.outside_allowed)


def address_allowed(address: str) -> bool:
    """An address inside ALERTS_MAIL_DOMAINS always; any other while admins allow it."""
    return inside_our_domains(address) or outside_allowed()


def stats_users() -> list[User]:
    """Everyone a report may go to as a user: active, with a role that sees stats."""
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=(EDITOR, VIEWER, APPROVER)))
        .distinct()
        .order_by("username")
    )


def saved_views_for(user: User) -> list[SavedView]:
    """The saved views this user can see: their own and those shared with the team."""
    return list(SavedView.objects.filter(Q(owner=user) | Q(shared=True)).order_by("name", "id"))


def recipient_zone(recipient: ReportRecipient, subscription: ReportSubscription) -> tzinfo:
    """A user gets the report in their own zone; an outside address in the report's."""
    if recipient.user_id:
        return recipient.user.zone
    try:
        return ZoneInfo(subscription.time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class RecipientRow:
    name: str  # a user's name or the address
    outside: bool
    next_local: datetime | None  # in their zone
    zone: str
    unsubscribed: bool


@dataclass(frozen=True)
class SubscriptionRow:
    subscription: ReportSubscription
    owner: str
    scope: list[str]
    when: str  # "Mondays at 08:00", "On the 1st of each month at 08:00"
    recipients: list[RecipientRow]
    mine: bool


def when_words(sub: ReportSubscription) -> str:
    hour = f"{sub.hour:02d}:00"
    if sub.frequency == ReportSubscription.Frequency.WEEKLY:
        return f"{sub.get_weekday_display()}s at {hour}"
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(sub.day, "th")
    return f"On the {sub.day}{suffix} of each month at {hour}"


def subscriptions_for(user: User) -> list[SubscriptionRow]:
    """The subscriptions this user made; an admin sees everyone's."""
    subs = ReportSubscription.objects.select_related("owner").prefetch_related(
        Prefetch(
            "recipients", queryset=ReportRecipient.objects.select_related("user").order_by("id")
        )
    )
    if not user.is_superuser:
        subs = subs.filter(owner=user)
    today = as_local(timezone.now(), user.zone).date()
    rows = []
    for sub in subs.order_by("name", "id"):
        recipients = []
        for r in sub.recipients.all():
            zone = recipient_zone(r, sub)
            recipients.append(
                RecipientRow(
                    name=r.user.get_username() if r.user_id else r.address,
                    outside=not r.user_id,
                    next_local=r.next_at.astimezone(zone) if r.next_at else None,
                    zone=str(zone),
                    unsubscribed=r.unsubscribed_at is not None,
                )
            )
        rows.append(
            SubscriptionRow(
                subscription=sub,
                owner=sub.owner.get_username(),
                scope=scope_words(sub.query, user.zone, today=today),
                when=when_words(sub),
                recipients=recipients,
                mine=sub.owner_id == user.id,
            )
        )
    return rows


def subscription_for(user: User, subscription_id: int) -> ReportSubscription | None:
    """A subscription this user may change: their own, or any for an admin."""
    subs = ReportSubscription.objects.filter(id=subscription_id)
    if not user.is_superuser:
        subs = subs.filter(owner=user)
    return subs.first()
