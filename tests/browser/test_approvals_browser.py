"""Approvals in a real browser: compose sends a post for approval, an editor approves
it step by step on the Approvals page, and the queue shows it approved; the page at
1366x900 and 390x844, light and dark, with axe-core and screenshots for a person."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import EDITOR
from posts.models import Post, Profile
from tests.browser.test_ui_pages import AXE, AXE_RUN, SCREENSHOTS
from tests.conftest import PASSWORD, make_user
from tests.fixtures_browser import live_checks_settled, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_compose_through_approval_to_the_queue(page, mirror) -> None:
    make_user("alice", EDITOR)
    log_in(page, "alice", PASSWORD)
    profile = Profile.objects.filter(network="LinkedIn", status="valid").first()
    when = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")

    page.goto("/posts/new/")
    page.check("input[name=source][value=new]")
    page.select_option("select[name=network]", "LinkedIn")
    page.select_option("select[name=campaign]", index=1)
    page.fill("textarea[name=text]", "Browser approval post")
    page.check(f"input[name=profiles][value='{profile.oktopost_id}']")
    page.fill("input[name=when]", when)
    page.select_option("select[name=workflow]", "cwf000000000002")
    live_checks_settled(page.locator("#post-form"))
    page.click("button:has-text('Schedule in Oktopost')")
    page.wait_for_url("**/posts/?sort=-created")
    errors = page.locator(".errorlist, .form-error").all_inner_texts()
    assert "Sent for approval" in page.content(), errors

    post = Post.objects.get(message__text="Browser approval post")
    for _ in range(2):
        page.goto("/approvals/")
        article = page.locator("article", has_text="Browser approval post").first
        article.locator("button:has-text('Approve')").click()
        page.wait_for_selector("#approvals .banner-success")
    page.goto("/posts/?approval=approved")

    assert page.locator(f"#post-{post.oktopost_id}").count() == 1
    post.refresh_from_db()
    assert post.approval == "approved"


@pytest.mark.visual
def test_the_approvals_page_reads_well_at_both_sizes_in_light_and_dark(page, mirror) -> None:
    make_user("alice", EDITOR)
    log_in(page, "alice", PASSWORD)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.emulate_media(color_scheme="light")
        page.goto("/approvals/")
        page.evaluate(AXE)
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            problems.append(f"{width}: the page scrolls sideways")
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            # Dark differs from light only in colour: its colour rules alone.
            found = page.evaluate(AXE_RUN, [scheme == "dark", None])
            if found:
                problems.append(f"{width} {scheme}: {found}")
            page.screenshot(path=str(SCREENSHOTS / f"approvals-{width}-{scheme}.png"))
    assert problems == []
