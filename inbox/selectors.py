"""Reads: the secrets a delivery may be signed with, and whether webhooks are healthy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from inbox import crypto
from inbox.models import Event, Installation


def installation() -> Installation | None:
    return Installation.objects.filter(name="oktopost").first()


def intake_secrets(*, now: datetime | None = None) -> list[str]:
    """The current secret, and the previous one while a rotation's grace lasts."""
    found = installation()
    if found is None:
        return []
    now = now or timezone.now()
    secrets = [crypto.decrypt(found.secret)]
    if found.previous_secret and found.previous_until and found.previous_until > now:
        secrets.append(crypto.decrypt(found.previous_secret))
    return secrets


@dataclass(frozen=True)
class WebhookHealth:
    installed: bool
    last_event_at: datetime | None
    silent: bool  # installed, and nothing arrived for WEBHOOKS_SILENT_AFTER_MINUTES

    @property
    def healthy(self) -> bool:
        return self.installed and not self.silent and self.last_event_at is not None


def webhooks_health(*, now: datetime | None = None) -> WebhookHealth:
    found = installation()
    if found is None:
        return WebhookHealth(installed=False, last_event_at=None, silent=False)
    now = now or timezone.now()
    last = Event.objects.aggregate(last=Max("received_at"))["last"]
    heard = max(t for t in (last, found.installed_at) if t is not None)
    silent = now - heard > timedelta(minutes=settings.WEBHOOKS_SILENT_AFTER_MINUTES)
    return WebhookHealth(installed=True, last_event_at=last, silent=silent)


def events_since(when: datetime) -> int:
    """Deliveries stored here since `when` (received_at is indexed)."""
    return Event.objects.filter(received_at__gte=when).count()


def events_waiting() -> int:
    """Stored events not applied yet (the worker or the queue is behind)."""
    return Event.objects.filter(processed_at__isnull=True).count()


def webhooks_healthy() -> bool:
    """Events are arriving: the incremental sync may rest (posts.push)."""
    return webhooks_health().healthy
