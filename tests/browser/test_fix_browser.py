"""Partial failure and retry in real Chromium (issue 28), with the pages it changed
photographed at 1366x900 and 390x844, light and dark."""

from datetime import timedelta

import pytest
from django.utils import timezone

from posts import services, sync
from posts.connection import get_client
from posts.models import Post, PostLink, Profile
from tests.conftest import PASSWORD, make_user
from tests.fix_helpers import read_back
from tests.fixtures_browser import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOO_LONG = "ERROR :: /commentary :: is too long"


def shoot_all(page, name: str) -> None:
    for width, height in ((1366, 900), (390, 844)):
        for scheme in ("light", "dark"):
            page.set_viewport_size({"width": width, "height": height})
            page.emulate_media(color_scheme=scheme)
            screenshot(page, f"fix-{name}-{width}-{scheme}", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.emulate_media(color_scheme="light")


@pytest.mark.slow
def test_a_partly_failed_post_is_explained_and_its_failed_profile_retried(page, mirror) -> None:
    editor = make_user("erin", "editor")
    profiles = list(Profile.objects.filter(network="LinkedIn", status="valid").order_by("name"))
    campaign_id = Post.objects.exclude(campaign_id=None).first().campaign_id
    message = services.message_create(
        user=editor, network="LinkedIn", campaign_id=campaign_id, text="Spring report is live"
    )
    post = services.post_create(
        user=editor,
        message_id=message.oktopost_id,
        profile_ids=[p.oktopost_id for p in profiles],
        start_at=timezone.now() + timedelta(days=1),
    )
    failed = profiles[1]
    mirror.control(
        "POST", f"posts/{post.oktopost_id}/send", {"errors": {failed.oktopost_id: TOO_LONG}}
    )
    sync.posts_sync()
    read_back(get_client(priority="interactive"), [Post.objects.get(id=post.id)])
    log_in(page, "erin", PASSWORD)

    page.goto("/posts/?sort=-created")
    row = page.locator(f"#post-{post.oktopost_id}")
    assert "2 of 3 sent" in row.inner_text()
    shoot_all(page, "queue")

    page.goto(f"/posts/{post.oktopost_id}/")
    outcome = page.locator(".outcome").first
    assert "2 of 3 sent" in outcome.inner_text()
    assert f"LinkedIn ({failed.label}) failed: the text is too long for LinkedIn" in (
        outcome.inner_text()
    )
    outcome.locator("summary").first.click()
    assert TOO_LONG in outcome.inner_text()
    shoot_all(page, "detail")

    page.click("text=Retry the 1 failed profile…")
    page.wait_for_url(f"**/posts/{post.oktopost_id}/retry/")
    shoot_all(page, "retry")
    before = mirror.calls()["by_endpoint"].get("POST /post", 0)
    page.click("button:has-text('Retry 1 failed profile')")
    page.wait_for_url("**/posts/004*/")
    assert "Retried as a new LinkedIn post “" in page.inner_text("#messages")
    assert "Retry of" in page.inner_text("main")
    assert mirror.calls()["by_endpoint"].get("POST /post", 0) == before + 1
    made = Post.objects.get(oktopost_id=PostLink.objects.get(source=post.oktopost_id).target)
    assert made.credential_ids == [failed.oktopost_id]
    page.goto(f"/posts/{made.oktopost_id}/edit/")
    shoot_all(page, "edit")
    assert not page.console_errors
