"""Verifying the address a user chose for their alert mail (issue 23).

A new address gets one message: a link that confirms it, opened while signed in as
the user who chose it, and nothing else (no figures, no share link). Until then mail
goes to the account's own address. An address outside ALERTS_MAIL_DOMAINS also needs
an admin's approval, given on the alert settings page."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from alerts.models import Dispatch, Preference
from alerts.selectors import mail_recipient, preference_for
from alerts.services.send import dispatches_queue
from core.infra import rate_take

SALT = "alerts.address"
VALID_DAYS = 3
CONFIRMATIONS_PER_HOUR = 3  # a user cannot make oktodash mail anyone over and over


def confirm_link(*, user: User, address: str) -> str:
    signed = signing.dumps({"u": user.pk, "e": address}, salt=SALT, compress=True)
    return settings.SITE_URL + reverse("alerts:address_confirm", args=[signed])


def address_confirmation_send(*, user: User, now: datetime | None = None) -> str:
    """Mail the confirmation link to the user's chosen address if it needs one; the
    words say what happens next (for the settings page)."""
    pref = preference_for(user)
    recipient = mail_recipient(user, pref)
    if not recipient.waiting:
        return ""
    fallback = (
        f"Until then, mail goes to {recipient.address}."
        if recipient.address
        else "Until then, you get no mail."
    )
    if recipient.confirmed:
        return f"{recipient.chosen} waits for an admin to allow it. {fallback}"
    if not rate_take(f"address-confirm:{user.pk}", limit=CONFIRMATIONS_PER_HOUR, window=3600):
        return (
            f"A link to confirm {recipient.chosen} was sent several times in the last hour; "
            f"open the latest one, or try again later. {fallback}"
        )
    now = now or timezone.now()
    link = confirm_link(user=user, address=recipient.chosen)
    body = (
        f"Someone signed in to oktodash as {user.get_username()} asked for alert mail to "
        f"go to this address.\n\nIf that was you, open this link while signed in as "
        f"{user.get_username()} within {VALID_DAYS} days:\n{link}\n\n"
        "If it was not you, ignore this message: nothing is sent here without it.\n"
    )
    with transaction.atomic():
        dispatch = Dispatch.objects.create(
            channel=Dispatch.Channel.EMAIL,
            user=user,
            kind="confirm",
            to_address=recipient.chosen,
            subject="[oktodash] Confirm this address for alert mail",
            body=body,
            created=now,
            due_at=now,
        )
        transaction.on_commit(lambda: dispatches_queue([dispatch.id]))
    words = f"We sent a link to {recipient.chosen}: open it to confirm the address."
    if not recipient.allowed:
        words += " An admin must allow it as well, since it is outside your organisation."
    return f"{words} {fallback}"


def address_confirm(*, user: User, signed: str) -> str | None:
    """The address a confirmation link confirms for `user` (saved), or None when the
    link is not theirs, has expired, or names an address no longer chosen."""
    address = address_of_link(user=user, signed=signed)
    if address is None:
        return None
    Preference.objects.filter(user=user, email=address).update(email_confirmed=address)
    return address


def address_of_link(*, user: User, signed: str) -> str | None:
    try:
        data = signing.loads(signed, salt=SALT, max_age=VALID_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user.pk:
        return None
    address = str(data.get("e", ""))
    if not Preference.objects.filter(user=user, email=address).exists():
        return None
    return address


def address_allow(*, admin: User, preference_id: int) -> bool:
    """An admin allows the address the user has chosen now (a later change needs
    allowing again)."""
    pref = Preference.objects.filter(id=preference_id).exclude(email="").first()
    if pref is None:
        return False
    pref.email_allowed, pref.email_allowed_by = pref.email, admin
    pref.save(update_fields=["email_allowed", "email_allowed_by"])
    return True


def address_withdraw(*, preference_id: int) -> bool:
    return bool(
        Preference.objects.filter(id=preference_id).update(email_allowed="", email_allowed_by=None)
    )
