"""The two channels a dispatch goes out by: mail through Django's mail framework, one
command at a time over SMTP, and webhooks as one JSON POST. Each try ends sent, or in a
`SendError` saying whether the message may have arrived (it was handed over and no
answer came) and whether trying again can help. Secrets (the SMTP password, the webhook
URL) never go into its words.

How long the slowest send can take, from these timeouts, is how long a sender holds its
claim (`claim_for`): alerts.services.send claims, retries and records."""

import email.policy
import re
import smtplib
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from urllib3.exceptions import ConnectTimeoutError

from accounts.models import User
from alerts.models import Dispatch, DispatchFile, Preference
from alerts.report_selectors import address_allowed
from alerts.selectors import mail_recipient
from alerts.unsubscribe import unsubscribe_url
from alerts.webhooks import webhook_internal, webhook_policy
from core import outbound

WEBHOOK_TIMEOUT = (3.05, 10)  # connect, then each read
# The slowest send the timeouts allow, each step waiting its full timeout. SMTP: the
# connection, the greeting, EHLO, STARTTLS, its handshake, EHLO again, AUTH (LOGIN takes
# three), MAIL, DATA, the message itself, the final answer and QUIT, plus one RCPT per
# recipient. A webhook: a connection to each address a name resolves to (a few), the
# request, the answer's head and its body.
SMTP_STEPS = 14
WEBHOOK_ADDRESSES = 4
WEBHOOK_READS = 3
# On top of that: name lookups, the database writes between steps, a busy machine.
CLAIM_SLACK = timedelta(seconds=60)


class SendError(Exception):
    """A try that did not end in "sent". `maybe`: it ended after the message was handed
    over, so it may have arrived; `final`: not to be tried again whatever the counts."""

    def __init__(
        self,
        words: str,
        *,
        permanent: bool = False,
        client_error: bool = False,
        maybe: bool = False,
        final: bool = False,
    ):
        super().__init__(words)
        self.words = words
        self.permanent = permanent
        self.client_error = client_error
        self.maybe = maybe
        self.final = final


def mail_timeout() -> float:
    """Seconds the mail backend waits at each step (MAILERS' timeout, set from EMAIL_TIMEOUT)."""
    options = getattr(settings, "MAILERS", {}).get("default", {}).get("OPTIONS", {})
    return float(options.get("timeout") or getattr(settings, "EMAIL_TIMEOUT_SECONDS", 10))


def claim_for(channel: str, *, recipients: int = 1) -> timedelta:
    """How long a sender holds a dispatch: past the slowest send its timeouts allow, so
    that nobody takes over a send that may still be running. (A socket timeout bounds
    each step, not the whole: a server that answers a byte at a time could go on longer;
    handing over checks the claim, so even then no second copy goes out.)"""
    if channel == Dispatch.Channel.EMAIL:
        worst = (SMTP_STEPS + recipients) * mail_timeout()
    else:
        connect, read = WEBHOOK_TIMEOUT
        worst = WEBHOOK_ADDRESSES * connect + WEBHOOK_READS * read
    return timedelta(seconds=worst) + CLAIM_SLACK


def email_address(user: User, pref: Preference) -> str:
    """Where this user's mail goes: a verified address only (alerts.selectors)."""
    return mail_recipient(user, pref).address


def email_send(dispatch: Dispatch, *, hand_over: Callable[[], None]) -> None:
    """Send one dispatch by mail; `hand_over` is called just before the message goes out."""
    pref = Preference.objects.filter(user=dispatch.user).first() or Preference(user=dispatch.user)
    if dispatch.kind == "confirm":
        # The one message that goes to an address not verified yet: its confirmation,
        # which carries nothing but the link, and only while the address is still chosen.
        to = dispatch.to_address
        if not to or to.lower() != pref.email.lower():
            raise SendError("the address was changed before it was confirmed", permanent=True)
    elif dispatch.kind == "report":
        to = report_address(dispatch)
    else:
        to = email_address(dispatch.user, pref)
    if not to:
        raise SendError("the user has no email address", permanent=True)
    domain = urlsplit(settings.SITE_URL).hostname or "oktodash"
    # The same on every try: mail programs that keep Message-IDs show one copy.
    headers = {"Message-ID": f"<{dispatch.key}@{domain}>"}
    if dispatch.kind == "report" and dispatch.to_address:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url(dispatch.report_recipient)}>"
    message = ReportEmail(
        subject=dispatch.subject,
        body=dispatch.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
    if dispatch.html:
        message.attach_alternative(dispatch.html, "text/html")
    for file in dispatch.files.all() if dispatch.pk else []:
        if file.content_id and dispatch.html:
            message.related.append(file)
        else:
            message.attach(file.name, bytes(file.data), file.content_type)
    try:
        # Built first, so a header that cannot be sent fails here, before a mail file
        # is opened or a server is asked, and is recorded instead of retried forever.
        message.message()
    except ValueError as exc:  # BadHeaderError: a line break in a header
        words = f"a header has a line break, so it cannot be sent ({type(exc).__name__})"
        raise SendError(f"the message is not sent: {words}", permanent=True) from None
    backend = mail.mailers.default
    try:
        if isinstance(backend, SMTPBackend):
            _smtp_send(backend, message, hand_over)
        else:  # files, the console, memory: nothing between us and the result
            hand_over()
            backend.send_messages([message])
    except _NoAnswer as exc:
        raise SendError(exc.words, maybe=True) from None
    except smtplib.SMTPRecipientsRefused:
        raise SendError(f"the mail server refused the address {to}", permanent=True) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"the mail server refused our login (SMTP {exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:
        permanent = 500 <= exc.smtp_code < 600 and exc.smtp_code != 530
        raise SendError(f"the mail server answered {exc.smtp_code}", permanent=permanent) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(f"the mail server could not be reached ({type(exc).__name__})") from None


class ReportEmail(EmailMultiAlternatives):
    """A mail whose HTML part may show images it carries (`related`, each with its
    Content-ID): they go in a multipart/related beside the HTML (RFC 2387), so mail
    programs show them inline rather than as attachments."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.related: list[DispatchFile] = []

    def _add_bodies(self, msg: email.message.EmailMessage) -> email.message.EmailMessage:
        msg = super()._add_bodies(msg) or msg
        if not self.related:
            return msg
        html = next(p for p in msg.walk() if p.get_content_type() == "text/html")
        for file in self.related:
            maintype, subtype = file.content_type.split("/", 1)
            html.add_related(
                bytes(file.data),
                maintype=maintype,
                subtype=subtype,
                cid=f"<{file.content_id}>",
                disposition="inline",
                filename=file.name,
            )
        return msg


def report_address(dispatch: Dispatch) -> str:
    """Where a scheduled report goes, checked again as it is sent: a user's verified
    address; an outside address only while it is subscribed and admins allow it."""
    recipient = dispatch.report_recipient
    if recipient is None:
        raise SendError("the report was deleted before it was sent", permanent=True)
    if recipient.unsubscribed_at is not None:
        raise SendError("the recipient unsubscribed before it was sent", permanent=True)
    if recipient.user_id:
        user = dispatch.user
        return email_address(
            user, Preference.objects.filter(user=user).first() or Preference(user=user)
        )
    if not address_allowed(recipient.address):
        raise SendError(
            "admins no longer allow reports to addresses outside your organisation", permanent=True
        )
    return recipient.address


class _NoAnswer(Exception):
    def __init__(self, words: str):
        super().__init__(words)
        self.words = words


def _smtp_send(
    backend: SMTPBackend, message: EmailMultiAlternatives, hand_over: Callable[[], None]
) -> None:
    """What Django's SMTP backend does for one message, one command at a time, so that a
    failure is known to fall before the message went over (not sent) or after it, while
    the server's answer was awaited (`_NoAnswer`: maybe sent)."""
    try:
        backend.open()
        conn = backend.connection
        sender = backend.prep_address(message.from_email)
        content = message.message(policy=email.policy.SMTP).as_bytes()
        conn.ehlo_or_helo_if_needed()
        code, reply = conn.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        for address in message.recipients():
            address = backend.prep_address(address)
            code, reply = conn.rcpt(address)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({address: (code, reply)})
        code, reply = conn.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        hand_over()
        # RFC 5321 §4.5.2: a line starting with a dot gets a second one; then <CRLF>.<CRLF>.
        data = re.sub(rb"(?m)^\.", b"..", content)
        data += (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n"
        try:
            conn.send(data)
            code, reply = conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            if isinstance(exc.__context__, TimeoutError) or isinstance(exc, TimeoutError):
                why = f"did not confirm it within {mail_timeout():g} s"
            else:
                why = "closed the connection before confirming it"
            raise _NoAnswer(
                f"the mail server took the message but {why}, so it may have arrived"
            ) from None
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
    finally:
        with suppress(Exception):  # the message's fate is known; QUIT changes nothing
            backend.close()


def webhook_send(dispatch: Dispatch, *, hand_over: Callable[[], None]) -> None:
    """POST one dispatch to its webhook; `hand_over` is called just before the request."""
    hook = dispatch.webhook
    if hook is None or not hook.enabled:
        raise SendError("the webhook is disabled", permanent=True)
    policy = webhook_policy()
    key = str(dispatch.key)
    try:
        outbound.check_url(hook.url, policy)
        with outbound.session(policy) as client:
            hand_over()
            answer = client.post(
                hook.url,
                # Idempotency-Key (IETF draft-ietf-httpapi-idempotency-key-header) and the
                # same id in the body: the same on every try of this message.
                json={"text": dispatch.body, "idempotency_key": key},
                headers={"Idempotency-Key": key},
                timeout=WEBHOOK_TIMEOUT,
                allow_redirects=False,
            )
    except outbound.Refused as exc:
        # The words name the host, never the URL (the secret); nothing was sent.
        raise SendError(f"not sent: {exc}", permanent=True) from None
    except requests.RequestException as exc:
        # requests puts the URL (the secret) in its messages: only the kind and host.
        if _never_connected(exc):
            raise SendError(f"{type(exc).__name__} while posting to {hook.host}") from None
        if isinstance(exc, requests.ReadTimeout):
            why = f"did not answer within {WEBHOOK_TIMEOUT[1]:g} s"
        else:
            why = "closed the connection without answering"
        raise SendError(
            f"{type(exc).__name__}: {hook.host} took the message but {why}, so it may have arrived",
            maybe=True,
        ) from None
    if 200 <= answer.status_code < 300:
        return
    client_error = 400 <= answer.status_code < 500 and answer.status_code not in (408, 429)
    port = urlsplit(hook.url).port or outbound.default_port(urlsplit(hook.url).scheme)
    if webhook_internal(hook.host, port):
        # An internal service's status codes are nobody's business on this page.
        raise SendError(f"{hook.host} did not accept the message", client_error=client_error)
    raise SendError(f"{hook.host} answered HTTP {answer.status_code}", client_error=client_error)


def _never_connected(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the receiver: no connection was made
    (refused, unresolvable, timed out connecting, TLS failed) or it was never built."""
    if isinstance(exc, (requests.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    if not isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return not isinstance(exc, requests.exceptions.ChunkedEncodingError)
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ConnectTimeoutError)
