"""Editors schedule, reschedule, cancel and bulk-change posts in real Chromium."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oktodash.celery import app
from posts import sync
from posts.models import Post, Profile
from tests.conftest import PASSWORD, make_user
from tests.fixtures_browser import log_in, open_details, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editor_page(page, oktopost):
    sync.posts_sync(full=True)
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
    page.goto("/posts/")
    page.click("text=New post")
    page.wait_for_selector("#drawer.open #post-form")
    form = page.locator("#drawer #post-form")
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
    assert post.oktopost_id in page.inner_text("main")
    page.click("button:has-text('Yes, cancel the post')")
    page.wait_for_url("**/posts/")
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
