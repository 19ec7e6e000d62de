"""Dates and times are written one way on a page, its forms included (issue 29.13).

The browser here speaks British English (tests/fixtures_browser.py); a context with
locale="en-US" is an American browser: 12-hour clock, month first, in its own boxes too.
"""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine

from accounts.models import EDITOR
from tests import factories as f
from tests.conftest import PASSWORD, make_user
from tests.fixtures_browser import log_in, open_details, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def one_post(transactional_db):
    """A draft on Thursday 10 December 2026 at 18:25 UTC."""
    with time_machine.travel(NOW, tick=True):
        launch = f.campaign("Launch")
        profile = f.profile("Twitter", "Acme X")
        yield f.post(
            status="draft",
            network="Twitter",
            start_at=datetime(2026, 12, 10, 18, 25, tzinfo=UTC),
            profiles=[profile],
            msg=f.message("Launch day", "Twitter", launch),
            camp=launch,
        )


@pytest.fixture
def american(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1366, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    yield page
    context.close()


def test_an_american_browser_gets_12_hour_month_first_pages_and_its_own_boxes(
    american, one_post
) -> None:
    make_user("erin", EDITOR)
    log_in(american, "erin", PASSWORD)
    american.goto("/posts/?sort=start_at")
    cell = american.locator(f"#post-{one_post.oktopost_id} td.col-time").inner_text()
    assert "Dec 10" in cell and "6:25 PM" in cell, cell
    # Its own date boxes already write month first: they stay the browser's.
    open_details(american, "Filters and sort")
    assert american.locator("#queue-filters input[name=from]").get_attribute("type") == "date"
    assert american.console_errors == []


def test_a_user_who_chose_24_hours_and_day_first_gets_them_in_the_boxes_too(
    american, one_post
) -> None:
    user = make_user("erin", EDITOR)
    user.clock, user.date_order = "24", "dmy"
    user.save()
    log_in(american, "erin", PASSWORD)
    american.goto("/posts/?sort=start_at")
    cell = american.locator(f"#post-{one_post.oktopost_id} td.col-time").inner_text()
    assert "10 Dec" in cell and "18:25" in cell, cell

    open_details(american, "Filters and sort")
    box = american.get_by_label("Scheduled from")
    assert box.get_attribute("type") == "text"
    assert box.get_attribute("placeholder") == "dd/mm/yyyy"
    box.fill("10/12/2026")
    with american.expect_response(lambda r: "from=2026-12-10" in r.url):
        box.press("Tab")
    american.wait_for_url("**from=2026-12-10*")
    assert parse_qs(urlsplit(american.url).query)["from"] == ["2026-12-10"]
    screenshot(american, "dates-day-first-in-an-american-browser")
    assert american.get_by_label("Scheduled from").input_value() == "10/12/2026"
    assert american.console_errors == []


def test_the_choice_is_saved_on_the_time_zone_page(page, one_post) -> None:
    make_user("erin", EDITOR)
    log_in(page, "erin", PASSWORD)
    page.goto("/accounts/time-zone/")
    page.select_option("select[name=clock]", "12")
    page.select_option("select[name=date_order]", "mdy")
    page.click("button:has-text('Save')")
    assert "12-hour, month first" in page.inner_text("#messages")
    page.goto("/posts/?sort=start_at")
    cell = page.locator(f"#post-{one_post.oktopost_id} td.col-time").inner_text()
    assert "Dec 10" in cell and "6:25 PM" in cell, cell
    # A British browser's boxes are 24-hour and day first: here they become text boxes.
    open_details(page, "Filters and sort")
    assert page.get_by_label("Scheduled from").get_attribute("placeholder") == "mm/dd/yyyy"
    assert page.console_errors == []
