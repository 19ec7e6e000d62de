"""Editors schedule, reschedule, cancel and bulk-change posts in real Chromium."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from oktodash.celery import app
from posts import (
    tasks,  # noqa: F401  (eager_tasks runs them here: they must be loaded)
)
from posts.models import Post, Profile
from tests.conftest import PASSWORD, make_user
from tests.fixtures_browser import (
    live_checks_settled,
    log_in,
    open_compose_drawer,
    open_details,
    screenshot,
    shots,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editor_page(page, mirror):
    make_user("erin", "editor")
    log_in(page, "erin", PASSWORD)
    return page


@pytest.fixture
def eager_tasks():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_create_from_a_new_message_for_two_profiles_then_reschedule_and_cancel(editor_page) -> None:
    page = editor_page
    form = open_compose_drawer(page)
    form.locator("select[name=network]").select_option("LinkedIn")
    form.locator("select[name=campaign]").select_option(index=1)
    form.locator("textarea[name=text]").fill("Browser-made post: our webinar starts soon")
    linkedin = list(Profile.objects.filter(network="LinkedIn", status="valid")[:2])
    for profile in linkedin:
        form.locator(f"input[name=profiles][value='{profile.oktopost_id}']").check()
    when = timezone.localtime(timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    form.locator("input[name=when]").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.wait_for_selector("#create-checks:has-text('UTC')")
    assert "characters left" in page.inner_text("#create-checks")
    assert "UTC" in page.inner_text("#create-checks")
    page.locator("#create-checks").scroll_into_view_if_needed()
    screenshot(page, "create-form")
    form.locator("button:has-text('Schedule in Oktopost')").click()
    page.wait_for_url("**/posts/?sort=-created")
    assert "Scheduled: LinkedIn post" in page.inner_text("#messages")

    post = Post.objects.get(message__text="Browser-made post: our webinar starts soon")
    assert set(post.credential_ids) == {p.oktopost_id for p in linkedin}
    row = page.locator(f"#post-{post.oktopost_id}")
    assert row.is_visible()

    later = when + timedelta(hours=3)
    # Row actions show on hover or focus; "Move" opens the row's time field.
    row.locator("summary:has-text('Move')").click()
    row.locator("input[name=when]").fill(later.strftime("%Y-%m-%dT%H:%M"))
    row.locator("button:has-text('Move')").click()
    page.wait_for_selector(f"#post-{post.oktopost_id} .ok-note")
    post.refresh_from_db()
    assert post.start_at == later

    page.locator(f"#post-{post.oktopost_id} a:has-text('Cancel…')").click()
    assert "Cancel this post?" in page.inner_text("main")
    assert post.oktopost_id not in page.inner_text("main")
    page.click("button:has-text('Yes, cancel the post')")
    # Back to the view the cancel started from, not to an unfiltered queue.
    page.wait_for_url("**/posts/?sort=-created")
    assert "Cancelled the LinkedIn post" in page.inner_text("#messages")
    post.refresh_from_db()
    assert post.deleted_at is not None
    assert [e for e in page.console_errors if "ERR_NAME_NOT_RESOLVED" not in e] == []


def test_bulk_shift_shows_a_summary(editor_page, eager_tasks) -> None:
    page = editor_page
    page.goto("/posts/?preset=upcoming&network=Twitter")
    boxes = page.locator("input[name=post][form=bulk-form]")
    assert boxes.count() >= 3
    for index in range(3):
        boxes.nth(index).check()
    open_details(page, "Change several posts")
    page.fill("input[name=minutes]", "30")
    page.click("#bulk-form button:has-text('Apply')")
    page.wait_for_selector("text=Done: 3 succeeded, 0 failed")
    screenshot(page, "bulk-result")


IN_VIEW = """(el) => {
  const r = el.getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight;
}"""


def fill_all_but_the_campaign(page, form) -> None:
    """A LinkedIn profile ticked (the network follows it), text and time; no campaign."""
    form.locator("textarea[name=text]").fill("Our webinar starts soon")
    linkedin = Profile.objects.filter(network="LinkedIn", status="valid").first()
    form.locator(f"input[name=profiles][value='{linkedin.oktopost_id}']").check()
    when = timezone.localtime(timezone.now() + timedelta(days=2))
    form.locator("input[name=when]").fill(when.strftime("%Y-%m-%dT%H:%M"))
    live_checks_settled(form)


def test_a_failed_schedule_focuses_the_first_error_and_sums_them_up_at_the_button(
    editor_page,
) -> None:
    """On the new-post page and in the queue's drawer."""
    page = editor_page
    for where in ("page", "drawer"):
        if where == "drawer":
            form = open_compose_drawer(page)
        else:
            page.goto("/posts/new/")
            form = page.locator("#post-form")
        fill_all_but_the_campaign(page, form)
        # Ticking the profile picked the network.
        expect(form.locator("select[name=network]")).to_have_value("LinkedIn")
        form.locator("button:has-text('Schedule in Oktopost')").click()
        summary = form.locator("#form-summary")
        summary.wait_for()
        assert "1 thing to fix" in summary.inner_text(), where
        assert "Oktopost files every message under one" in summary.inner_text(), where
        # The campaign is focused and on screen, and so are the summary and the button.
        campaign = page.locator("#post-form select[name=campaign]")
        expect(campaign).to_be_focused()
        assert campaign.evaluate(IN_VIEW), where
        screenshot(page, f"create-form-errors-{where}-1366-light", full_page=False)
        summary.locator("a").click()
        expect(campaign).to_be_focused()
        assert not Post.objects.filter(message__text="Our webinar starts soon").exists()


def test_in_the_drawer_a_schedule_pressed_on_a_slow_machine_is_answered_in_the_drawer(
    editor_page,
) -> None:
    """htmx wires a form it swaps into the drawer in its settle step, after the drawer
    shows; a loaded machine delays that step. A CI run pressed Schedule before it: the
    browser posted the page the plain way and the drawer's summary never came. Here the
    settle is stretched to 1.5 s."""
    page = editor_page
    form = open_compose_drawer(page, settle_ms=1500)
    fill_all_but_the_campaign(page, form)
    form.locator("button:has-text('Schedule in Oktopost')").click()
    expect(form.locator("#form-summary")).to_contain_text("1 thing to fix", timeout=10_000)
    assert page.url.endswith("/posts/"), page.url


@pytest.mark.visual
def test_the_errors_of_a_failed_schedule_show_without_javascript(
    chromium, live_server, mirror
) -> None:
    make_user("erin", "editor")
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    log_in(page, "erin", PASSWORD)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/posts/new/")
        form = page.locator("#post-form")
        form.locator("textarea[name=text]").fill("Our webinar starts soon")
        form.locator("button:has-text('Schedule in Oktopost')").click()
        page.wait_for_load_state()
        summary = page.locator("#form-summary")
        assert "things to fix" in summary.inner_text()
        # The browser focused the first field in error (autofocus) and scrolled to it.
        focused = page.evaluate("document.activeElement.name")
        assert focused == "network"
        assert page.locator("#post-form select[name=network]").evaluate(IN_VIEW), width
        shots(page, f"create-form-errors-nojs-{width}")
        summary.scroll_into_view_if_needed()
        shots(page, f"create-form-errors-summary-{width}")
    context.close()
