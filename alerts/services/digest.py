"""Daily summaries (for people who chose them over mail at once) and the weekly digest,
each at the user's own hour in their zone (DST-correct: alerts/timing.py)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from alerts import selectors, share
from alerts.models import Dispatch, DispatchFile, Mode, Notification, Preference
from alerts.services import compose
from alerts.services.reportmail import FailureRow, Mail, report_mail
from alerts.services.send import dispatches_queue, email_address
from alerts.stats import report_figures
from alerts.timing import last_daily_slot, last_weekly_slot, local_slot


def summaries_send(*, now: datetime | None = None) -> list[Dispatch]:
    """Queue every daily summary and weekly digest whose local hour has come."""
    now = now or timezone.now()
    made = []
    for user, pref in selectors.recipients():
        if pref.pk is None:
            if pref.mode != Mode.DAILY and pref.digest_weekday is None:
                continue
            # A default preference starts counting now: no summary of the past.
            pref.last_summary_at = pref.last_digest_at = now
            pref.save()
            continue
        if pref.mode == Mode.DAILY:
            made += _summary(user, pref, now)
        if pref.digest_weekday is not None:
            made += _digest(user, pref, now)
    dispatches_queue([d.id for d in made])
    return made


def _summary(user: User, pref: Preference, now: datetime) -> list[Dispatch]:
    slot = last_daily_slot(now, pref.summary_hour, user.zone)
    if pref.last_summary_at and pref.last_summary_at >= slot:
        return []
    since = max(pref.last_summary_at or slot - timedelta(days=1), slot - timedelta(days=2))
    notes = list(
        Notification.objects.filter(user=user, created__gte=since, created__lt=slot)
        .select_related("alert")
        .order_by("created", "id")
    )
    made = []
    with transaction.atomic():
        updated = Preference.objects.filter(id=pref.id, last_summary_at=pref.last_summary_at)
        if not updated.update(last_summary_at=slot):
            return []  # another run sent it
        alerts = [n.alert for n in notes]
        to = email_address(user, pref)
        if alerts and to:
            day = slot.astimezone(user.zone)
            dispatch = Dispatch.objects.create(
                channel=Dispatch.Channel.EMAIL,
                user=user,
                kind="summary",
                subject=f"[oktodash] Daily summary for {day:%-d %b}: {compose.count(alerts)}",
                body=compose.alerts_text(
                    alerts,
                    user.zone,
                    intro=(
                        f"In the 24 hours to {day:%H:%M %Z}, {len(alerts)} things needed attention:"
                    ),
                ),
                created=now,
                due_at=now,
            )
            dispatch.alerts.set(alerts)
            made.append(dispatch)
    return made


def _digest(user: User, pref: Preference, now: datetime) -> list[Dispatch]:
    slot = last_weekly_slot(now, pref.digest_weekday, pref.digest_hour, user.zone)
    if pref.last_digest_at and pref.last_digest_at >= slot:
        return []
    to = email_address(user, pref)
    made = []
    with transaction.atomic():
        updated = Preference.objects.filter(id=pref.id, last_digest_at=pref.last_digest_at)
        if not updated.update(last_digest_at=slot):
            return []
        if not to:
            return []
        day = slot.astimezone(user.zone).date()
        start = local_slot(day - timedelta(days=7), 0, user.zone)
        end = local_slot(day, 0, user.zone)
        mail = digest_mail(user=user, start=start, end=end, now=now)
        dispatch = Dispatch.objects.create(
            channel=Dispatch.Channel.EMAIL,
            user=user,
            kind="digest",
            subject=mail.subject,
            body=mail.text,
            html=mail.html,
            created=now,
            due_at=now,
        )
        DispatchFile.objects.bulk_create(
            DispatchFile(dispatch=dispatch, **f.fields()) for f in mail.files
        )
        made.append(dispatch)
    return made


def digest_mail(*, user: User, start: datetime, end: datetime, now: datetime) -> Mail:
    """The weekly digest: the report mail over every post of the week in the user's
    zone (the stats page's own figures), with the week's failures added."""
    zone = user.zone
    first, last = start.astimezone(zone).date(), (end - timedelta(seconds=1)).astimezone(zone)
    figures = report_figures("", first=first, last=last.date(), zone=zone, now=now)
    failed = selectors.digest_failures(start=start, end=end)
    failures = [
        FailureRow(
            label=post.get_status_display(),
            network=post.network,
            when=post.start_at.astimezone(zone),
            text=" ".join((post.message.text if post.message else "").split())[:60],
            url=f"{settings.SITE_URL}/posts/{post.oktopost_id}/",
        )
        for post in failed.posts
    ]
    link = share.stats_share_link(user=user, start=start, end=end)
    return report_mail(
        figures,
        subject=f"[oktodash] Your week: {figures.span}",
        title="Your week",
        intro=f"Last week ({figures.span}, {zone.key}) against the week before:",
        share_url=link,
        manage_url=f"{settings.SITE_URL}/alerts/settings/",
        manage_words="Change the day or hour of this digest",
        failures=failures,
        failures_total=failed.total,
    )
