"""Webhooks in: storing a delivery, applying stored events to the mirror (through
posts.sync.push, which writes through posts.mirror), and our registration with Oktopost.

A delivery is stored raw, once (its body's SHA-256 is unique), then the post's events are
queued for the worker by task name. If the queue or the worker is down the rows wait; the
sweep (beat, every minute) queues whatever is still unprocessed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core import infra
from core.services import ServiceError, enqueue
from inbox import crypto, selectors, task_names
from inbox.models import Event, Installation, PostMark
from oktopost.errors import AuthError, OktopostError, RateLimited
from oktopost.webhooks import POST_EVENTS
from posts.connection import get_client
from posts.locks import LockBusy, write_lock
from posts.sync.push import PostEvent, post_events_apply

log = logging.getLogger(__name__)
ROUNDS = 3  # a processor looks again for events that arrived while it worked
SWEEP_BATCH = 500


# --- intake -----------------------------------------------------------------------


def event_receive(*, body: bytes, payload: dict[str, Any]) -> bool:
    """Store a verified delivery and queue its post's events. False for one already
    stored (a retry or a replay): nothing is done twice."""
    data = payload.get("data")
    post_id = str(data.get("Id", "")) if isinstance(data, dict) else ""
    try:
        with transaction.atomic():
            Event.objects.create(
                key=hashlib.sha256(body).hexdigest(),
                event=str(payload["event"])[:64],
                webhook_id=str(payload.get("webhookId", ""))[:32],
                post_id=post_id[:32] if str(payload["event"]) in POST_EVENTS else "",
                timestamp=int(payload["timestamp"]),
                body=body.decode("utf-8", "replace"),
                received_at=timezone.now(),
            )
    except IntegrityError:
        return False
    if post_id and payload["event"] in POST_EVENTS:
        enqueue(task_names.events_process, post_id)
    return True


# --- processing -------------------------------------------------------------------


def events_process(post_id: str) -> dict[str, int]:
    """Apply a post's pending events, in their order, one processor per post at a time.
    Raises LockBusy when another processor holds the post (the task tries again)."""
    done: dict[str, int] = {}
    with write_lock(f"webhook:{post_id}", wait=2.0):
        for _ in range(ROUNDS):
            pending = list(
                Event.objects.filter(post_id=post_id, processed_at__isnull=True).order_by(
                    "timestamp", "id"
                )
            )
            if not pending:
                break
            outcome = _apply(post_id, pending)
            done[outcome] = done.get(outcome, 0) + len(pending)
    return done


def _apply(post_id: str, pending: list[Event]) -> str:
    mark = PostMark.objects.filter(post_id=post_id).first()
    applied = mark.timestamp if mark else None
    stale = [e for e in pending if applied is not None and e.timestamp < applied]
    fresh = [e for e in pending if e not in stale]
    outcome = "stale"
    if fresh:
        events = [
            PostEvent(e.event, e.timestamp, json.loads(e.body).get("data") or {}) for e in fresh
        ]
        # An event of the very second already applied: which came first is unknown.
        same_second = applied is not None and fresh[0].timestamp == applied
        outcome = post_events_apply(post_id, events, fetch=same_second).outcome
    now = timezone.now()
    with transaction.atomic():
        if fresh:
            newest = fresh[-1].timestamp
            PostMark.objects.update_or_create(post_id=post_id, defaults={"timestamp": newest})
            Event.objects.filter(id__in=[e.id for e in fresh]).update(
                processed_at=now, outcome=outcome
            )
        Event.objects.filter(id__in=[e.id for e in stale]).update(processed_at=now, outcome="stale")
    return outcome


def events_sweep() -> int:
    """Queue the posts whose events wait (the queue was down, a worker died); mark
    events of other kinds done; forget events older than twice the replay window.
    Returns how many posts were queued."""
    now = timezone.now()
    Event.objects.filter(processed_at__isnull=True, post_id="").update(
        processed_at=now, outcome="ignored"
    )
    keep_after = now - timedelta(seconds=2 * settings.WEBHOOKS_MAX_AGE_SECONDS)
    Event.objects.filter(received_at__lt=keep_after, processed_at__isnull=False).delete()
    posts = (
        Event.objects.filter(processed_at__isnull=True)
        .values_list("post_id", flat=True)
        .distinct()[:SWEEP_BATCH]
    )
    queued = 0
    for post_id in posts:
        queued += enqueue(task_names.events_process, post_id)
    return queued


# --- installation -----------------------------------------------------------------


@dataclass
class InstallReport:
    url: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def intake_url() -> str:
    return settings.SITE_URL + reverse("inbox:oktopost")


def webhooks_install(*, rotate: bool = False) -> InstallReport:
    """Register our URL for the post events, once each: a webhook of ours that exists is
    kept (enabled again if it was disabled), a duplicate is removed. `rotate` makes a new
    secret; the previous one is accepted for WEBHOOKS_MAX_AGE_SECONDS more."""
    url = intake_url()
    report = InstallReport(url=url)
    found = selectors.installation()
    secret = crypto.decrypt(found.secret) if found and not rotate else secrets.token_hex(20)
    client = get_client(priority="interactive")
    ours = [w for w in client.webhook_list() if w.url == url and w.event in POST_EVENTS]
    ids: dict[str, str] = {}
    for event in POST_EVENTS:
        matches = [w for w in ours if w.event == event]
        for duplicate in matches[1:]:
            client.webhook_delete(duplicate.id)
            report.removed.append(duplicate.id)
        if not matches:
            webhook = client.webhook_create(event=event, url=url, name="oktodash", secret=secret)
            _same_secret(webhook.raw, secret)
            report.created.append(webhook.id)
        elif rotate or found is None or not matches[0].enabled:
            webhook = client.webhook_update(matches[0].id, secret=secret, isEnabled=1)
            _same_secret(webhook.raw, secret)
            report.updated.append(webhook.id)
        else:
            webhook = matches[0]
            report.kept.append(webhook.id)
        ids[event] = webhook.id
    now = timezone.now()
    values: dict[str, Any] = {"url": url, "webhook_ids": ids, "secret": crypto.encrypt(secret)}
    if found is None:
        values["installed_at"] = now
    if rotate and found is not None:
        values |= {
            "previous_secret": found.secret,
            "previous_until": now + timedelta(seconds=settings.WEBHOOKS_MAX_AGE_SECONDS),
            "rotated_at": now,
        }
    Installation.objects.update_or_create(name="oktopost", defaults=values)
    return report


def _same_secret(raw: dict[str, Any], secret: str) -> None:
    # The sources do not say whether Oktopost takes our secret (docs/oktopost.md): if it
    # answers with one of its own, deliveries would fail our check, so stop and say so.
    given = raw.get("Secret")
    if given and given != secret:
        raise ServiceError(
            "Oktopost chose its own webhook secret instead of ours; oktodash cannot use it yet."
        )


def webhooks_remove() -> list[str]:
    """Delete our webhooks in Oktopost and forget the secret. Returns the ids removed."""
    url = intake_url()
    client = get_client(priority="interactive")
    removed = []
    for webhook in client.webhook_list():
        if webhook.url == url and webhook.event in POST_EVENTS:
            client.webhook_delete(webhook.id)
            removed.append(webhook.id)
    Installation.objects.filter(name="oktopost").delete()
    return removed


@dataclass(frozen=True)
class DeliveryFailure:
    event: str
    at: datetime | None
    response_code: int | None
    error: str


@dataclass(frozen=True)
class OktopostSide:
    """What Oktopost says of our webhooks: registered and enabled per event, and its
    delivery log's last hour as of `checked_at`. `error` when it could not be asked."""

    checked_at: datetime
    registered: dict[str, bool] = field(default_factory=dict)
    deliveries_last_hour: int = 0
    failures_last_hour: int = 0
    recent_failures: tuple[DeliveryFailure, ...] = ()
    error: str = ""


SIDE_CACHE_KEY = "inbox:oktopost-side"
SIDE_CACHE_SECONDS = 300  # a page asks Oktopost at most this often (5 calls each time)
SIDE_ERROR_SECONDS = 60  # a failed ask is not repeated on every load either
RECENT_FAILURES = 5


def webhooks_oktopost_side(*, fresh: bool = False) -> OktopostSide:
    """Our webhooks as Oktopost lists them and their deliveries of the last hour from
    `/webhook-log/{id}` (one call per webhook), kept in the cache for 5 minutes (a
    failure for 1), so the settings page never spends the budget on every load."""
    if not fresh:
        cached = infra.cache_get(SIDE_CACHE_KEY)
        if isinstance(cached, OktopostSide):
            return cached
    now = timezone.now()
    try:
        side = _oktopost_side_read(now)
    except OktopostError as exc:
        side = OktopostSide(checked_at=now, error=_read_words(exc))
    infra.cache_set(SIDE_CACHE_KEY, side, SIDE_ERROR_SECONDS if side.error else SIDE_CACHE_SECONDS)
    return side


def _oktopost_side_read(now: datetime) -> OktopostSide:
    url = intake_url()
    # A page waits for this: a short wait for a token, the client's own timeouts.
    client = get_client(priority="interactive", max_wait=5.0)
    ours = {w.event: w for w in client.webhook_list() if w.url == url}
    hour_ago = now - timedelta(hours=1)
    deliveries = 0
    failed: list[DeliveryFailure] = []
    for webhook in ours.values():
        for entry in client.webhook_log(webhook.id):
            if entry.created is None or entry.created < hour_ago:
                continue
            deliveries += 1
            if entry.status == "failed":
                error = str(entry.raw.get("Error") or "")[:200]
                failed.append(
                    DeliveryFailure(entry.event, entry.created, entry.response_code, error)
                )
    failed.sort(key=lambda f: f.at or hour_ago, reverse=True)
    return OktopostSide(
        checked_at=now,
        registered={e: e in ours and ours[e].enabled for e in POST_EVENTS},
        deliveries_last_hour=deliveries,
        failures_last_hour=len(failed),
        recent_failures=tuple(failed[:RECENT_FAILURES]),
    )


def _read_words(exc: OktopostError) -> str:
    if isinstance(exc, RateLimited):
        return "Our share of the Oktopost API budget is busy; the log is read again in a minute."
    if isinstance(exc, AuthError):
        return "Oktopost refused our API key."
    if exc.status and exc.status >= 500:
        return f"Oktopost had a problem of its own (HTTP {exc.status})."
    return "Oktopost could not be reached or answered with an error."


@dataclass
class Status:
    installed: bool
    url: str
    last_event_at: datetime | None
    events_last_hour: int
    silent: bool
    oktopost: OktopostSide | None  # None: not installed, and the page does not ask


def webhooks_status(*, fresh: bool = True) -> Status:
    """What arrived here and what Oktopost says of our webhooks (the command asks fresh;
    the page takes the cached answer, and asks nothing before `install`)."""
    health = selectors.webhooks_health()
    ask = fresh or health.installed
    return Status(
        installed=health.installed,
        url=intake_url(),
        last_event_at=health.last_event_at,
        events_last_hour=selectors.events_since(timezone.now() - timedelta(hours=1)),
        silent=health.silent,
        oktopost=webhooks_oktopost_side(fresh=fresh) if ask else None,
    )


__all__ = ["LockBusy", "event_receive", "events_process", "events_sweep"]
