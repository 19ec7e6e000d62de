"""Filters are searchable multi-selects: type to find, keyboard or click to pick, chips to drop.

Every <select multiple> on a page becomes one (static/js/multiselect.js); the native select
stays in the form, so the URL (the bookmark) is the same as before.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from accounts.models import EDITOR
from tests import factories as f
from tests.conftest import PASSWORD, make_user
from tests.fixtures_browser import log_in, open_details, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = "#post-rows tbody tr"


@pytest.fixture
def queue(transactional_db) -> dict[str, set[str]]:
    """12 drafts three days out: 8 on Twitter, 4 on LinkedIn, from two like-named profiles."""
    make_user("erin", EDITOR)
    start = timezone.now() + timedelta(days=3)
    launch = f.campaign("Launch")
    twitter = f.profile("Twitter", "Northwind Analytics")
    linkedin = f.profile("LinkedIn", "Northwind Analytics")
    made: dict[str, set[str]] = {"Twitter": set(), "LinkedIn": set()}
    for i in range(12):
        network = "LinkedIn" if i % 3 == 0 else "Twitter"
        post = f.post(
            status="draft",
            network=network,
            start_at=start + timedelta(hours=i),
            profiles=[linkedin if network == "LinkedIn" else twitter],
            msg=f.message(f"Post {i}", network, launch),
            camp=launch,
        )
        made[network].add(post.oktopost_id)
    return made


def row_ids(page) -> list[str]:
    return page.locator(ROWS).evaluate_all("rows => rows.map(r => r.id.slice(5))")


def networks_in_url(page) -> list[str]:
    return parse_qs(urlsplit(page.url).query).get("network", [])


def test_type_pick_by_keyboard_and_drop_with_backspace(page, queue) -> None:
    log_in(page, "erin", PASSWORD)
    page.goto("/posts/?preset=all")  # every post: a bare /posts/ opens at now
    open_details(page, "Filters and sort")
    box = page.get_by_role("combobox", name="Network")
    # The native select is out of sight and out of the tab order; the box stands in for it.
    assert page.locator("#queue-filters select[name=network]").get_attribute("tabindex") == "-1"

    box.click()
    box.fill("linked")
    listbox = page.get_by_role("listbox", name="Network")
    assert listbox.get_by_role("option").filter(visible=True).all_inner_texts() == ["LinkedIn"]
    with page.expect_response(lambda r: "network=LinkedIn" in r.url):
        box.press("Enter")
    page.wait_for_url("**network=LinkedIn*")
    assert networks_in_url(page) == ["LinkedIn"]
    assert set(row_ids(page)) == queue["LinkedIn"]
    chip = page.get_by_role("button", name="Remove LinkedIn")
    assert chip.is_visible()

    # Enter picked, and did not submit the search words as a filter of their own.
    assert "linked" not in urlsplit(page.url).query

    box.fill("")
    with page.expect_response(lambda r: "/posts/" in r.url and "network=" not in r.url):
        box.press("Backspace")
    page.wait_for_url(lambda url: "network=" not in url)
    assert page.get_by_role("button", name="Remove LinkedIn").count() == 0
    assert len(row_ids(page)) == 12
    assert page.console_errors == []
    box.fill("north")
    screenshot(page, "multiselect-open")


def test_click_two_choices_then_remove_one_chip(page, queue) -> None:
    log_in(page, "erin", PASSWORD)
    page.goto("/posts/?preset=all")  # every post: a bare /posts/ opens at now
    open_details(page, "Filters and sort")
    box = page.get_by_role("combobox", name="Network")
    box.click()
    listbox = page.get_by_role("listbox", name="Network")
    with page.expect_response(lambda r: "network=Twitter" in r.url):
        listbox.get_by_role("option", name="Twitter").click()
    with page.expect_response(lambda r: r.url.count("network=") == 2):
        listbox.get_by_role("option", name="LinkedIn").click()
    page.wait_for_url("**network=*network=*")
    assert sorted(networks_in_url(page)) == ["LinkedIn", "Twitter"]
    assert listbox.get_by_role("option", name="LinkedIn").get_attribute("aria-selected") == "true"

    # Escape closes the list; the chip's button drops its choice.
    box.press("Escape")
    assert listbox.is_hidden()
    with page.expect_response(lambda r: "network=" in r.url and r.url.count("network=") == 1):
        page.get_by_role("button", name="Remove Twitter").click()
    page.wait_for_url(lambda url: "Twitter" not in url)
    assert networks_in_url(page) == ["LinkedIn"]
    assert set(row_ids(page)) == queue["LinkedIn"]

    # Reloading the bookmark shows the same choice as a chip.
    page.reload()
    open_details(page, "Filters and sort")
    assert page.get_by_role("button", name="Remove LinkedIn").is_visible()
    assert page.console_errors == []


def test_profiles_with_one_name_are_told_apart_and_found_by_any_word(page, queue) -> None:
    log_in(page, "erin", PASSWORD)
    page.goto("/posts/")
    open_details(page, "Filters and sort")
    box = page.get_by_role("combobox", name="Profile")
    box.fill("northwind")
    options = page.get_by_role("listbox", name="Profile").get_by_role("option").filter(visible=True)
    texts = options.all_inner_texts()
    assert len(texts) == 2 and len(set(texts)) == 2, texts
    box.fill("zzz")
    assert page.get_by_role("listbox", name="Profile").get_by_text("Nothing matches").is_visible()


def test_the_stats_filters_get_the_same_boxes(page, queue) -> None:
    log_in(page, "erin", PASSWORD)
    page.goto("/stats/")
    open_details(page, "Range and filters")
    selects = page.locator("form.stats-filters select[multiple]").count()
    assert selects > 0
    assert page.locator("form.stats-filters .ms input[role=combobox]").count() == selects
    box = page.get_by_role("combobox", name="Network")
    box.fill("twit")
    box.press("Enter")
    with page.expect_navigation():
        page.click("form.stats-filters button[type=submit]")
    assert networks_in_url(page) == ["Twitter"]
    assert page.get_by_role("button", name="Remove Twitter").is_visible()
    assert page.console_errors == []
