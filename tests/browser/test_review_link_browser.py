"""A review link in a real browser, logged out: the page at 1366x900 and 390x844, light
and dark, with axe-core and screenshots for a person; a request for changes from the
page reaches the post, with no script error (strict CSP) and only the CSRF cookie."""

from __future__ import annotations

import pytest

from accounts.models import EDITOR
from approvals import services
from posts.models import ApprovalItem, Post
from posts.selectors import queue_choices
from tests.browser.test_ui_pages import AXE, AXE_RUN, SCREENSHOTS
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def review_url() -> tuple[str, ApprovalItem]:
    item = ApprovalItem.objects.filter(status="pending").order_by("created", "id").first()
    campaign = Post.objects.get(oktopost_id=item.post_oktopost_id).campaign_id
    created = services.review_link_create(
        user=make_user("alice", EDITOR),
        query=f"campaign={campaign}",
        label="Launch campaign, next two weeks",
        choices=queue_choices(),
    )
    return f"/r/{created.token}/", item


@pytest.mark.visual
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", [(1366, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_review_page_reads_well_and_decides(page, mirror, scheme, size) -> None:
    url, item = review_url()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.emulate_media(color_scheme=scheme)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(url)
    page.evaluate(AXE)
    before = page.evaluate(AXE_RUN, [False, None])
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    page.screenshot(path=str(SCREENSHOTS / f"review-{size[0]}-{scheme}.png"))

    form = page.locator(f"#post-{item.oktopost_id} form")
    form.locator("input[name=reviewer]").fill("Dana Client")
    form.locator("textarea[name=note]").fill("Shorter, please.")
    form.locator("button:has-text('Request changes')").click()
    page.wait_for_selector(f"#post-{item.oktopost_id} .banner-success")
    page.evaluate(AXE)
    after = page.evaluate(AXE_RUN, [False, None])
    page.screenshot(path=str(SCREENSHOTS / f"review-{size[0]}-{scheme}-decided.png"))
    cookies = {c["name"] for c in page.context.cookies()}

    assert before == [] and after == [], (before, after)
    assert not wide
    assert page.console_errors == []
    assert cookies <= {"csrftoken"}
    assert Post.objects.get(oktopost_id=item.post_oktopost_id).approval == "rejected"
