import zoneinfo
from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone

from accounts.middleware import user_time_zone

pytestmark = pytest.mark.dates


def test_a_user_starts_in_the_installation_time_zone(editor) -> None:
    assert editor.time_zone == "UTC"


def test_the_user_menu_changes_the_time_zone_and_returns(editor_client: Client, editor) -> None:
    response = editor_client.post(
        "/accounts/time-zone/", {"time_zone": "America/New_York", "next": "/calendar/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/calendar/"
    editor.refresh_from_db()
    assert editor.time_zone == "America/New_York"


def test_an_unknown_zone_is_refused_with_a_message(editor_client: Client, editor) -> None:
    response = editor_client.post("/accounts/time-zone/", {"time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    editor.refresh_from_db()
    assert editor.time_zone == "UTC"


def test_an_offsite_next_is_not_followed(editor_client: Client) -> None:
    response = editor_client.post(
        "/accounts/time-zone/", {"time_zone": "Europe/Paris", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/accounts/time-zone/"


def test_times_render_in_the_users_zone(rf, editor) -> None:
    editor.time_zone = "Asia/Tokyo"
    request = rf.get("/")
    request.user = editor
    moment = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    rendered = {}

    def view(request):
        rendered["text"] = Template("{{ t|date:'H:i e' }}").render(Context({"t": moment}))
        rendered["zone"] = timezone.get_current_timezone()
        return None

    user_time_zone(view)(request)
    assert rendered["text"] == "21:00 JST"
    assert rendered["zone"] == zoneinfo.ZoneInfo("Asia/Tokyo")
