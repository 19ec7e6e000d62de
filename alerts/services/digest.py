"""Daily summaries (for people who chose them over mail at once) and the weekly digest,
each at the user's own hour in their zone (DST-correct: alerts/timing.py)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from alerts import selectors, share
from alerts.models import Dispatch, Mode, Notification, Preference
from alerts.services import compose
from alerts.services.send import dispatches_queue, email_address
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
        subject, body = digest_text(user=user, start=start, end=end)
        made.append(
            Dispatch.objects.create(
                channel=Dispatch.Channel.EMAIL,
                user=user,
                kind="digest",
                subject=subject,
                body=body,
                created=now,
                due_at=now,
            )
        )
    return made


def digest_text(*, user: User, start: datetime, end: datetime) -> tuple[str, str]:
    data = selectors.digest_data(start=start, end=end)
    zone = user.zone
    first, last = start.astimezone(zone), (end - timedelta(seconds=1)).astimezone(zone)
    span = f"{first:%-d %b} to {last:%-d %b %Y}"
    subject = f"[oktodash] Your week: {span}"
    out = [f"Last week ({span}, {zone.key}) against the week before:", ""]
    width = max(len(f.name) for f in data.figures)
    for f in data.figures:
        out.append(f"  {f.name:<{width}}  {f.value:>9,}  ({f.change}; before: {f.before:,})")
    out += ["", "Top posts (by clicks, then likes):"]
    if not data.top:
        out.append("  none sent")
    for post in data.top:
        text = " ".join((post.message.text if post.message else "").split())[:70]
        out.append(
            f"  {post.network}, {post.start_at.astimezone(zone):%a %-d %b %H:%M}: “{text}” "
            f"{post.clicks:,} clicks, {post.likes:,} likes"
        )
        out.append(f"    {settings.SITE_URL}/posts/{post.oktopost_id}/")
    out += ["", f"Failures: {data.failures_total}"]
    for post in data.failures:
        label = post.get_status_display()
        text = " ".join((post.message.text if post.message else "").split())[:60]
        out.append(
            f"  {label}: {post.network}, {post.start_at.astimezone(zone):%a %-d %b %H:%M}: “{text}”"
        )
        out.append(f"    {settings.SITE_URL}/posts/{post.oktopost_id}/")
    link = share.stats_share_link(user=user, start=start, end=end)
    out += ["", f"The full stats view: {link or settings.SITE_URL + '/stats/'}"]
    out.append(f"Change the day or hour of this digest: {settings.SITE_URL}/alerts/settings/")
    return subject, "\n".join(out) + "\n"
