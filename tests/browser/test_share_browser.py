"""Share links in real Chromium: an editor makes one from /stats/, a browser with no
login opens it, sees the numbers and downloads the CSV; a viewer shares the queue in one
step and finds the link under "Shared links"; an admin can switch that off."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import EDITOR, VIEWER, User
from tests import factories as f
from tests.browser.test_ui_pages import AXE, AXE_RUN, WATCH_CSP
from tests.conftest import PASSWORD, make_user
from tests.fixtures_browser import log_in, screenshot, shots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stats(transactional_db) -> None:
    make_user("erin", EDITOR)
    make_user("vera", VIEWER)
    now = timezone.now()
    launch, brand = f.campaign("Launch"), f.campaign("Brand")
    li, tw = f.profile("LinkedIn", "Acme LI"), f.profile("Twitter", "Acme X")
    hello = f.message("Hello LinkedIn people", "LinkedIn", launch)
    tweet = f.message("A tweet about the launch", "Twitter", brand)
    for i in range(120):
        twitter = i % 3 == 0
        f.post(
            status=("complete", "complete", "error", "incomplete")[i % 4],
            start_at=now - timedelta(hours=9 * i + 1),
            network="Twitter" if twitter else "LinkedIn",
            profiles=[tw] if twitter else [li, tw],
            msg=tweet if twitter else hello,
            camp=brand if twitter else launch,
            clicks=i % 13,
            likes=(i * 7) % 11,
            comments=i % 4,
            shares=i % 3,
            impressions=40 * (i % 9),
            stats_at=now,
        )


def sections_filled_in(page) -> None:
    """The sections /stats/ fills in after load (htmx) replaced their Loading… state."""
    for name in ("messages", "top", "heatmap"):
        page.wait_for_selector(f"#stats-{name}:not(.stats-lazy)")
    assert page.locator("text=Loading…").count() == 0
    assert page.locator("#stats-heatmap #heatmap").count() == 1
    assert page.locator("#stats-top ol li").count() >= 3


def test_an_editor_shares_stats_with_someone_who_has_no_login(
    chromium, page, live_server, stats
) -> None:
    log_in(page, "erin", PASSWORD)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/stats/?range=30d&network=LinkedIn")
    assert page.locator(".stat-card").count() >= 6
    sections_filled_in(page)
    screenshot(page, "stats-1366")
    screenshot(page, "stats-1366-full", full_page=True)
    # One step (issue 29): the dialog names what the link shows; label, expiry, Create.
    page.click("text=Share this view")
    dialog = page.locator("#share-dialog[open]")
    dialog.locator("input[name=label]").fill("LinkedIn, last 30 days")
    assert "Networks: LinkedIn" in dialog.inner_text()
    dialog.locator("select[name=days]").select_option("30")
    dialog.locator("button[type=submit]").click()
    url = dialog.locator("#new-link-url").input_value()
    assert "/s/" in url
    # Shown once: Copy puts it on the clipboard.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    dialog.locator("button[data-copy]").click()
    page.wait_for_selector("#share-dialog [data-copied]:not([hidden])")
    assert page.evaluate("navigator.clipboard.readText()") == url
    screenshot(page, "share-link-created-copied")
    assert page.console_errors == []

    fresh = chromium.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    try:
        anon = fresh.new_page()
        errors: list[str] = []
        anon.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        response = anon.goto(url)
        assert response.status == 200
        assert anon.locator("h1").inner_text() == "LinkedIn, last 30 days"
        clicks = anon.locator(".stat-card", has_text="Clicks").locator(".stat-value")
        assert clicks.inner_text().isdigit()
        sections_filled_in(anon)
        assert anon.locator("a[href*='/posts/'], form").count() == 0
        assert fresh.cookies() == []
        screenshot(anon, "share-1366", full_page=True)
        with anon.expect_download() as info:
            anon.click("text=Download CSV")
        text = Path(info.value.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][0] == "Post" and len(rows) > 1
        assert {r[3] for r in rows[1:]} == {"LinkedIn"}
        assert sum(int(r[rows[0].index("Clicks")]) for r in rows[1:]) == int(clicks.inner_text())
        anon.set_viewport_size({"width": 390, "height": 844})
        anon.goto(url)
        screenshot(anon, "share-390", full_page=True)
        width = anon.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the share page scrolls sideways on a phone ({width}px)"
        assert errors == []
    finally:
        fresh.close()


def axe_and_csp(page, scope: str | None = None) -> list:
    """Serious or critical axe findings in `scope` (the whole page by default), and
    every CSP violation the page has seen (the context watches from the start)."""
    page.evaluate(AXE)
    found = page.evaluate(AXE_RUN, [False, scope])
    return [*found, *page.evaluate("window.__csp")]


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_a_viewer_shares_the_queue_in_one_step_and_finds_it_under_shared_links(
    chromium, live_server, stats, width, height
) -> None:
    """Issue 29, item 5: a viewer (who got "Not allowed" before) shares the filtered
    queue from a dialog, copies the link, and lists it under "Shared links"."""
    context = chromium.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": height},
        reduced_motion="reduce",
    )
    context.add_init_script(WATCH_CSP)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(page, "vera", PASSWORD)
        page.goto("/posts/?network=Twitter")
        page.click("text=Share this view")
        dialog = page.locator("#share-dialog[open]")
        dialog.locator("input[name=label]").wait_for()
        facts = dialog.locator(".share-facts").inner_text()
        assert "Twitter" in facts and "40 posts" in facts, facts
        assert dialog.locator("input[name=label]").evaluate("e => e === document.activeElement")
        shots(page, f"share-dialog-{width}")
        assert axe_and_csp(page, "#share-dialog") == []
        dialog.locator("input[name=label]").fill("Twitter posts for the agency")
        dialog.locator("select[name=days]").select_option("7")
        dialog.locator("button[type=submit]").click()
        url = dialog.locator("#new-link-url").input_value()
        assert "/s/" in url
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        dialog.locator("button[data-copy]").click()
        page.wait_for_selector("#share-dialog [data-copied]:not([hidden])")
        assert page.evaluate("navigator.clipboard.readText()") == url
        shots(page, f"share-dialog-created-{width}")
        width_used = page.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width, f"the page scrolls sideways ({width_used}px)"
        page.keyboard.press("Escape")
        assert page.locator("#share-dialog[open]").count() == 0

        # "Shared links" in the navigation (inside the menu on a phone).
        if page.locator("[data-nav-toggle]").is_visible():
            page.click("[data-nav-toggle]")
        page.click("nav >> text=Shared links")
        page.wait_for_url("**/share/")
        assert "Twitter posts for the agency" in page.locator("#share-links").inner_text()
        shots(page, f"share-links-{width}", full_page=True)
        assert axe_and_csp(page) == []
        page.locator("#share-links button", has_text="Revoke").click()
        assert "Revoked" in page.locator("#share-links").inner_text()
        assert errors == []
    finally:
        context.close()


@pytest.mark.visual
@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_share_this_view_sits_in_the_head_of_queue_stats_and_calendar(
    chromium, live_server, stats, width, height
) -> None:
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    context.add_init_script(WATCH_CSP)
    try:
        page = context.new_page()
        log_in(page, "vera", PASSWORD)
        for name, path in (("queue", "/posts/"), ("stats", "/stats/"), ("calendar", "/calendar/")):
            page.goto(path)
            button = page.locator("a.share-open")
            assert button.is_visible(), path
            assert button.bounding_box()["y"] < 300, f"{path}: the button is not near the top"
            screenshot(page, f"share-button-{name}-{width}")
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{path} scrolls sideways ({scroll}px)"
            button.click()
            page.locator("#share-dialog[open] input[name=label]").wait_for()
            page.keyboard.press("Escape")
        assert page.evaluate("window.__csp") == []
    finally:
        context.close()


def test_when_an_admin_switches_sharing_off_viewers_see_no_share_button(page, stats) -> None:
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    log_in(page, "root", PASSWORD)
    page.goto("/share/")
    shots(page, "share-links-admin-1400", full_page=True)
    page.uncheck("#share-policy input[name=viewers_may_share]")
    page.click("#share-policy button[type=submit]")
    assert not page.is_checked("#share-policy input[name=viewers_may_share]")
    page.context.clear_cookies()
    log_in(page, "vera", PASSWORD)
    for path in ("/posts/", "/stats/", "/calendar/"):
        page.goto(path)
        assert page.locator("text=Share this view").count() == 0, path
    assert page.console_errors == []
    assert page.goto("/share/this/?page=queue").status == 403


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_the_new_link_form_shows_what_the_link_will_show(
    chromium, live_server, stats, width, height
) -> None:
    """The form with its filters as controls and the preview beside (or under) them,
    updated by htmx as a filter changes, on a desktop and a phone, in light and dark."""
    context = chromium.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": height},
        reduced_motion="reduce",
    )
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        log_in(page, "erin", PASSWORD)
        page.goto("/share/new/?page=stats&range=7d")
        preview = page.locator("#share-preview")
        assert "Every post of the account" in preview.inner_text()
        page.select_option("select[name=network]", ["LinkedIn"])
        page.wait_for_function(
            "() => document.querySelector('#share-preview').innerText.includes('Networks')"
        )
        assert "LinkedIn" in preview.inner_text()
        assert "counted now" in preview.inner_text()
        shots(page, f"share-new-{width}")
        shots(page, f"share-new-{width}-full", full_page=True)
        width_used = page.evaluate("document.querySelector('main').scrollWidth")
        assert width_used <= width, f"the form scrolls sideways ({width_used}px)"
        page.fill("input[name=label]", "LinkedIn this week")
        page.click("button[value=create]")
        assert "/s/" in page.input_value("#new-link-url")
        shots(page, f"share-created-{width}")
        assert errors == []
    finally:
        context.close()
