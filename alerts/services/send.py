"""Sending on the worker: mail through Django's mail framework, webhooks as one JSON POST;
every try recorded; failures retried with backoff; nothing dropped. Secrets (the SMTP
password, the webhook URL) never go into an error, a page or a log."""

import logging
import smtplib
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from alerts.models import Alert, Attempt, Dispatch, Kind, Notification, Preference, Webhook
from alerts.selectors import mail_recipient
from alerts.services import compose
from alerts.services.preferences import bell_forget
from alerts.timing import quiet_until
from alerts.webhooks import webhook_internal, webhook_policy
from oktodash import outbound
from posts.services.common import enqueue

log = logging.getLogger(__name__)

# Seconds to wait after the 1st, 2nd, … failure; then hourly, for about three days.
BACKOFF = (30, 60, 120, 300, 600, 1800, 3600)
MAX_ATTEMPTS = 80
WEBHOOK_DISABLE_AFTER = 3  # 4xx answers in a row
WEBHOOK_TIMEOUT = (3.05, 10)
CLAIM_FOR = timedelta(minutes=2)


class SendError(Exception):
    def __init__(self, words: str, *, permanent: bool = False, client_error: bool = False):
        super().__init__(words)
        self.words = words
        self.permanent = permanent
        self.client_error = client_error


def email_address(user: User, pref: Preference) -> str:
    """Where this user's mail goes: a verified address only (alerts.selectors)."""
    return mail_recipient(user, pref).address


def schedule_email(user: User, pref: Preference, alerts: list[Alert], *, now: datetime) -> Dispatch:
    """One message for these alerts, due now or when the user's quiet hours end; alerts
    arriving during quiet hours join the message already waiting."""
    due = quiet_until(now, pref.quiet_start, pref.quiet_end, user.zone)
    waiting = None
    if due > now:
        waiting = (
            Dispatch.objects.filter(
                channel=Dispatch.Channel.EMAIL,
                user=user,
                kind="alerts",
                state=Dispatch.State.PENDING,
                attempts=0,
                due_at__gt=now,
            )
            .order_by("id")
            .first()
        )
    dispatch = waiting or Dispatch(
        channel=Dispatch.Channel.EMAIL, user=user, kind="alerts", created=now, due_at=due
    )
    everything = (list(waiting.alerts.all()) if waiting else []) + alerts
    dispatch.subject = compose.alerts_subject(everything)[:300]
    dispatch.body = compose.alerts_text(everything, user.zone)
    dispatch.save()
    dispatch.alerts.add(*alerts)
    return dispatch


def dispatches_queue(ids: list[int]) -> None:
    from alerts import tasks

    for dispatch_id in ids:
        enqueue(tasks.dispatch_send, dispatch_id)


def dispatches_send_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Send what is due (new, after quiet hours, or a retry whose wait is over)."""
    now = now or timezone.now()
    ids = list(
        Dispatch.objects.filter(state=Dispatch.State.PENDING, due_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("due_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    return sum(dispatch_send(dispatch_id=i, now=now) for i in ids)


def dispatch_send(*, dispatch_id: int, now: datetime | None = None) -> bool:
    """Claim the dispatch (a conditional UPDATE: one sender wins), try once, record it."""
    now = now or timezone.now()
    claimed = (
        Dispatch.objects.filter(id=dispatch_id, state=Dispatch.State.PENDING, due_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM_FOR)
    )
    if not claimed:
        return False
    dispatch = Dispatch.objects.select_related("user", "webhook").get(id=dispatch_id)
    try:
        if dispatch.channel == Dispatch.Channel.EMAIL:
            _send_email(dispatch)
        else:
            _send_webhook(dispatch)
    except SendError as exc:
        _failed(dispatch, exc, now)
        return False
    except Exception as exc:  # a bug or a library's surprise: recorded and backed off,
        # never left claimed with no try counted (which retried it every 2 minutes forever)
        log.exception("alerts: %s dispatch %s raised", dispatch.channel, dispatch.id)
        _failed(dispatch, SendError(f"unexpected error ({type(exc).__name__})"), now)
        return False
    with transaction.atomic():
        Attempt.objects.create(dispatch=dispatch, at=now, ok=True)
        Dispatch.objects.filter(id=dispatch.id).update(
            state=Dispatch.State.SENT,
            sent_at=timezone.now(),
            attempts=F("attempts") + 1,
            claimed_until=None,
            last_error="",
        )
        if dispatch.webhook_id:
            Webhook.objects.filter(id=dispatch.webhook_id).update(client_errors=0)
    return True


def _failed(dispatch: Dispatch, exc: SendError, now: datetime) -> None:
    attempts = dispatch.attempts + 1
    give_up = exc.permanent or attempts >= MAX_ATTEMPTS
    wait = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    log.warning(
        "alerts: %s dispatch %s failed (try %s): %s",
        dispatch.channel,
        dispatch.id,
        attempts,
        exc.words,
    )
    with transaction.atomic():
        Attempt.objects.create(dispatch=dispatch, at=now, ok=False, error=exc.words[:500])
        Dispatch.objects.filter(id=dispatch.id).update(
            state=Dispatch.State.FAILED if give_up else Dispatch.State.PENDING,
            attempts=attempts,
            last_error=exc.words[:500],
            due_at=now + timedelta(seconds=wait),
            claimed_until=None,
        )
        if exc.client_error and dispatch.webhook_id:
            _webhook_client_error(dispatch.webhook_id, exc.words, now)


def _send_email(dispatch: Dispatch) -> None:
    pref = Preference.objects.filter(user=dispatch.user).first() or Preference(user=dispatch.user)
    if dispatch.kind == "confirm":
        # The one message that goes to an address not verified yet: its confirmation,
        # which carries nothing but the link, and only while the address is still chosen.
        to = dispatch.to_address
        if not to or to.lower() != pref.email.lower():
            raise SendError("the address was changed before it was confirmed", permanent=True)
    else:
        to = email_address(dispatch.user, pref)
    if not to:
        raise SendError("the user has no email address", permanent=True)
    message = EmailMessage(
        subject=dispatch.subject,
        body=dispatch.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    try:
        # Built first, so a header that cannot be sent fails here, before a mail file
        # is opened or a server is asked, and is recorded instead of retried forever.
        message.message()
    except ValueError as exc:  # BadHeaderError: a line break in a header
        words = f"a header has a line break, so it cannot be sent ({type(exc).__name__})"
        raise SendError(f"the message is not sent: {words}", permanent=True) from None
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused:
        raise SendError(f"the mail server refused the address {to}", permanent=True) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"the mail server refused our login (SMTP {exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:
        permanent = 500 <= exc.smtp_code < 600 and exc.smtp_code != 530
        raise SendError(f"the mail server answered {exc.smtp_code}", permanent=permanent) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(f"the mail server could not be reached ({type(exc).__name__})") from None


def _send_webhook(dispatch: Dispatch) -> None:
    hook = dispatch.webhook
    if hook is None or not hook.enabled:
        raise SendError("the webhook is disabled", permanent=True)
    policy = webhook_policy()
    try:
        outbound.check_url(hook.url, policy)
        with outbound.session(policy) as client:
            answer = client.post(
                hook.url,
                json={"text": dispatch.body},
                timeout=WEBHOOK_TIMEOUT,
                allow_redirects=False,
            )
    except outbound.Refused as exc:
        # The words name the host, never the URL (the secret); nothing was sent.
        raise SendError(f"not sent: {exc}", permanent=True) from None
    except requests.RequestException as exc:
        # requests puts the URL (the secret) in its messages: only the kind and host.
        raise SendError(f"{type(exc).__name__} while posting to {hook.host}") from None
    if 200 <= answer.status_code < 300:
        return
    client_error = 400 <= answer.status_code < 500 and answer.status_code not in (408, 429)
    port = urlsplit(hook.url).port or outbound.default_port(urlsplit(hook.url).scheme)
    if webhook_internal(hook.host, port):
        # An internal service's status codes are nobody's business on this page.
        raise SendError(f"{hook.host} did not accept the message", client_error=client_error)
    raise SendError(f"{hook.host} answered HTTP {answer.status_code}", client_error=client_error)


def _webhook_client_error(webhook_id: int, words: str, now: datetime) -> None:
    Webhook.objects.filter(id=webhook_id).update(client_errors=F("client_errors") + 1)
    hook = Webhook.objects.get(id=webhook_id)
    if not hook.enabled or hook.client_errors < WEBHOOK_DISABLE_AFTER:
        return
    reason = f"Disabled after {hook.client_errors} refusals in a row: {words}"
    Webhook.objects.filter(id=webhook_id).update(enabled=False, disabled_reason=reason[:300])
    Dispatch.objects.filter(webhook_id=webhook_id, state=Dispatch.State.PENDING).update(
        state=Dispatch.State.FAILED, last_error="the webhook was disabled"
    )
    _tell_admins(hook, reason, now)


def _tell_admins(hook: Webhook, reason: str, now: datetime) -> None:
    """The admins hear in their bell and by mail that the webhook stopped."""
    alert = Alert.objects.create(
        key=f"webhook_disabled:{hook.id}:{now:%Y%m%dT%H%M%S}",
        kind=Kind.WEBHOOK_DISABLED,
        title=f"Webhook “{hook.name}” ({hook.host}) was disabled",
        lines=[reason, "Check its URL on the alert settings page, then enable it again."],
        path="/alerts/settings/#webhooks",
        created=now,
    )
    admins = list(User.objects.filter(is_active=True, is_superuser=True))
    transaction.on_commit(lambda: bell_forget([a.id for a in admins]))
    for admin in admins:
        Notification.objects.create(user=admin, alert=alert, created=now)
        pref = Preference.objects.filter(user=admin).first() or Preference(user=admin)
        if email_address(admin, pref):
            dispatch = schedule_email(admin, Preference(user=admin), [alert], now=now)
            transaction.on_commit(lambda d=dispatch.id: dispatches_queue([d]))
