"""Sending on the worker: mail through Django's mail framework, webhooks as one JSON POST;
every try recorded; failures retried with backoff, a bounded number of times, the reason
shown. Secrets (the SMTP password, the webhook URL) never go into an error, a page or a
log.

At most once where the channel cannot say. Neither SMTP nor a webhook tells whether a
message that got no answer arrived: a mail server that has the whole message may still
deliver it though its "250" comes after our timeout (RFC 1047; RFC 5321 §4.5.3.2.6, which
is why it advises waiting 10 minutes for that answer), and a webhook can act and then
hang. So a try goes in steps, each recorded before the next: claimed (`Dispatch.step`
"trying"), handed over ("handed": the mail's data, or the webhook's request, is about to
go out), answered. A try that ends after handing over and before the answer is "maybe
sent"; the message then goes out once more at most (a mail whose worker died after
handing it over, not at all: the server has every byte and nothing says it failed), and
the page says so. One that ends before handing over was not sent, and is retried.

A claim lasts longer than the slowest send the timeouts allow, so no second sender
starts while a first may still be sending; and handing over is a conditional write on
the claim, so a sender that outlasted its claim anyway stops before sending rather than
send a second copy."""

import logging
import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.timesince import timesince

from accounts.models import User
from alerts.models import Alert, Attempt, Dispatch, Kind, Notification, Preference, Webhook
from alerts.services import compose
from alerts.services.channels import SendError, claim_for, email_address, email_send, webhook_send
from alerts.services.preferences import bell_forget
from alerts.timing import quiet_until
from core.services import enqueue

log = logging.getLogger(__name__)

# Seconds to wait after the 1st, 2nd, … failure; then hourly.
BACKOFF = (30, 60, 120, 300, 600, 1800, 3600)
# Tries before giving up: the backoff above, then hourly, about 18 hours in all. An alert
# a day late tells nobody anything the bell did not; three days of hourly tries did.
MAX_ATTEMPTS = 24
# Tries that may have delivered (handed over, never answered): the first is followed by
# one more try at most, so a message comes twice at most, never once per retry.
MAYBE_LIMIT = 2
WEBHOOK_DISABLE_AFTER = 3  # 4xx answers in a row


class Overtaken(Exception):
    """Another sender claimed the dispatch: this one stops, sends nothing, records nothing."""


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
    from alerts import task_names as tasks

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
    channel = Dispatch.objects.filter(id=dispatch_id).values_list("channel", flat=True).first()
    if channel is None:
        return False
    token = uuid.uuid4()
    claimed = (
        Dispatch.objects.filter(id=dispatch_id, state=Dispatch.State.PENDING, due_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        # From the real clock too: in a long batch `now` is when the batch began.
        .update(claimed_until=max(now, timezone.now()) + claim_for(channel), claim=token)
    )
    if not claimed:
        return False
    dispatch = Dispatch.objects.select_related("user", "webhook").get(id=dispatch_id)
    if dispatch.step:
        # The sender before this one stopped (its worker died) in the middle of a try.
        _failed(dispatch, _stopped(dispatch), now, token)
        return False
    _mine(dispatch.id, token).update(step=Dispatch.Step.TRYING)
    send = email_send if dispatch.channel == Dispatch.Channel.EMAIL else webhook_send
    try:
        send(dispatch, hand_over=lambda: _hand_over(dispatch.id, token))
    except Overtaken:
        log.warning("alerts: dispatch %s was claimed by another sender; not sent here", dispatch.id)
        return False
    except SendError as exc:
        _failed(dispatch, exc, now, token)
        return False
    except Exception as exc:  # a bug or a library's surprise: recorded and backed off,
        # never left claimed with no try counted (which retried it every 2 minutes forever)
        log.exception("alerts: %s dispatch %s raised", dispatch.channel, dispatch.id)
        words = f"unexpected error ({type(exc).__name__})"
        handed = _mine(dispatch.id, token).filter(step=Dispatch.Step.HANDED).exists()
        _failed(dispatch, SendError(words, maybe=handed), now, token)
        return False
    # Sent after an earlier try that may have arrived too: the page says it may be twice.
    note = _maybe_twice(dispatch) if dispatch.maybe_sent else ""
    with transaction.atomic():
        if not _mine(dispatch.id, token).update(
            state=Dispatch.State.SENT,
            sent_at=timezone.now(),
            attempts=F("attempts") + 1,
            claimed_until=None,
            claim=None,
            step=Dispatch.Step.IDLE,
            last_error=note,
        ):
            log.warning("alerts: dispatch %s was sent after its claim ran out", dispatch.id)
            return True
        Attempt.objects.create(dispatch=dispatch, at=now, ok=True)
        if dispatch.webhook_id:
            Webhook.objects.filter(id=dispatch.webhook_id).update(client_errors=0)
    return True


def _mine(dispatch_id: int, token: uuid.UUID) -> QuerySet[Dispatch]:
    """The dispatch while this sender still holds its claim: every write of a try goes
    through it, so a sender that was overtaken changes nothing."""
    return Dispatch.objects.filter(id=dispatch_id, claim=token)


def _hand_over(dispatch_id: int, token: uuid.UUID) -> None:
    """Recorded before the message goes out, and only while the claim is still ours."""
    if not _mine(dispatch_id, token).update(step=Dispatch.Step.HANDED):
        raise Overtaken


def _stopped(dispatch: Dispatch) -> SendError:
    """What a try whose sender stopped half-way amounts to, from the step it recorded."""
    if dispatch.step != Dispatch.Step.HANDED:
        return SendError("our worker stopped before the message went out: not sent")
    if dispatch.channel == Dispatch.Channel.EMAIL:
        # The server has every byte from a sender that died: nothing says it failed,
        # and it almost surely delivered. Sending again would be the second copy.
        return SendError(
            "our worker stopped while sending it, after the mail server had taken the "
            "message and before it confirmed it, so it has probably arrived. Not sent "
            "again, so it comes at most once; the alert is in your bell",
            maybe=True,
            final=True,
        )
    # A webhook sends its delivery id: a receiver that keeps them drops the copy.
    return SendError(
        "our worker stopped while posting it, before the receiver answered, so it may have arrived",
        maybe=True,
    )


def _maybe_twice(dispatch: Dispatch) -> str:
    if dispatch.channel == Dispatch.Channel.EMAIL:
        return (
            "an earlier try was taken by the mail server without a confirmation, so it "
            "may have arrived twice"
        )
    return (
        "an earlier try got no answer, so it may have arrived twice (with the same "
        f"delivery id, {dispatch.key})"
    )


def _failed(dispatch: Dispatch, exc: SendError, now: datetime, token: uuid.UUID) -> None:
    attempts = dispatch.attempts + 1
    maybe_sent = dispatch.maybe_sent + exc.maybe
    if exc.maybe and (exc.final or maybe_sent >= MAYBE_LIMIT or attempts >= MAX_ATTEMPTS):
        state = Dispatch.State.MAYBE
        if exc.final:
            words = exc.words
        elif maybe_sent > 1:
            words = f"{exc.words}. That was the second such try: not tried again"
        else:
            words = f"{exc.words}. Tried {attempts} times: not tried again"
    elif exc.maybe:
        state = Dispatch.State.PENDING
        again = "once more at most, so it may come twice"
        if dispatch.channel == Dispatch.Channel.WEBHOOK:
            again += (
                f" (with the same delivery id, {dispatch.key}, for the receiver to drop the copy)"
            )
        words = f"{exc.words}. It is tried {again}"
    elif exc.permanent or attempts >= MAX_ATTEMPTS:
        # Given up: a message an earlier try may have delivered stays "maybe sent".
        state = Dispatch.State.MAYBE if maybe_sent else Dispatch.State.FAILED
        words = exc.words
        if not exc.permanent:
            span = timesince(dispatch.created, now, depth=1)
            words = f"gave up after {attempts} tries over {span}; the last: {exc.words}"
        if maybe_sent:
            words = f"an earlier try may have arrived; {words}"
    else:
        state = Dispatch.State.PENDING
        words = exc.words
        if maybe_sent:
            words += "; an earlier try may have arrived, and it is tried once more at most"
    wait = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    log.warning(
        "alerts: %s dispatch %s failed (try %s%s): %s",
        dispatch.channel,
        dispatch.id,
        attempts,
        ", maybe sent" if exc.maybe else "",
        exc.words,
    )
    with transaction.atomic():
        if not _mine(dispatch.id, token).update(
            state=state,
            attempts=attempts,
            maybe_sent=maybe_sent,
            last_error=words[:500],
            due_at=now + timedelta(seconds=wait),
            claimed_until=None,
            claim=None,
            step=Dispatch.Step.IDLE,
        ):
            log.warning("alerts: dispatch %s failed after its claim ran out", dispatch.id)
            return
        Attempt.objects.create(
            dispatch=dispatch, at=now, ok=False, maybe=exc.maybe, error=exc.words[:500]
        )
        if exc.client_error and dispatch.webhook_id:
            _webhook_client_error(dispatch.webhook_id, exc.words, now)


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
