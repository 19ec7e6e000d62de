"""The Oktopost connection page (inbox.views.connection): whether webhooks are healthy,
for editors and admins, with Oktopost's delivery log read at most once in 5 minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from inbox import services
from inbox.models import Event, Installation
from tests.conftest import make_user
from tests.fixtures_webhooks import unsent_post_ids, wait_for

URL = "/webhooks/"


def log_reads(sandbox) -> int:
    return sandbox.calls()["by_endpoint"].get("GET /webhook-log/{id}", 0)


@pytest.mark.django_db
def test_it_is_for_editors_and_admins_only(editor_client, viewer_client, outsider):
    assert editor_client.get(URL).status_code == 200
    assert viewer_client.get(URL).status_code == 403
    nobody = Client()
    nobody.force_login(outsider)
    assert nobody.get(URL).status_code == 403
    admin = Client()
    admin.force_login(User.objects.create_superuser("ada", "", "pw"))
    assert admin.get(URL).status_code == 200
    assert Client().get(URL).status_code == 302  # to the login page


@pytest.mark.django_db
def test_the_editors_menu_links_to_it_and_the_viewers_does_not(editor_client, viewer_client):
    assert "Oktopost connection" in editor_client.get("/alerts/").content.decode()
    assert "Oktopost connection" not in viewer_client.get("/alerts/").content.decode()


@pytest.mark.django_db
def test_before_install_it_says_how_and_asks_oktopost_nothing(editor_client, oktopost):
    before = oktopost.calls()["total"]
    page = editor_client.get(URL)
    assert "Not installed." in page.content.decode()
    assert "manage.py oktopost_webhooks install" in page.content.decode()
    assert oktopost.calls()["total"] == before


@pytest.mark.django_db(transaction=True)
def test_it_shows_the_last_event_and_the_hours_deliveries_and_reads_the_log_once(intake):
    editor = make_user("erin", "editor")
    browser = Client()
    browser.force_login(editor)
    assert "Waiting for the first event." in browser.get(URL).content.decode()
    for post_id in unsent_post_ids(intake, 3):
        intake.control("POST", f"posts/{post_id}", {"Flag": "seen"})
    wait_for(lambda: Event.objects.count() == 3)
    services.webhooks_oktopost_side(fresh=True)  # as if 5 minutes had passed
    reads = log_reads(intake)
    page = browser.get(URL)
    words = page.content.decode()
    assert "Healthy." in words
    assert "Received in the last hour" in words and "Sent by Oktopost in the last hour" in words
    assert page.context["status"].events_last_hour == 3
    assert page.context["status"].oktopost.deliveries_last_hour == 3
    assert page.context["status"].oktopost.failures_last_hour == 0
    for _ in range(3):
        browser.get(URL)
    assert log_reads(intake) == reads  # cached: the page asked nothing more


@pytest.mark.django_db(transaction=True)
def test_failed_deliveries_are_counted_and_listed(intake):
    intake.control("POST", "webhooks", {"drop": True})
    post_id = unsent_post_ids(intake, 1)[0]
    intake.control("POST", f"posts/{post_id}", {"Flag": "lost"})
    # The sandbox logs a delivery as pending, then as failed once its sender gets to it.
    wait_for(lambda: services.webhooks_oktopost_side(fresh=True).failures_last_hour == 1)
    assert services.webhooks_oktopost_side().deliveries_last_hour == 1
    browser = Client()
    browser.force_login(make_user("erin", "editor"))
    words = browser.get(URL).content.decode()
    assert "Failed deliveries in the last hour" in words
    assert "Latest failed deliveries" in words and "postModified" in words


@pytest.mark.django_db(transaction=True)
def test_a_silent_installation_says_polling_is_back(intake):
    post_id = unsent_post_ids(intake, 1)[0]
    intake.control("POST", f"posts/{post_id}", {"Flag": "ping"})
    wait_for(Event.objects.exists)
    Event.objects.update(received_at=timezone.now() - timedelta(hours=3))
    Installation.objects.update(installed_at=timezone.now() - timedelta(hours=3))
    browser = Client()
    browser.force_login(make_user("erin", "editor"))
    assert "Silent." in browser.get(URL).content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_unreadable_log_is_said_in_words_and_not_asked_again_at_once(intake):
    intake.control("POST", "faults", {"next": ["500", "500", "500", "500"]})
    browser = Client()
    browser.force_login(make_user("erin", "editor"))
    words = browser.get(URL).content.decode()
    assert "Oktopost's delivery log could not be read" in words
    before = intake.calls()["total"]
    browser.get(URL)
    assert intake.calls()["total"] == before
