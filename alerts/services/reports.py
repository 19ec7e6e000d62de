"""Scheduled reports (issue 30): subscribing recipients to a stats scope, and the beat
task that turns each due recipient into one mail on the alerts' mail path.

Each recipient's next sending hour is computed in their own zone with zoneinfo
(alerts/timing.py) and stored in UTC (`ReportRecipient.next_at`); beat picks those due.
Moving `next_at` on is the claim: a conditional UPDATE in the same transaction as the
message it makes, so two beat runs, or two workers, make one message. The message is a
`Dispatch`, which send.py claims, sends, retries and records like every alert mail;
the database refuses a second one for the same recipient and hour (`dispatch_report_once`)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from alerts import report_selectors as rs
from alerts.models import Dispatch, DispatchFile, ReportPolicy, ReportRecipient, ReportSubscription
from alerts.services.reportmail import Mail, MailFile, report_mail
from alerts.services.send import dispatches_queue
from alerts.stats import ScopeGone, report_figures, report_pdf, scope_canonical
from alerts.timing import (
    last_monthly_slot,
    last_weekly_slot,
    next_monthly_slot,
    next_weekly_slot,
    report_days,
)
from alerts.unsubscribe import unsubscribe_url
from core.localtime import as_local
from core.services import ServiceError

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 50


# --- the admins' setting -----------------------------------------------------------------


def policy_set(*, admin: User, outside_allowed: bool) -> None:
    if not admin.is_superuser:
        raise ServiceError("Only an admin decides whether reports may go outside.")
    ReportPolicy.objects.update_or_create(
        id=1,
        defaults={
            "outside_allowed": outside_allowed,
            "changed_by": admin,
            "changed_at": timezone.now(),
        },
    )


# --- subscribing ------------------------------------------------------------------------


def _next_slot(sub: ReportSubscription, after: datetime, zone) -> datetime:
    if sub.frequency == ReportSubscription.Frequency.WEEKLY:
        return next_weekly_slot(after, sub.weekday, sub.hour, zone)
    return next_monthly_slot(after, sub.day, sub.hour, zone)


def _last_slot(sub: ReportSubscription, now: datetime, zone) -> datetime:
    if sub.frequency == ReportSubscription.Frequency.WEEKLY:
        return last_weekly_slot(now, sub.weekday, sub.hour, zone)
    return last_monthly_slot(now, sub.day, sub.hour, zone)


def subscription_create(
    *,
    owner: User,
    name: str,
    query: str,
    frequency: str,
    weekday: int,
    day: int,
    hour: int,
    time_zone: str,
    users: list[User],
    addresses: list[str],
    now: datetime | None = None,
) -> ReportSubscription:
    """A new report. Refused in words when the owner cannot see stats, the scope cannot
    be kept as it is, a recipient cannot see stats, or an outside address is not allowed."""
    now = now or timezone.now()
    if not rs.may_see_stats(owner):
        raise ServiceError("Only someone who can see the stats page can subscribe to a report.")
    canonical = scope_canonical(query, owner.zone, today=as_local(now, owner.zone).date())
    if canonical.problems:
        raise ServiceError(" ".join(canonical.problems), field="query")
    for user in users:
        if not rs.may_see_stats(user):
            raise ServiceError(
                f"{user.get_username()} cannot see the stats page, so cannot get its report.",
                field="users",
            )
    addresses = list(dict.fromkeys(a.strip().lower() for a in addresses if a.strip()))
    refused = [a for a in addresses if not rs.address_allowed(a)]
    if refused:
        raise ServiceError(
            f"Reports may not go to {', '.join(refused)}: an admin has not allowed "
            "addresses outside your organisation.",
            field="addresses",
        )
    if not users and not addresses:
        raise ServiceError("Choose at least one recipient.", field="users")
    if len(users) + len(addresses) > MAX_RECIPIENTS:
        raise ServiceError(f"A report goes to at most {MAX_RECIPIENTS} recipients.")
    with transaction.atomic():
        sub = ReportSubscription.objects.create(
            owner=owner,
            name=name.strip()[:120],
            query=canonical.query,
            frequency=frequency,
            weekday=weekday,
            day=day,
            hour=hour,
            time_zone=time_zone,
            created=now,
        )
        recipients = [ReportRecipient(subscription=sub, user=u, created=now) for u in users]
        recipients += [ReportRecipient(subscription=sub, address=a, created=now) for a in addresses]
        for r in recipients:
            r.subscription = sub
            r.next_at = _next_slot(sub, now, rs.recipient_zone(r, sub))
        ReportRecipient.objects.bulk_create(recipients)
    return sub


def subscription_pause(*, subscription: ReportSubscription, paused: bool) -> None:
    """Pause, or resume from now on: a resumed report sends nothing it missed."""
    now = timezone.now()
    with transaction.atomic():
        ReportSubscription.objects.filter(id=subscription.id).update(paused=paused, problem="")
        if not paused:
            for r in subscription.recipients.select_related("user"):
                zone = rs.recipient_zone(r, subscription)
                ReportRecipient.objects.filter(id=r.id).update(
                    next_at=_next_slot(subscription, now, zone), last_slot_at=now
                )


def subscription_delete(*, subscription: ReportSubscription) -> None:
    subscription.delete()


# --- unsubscribing (outside recipients, from the link in each mail) --------------------


def recipient_unsubscribe(*, recipient: ReportRecipient, now: datetime | None = None) -> None:
    """Idempotent: the first time counts, later ones change nothing."""
    ReportRecipient.objects.filter(id=recipient.id, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now or timezone.now()
    )


# --- sending (beat) ---------------------------------------------------------------------


def reports_send_due(*, now: datetime | None = None, limit: int = 200) -> list[Dispatch]:
    """Make one message for each recipient whose local sending hour has come, and queue
    them. Recipients of one report in one zone share the figures read for them."""
    now = now or timezone.now()
    due = list(
        ReportRecipient.objects.filter(
            next_at__lte=now,
            unsubscribed_at__isnull=True,
            subscription__paused=False,
        )
        .select_related("subscription", "subscription__owner", "user")
        .order_by("next_at", "id")[:limit]
    )
    made: list[Dispatch] = []
    built: dict[tuple, Mail | None] = {}
    for recipient in due:
        dispatch = _recipient_due(recipient, now, built)
        if dispatch is not None:
            made.append(dispatch)
    dispatches_queue([d.id for d in made])
    return made


def _recipient_due(
    recipient: ReportRecipient, now: datetime, built: dict[tuple, Mail | None]
) -> Dispatch | None:
    sub = recipient.subscription
    zone = rs.recipient_zone(recipient, sub)
    slot = _last_slot(sub, now, zone)
    following = _next_slot(sub, now, zone)
    claim = ReportRecipient.objects.filter(id=recipient.id, next_at=recipient.next_at)
    # A zone changed since `next_at` was set can make the latest hour one already sent,
    # or one before the subscription: then only the next hour is stored.
    if slot <= (recipient.last_slot_at or recipient.created):
        claim.update(next_at=following)
        return None
    skip = _why_not(recipient, sub)
    if skip:
        if claim.update(next_at=following, last_slot_at=slot):
            log.info("alerts: report %s to recipient %s not sent: %s", sub.id, recipient.id, skip)
        return None
    first, last = report_days(slot.astimezone(zone).date(), sub.frequency)
    key = (sub.id, str(zone), first, last)
    if key not in built:
        built[key] = _build(sub, zone, first, last, now)
    mail = built[key]
    if mail is None:  # the scope is gone: recorded on the subscription
        claim.update(next_at=following, last_slot_at=slot)
        return None
    try:
        with transaction.atomic():
            if not claim.update(next_at=following, last_slot_at=slot):
                return None  # another run took it
            return _dispatch(recipient, mail, slot, now)
    except IntegrityError:  # this hour's message exists already (dispatch_report_once)
        return None


def _why_not(recipient: ReportRecipient, sub: ReportSubscription) -> str:
    if not rs.may_see_stats(sub.owner):
        return "its owner can no longer see the stats page"
    if recipient.user_id and not rs.may_see_stats(recipient.user):
        return "the recipient can no longer see the stats page"
    if not recipient.user_id and not rs.address_allowed(recipient.address):
        return "admins no longer allow reports to addresses outside your organisation"
    return ""


def _build(sub: ReportSubscription, zone, first, last, now: datetime) -> Mail | None:
    try:
        figures = report_figures(sub.query, first=first, last=last, zone=zone, now=now)
    except ScopeGone as exc:
        ReportSubscription.objects.filter(id=sub.id).update(problem=str(exc)[:300])
        return None
    from alerts.share import report_share_link

    share = report_share_link(subscription=sub, figures=figures, time_zone=str(zone))
    what = "Weekly" if sub.frequency == ReportSubscription.Frequency.WEEKLY else "Monthly"
    mail = report_mail(
        figures,
        subject=f"[oktodash] {sub.name}: {figures.span}",
        title=sub.name,
        intro=f"{what} report, {figures.span} ({figures.zone_name}), against the period before:",
        share_url=share,
        manage_url=settings.SITE_URL + reverse("alerts:reports"),
    )
    try:
        name, pdf = report_pdf(
            sub.query, first=first, last=last, zone=zone, now=now, title=sub.name
        )
    except Exception:  # the mail is worth sending without its PDF, and says none is attached
        log.exception("alerts: the PDF of report %s could not be made", sub.id)
        return mail
    return mail.with_file(MailFile(name, "application/pdf", pdf))


def _dispatch(recipient: ReportRecipient, mail: Mail, slot: datetime, now: datetime) -> Dispatch:
    outside = not recipient.user_id
    unsubscribe = unsubscribe_url(recipient) if outside else ""
    text, html = mail.text, mail.html
    if outside:
        text, html = mail.for_outside(unsubscribe)
    dispatch = Dispatch.objects.create(
        channel=Dispatch.Channel.EMAIL,
        user=recipient.user,
        kind="report",
        to_address=recipient.address,
        subject=mail.subject[:300],
        body=text,
        html=html,
        created=now,
        due_at=now,
        report_recipient=recipient,
        report_slot=slot,
    )
    DispatchFile.objects.bulk_create(
        DispatchFile(dispatch=dispatch, **f.fields()) for f in mail.files
    )
    return dispatch
