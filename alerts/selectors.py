"""Reads for alerts: the bell, preferences, who an alert concerns, the digest's figures."""

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import OuterRef, Q, QuerySet, Subquery

from accounts.models import EDITOR, VIEWER, User
from alerts.models import (
    APPROVAL_KINDS,
    POST_KINDS,
    Alert,
    Dispatch,
    Event,
    Mode,
    Notification,
    Preference,
    Scope,
    Webhook,
)
from core.roles import APPROVER
from core.terms import STUCK_AFTER
from posts.models import (
    WAITING_STATUSES,
    Activity,
    Approval,
    ApprovalItem,
    Campaign,
    Delivery,
    Post,
    Profile,
    Status,
)

BELL_SIZE = 10


def default_preference(user: User) -> Preference:
    """What a user gets before choosing: editors hear at once about failed, partly failed
    and stuck posts (theirs once they link their Oktopost user; until then all, since
    silence is worse than one message too many); viewers get a daily summary of failures;
    admins also hear about installation problems. Unsaved."""
    events = [Event.FAILED, Event.PARTIAL, Event.STUCK]
    if user.is_superuser or user.is_staff:
        events.append(Event.INSTALLATION)
    if user.is_superuser or user.has_role(EDITOR):
        mode = Mode.IMMEDIATE
    elif user.has_role(VIEWER):
        mode = Mode.DAILY
    else:
        mode = Mode.OFF
    # Managers (viewers) get the weekly digest on Monday at 08:00 their time.
    weekday = 0 if mode == Mode.DAILY else None
    return Preference(user=user, events=events, mode=mode, scope=Scope.ALL, digest_weekday=weekday)


def preference_for(user: User) -> Preference:
    return Preference.objects.filter(user=user).first() or default_preference(user)


# --- where mail goes ---------------------------------------------------------------------


def _same(a: str, b: str) -> bool:
    return bool(a) and a.strip().lower() == b.strip().lower()


def inside_our_domains(address: str) -> bool:
    domain = address.rsplit("@", 1)[-1].strip().lower()
    return domain in settings.ALERTS_MAIL_DOMAINS


@dataclass(frozen=True)
class Recipient:
    """Where a user's mail goes, and the address they chose if it is not usable yet.

    Mail (alerts, summaries, the digest with its share link) goes only to a verified
    address: the account's own (only an admin sets it; users cannot change it), or the
    address chosen in the alert settings once its owner opened the link mailed to it
    and, for an address outside ALERTS_MAIL_DOMAINS, an admin allowed it."""

    address: str  # "" : nowhere
    chosen: str = ""  # the settings' address while it waits
    confirmed: bool = False
    allowed: bool = False

    @property
    def waiting(self) -> bool:
        return bool(self.chosen)


def mail_recipient(user: User, pref: Preference) -> Recipient:
    account = user.email or ""
    chosen = pref.email or ""
    if chosen and not _same(chosen, account):
        confirmed = _same(pref.email_confirmed, chosen)
        allowed = inside_our_domains(chosen) or _same(pref.email_allowed, chosen)
        if confirmed and allowed:
            return Recipient(chosen, confirmed=True, allowed=True)
        return Recipient(_account_address(user), chosen, confirmed, allowed)
    return Recipient(_account_address(user))


def _account_address(user: User) -> str:
    """The account's address. Without one, mail that stays on this machine (files under
    var/mail/, the console) goes to user@localhost so the demo works."""
    if user.email:
        return user.email
    if "smtp" in settings.MAILERS["default"].get("BACKEND", "smtp"):
        return ""
    return f"{user.get_username()}@localhost"


def outside_addresses() -> list[tuple[Preference, Recipient]]:
    """Every user's chosen address outside our domains, with its state, for the admins'
    list (allowed ones too, so an admin can take an allowance back)."""
    chosen = (
        Preference.objects.exclude(email="")
        .select_related("user", "email_allowed_by")
        .order_by("user__username")
    )
    rows = []
    for pref in chosen:
        if _same(pref.email, pref.user.email or "") or inside_our_domains(pref.email):
            continue
        rows.append((pref, mail_recipient(pref.user, pref)))
    return rows


BELL_TTL = 60  # seconds; new alerts and reads also clear it at once (bell_forget)


def bell_key(user_id: int) -> str:
    return f"alerts:unread:{user_id}"


def bell_for(user: User) -> dict[str, object]:
    """The bell in the user menu: the unread count. Every page shows it, so it comes from
    the cache (cleared when alerts arrive or are read) rather than a query per page."""
    try:
        unread = cache.get(bell_key(user.pk))
    except Exception:  # the cache is down: count in the database
        unread = None
    if unread is None:
        unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
        with contextlib.suppress(Exception):
            cache.set(bell_key(user.pk), unread, BELL_TTL)
    return {"unread": unread}


@dataclass(frozen=True)
class WebhookRow:
    """A webhook on the admins' list, with its latest message when that one is not
    plainly sent: waiting for a retry, maybe sent, or given up, with the reason."""

    hook: Webhook
    trouble: Dispatch | None


def webhooks() -> list[WebhookRow]:
    latest = Subquery(
        Dispatch.objects.filter(webhook=OuterRef("pk")).order_by("-created", "-id").values("id")[:1]
    )
    hooks = list(Webhook.objects.order_by("name", "id").annotate(latest_id=latest))
    troubles = {
        d.webhook_id: d
        for d in Dispatch.objects.filter(id__in=[h.latest_id for h in hooks if h.latest_id])
        if d.state != Dispatch.State.SENT and (d.attempts or d.state != Dispatch.State.PENDING)
    }
    return [WebhookRow(h, troubles.get(h.id)) for h in hooks]


def deliveries_for(user: User, *, limit: int = 20) -> QuerySet:
    return Dispatch.objects.filter(user=user).order_by("-created", "-id")[:limit]


def notifications_for(user: User, *, limit: int = 50) -> list[Notification]:
    return list(
        Notification.objects.filter(user=user)
        .select_related("alert")
        .order_by("-created", "-id")[:limit]
    )


def recipients() -> list[tuple[User, Preference]]:
    """Every active user who may see posts (a role, or an admin), with their preference
    (saved or default)."""
    users = list(
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=(EDITOR, VIEWER, APPROVER)))
        .distinct()
        .prefetch_related("groups")
    )
    saved = {p.user_id: p for p in Preference.objects.filter(user__in=users)}
    out = []
    for user in users:
        user._role_names = {g.name for g in user.groups.all()}
        out.append((user, saved.get(user.id) or default_preference(user)))
    return out


def created_here_by(user_ids: list[int], post_ids: list[str]) -> dict[str, int]:
    """Posts created through oktodash, by Oktopost id: who created them."""
    rows = Activity.objects.filter(
        action=Activity.Action.CREATE,
        outcome=Activity.Outcome.OK,
        user_id__in=user_ids,
        post_oktopost_id__in=post_ids,
    ).values_list("post_oktopost_id", "user_id")
    return dict(rows)


def concerns(alert: Alert, user: User, pref: Preference, creators: dict[str, int]) -> bool:
    """Does the alert belong in this user's bell (and mail)?"""
    if alert.kind in APPROVAL_KINDS:
        # Addressed to the people who must act, whatever they chose to hear about.
        mine_there = bool(pref.oktopost_user_id) and pref.oktopost_user_id in alert.addressed
        return mine_there or creators.get(alert.post_oktopost_id) == user.id
    if alert.event not in pref.events:
        return False
    if alert.kind not in POST_KINDS:
        return True
    if pref.campaigns and alert.campaign_id not in pref.campaigns:
        return False
    if pref.networks and alert.network not in pref.networks:
        return False
    if pref.scope == Scope.MINE:
        mine_here = creators.get(alert.post_oktopost_id) == user.id
        mine_there = bool(pref.oktopost_user_id) and alert.created_by == pref.oktopost_user_id
        return mine_here or mine_there
    return True


# --- What the detector reads from the mirror -------------------------------------------


def posts_gone_wrong(now: datetime) -> list[tuple[str, Post]]:
    """(kind, post) for posts failed, partly failed or stuck within the look-back."""
    since = now - timedelta(days=settings.ALERTS_LOOKBACK_DAYS)
    stuck_before = now - STUCK_AFTER
    posts = (
        Post.objects.filter(deleted_at__isnull=True, start_at__gte=since)
        .filter(
            Q(status__in=(Status.ERROR, Status.INCOMPLETE))
            # A post an approval workflow holds is not sent at its time on purpose.
            | (
                Q(status__in=WAITING_STATUSES, start_at__lt=stuck_before)
                & ~Q(approval=Approval.WAITING)
            )
        )
        .select_related("message", "campaign")
        .order_by("start_at", "id")
    )
    found = []
    for post in posts:
        if post.status == Status.ERROR:
            kind = "failed"
        elif post.status == Status.INCOMPLETE:
            kind = "partial"
        else:
            kind = "stuck"
        found.append((kind, post))
    return found


def approvals_overdue(now: datetime, hours: int) -> list[tuple[ApprovalItem, Post]]:
    """Items still waiting for a post due within `hours` (or already due, within the
    look-back), with their post, soonest first."""
    since = now - timedelta(days=settings.ALERTS_LOOKBACK_DAYS)
    posts = {
        p.oktopost_id: p
        for p in Post.objects.filter(
            deleted_at__isnull=True,
            approval=Approval.WAITING,
            start_at__gte=since,
            start_at__lte=now + timedelta(hours=hours),
        ).select_related("message", "campaign")
    }
    items = ApprovalItem.objects.filter(
        status="pending", post_oktopost_id__in=list(posts)
    ).select_related("step")
    found = [(i, posts[i.post_oktopost_id]) for i in items]
    return sorted(found, key=lambda ip: (ip[1].start_at, ip[1].id))


def approvals_rejected(now: datetime) -> list[tuple[ApprovalItem, Post]]:
    """Items sent back with changes requested within the look-back, with their post."""
    since = now - timedelta(days=settings.ALERTS_LOOKBACK_DAYS)
    items = list(
        ApprovalItem.objects.filter(status="rejected", modified__gte=since)
        .select_related("step")
        .order_by("modified", "id")
    )
    posts = {
        p.oktopost_id: p
        for p in Post.objects.filter(
            oktopost_id__in=[i.post_oktopost_id for i in items], deleted_at__isnull=True
        ).select_related("message", "campaign")
    }
    return [(i, posts[i.post_oktopost_id]) for i in items if i.post_oktopost_id in posts]


def alert_keys(prefix_keys: list[str]) -> set[str]:
    return set(Alert.objects.filter(key__in=prefix_keys).values_list("key", flat=True))


def failed_deliveries(post_ids: list[int]) -> dict[int, list[tuple[str, str, str]]]:
    """Per post: (network, profile name, error text) of each profile that failed."""
    rows = Delivery.objects.filter(post_id__in=post_ids, status="failed").values_list(
        "post_id", "profile_id", "error"
    )
    profile_ids = {r[1] for r in rows}
    profiles = {p.oktopost_id: p for p in Profile.objects.filter(oktopost_id__in=profile_ids)}
    out: dict[int, list[tuple[str, str, str]]] = {}
    for post_id, profile_id, error in rows:
        profile = profiles.get(profile_id)
        name = profile.label if profile else profile_id
        network = profile.network if profile else ""
        out.setdefault(post_id, []).append((network, name, error or "no error text given"))
    return out


def failed_deliveries_by_profile(post_ids: list[int]) -> dict[int, list[tuple[str, str, str, str]]]:
    """Per post: (profile id, network, profile name, error text) of each failed profile."""
    rows = Delivery.objects.filter(post_id__in=post_ids, status="failed").values_list(
        "post_id", "profile_id", "error"
    )
    profiles = {
        p.oktopost_id: p for p in Profile.objects.filter(oktopost_id__in={r[1] for r in rows})
    }
    out: dict[int, list[tuple[str, str, str, str]]] = {}
    for post_id, profile_id, error in rows:
        profile = profiles.get(profile_id)
        name = profile.label if profile else profile_id
        network = profile.network if profile else ""
        out.setdefault(post_id, []).append((profile_id, network, name, error or ""))
    return out


def campaign_names(ids: set[str]) -> dict[str, str]:
    return dict(Campaign.objects.filter(oktopost_id__in=ids).values_list("oktopost_id", "name"))


def alerts_since(since: datetime, kinds: tuple[str, ...] = POST_KINDS) -> QuerySet[Alert]:
    return Alert.objects.filter(created__gte=since, kind__in=kinds).order_by("created", "id")


# --- The weekly digest's failures (its figures are the stats page's: alerts/stats.py) ---


@dataclass(frozen=True)
class DigestFailures:
    posts: list[Post]  # the latest 20
    total: int


def digest_failures(*, start: datetime, end: datetime) -> DigestFailures:
    """Posts of [start, end) that failed or partly failed, newest first."""
    failed = Post.objects.filter(
        deleted_at__isnull=True,
        start_at__gte=start,
        start_at__lt=end,
        status__in=(Status.ERROR, Status.INCOMPLETE),
    )
    return DigestFailures(
        posts=list(failed.select_related("message").order_by("-start_at", "-id")[:20]),
        total=failed.count(),
    )
