"""Messages at most once where the channel cannot say (issue 22, item 5), against a real
SMTP server (aiosmtpd) and a real HTTP receiver on 127.0.0.1 that keep a message and
then answer late, and a real sender process killed mid-send.

The clock is the `now` each send is given: a second worker "minutes later" is the same
code asked at a later instant, so no test waits for a claim or a backoff to run out."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.html import strip_tags

from accounts.models import EDITOR
from alerts.models import Dispatch, Event, Webhook
from alerts.services import channels, send
from tests.alerts_receivers import SMTPServer, WebhookReceiver
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Sending is driven by the tests, not by a worker."""
    monkeypatch.setattr(send, "enqueue", lambda task, *args: None)


def use_smtp(settings, server: SMTPServer, *, timeout: float) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": timeout},
        }
    }


@pytest.fixture
def smtp(settings):
    server = SMTPServer()
    server.start()
    use_smtp(settings, server, timeout=3)
    settings.SITE_URL = "https://dash.example.com"
    yield server
    server.stop()


@pytest.fixture
def hook_receiver():
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def alice(db):
    user = make_user("alice", EDITOR)
    user.email = "alice@example.com"
    user.save()
    return user


@pytest.fixture
def admin(db):
    user = make_user("root", None)
    user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def webhook(hook_receiver, settings):
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]  # the receiver is on loopback
    return Webhook.objects.create(
        name="Team channel", url=hook_receiver.url, events=[e.value for e in Event]
    )


def mail_to(user) -> Dispatch:
    return Dispatch.objects.create(
        channel=Dispatch.Channel.EMAIL,
        user=user,
        subject="[oktodash] Failed: LinkedIn post “Spring launch”",
        body="LinkedIn · Acme page: Token expired\n",
    )


def post_to(hook: Webhook) -> Dispatch:
    return Dispatch.objects.create(
        channel=Dispatch.Channel.WEBHOOK, webhook=hook, subject="x", body="A post failed"
    )


def page_text(client, user, path: str = "/alerts/settings/") -> str:
    client.force_login(user)
    return " ".join(strip_tags(client.get(path).content.decode()).split())


def hourly(start, hours: int) -> None:
    """A worker looking for due messages every hour: every retry's wait is over."""
    for hour in range(hours):
        send.dispatches_send_due(now=start + timedelta(hours=hour))


@pytest.mark.django_db(transaction=True)  # two senders, two database connections
def test_a_mail_still_being_sent_is_not_taken_over_by_another_worker(alice, smtp, settings):
    """With EMAIL_TIMEOUT's 10 s, a send may take minutes before it must end; the old
    two-minute claim let a second worker send the same mail while the first still was."""
    use_smtp(settings, smtp, timeout=10)
    smtp.reply_delay = 0.5
    dispatch = mail_to(alice)
    start = timezone.now()

    def first_worker() -> None:
        try:
            send.dispatch_send(dispatch_id=dispatch.id, now=start)
        finally:
            # Its own connection, closed: left open, it kept PostgreSQL from dropping the
            # test database at the end of the run.
            connection.close()

    first = threading.Thread(target=first_worker)
    first.start()
    try:
        assert smtp.took_data.wait(5)
        # The second worker, two and a half minutes later by its clock, while the first
        # still waits for the server's answer.
        taken_over = send.dispatches_send_due(now=start + timedelta(minutes=2, seconds=30))
    finally:
        first.join(10)
    assert taken_over == 0
    assert len(smtp.messages) == 1
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.SENT and dispatch.attempts == 1


def test_a_mail_the_server_took_without_confirming_goes_out_twice_at_most_and_says_so(
    alice, smtp, settings, client
):
    """The server keeps the message and answers after the timeout (as one answering in
    15 s against EMAIL_TIMEOUT's 10 s did): it may have arrived, so it is tried once
    more, never once per retry; the user's page says so."""
    use_smtp(settings, smtp, timeout=0.3)
    smtp.reply_delay = 0.6
    dispatch = mail_to(alice)
    hourly(timezone.now(), 6)

    assert len(smtp.messages) == 2
    # The same Message-ID on both: mail programs that keep them show one.
    assert smtp.messages[0]["Message-ID"] == smtp.messages[1]["Message-ID"]
    assert smtp.messages[0]["Message-ID"] == f"<{dispatch.key}@dash.example.com>"
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.MAYBE
    assert [(t.ok, t.maybe) for t in dispatch.tries.all()] == [(False, True), (False, True)]
    text = page_text(client, alice)
    assert (
        "Maybe sent: the mail server took the message but did not confirm it within 0.3 s, "
        "so it may have arrived. That was the second such try: not tried again"
    ) in text


def test_a_mail_sent_after_a_try_the_server_did_not_confirm_says_it_may_have_come_twice(
    alice, smtp, settings, client
):
    use_smtp(settings, smtp, timeout=0.3)
    smtp.reply_delay = 0.6
    dispatch = mail_to(alice)
    start = timezone.now()
    send.dispatches_send_due(now=start)
    assert (
        "Waiting: the mail server took the message but did not confirm it within 0.3 s, so it "
        "may have arrived. It is tried once more at most, so it may come twice"
    ) in page_text(client, alice)

    smtp.reply_delay = 0
    hourly(start + timedelta(hours=1), 3)
    assert len(smtp.messages) == 2
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.SENT
    assert (
        "Sent: an earlier try was taken by the mail server without a confirmation, so it "
        "may have arrived twice"
    ) in page_text(client, alice)


SENDER = """
import sys

import django

django.setup()
from datetime import UTC, datetime

from alerts.services.send import dispatch_send

# The test's clock (moved by the date matrix), not this process's.
dispatch_send(dispatch_id=int(sys.argv[1]), now=datetime.fromtimestamp(float(sys.argv[2]), UTC))
"""


def start_sender(dispatch_id: int, smtp_port: int, var_dir: Path) -> subprocess.Popen:
    """A process sending one dispatch, as a worker does, on this test's database."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        database_url = f"sqlite:///{db['NAME']}"
    else:
        database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "oktodash.settings",
        "SECRET_KEY": "sender-test",
        "HTTPS": "false",
        "VAR_DIR": str(var_dir),
        "OKTOPOST_SANDBOX": "true",
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "EMAIL_URL": f"smtp+plain://127.0.0.1:{smtp_port}",
        "EMAIL_TIMEOUT": "3",
        "SITE_URL": "https://dash.example.com",
    }
    return subprocess.Popen(
        [sys.executable, "-c", SENDER, str(dispatch_id), str(time.time())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(var_dir / "sender.log").open("w"),
    )


@pytest.mark.django_db(transaction=True)  # the sender process reads what the test wrote
@pytest.mark.parametrize("killed", ["after handing the mail over", "before handing it over"])
def test_a_mail_whose_worker_was_killed_mid_send_goes_out_once(
    alice, smtp, settings, tmp_path, client, killed
):
    """SIGKILLed while the server holds its answer to the data, the sender leaves a try
    "handed over": the server has every byte, so the next look does not send it again
    (the old claim ran out after two minutes and the mail went out twice). Killed
    before the data went out, it was not sent, and is sent once."""
    use_smtp(settings, smtp, timeout=3)
    if killed.startswith("after"):
        smtp.reply_delay = 30
        reached = smtp.took_data
    else:
        smtp.rcpt_delay = 30
        reached = smtp.at_rcpt
    dispatch = mail_to(alice)
    sender = start_sender(dispatch.id, smtp.port, tmp_path)
    try:
        assert reached.wait(20), (tmp_path / "sender.log").read_text()
    finally:
        sender.send_signal(signal.SIGKILL)
        sender.wait(10)
    smtp.reply_delay = smtp.rcpt_delay = 0
    assert len(smtp.messages) == (1 if killed.startswith("after") else 0)

    hourly(timezone.now() + timedelta(hours=1), 3)
    dispatch.refresh_from_db()
    if killed.startswith("after"):
        assert len(smtp.messages) == 1
        assert dispatch.state == Dispatch.State.MAYBE
        assert (
            "Maybe sent: our worker stopped while sending it, after the mail server had taken "
            "the message and before it confirmed it, so it has probably arrived. Not sent again"
        ) in page_text(client, alice)
    else:
        assert len(smtp.messages) == 1
        assert dispatch.state == Dispatch.State.SENT
        assert [t.error for t in dispatch.tries.all()] == [
            "our worker stopped before the message went out: not sent",
            "",
        ]


def test_a_webhook_that_hangs_gets_the_delivery_twice_at_most_with_one_key(
    admin, webhook, hook_receiver, monkeypatch, client
):
    """The receiver keeps the post and answers after the read timeout: each hang was one
    more delivery. Now the second is the last, and both carry the delivery's key (header
    and body) for a receiver to drop the copy."""
    monkeypatch.setattr(channels, "WEBHOOK_TIMEOUT", (1, 0.3))
    hook_receiver.delay = 0.6
    dispatch = post_to(webhook)
    hourly(timezone.now(), 6)

    # The sender gave up on each after 0.3 s; on a busy machine the receiver's thread may
    # not have kept the second post by then. Nothing is sent after hourly() returns.
    deadline = time.monotonic() + 5
    while len(hook_receiver.posts) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(hook_receiver.posts) == 2
    key = str(dispatch.key)
    assert [h["Idempotency-Key"] for h in hook_receiver.headers] == [key, key]
    assert [p["idempotency_key"] for p in hook_receiver.posts] == [key, key]
    assert hook_receiver.posts[0]["text"] == "A post failed"
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.MAYBE
    text = page_text(client, admin)
    assert (
        "Maybe sent: ReadTimeout: 127.0.0.1 took the message but did not answer within "
        "0.3 s, so it may have arrived. That was the second such try: not tried again"
    ) in text
    assert "s3cr3tT0ken" not in text


def test_each_webhook_message_has_its_own_key(webhook, hook_receiver):
    first, second = post_to(webhook), post_to(webhook)
    send.dispatches_send_due()
    keys = sorted(p["idempotency_key"] for p in hook_receiver.posts)
    assert keys == sorted([str(first.key), str(second.key)])


@pytest.mark.parametrize("channel", ["email", "webhook"])
def test_retries_stop_after_a_bounded_number_of_tries_with_the_reason_shown(
    alice, admin, smtp, webhook, hook_receiver, client, channel
):
    """A server that stays down: tried with backoff, then hourly, and given up after
    MAX_ATTEMPTS (about a day, not the three days of hourly tries there were), the page
    saying after how many tries, over how long, and why."""
    if channel == "email":
        smtp.stop()
        dispatch, reader = mail_to(alice), alice
        reason = "the mail server could not be reached (ConnectionRefusedError)"
    else:
        hook_receiver.stop()
        dispatch, reader = post_to(webhook), admin
        reason = "ConnectionError while posting to 127.0.0.1"
    hourly(timezone.now(), 30)

    dispatch.refresh_from_db()
    assert dispatch.attempts == send.MAX_ATTEMPTS == 24
    assert dispatch.state == Dispatch.State.FAILED
    text = page_text(client, reader)
    assert re.search(
        rf"Failed, kept: gave up after 24 tries over 23 hours; the last: {re.escape(reason)}",
        text,
    )
