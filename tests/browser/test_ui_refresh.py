"""'Refresh stats now' in real Chromium: progress while the worker fetches, then the new
numbers swapped in without a reload."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import EDITOR
from posts.models import Post
from posts.sync.stats import stats_claim
from tests import factories as f
from tests.browser.test_ui_pages import session_cookie
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_refresh_now_shows_progress_then_swaps_in_the_new_numbers(
    chromium, live_server, monkeypatch
) -> None:
    # No worker here: the test plays its part, so nothing is queued for a real one.
    monkeypatch.setattr("core.infra.task_send", lambda name, *args: True)
    editor = make_user("erin", EDITOR)
    post = f.post(
        status="complete",
        start_at=timezone.now() - timedelta(days=1),
        counters_at=timezone.now() - timedelta(hours=2),
        clicks=10,
    )
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 900}
    )
    context.set_default_timeout(10_000)
    context.add_cookies([session_cookie(editor, live_server.url)])
    page = context.new_page()
    page.goto(f"/posts/{post.oktopost_id}/")
    stats = page.locator("#post-stats")
    assert "not yet" in stats.inner_text()
    page.evaluate("window.__sameDocument = true")

    page.click("button:has-text('Refresh stats now')")
    page.wait_for_selector("#post-stats:has-text('Refresh queued at')")

    # A worker takes the post off the queue before it calls Oktopost.
    post.refresh_from_db()
    assert stats_claim(post) is not None
    page.wait_for_selector("#post-stats:has-text('Fetching the numbers from Oktopost')")
    assert page.locator("#post-stats .spinner").count() == 1

    # It writes the answer: the block swaps the numbers in and stops polling.
    now = timezone.now()
    Post.objects.filter(id=post.id).update(
        stats_at=now, counters_at=now, clicks=4321, shares=12, impressions=35547
    )
    page.wait_for_selector("#post-stats:has-text('Updated: these are the numbers')")
    text = stats.inner_text()
    assert "4,321" in text and "35,547" in text and "not yet" not in text
    assert page.evaluate("window.__sameDocument") is True
    assert stats.get_attribute("hx-trigger") is None
    context.close()
