"""Dates and times written one way: the user's choice, else the browser's language (29.13)."""

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone

from accounts.models import EDITOR
from core import clock
from core.clock import Convention
from tests import factories as f
from tests.conftest import make_user

WHEN = datetime(2026, 12, 6, 18, 25, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "hour12", "month_first"),
    [
        ("en-US,en;q=0.9", True, True),
        ("en", True, True),
        ("en-GB,en;q=0.8", False, False),
        ("de-DE,de;q=0.9,en;q=0.5", False, False),
        ("de", False, False),
        ("en-IN", True, False),
        ("en_AU", True, False),
        ("es-419", False, False),
        ("", False, False),
        (None, False, False),
        ("*", False, False),
        ("'; drop table", False, False),
    ],
)
def test_the_browser_language_gives_the_convention(header, hour12, month_first) -> None:
    assert clock.from_accept_language(header) == Convention(hour12, month_first)


def test_a_users_choice_wins_over_the_browser() -> None:
    assert clock.resolve("24", "dmy", "en-US") == Convention(False, False)
    assert clock.resolve("12", "auto", "en-GB") == Convention(True, False)
    assert clock.resolve("auto", "mdy", "de-DE") == Convention(False, True)
    assert clock.resolve("auto", "auto", "en-US") == Convention(True, True)


@pytest.mark.parametrize(
    ("fmt", "day_first_24", "month_first_12"),
    [
        ("j M Y, H:i", "6 Dec 2026, 18:25", "Dec 6, 2026, 6:25 PM"),
        ("D j M, H:i", "Sun 6 Dec, 18:25", "Sun, Dec 6, 6:25 PM"),
        (
            "l j F Y, H:i T",
            "Sunday 6 December 2026, 18:25 UTC",
            "Sunday, December 6, 2026, 6:25 PM UTC",
        ),
        ("j M, H:i:s", "6 Dec, 18:25:07", "Dec 6, 6:25:07 PM"),
        ("H:i", "18:25", "6:25 PM"),
        ("Y-m-d", "2026-12-06", "2026-12-06"),
        ("Y-m-d\\TH:i", "2026-12-06T18:25", "2026-12-06T18:25"),
        ("c", "2026-12-06T18:25:07+00:00", "2026-12-06T18:25:07+00:00"),
    ],
)
def test_formats_follow_the_convention_and_machine_formats_do_not(
    fmt, day_first_24, month_first_12
) -> None:
    template = Template("{{ when|date:fmt }}")
    with timezone.override(UTC):
        assert template.render(Context({"when": WHEN, "fmt": fmt})) == day_first_24
        token = clock.activate(Convention(hour12=True, month_first=True))
        try:
            assert template.render(Context({"when": WHEN, "fmt": fmt})) == month_first_12
        finally:
            clock.deactivate(token)
    assert clock.current() == clock.DEFAULT


@pytest.mark.django_db
def test_the_queue_writes_times_the_users_way(client) -> None:
    user = make_user("erin", EDITOR)
    post = f.post(status="draft", start_at=datetime(2030, 12, 10, 18, 25, tzinfo=UTC))
    client.force_login(user)
    url = "/posts/?sort=start_at&from=2030-12-10&to=2030-12-10"

    page = client.get(url, headers={"accept-language": "en-US,en;q=0.9"}).content.decode()
    assert "Tue, Dec 10 2030" not in page
    assert f'id="post-{post.oktopost_id}"' in page
    assert "Dec 10, 2030, 6:25 PM" in page

    page = client.get(url, headers={"accept-language": "en-GB"}).content.decode()
    assert "10 Dec 2030, 18:25" in page

    user.clock, user.date_order = "24", "dmy"
    user.save()
    page = client.get(url, headers={"accept-language": "en-US"}).content.decode()
    assert "10 Dec 2030, 18:25" in page
    assert 'data-clock="24" data-date-order="dmy"' in page


@pytest.mark.django_db
def test_the_time_zone_page_saves_the_choices_and_keeps_them_when_not_sent(client) -> None:
    user = make_user("erin", EDITOR)
    client.force_login(user)
    answer = client.post(
        "/accounts/time-zone/", {"time_zone": "Europe/Berlin", "clock": "12", "date_order": "mdy"}
    )
    assert answer.status_code == 302
    user.refresh_from_db()
    assert (user.time_zone, user.clock, user.date_order) == ("Europe/Berlin", "12", "mdy")

    client.post("/accounts/time-zone/", {"time_zone": "UTC"})
    user.refresh_from_db()
    assert (user.time_zone, user.clock, user.date_order) == ("UTC", "12", "mdy")

    answer = client.post("/accounts/time-zone/", {"time_zone": "UTC", "clock": "13"})
    assert answer.status_code == 200
    assert "Select a valid choice" in answer.content.decode()
