"""Alerts end to end against a real SMTP server (aiosmtpd) and a real HTTP receiver."""

import logging
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import EDITOR, VIEWER
from alerts.models import Alert, Attempt, Dispatch, Event, Mode, Notification, Preference, Webhook
from alerts.services import detect, digest, send
from core.terms import STUCK_AFTER
from posts.models import Delivery, SyncState
from tests import factories as f
from tests.alerts_receivers import SMTPServer, WebhookReceiver
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Sending is driven by the tests (dispatches_send_due), not by a worker."""
    queued = []
    monkeypatch.setattr(send, "enqueue", lambda task, *args: queued.append(args))
    return queued


@pytest.fixture
def smtp(settings):
    server = SMTPServer()
    server.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 3},
        }
    }
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
def webhook(hook_receiver, settings):
    # The receiver is on loopback: an internal host, which an admin must allow.
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    return Webhook.objects.create(
        name="Team channel", url=hook_receiver.url, events=[e.value for e in Event]
    )


def failed_post(text="Spring launch is here", minutes_ago=30, error="Token expired", **kw):
    camp = kw.pop("camp", None) or f.campaign("Spring")
    prof = kw.pop("prof", None) or f.profile("LinkedIn", "Acme page")
    msg = f.message(text, camp=camp)
    kw.setdefault("start_at", timezone.now() - timedelta(minutes=minutes_ago))
    post = f.post(status="error", msg=msg, camp=camp, profiles=[prof], **kw)
    Delivery.objects.filter(post=post).update(status="failed", error=error)
    return post


def run(now=None):
    made = detect.alerts_detect(now=now)
    send.dispatches_send_due(now=(now or timezone.now()) + timedelta(seconds=1))
    return made


def test_a_failing_post_makes_exactly_one_email_and_one_webhook_message(
    alice, smtp, webhook, hook_receiver
):
    post = failed_post()
    run()
    run()  # the next look changes nothing: one alert per post per event, ever

    assert Alert.objects.count() == 1
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "alice@example.com"
    assert mail["Subject"] == "[oktodash] Failed: LinkedIn post “Spring launch is here” in Spring"
    text = mail.get_content()
    assert "LinkedIn · Acme page: Token expired" in text
    assert f"https://dash.example.com/posts/{post.oktopost_id}/" in text

    assert len(hook_receiver.posts) == 1
    slack = hook_receiver.posts[0]["text"]
    assert "Failed: LinkedIn post “Spring launch is here”" in slack
    assert f"<https://dash.example.com/posts/{post.oktopost_id}/|Open in oktodash>" in slack
    assert "Token expired" in slack
    assert Dispatch.objects.filter(state=Dispatch.State.SENT).count() == 2
    assert Attempt.objects.filter(ok=True).count() == 2
    assert Notification.objects.get(user=alice).alert.post_oktopost_id == post.oktopost_id


def test_a_partly_failed_post_names_each_failed_profile_with_the_networks_words(alice, smtp):
    camp = f.campaign("Spring")
    ok, bad = f.profile("LinkedIn", "Acme page"), f.profile("LinkedIn", "Acme careers")
    post = f.post(
        status="incomplete",
        start_at=timezone.now() - timedelta(hours=1),
        msg=f.message("Half went out", camp=camp),
        camp=camp,
        profiles=[ok, bad],
    )
    Delivery.objects.filter(post=post, profile_id=ok.oktopost_id).update(status="success")
    Delivery.objects.filter(post=post, profile_id=bad.oktopost_id).update(
        status="failed", error="The image is too large (max 5 MB)."
    )
    run()
    text = smtp.messages[0].get_content()
    assert smtp.messages[0]["Subject"].startswith("[oktodash] Partly failed: LinkedIn post")
    assert "Acme careers: The image is too large (max 5 MB)." in text
    assert "Acme page" not in text.replace("Acme careers", "")


def test_two_hundred_failures_at_once_make_one_grouped_message_per_channel(
    alice, smtp, webhook, hook_receiver
):
    camp, prof = f.campaign("Spring"), f.profile("LinkedIn", "Acme page")
    for i in range(200):
        failed_post(f"Post number {i}", camp=camp, prof=prof)
    run()
    assert Alert.objects.count() == 200
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["Subject"] == "[oktodash] 200 alerts: 200 failed"
    text = smtp.messages[0].get_content()
    assert "… and 150 more: https://dash.example.com/posts/?preset=attention" in text
    assert len(hook_receiver.posts) == 1
    assert "200 alerts from oktodash" in hook_receiver.posts[0]["text"]
    assert Notification.objects.filter(user=alice).count() == 200


@pytest.mark.dates
def test_a_stuck_post_is_alerted_after_the_grace_period_only(alice, smtp):
    assert timedelta(minutes=15) == STUCK_AFTER  # the times below fall either side of it
    post = f.post(status="pending", start_at=timezone.now() - timedelta(minutes=5))
    run()
    assert not Alert.objects.exists()
    run(now=timezone.now() + timedelta(minutes=11))
    alert = Alert.objects.get()
    assert alert.kind == "stuck" and alert.post_oktopost_id == post.oktopost_id
    assert "Stuck:" in smtp.messages[0]["Subject"]


def test_a_webhook_receiver_that_is_down_gets_the_message_when_it_comes_back(
    alice, webhook, hook_receiver, smtp, caplog
):
    hook_receiver.stop()
    failed_post()
    now = timezone.now()
    with caplog.at_level(logging.INFO):
        run(now)
    dispatch = Dispatch.objects.get(channel="webhook")
    assert dispatch.state == Dispatch.State.PENDING and dispatch.attempts == 1
    assert "ConnectionError while posting to 127.0.0.1" in dispatch.last_error
    # The URL is the secret: not in the recorded reason, not in the log.
    assert "s3cr3tT0ken" not in dispatch.last_error
    assert "s3cr3tT0ken" not in caplog.text
    # Backoff: not retried before its wait is over.
    assert send.dispatches_send_due(now=now + timedelta(seconds=5)) == 0
    hook_receiver.start()
    assert send.dispatches_send_due(now=now + timedelta(minutes=2)) == 1
    assert len(hook_receiver.posts) == 1
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.SENT
    assert list(dispatch.tries.values_list("ok", flat=True)) == [False, True]


def test_an_smtp_server_that_is_down_gets_the_mail_when_it_comes_back(alice, smtp):
    smtp.stop()
    failed_post()
    now = timezone.now()
    run(now)
    dispatch = Dispatch.objects.get(channel="email")
    assert dispatch.state == Dispatch.State.PENDING
    assert "could not be reached" in dispatch.last_error
    smtp.start()
    send.dispatches_send_due(now=now + timedelta(minutes=2))
    assert len(smtp.messages) == 1
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.SENT and dispatch.attempts == 2


def test_a_webhook_answering_4xx_is_disabled_after_three_tries_and_the_admin_is_told(
    alice, webhook, hook_receiver, smtp, client
):
    admin = make_user("root", None)
    admin.is_superuser = True
    admin.email = "root@example.com"
    admin.save()
    hook_receiver.status = 404
    failed_post()
    now = timezone.now()
    run(now)
    for minutes in (2, 5):
        send.dispatches_send_due(now=now + timedelta(minutes=minutes))
    webhook.refresh_from_db()
    assert not webhook.enabled
    # An internal host (allowed by the admin): its status code is not shown (issue 23).
    assert "did not accept" in webhook.disabled_reason and "404" not in webhook.disabled_reason
    assert Dispatch.objects.get(channel="webhook").state == Dispatch.State.FAILED
    told = Alert.objects.get(kind="webhook_disabled")
    assert Notification.objects.filter(user=admin, alert=told).exists()
    send.dispatches_send_due(now=now + timedelta(minutes=6))
    assert any("was disabled" in m["Subject"] for m in smtp.messages)
    assert all(
        m["To"] != "alice@example.com" or "disabled" not in m["Subject"] for m in smtp.messages
    )
    # The settings page shows the host and why, never the URL.
    client.force_login(admin)
    page = client.get("/alerts/settings/").content.decode()
    assert "127.0.0.1" in page and "disabled" in page
    assert "s3cr3tT0ken" not in page


@pytest.mark.dates
def test_quiet_hours_hold_mail_until_they_end_in_the_users_zone_across_dst(alice, smtp):
    alice.time_zone = "Europe/Berlin"
    alice.save()
    Preference.objects.create(
        user=alice,
        events=["failed"],
        mode=Mode.IMMEDIATE,
        quiet_start=time(22),
        quiet_end=time(7),
    )
    # 2026-03-29: clocks go from 02:00 CET to 03:00 CEST. 00:30 UTC is 01:30 CET, quiet.
    now = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    failed_post(minutes_ago=0, start_at=now - timedelta(minutes=30), modified=now)
    failed_post("Another one", start_at=now - timedelta(minutes=40), modified=now)
    detect.alerts_detect(now=now)
    detect.alerts_detect(now=now + timedelta(minutes=1))
    dispatch = Dispatch.objects.get()
    # 07:00 CEST is 05:00 UTC (not 06:00, as it would have been the day before).
    assert dispatch.due_at == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
    assert send.dispatches_send_due(now=datetime(2026, 3, 29, 4, 59, tzinfo=UTC)) == 0
    assert not smtp.messages
    assert send.dispatches_send_due(now=datetime(2026, 3, 29, 5, 0, tzinfo=UTC)) == 1
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["Subject"] == "[oktodash] 2 alerts: 2 failed"


@pytest.mark.dates
def test_the_weekly_digest_comes_at_the_users_hour_across_dst(alice, smtp):
    alice.time_zone = "Europe/Berlin"
    alice.save()
    Preference.objects.create(
        user=alice,
        events=[],
        mode=Mode.OFF,
        digest_weekday=0,
        digest_hour=8,
        last_digest_at=datetime(2026, 3, 23, 7, 0, tzinfo=UTC),  # Monday 08:00 CET
    )
    sent = f.post(status="complete", start_at=datetime(2026, 3, 25, 12, tzinfo=UTC), clicks=40)
    f.post(status="complete", start_at=datetime(2026, 3, 18, 12, tzinfo=UTC), clicks=10)
    failed_post("Broke on Friday", start_at=datetime(2026, 3, 27, 9, tzinfo=UTC))
    # Monday 30 March 08:00 is CEST now: 06:00 UTC.
    assert digest.summaries_send(now=datetime(2026, 3, 30, 5, 59, tzinfo=UTC)) == []
    made = digest.summaries_send(now=datetime(2026, 3, 30, 6, 0, tzinfo=UTC))
    assert len(made) == 1
    assert digest.summaries_send(now=datetime(2026, 3, 30, 6, 30, tzinfo=UTC)) == []
    send.dispatches_send_due(now=datetime(2026, 3, 30, 6, 1, tzinfo=UTC))
    mail = smtp.messages[0]
    assert mail["Subject"] == "[oktodash] Your week: 23 Mar to 29 Mar 2026"
    # The report mail (issue 30): a plain-text part beside the HTML one.
    text = mail.get_body(("plain",)).get_content()
    assert "Broke on Friday" in mail.get_body(("html",)).get_content()
    assert "Clicks" in text and "40  (+300%; before: 10)" in text
    assert f"https://dash.example.com/posts/{sent.oktopost_id}/" in text
    assert "Failures: 1" in text and "Broke on Friday" in text
    # The digest links to a read-only share link over its week, which opens without login.
    link = re.search(r"The full stats view: https://dash\.example\.com(/s/[^/\s]+/)", text)
    assert link
    page = Client().get(link.group(1))
    assert page.status_code == 200
    assert "23 Mar" in page.content.decode()


@pytest.mark.dates
def test_viewers_get_a_daily_summary_instead_of_mail_at_once(smtp, db):
    victor = make_user("victor", VIEWER)
    victor.email = "victor@example.com"
    victor.save()
    start = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)
    digest.summaries_send(now=start)  # the default preference starts counting now
    pref = Preference.objects.get(user=victor)
    assert pref.mode == Mode.DAILY and pref.digest_weekday == 0
    failed_post(start_at=start, modified=start)
    detect.alerts_detect(now=start + timedelta(hours=1))
    send.dispatches_send_due(now=start + timedelta(hours=1, seconds=1))
    assert smtp.messages == []  # no mail at once
    assert Notification.objects.filter(user=victor).count() == 1  # but in the bell
    # The default hour is 08:00 in the viewer's zone (UTC here).
    assert digest.summaries_send(now=datetime(2026, 6, 1, 7, 59, tzinfo=UTC)) == []
    # 1 June 2026 is a Monday: the summary, and the weekly digest managers get by default.
    made = digest.summaries_send(now=datetime(2026, 6, 1, 8, 0, tzinfo=UTC))
    assert sorted(d.kind for d in made) == ["digest", "summary"]
    assert digest.summaries_send(now=datetime(2026, 6, 2, 8, 0, tzinfo=UTC)) == []  # none new
    send.dispatches_send_due(now=datetime(2026, 6, 2, 8, 1, tzinfo=UTC))
    summary = next(m for m in smtp.messages if "summary" in m["Subject"])
    assert summary["Subject"] == "[oktodash] Daily summary for 1 Jun: 1 alert"
    assert "Failed: LinkedIn post" in summary.get_content()


def test_editors_who_chose_their_own_posts_hear_only_about_those(alice, smtp):
    Preference.objects.create(
        user=alice,
        events=["failed"],
        scope="mine",
        oktopost_user_id="00A000000000777",
    )
    mine = failed_post("Mine", created_by="00A000000000777")
    failed_post("Not mine", created_by="00A000000000001")
    run()
    assert [n.alert.post_oktopost_id for n in Notification.objects.filter(user=alice)] == [
        mine.oktopost_id
    ]
    assert len(smtp.messages) == 1 and "Mine" in smtp.messages[0]["Subject"]


def test_syncs_failing_for_long_alert_the_admins_once(smtp, db, settings):
    admin = make_user("root", None)
    admin.is_superuser = True
    admin.email = "root@example.com"
    admin.save()
    editor = make_user("ed", EDITOR)
    now = timezone.now()
    SyncState.objects.create(
        name="posts",
        last_success=now - timedelta(minutes=40),
        last_error="RetryableError: GET /post -> HTTP 500",
        last_error_at=now - timedelta(minutes=1),
    )
    run(now)
    run(now + timedelta(minutes=1))
    alert = Alert.objects.get(kind="sync_failing")
    assert "HTTP 500" in alert.lines[0]
    assert Notification.objects.filter(user=admin).count() == 1
    assert not Notification.objects.filter(user=editor).exists()
    assert len(smtp.messages) == 1


def test_the_bell_counts_unread_alerts_and_opening_one_marks_it_read(alice, client):
    post = failed_post()
    detect.alerts_detect()
    client.force_login(alice)
    page = client.get("/posts/").content.decode()
    assert '1<span class="visually-hidden"> unread alerts</span>' in page
    listing = client.get("/alerts/").content.decode()
    assert "Failed: LinkedIn post" in listing and "Token expired" in listing
    note = Notification.objects.get(user=alice)
    answer = client.post(f"/alerts/{note.id}/open/")
    assert answer.status_code == 302 and answer["Location"] == f"/posts/{post.oktopost_id}/"
    assert "unread alerts" not in client.get("/posts/").content.decode()


def test_the_settings_page_refuses_a_bad_address_and_a_bad_webhook_url(alice, client):
    client.force_login(alice)
    answer = client.post(
        "/alerts/settings/",
        {
            "mode": "immediate",
            "scope": "all",
            "email": "not-an-address",
            "summary_hour": "8",
            "digest_hour": "8",
        },
    )
    assert answer.status_code == 400
    assert "That is not an email address we can send to" in answer.content.decode()
    # Only an admin configures webhooks.
    assert client.post("/alerts/webhooks/", {"name": "x", "url": "https://x"}).status_code == 403
    alice.is_superuser = True
    alice.save()
    answer = client.post(
        "/alerts/webhooks/",
        {"name": "Slack", "url": "ftp://hooks.example.com/x", "events": ["failed"]},
    )
    assert answer.status_code == 400
    assert (
        "Enter a valid URL." in answer.content.decode()
        or "must start with https" in answer.content.decode()
    )
    assert not Webhook.objects.exists()


def test_the_settings_page_saves_choices(alice, client):
    client.force_login(alice)
    answer = client.post(
        "/alerts/settings/",
        {
            "events": ["failed", "stuck"],
            "mode": "daily",
            "scope": "all",
            "networks": ["LinkedIn"],
            "email": "alerts@example.com",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
            "summary_hour": "9",
            "digest_weekday": "4",
            "digest_hour": "16",
        },
    )
    assert answer.status_code == 302
    pref = Preference.objects.get(user=alice)
    assert pref.events == ["failed", "stuck"] and pref.networks == ["LinkedIn"]
    assert pref.quiet_start == time(22) and pref.digest_weekday == 4
    assert client.get("/alerts/settings/").status_code == 200


def test_email_url_is_parsed_strictly():
    from pathlib import Path

    from oktodash.conf.mail import mailer as _mailer

    smtp = _mailer("smtp://me%40x.com:p%40ss@mail.example.com", Path("/v"))["OPTIONS"]
    assert smtp["host"] == "mail.example.com" and smtp["port"] == 587
    assert smtp["username"] == "me@x.com" and smtp["password"] == "p@ss"
    assert smtp["use_tls"] and not smtp["use_ssl"]
    assert _mailer("smtps://h", Path("/v"))["OPTIONS"]["port"] == 465
    assert _mailer("", Path("/v"))["OPTIONS"]["file_path"] == "/v/mail"
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        _mailer("smtp://h:notaport", Path("/v"))


@pytest.mark.dates
def test_local_slots_are_right_on_both_dst_changes():
    from zoneinfo import ZoneInfo

    from alerts.timing import last_weekly_slot, local_slot, quiet_until

    berlin, new_york = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
    # Autumn: Monday 26 Oct 2026 08:00 is CET again (07:00 UTC), a week after 06:00 UTC.
    monday = datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    assert last_weekly_slot(monday, 0, 8, berlin) == monday
    before = last_weekly_slot(monday - timedelta(minutes=1), 0, 8, berlin)
    assert before == datetime(2026, 10, 19, 6, 0, tzinfo=UTC)
    # 01:00 happens twice in New York on 1 Nov 2026: the first one counts, once.
    first = local_slot(datetime(2026, 11, 1).date(), 1, new_york)
    assert first == datetime(2026, 11, 1, 5, 0, tzinfo=UTC)
    # 02:00 does not exist on 8 Mar 2026 in New York: the slot is when clocks jump (03:00).
    jump = local_slot(datetime(2026, 3, 8).date(), 2, new_york)
    assert jump == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    # Quiet 22:00-07:00 across the autumn change ends at 07:00 CET (06:00 UTC).
    night = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert quiet_until(night, time(22), time(7), berlin) == datetime(2026, 10, 25, 6, 0, tzinfo=UTC)
    noon = datetime(2026, 10, 25, 11, 0, tzinfo=UTC)
    assert quiet_until(noon, time(22), time(7), berlin) == noon


def test_users_without_a_role_get_no_alerts(alice, smtp):
    make_user("olga", None)
    failed_post()
    run()
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["alice"]
    assert [m["To"] for m in smtp.messages] == ["alice@example.com"]
