"""Saving alert preferences and the admins' webhooks; marking alerts read."""

import contextlib

from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from alerts.models import Notification, Preference, Webhook
from alerts.selectors import bell_key, preference_for


def preference_save(*, user: User, data: dict) -> Preference:
    pref = preference_for(user)
    for name, value in data.items():
        setattr(pref, name, value)
    if pref.pk is None:
        # Counting starts now: the first summary or digest is the next one due.
        pref.last_summary_at = pref.last_digest_at = timezone.now()
    pref.save()
    return pref


def webhook_add(*, name: str, url: str, events: list[str]) -> Webhook:
    return Webhook.objects.create(name=name, url=url, events=events)


def webhook_enable(*, webhook_id: int) -> bool:
    return bool(
        Webhook.objects.filter(id=webhook_id).update(
            enabled=True, client_errors=0, disabled_reason=""
        )
    )


def webhook_delete(*, webhook_id: int) -> bool:
    return Webhook.objects.filter(id=webhook_id).delete()[0] > 0


def notifications_read(*, user: User, notification_id: int | None = None) -> int:
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        rows = rows.filter(id=notification_id)
    count = rows.update(read_at=timezone.now())
    bell_forget([user.pk])
    return count


def bell_forget(user_ids: list[int]) -> None:
    """New or read alerts: the bells of these users count again."""
    with contextlib.suppress(Exception):  # the cache down: its entries expire in a minute
        cache.delete_many([bell_key(i) for i in user_ids])
