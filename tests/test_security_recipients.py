"""Outside recipients (issue 23, finding 1): mail goes only to verified addresses, and a
share link lives only while its creator's account is active with the role that made it.

The probe: a viewer (who may not make share links) set their alert address to
attacker@evil.example with a weekly digest; the worker mailed that never-verified
address a /s/<token>/ link to the whole account, which kept working after the viewer
was deactivated. Mail goes to a real SMTP server on loopback (aiosmtpd); the clock is
pinned (Sunday 7 March 2027, UTC)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from accounts.models import EDITOR, VIEWER
from alerts.models import Dispatch, Preference
from alerts.services import digest, send
from sharing.models import ShareLink
from sharing.services import share_link_create
from tests import factories as f
from tests.alerts_receivers import SMTPServer
from tests.conftest import make_user
from tests.security_helpers import fake_dns, loopback_only  # noqa: F401

pytestmark = pytest.mark.django_db

SUNDAY_NOON = datetime(2027, 3, 7, 12, 0, tzinfo=UTC)
SUNDAY_13 = datetime(2027, 3, 7, 13, 0, 30, tzinfo=UTC)
PROBE = {
    "events": ["failed"],
    "mode": "off",
    "scope": "all",
    "email": "attacker@evil.example",
    "summary_hour": "8",
    "digest_weekday": "6",
    "digest_hour": "13",
}


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(send, "enqueue", lambda task, *args: None)


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
    settings.ALERTS_MAIL_DOMAINS = ["example.com"]
    yield server
    server.stop()


@pytest.fixture
def victor(db):
    user = make_user("victor", VIEWER)
    user.email = "victor@example.com"
    user.save()
    return user


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def week_of_posts() -> None:
    for day in range(1, 7):
        f.post(status="complete", start_at=SUNDAY_NOON - timedelta(days=day), clicks=day)


def mails_to(smtp, address: str) -> list:
    return [m for m in smtp.messages if address in m["To"]]


def digest_run() -> None:
    with time_machine.travel(SUNDAY_13, tick=False):
        digest.summaries_send(now=SUNDAY_13)
        send.dispatches_send_due(now=SUNDAY_13 + timedelta(seconds=1))


def test_the_probe_mails_no_share_link_to_an_unverified_address(victor, smtp) -> None:
    week_of_posts()
    with time_machine.travel(SUNDAY_NOON, tick=False):
        answer = login(victor).post("/alerts/settings/", PROBE)
    assert answer.status_code == 302
    send.dispatches_send_due(now=SUNDAY_NOON + timedelta(seconds=1))
    digest_run()
    outside = mails_to(smtp, "attacker@evil.example")
    # At most the confirmation: no link that opens anything, no figures.
    assert len(outside) <= 1
    for mail in outside:
        text = mail.get_content()
        assert "/s/" not in text and "Clicks" not in text, text
    # The digest went to the viewer's own (account) address instead.
    own = mails_to(smtp, "victor@example.com")
    assert any("Your week" in m["Subject"] for m in own)


def test_an_address_is_used_once_its_owner_confirmed_it_inside_our_domains(victor, smtp) -> None:
    with time_machine.travel(SUNDAY_NOON, tick=False):
        login(victor).post("/alerts/settings/", {**PROBE, "email": "victor.b@example.com"})
        send.dispatches_send_due(now=SUNDAY_NOON + timedelta(seconds=1))
    confirm = mails_to(smtp, "victor.b@example.com")
    assert len(confirm) == 1
    path = re.search(r"https://dash\.example\.com(/alerts/address/\S+/)", confirm[0].get_content())
    assert path, confirm[0].get_content()
    # Someone else opening the link (another account) confirms nothing.
    other = login(make_user("mallory", VIEWER))
    assert other.post(path.group(1)).status_code == 404
    assert Preference.objects.get(user=victor).email_confirmed == ""
    page = login(victor).get(path.group(1))
    assert page.status_code == 200 and "victor.b@example.com" in page.content.decode()
    assert login(victor).post(path.group(1)).status_code == 302
    assert Preference.objects.get(user=victor).email_confirmed == "victor.b@example.com"
    week_of_posts()
    digest_run()
    assert any("Your week" in m["Subject"] for m in mails_to(smtp, "victor.b@example.com"))


def test_an_outside_address_needs_an_admin_as_well(victor, smtp) -> None:
    with time_machine.travel(SUNDAY_NOON, tick=False):
        login(victor).post("/alerts/settings/", PROBE)
    pref = Preference.objects.get(user=victor)
    pref.email_confirmed = "attacker@evil.example"  # as if its owner confirmed it
    pref.save()
    week_of_posts()
    digest_run()
    assert not any("Your week" in m["Subject"] for m in mails_to(smtp, "attacker@evil.example"))
    page = login(victor).get("/alerts/settings/").content.decode()
    assert "waits for an admin" in page
    # A viewer cannot allow it; an admin can.
    assert login(victor).post(f"/alerts/addresses/{pref.id}/allow/").status_code == 403
    admin = make_user("ada", None)
    admin.is_superuser = True
    admin.save()
    admin_page = login(admin).get("/alerts/settings/").content.decode()
    assert "attacker@evil.example" in admin_page
    assert login(admin).post(f"/alerts/addresses/{pref.id}/allow/").status_code == 302
    pref.refresh_from_db()
    assert pref.email_allowed == "attacker@evil.example"
    Preference.objects.filter(id=pref.id).update(last_digest_at=SUNDAY_NOON)
    digest_run()
    assert any("Your week" in m["Subject"] for m in mails_to(smtp, "attacker@evil.example"))


def test_a_confirmation_mail_goes_only_to_the_address_still_chosen(victor, smtp) -> None:
    with time_machine.travel(SUNDAY_NOON, tick=False):
        login(victor).post("/alerts/settings/", {**PROBE, "email": "first@example.com"})
        Preference.objects.filter(user=victor).update(email="second@example.com")
        send.dispatches_send_due(now=SUNDAY_NOON + timedelta(seconds=1))
    assert mails_to(smtp, "first@example.com") == []
    assert Dispatch.objects.get(kind="confirm").state == Dispatch.State.FAILED


def test_a_share_link_dies_when_its_creator_is_deactivated(editor) -> None:
    link = share_link_create(page="stats", query="", label="Board", user=editor)
    url = f"/s/{link.token}/"
    assert Client().get(url).status_code == 200
    editor.is_active = False
    editor.save()
    for path in (url, url + "export.csv", url + "part/top/"):
        assert Client().get(path).status_code == 410, path
    assert ShareLink.objects.get().state == "stopped"


def test_a_share_link_dies_when_its_creator_loses_the_role_that_made_it(editor) -> None:
    link = share_link_create(page="stats", query="", label="Board", user=editor)
    editor.groups.clear()
    editor.groups.add(make_user("x", VIEWER).groups.get())
    assert Client().get(f"/s/{link.token}/").status_code == 410


def test_a_viewers_digest_link_dies_with_the_viewer(victor, smtp) -> None:
    week_of_posts()
    Preference.objects.create(
        user=victor, events=[], mode="off", digest_weekday=6, digest_hour=13,
        last_digest_at=SUNDAY_NOON - timedelta(days=7),
    )  # fmt: skip
    digest_run()
    mail = next(m for m in mails_to(smtp, "victor@example.com"))
    text = mail.get_body(("plain",)).get_content()
    path = re.search(r"https://dash\.example\.com(/s/[^/\s]+/)", text).group(1)
    with time_machine.travel(SUNDAY_13, tick=False):
        assert Client().get(path).status_code == 200
        victor.is_active = False
        victor.save()
        assert Client().get(path).status_code == 410


def test_an_operators_link_made_by_the_command_needs_no_account(db) -> None:
    link = share_link_create(page="stats", query="", label="Ops")
    assert Client().get(f"/s/{link.token}/").status_code == 200


def test_an_editor_who_is_also_admin_keeps_their_links(db) -> None:
    admin = make_user("root", EDITOR)
    admin.is_superuser = True
    admin.save()
    link = share_link_create(page="stats", query="", label="Root's", user=admin)
    admin.groups.clear()
    assert Client().get(f"/s/{link.token}/").status_code == 200
