"""Scheduled email reports (issue 30) against a real SMTP server (aiosmtpd) on loopback:
each recipient gets one mail at their local hour, across Berlin's and New York's clock
changes, with the clock pinned by time-machine; a second beat run sends nothing more;
an outside address unsubscribes without an account; nobody subscribes to what they
cannot see."""

import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
import time_machine
from django.db import IntegrityError
from django.test import Client
from PIL import Image

from accounts.models import VIEWER
from alerts import tasks
from alerts.models import Dispatch, ReportRecipient, ReportSubscription
from alerts.services import reports, send
from alerts.timing import next_monthly_slot, next_weekly_slot, report_days
from core.services import ServiceError
from posts.models import SavedView
from tests import factories as f
from tests.alerts_receivers import SMTPServer
from tests.conftest import make_user

# Not in the date matrix: every test here pins its own instants (clock changes included).
pytestmark = [pytest.mark.django_db]

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# Friday 20 March 2026: Berlin is on CET (UTC+1) until Sunday 29 March; New York went
# to EDT (UTC-4) on 8 March.
MADE = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
# Monday 08:00 in Berlin: 07:00 UTC before the change, 06:00 UTC after it.
BERLIN_MON_23 = datetime(2026, 3, 23, 7, 0, tzinfo=UTC)
BERLIN_MON_30 = datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
# Monday 08:00 EDT in New York: 12:00 UTC.
NEW_YORK_MON_23 = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Sending is driven by the tests (dispatches_send_due), not by a worker."""
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
def vera(db):
    """A manager in Berlin."""
    user = make_user("vera", VIEWER)
    user.email = "vera@example.com"
    user.time_zone = "Europe/Berlin"
    user.save()
    return user


@pytest.fixture
def admin(db):
    user = make_user("ada", None)
    user.is_superuser = True
    user.save()
    return user


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def beat(at: datetime) -> list[Dispatch]:
    """What beat and a worker do at `at`: the reports task, then sending what is due."""
    with time_machine.travel(at, tick=False):
        made = reports.reports_send_due()
        send.dispatches_send_due()
    return made


def week_of_posts(camp) -> None:
    """Posts in the weeks of 16 and 23 March (Berlin), with clicks, and one before."""
    msg = f.message("Spring launch is here", camp=camp)
    f.post(
        status="complete",
        msg=msg,
        camp=camp,
        start_at=datetime(2026, 3, 11, 9, tzinfo=UTC),
        clicks=10,
    )
    f.post(
        status="complete",
        msg=msg,
        camp=camp,
        start_at=datetime(2026, 3, 18, 9, tzinfo=UTC),
        clicks=40,
        likes=3,
    )
    f.post(
        status="complete",
        msg=msg,
        camp=camp,
        start_at=datetime(2026, 3, 25, 9, tzinfo=UTC),
        clicks=7,
    )
    f.post(status="complete", start_at=datetime(2026, 3, 18, 9, tzinfo=UTC), clicks=999)


def subscribe(owner, *, query: str = "", addresses=(), time_zone="America/New_York", **kw):
    with time_machine.travel(MADE, tick=False):
        return reports.subscription_create(
            owner=owner,
            name=kw.pop("name", "Spring campaign"),
            query=query,
            frequency=kw.pop("frequency", "weekly"),
            weekday=kw.pop("weekday", 0),
            day=kw.pop("day", 1),
            hour=kw.pop("hour", 8),
            time_zone=time_zone,
            users=kw.pop("users", [owner]),
            addresses=list(addresses),
        )


def text_of(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def html_of(mail) -> str:
    return mail.get_body(("html",)).get_content()


def to(smtp, address: str) -> list:
    return [m for m in smtp.messages if address in m["To"]]


def test_a_weekly_report_arrives_once_at_each_recipients_local_hour_across_the_clock_change(
    vera, admin, smtp
):
    reports.policy_set(admin=admin, outside_allowed=True)
    camp = f.campaign("Spring")
    week_of_posts(camp)
    subscribe(vera, query=f"campaign={camp.oktopost_id}", addresses=["client@agency.test"])

    # Berlin, Monday 23 March, 08:00 CET: not a minute before.
    assert beat(BERLIN_MON_23 - timedelta(minutes=1)) == []
    assert smtp.messages == []
    assert len(beat(BERLIN_MON_23)) == 1
    assert len(to(smtp, "vera@example.com")) == 1
    # Beat again a minute later, and five: nothing more.
    assert beat(BERLIN_MON_23 + timedelta(minutes=1)) == []
    assert beat(BERLIN_MON_23 + timedelta(minutes=5)) == []
    assert len(smtp.messages) == 1

    mail = to(smtp, "vera@example.com")[0]
    assert mail["Subject"] == "[oktodash] Spring campaign: 16 Mar to 22 Mar 2026"
    text = text_of(mail)
    # The campaign's week only (not the 999 clicks outside it), against the week before.
    assert re.search(r"Clicks\s+40  \(\+300%; before: 10\)", text), text
    assert "999" not in text
    assert "Scope: Spring" in text
    assert "Change or stop this report: https://dash.example.com/alerts/reports/" in text
    assert "unsubscribe" not in text.lower()
    # The HTML part: tables, the chart inline by Content-ID, links to the page and a
    # share link that opens without an account.
    html = html_of(mail)
    assert 'src="cid:trend@oktodash"' in html and "Spring launch is here" in html
    image = next(p for p in mail.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == "<trend@oktodash>"
    assert Image.open(io.BytesIO(image.get_content())).size == (1120, 400)
    # The PDF a person downloads from the stats page, attached.
    pdf = next(p for p in mail.walk() if p.get_content_type() == "application/pdf")
    assert pdf.get_filename() == "oktodash-report-2026-03-16-to-2026-03-22.pdf"
    document = pypdfium2.PdfDocument(pdf.get_content())
    pdf_text = " ".join(page.get_textpage().get_text_bounded() for page in document)
    document.close()
    assert "Spring campaign" in pdf_text and "16 Mar 2026" in pdf_text
    assert "attached as a PDF" in html
    share = re.search(r'href="https://dash\.example\.com(/s/[^"/]+/)"', html).group(1)
    assert "https://dash.example.com/stats/?campaign=" in html
    with time_machine.travel(BERLIN_MON_23 + timedelta(hours=1), tick=False):
        page = Client().get(share)
    assert page.status_code == 200 and "16 Mar" in page.content.decode()

    # New York, 08:00 EDT (12:00 UTC), in the report's zone for outside addresses.
    assert beat(NEW_YORK_MON_23 - timedelta(minutes=1)) == []
    assert len(beat(NEW_YORK_MON_23)) == 1
    assert beat(NEW_YORK_MON_23 + timedelta(minutes=1)) == []
    outside = to(smtp, "client@agency.test")
    assert len(outside) == 1
    assert outside[0]["List-Unsubscribe"].startswith(
        "<https://dash.example.com/alerts/unsubscribe/"
    )
    assert "Stop getting this report: https://dash.example.com/alerts/unsubscribe/" in text_of(
        outside[0]
    )

    # Berlin's clocks went forward on Sunday 29 March: Monday 08:00 is now 06:00 UTC.
    assert beat(BERLIN_MON_30 - timedelta(minutes=1)) == []
    assert len(beat(BERLIN_MON_30)) == 1
    assert beat(BERLIN_MON_30 + timedelta(hours=1)) == []
    second = to(smtp, "vera@example.com")
    assert len(second) == 2
    assert second[1]["Subject"] == "[oktodash] Spring campaign: 23 Mar to 29 Mar 2026"
    assert re.search(r"Clicks\s+7  \(-82%; before: 40\)", text_of(second[1]))


def test_a_second_beat_run_does_not_send_it_again(vera, smtp):
    subscribe(vera)
    with time_machine.travel(BERLIN_MON_23, tick=False):
        stale = list(ReportRecipient.objects.select_related("subscription", "user"))
        assert tasks.reports_send_due() == 1  # the beat task itself
        assert tasks.reports_send_due() == 0
        # A run that read the recipient before the first one moved it on makes nothing.
        assert reports._recipient_due(stale[0], BERLIN_MON_23, {}) is None
        send.dispatches_send_due()
        send.dispatches_send_due()
    assert len(smtp.messages) == 1
    dispatch = Dispatch.objects.get(kind="report")
    assert dispatch.state == Dispatch.State.SENT and dispatch.attempts == 1
    # And the database refuses a second message for the same recipient and hour.
    with pytest.raises(IntegrityError):
        Dispatch.objects.create(
            channel="email",
            kind="report",
            subject="x",
            body="x",
            report_recipient=dispatch.report_recipient,
            report_slot=dispatch.report_slot,
        )


def test_an_outside_address_unsubscribes_without_an_account_once_and_for_all(vera, smtp):
    subscribe(vera, addresses=["boss@example.com"], time_zone="Europe/Berlin")
    beat(BERLIN_MON_23)
    link = re.search(
        r"https://dash\.example\.com(/alerts/unsubscribe/\S+/)", text_of(to(smtp, "boss@")[0])
    ).group(1)
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(link)
    # Opening the link (a mail scanner does) asks; it stops nothing.
    assert page.status_code == 200 and "Stop this report?" in page.content.decode()
    assert ReportRecipient.objects.get(address="boss@example.com").unsubscribed_at is None
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    done = visitor.post(link, {"csrfmiddlewaretoken": token.group(1)})
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    first = ReportRecipient.objects.get(address="boss@example.com").unsubscribed_at
    assert first is not None
    again = visitor.post(link, {"csrfmiddlewaretoken": token.group(1)})
    assert "You are unsubscribed" in again.content.decode()
    assert ReportRecipient.objects.get(address="boss@example.com").unsubscribed_at == first
    # A link altered by one character is refused in words.
    assert Client().get(link[:-3] + "x/").status_code == 404
    # The next week: the user's copy only.
    beat(BERLIN_MON_30)
    assert len(to(smtp, "boss@")) == 1 and len(to(smtp, "vera@")) == 2


def test_an_unsubscribe_between_making_and_sending_stops_that_mail(vera, smtp):
    subscribe(vera, addresses=["boss@example.com"], time_zone="Europe/Berlin")
    with time_machine.travel(BERLIN_MON_23, tick=False):
        reports.reports_send_due()
        reports.recipient_unsubscribe(
            recipient=ReportRecipient.objects.get(address="boss@example.com")
        )
        send.dispatches_send_due()
    assert to(smtp, "boss@") == [] and len(to(smtp, "vera@")) == 1
    assert "unsubscribed" in Dispatch.objects.get(to_address="boss@example.com").last_error


def test_nobody_subscribes_to_what_they_cannot_see(vera, admin, outsider, smtp):
    # No role: no page, no subscription.
    assert login(outsider).get("/alerts/reports/").status_code == 403
    with pytest.raises(ServiceError):
        subscribe(outsider)
    # Another user's private saved view is not offered, and refused when posted.
    other = make_user("otto", VIEWER)
    private = SavedView.objects.create(owner=other, name="Otto's secret", query="network=Twitter")
    shared = SavedView.objects.create(
        owner=other, name="Team", query="network=LinkedIn", shared=True
    )
    page = login(vera).get("/alerts/reports/").content.decode()
    assert "Team" in page and "Otto&#x27;s secret" not in page and "Otto's secret" not in page
    form = {"name": "Sneaky", "frequency": "weekly", "weekday": "0", "day": "1", "hour": "8"}
    form |= {"users": [vera.id], "time_zone": "UTC"}
    with time_machine.travel(MADE, tick=False):
        answer = login(vera).post("/alerts/reports/", {**form, "saved_view": private.id})
        assert answer.status_code == 200 and "Select a valid choice" in answer.content.decode()
        assert not ReportSubscription.objects.exists()
        answer = login(vera).post("/alerts/reports/", {**form, "saved_view": shared.id})
        assert answer.status_code == 302
        assert ReportSubscription.objects.get().query == "network=LinkedIn"
        # A filter that does not parse (a campaign the mirror does not know) would widen it.
        answer = login(vera).post("/alerts/reports/", {**form, "query": "campaign=0029999999"})
        assert answer.status_code == 200 and "campaign" in answer.content.decode().lower()
        # A recipient without a role cannot get it.
        answer = login(vera).post("/alerts/reports/", {**form, "users": [outsider.id]})
        assert answer.status_code == 200 and "Select a valid choice" in answer.content.decode()
        with pytest.raises(ServiceError, match="cannot see the stats page"):
            subscribe(vera, users=[outsider])
        # Outside addresses: refused until an admin allows them (our domain always is).
        answer = login(vera).post("/alerts/reports/", {**form, "addresses": "x@elsewhere.test"})
        assert "an admin has not allowed" in answer.content.decode()
        answer = login(vera).post("/alerts/reports/policy/", {"outside_allowed": "yes"})
        assert answer.status_code == 403
        answer = login(admin).post("/alerts/reports/policy/", {"outside_allowed": "yes"})
        assert answer.status_code == 302
        answer = login(vera).post("/alerts/reports/", {**form, "addresses": "x@elsewhere.test"})
        assert answer.status_code == 302
        assert ReportRecipient.objects.filter(address="x@elsewhere.test").exists()
        # Withdrawn later: that address gets nothing, the rest still go.
        login(admin).post("/alerts/reports/policy/", {"outside_allowed": "no"})
    beat(datetime(2026, 3, 23, 8, 0, tzinfo=UTC))  # Monday 08:00 UTC, the report's zone
    assert to(smtp, "x@elsewhere.test") == []
    assert to(smtp, "vera@example.com")
    # Someone else's report cannot be paused or deleted.
    sub = ReportSubscription.objects.first()
    assert login(other).post(f"/alerts/reports/{sub.id}/", {"action": "delete"}).status_code == 404


def test_the_page_lists_pauses_resumes_and_deletes_reports(vera, smtp):
    camp = f.campaign("Spring")
    stats = login(vera).get(f"/stats/?campaign={camp.oktopost_id}&range=7d").content.decode()
    link = re.search(r'href="(/alerts/reports/\?query=[^"]+)">Email this report', stats)
    assert link, "the stats page links to the reports page with its filters"
    page = login(vera).get(link.group(1).replace("&amp;", "&")).content.decode()
    assert "<strong>Scope:</strong> Spring" in page
    sub = subscribe(vera, query=f"campaign={camp.oktopost_id}")
    page = login(vera).get("/alerts/reports/").content.decode()
    assert "Spring campaign" in page and "Mondays at 08:00" in page
    assert "next Mon 23 Mar, 08:00 Europe/Berlin" in page
    login(vera).post(f"/alerts/reports/{sub.id}/", {"action": "pause"})
    assert beat(BERLIN_MON_23) == [] and smtp.messages == []
    assert "Paused" in login(vera).get("/alerts/reports/").content.decode()
    with time_machine.travel(BERLIN_MON_23 + timedelta(hours=1), tick=False):
        login(vera).post(f"/alerts/reports/{sub.id}/", {"action": "resume"})
    # Resumed: nothing it missed, the next Monday as usual.
    assert beat(BERLIN_MON_23 + timedelta(hours=2)) == []
    assert len(beat(BERLIN_MON_30)) == 1
    login(vera).post(f"/alerts/reports/{sub.id}/", {"action": "delete"})
    assert not ReportSubscription.objects.exists()


def test_a_report_whose_campaign_is_gone_is_not_sent_wider(vera, smtp):
    camp = f.campaign("Spring")
    sub = subscribe(vera, query=f"campaign={camp.oktopost_id}")
    camp.delete()
    assert beat(BERLIN_MON_23) == [] and smtp.messages == []
    sub.refresh_from_db()
    assert "no longer matches" in sub.problem


def test_next_hours_are_local_across_both_clock_changes():
    # Weekly, Mondays 08:00 Berlin: CET then CEST.
    first = next_weekly_slot(MADE, 0, 8, BERLIN)
    assert first == BERLIN_MON_23
    assert next_weekly_slot(first, 0, 8, BERLIN) == BERLIN_MON_30
    # Monthly on the 1st, 08:00 New York: EDT on 1 October, EST on 1 November 2026.
    october = next_monthly_slot(datetime(2026, 9, 15, tzinfo=UTC), 1, 8, NEW_YORK)
    assert october == datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    assert next_monthly_slot(october, 1, 8, NEW_YORK) == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
    # 02:30 does not exist on 29 March in Berlin: the first real instant after it.
    skipped = next_weekly_slot(datetime(2026, 3, 28, tzinfo=UTC), 6, 2, BERLIN)
    assert skipped == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert report_days(date(2026, 3, 1), "monthly") == (date(2026, 2, 1), date(2026, 2, 28))


def test_the_weekly_digest_is_the_same_html_mail_with_its_failures(vera, smtp):
    from alerts.models import Preference
    from alerts.services import digest

    Preference.objects.create(
        user=vera, events=[], mode="off", digest_weekday=0, digest_hour=8,
        last_digest_at=BERLIN_MON_23 - timedelta(days=7),
    )  # fmt: skip
    week_of_posts(f.campaign("Spring"))
    f.post(status="error", start_at=datetime(2026, 3, 19, 9, tzinfo=UTC), msg=f.message("Broke"))
    with time_machine.travel(BERLIN_MON_23, tick=False):
        assert len(digest.summaries_send()) == 1
        send.dispatches_send_due()
    mail = to(smtp, "vera@example.com")[0]
    assert mail["Subject"] == "[oktodash] Your week: 16 Mar to 22 Mar 2026"
    # Every post of the week this time (the 999 clicks too), and the failures.
    assert re.search(r"Clicks\s+1,039  \(\+10290%; before: 10\)", text_of(mail)), text_of(mail)
    html = html_of(mail)
    assert "Failures: 1" in html and "Broke" in html and 'src="cid:trend@oktodash"' in html
    assert any(p["Content-ID"] == "<trend@oktodash>" for p in mail.walk())
    assert "Change the day or hour of this digest" in html
