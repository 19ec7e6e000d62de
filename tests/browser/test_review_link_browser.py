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


SIZES = ((1366, 900), (390, 844))


def looks(page, name: str, *, reload: bool = True) -> list:
    """The page at both sizes, in light and dark: axe (dark: its colour rules) and a
    screenshot of each, for a person; any sideways scroll. Without `reload`, the page as
    it is now (what htmx left), only resized."""
    found = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.emulate_media(color_scheme="light")
        if reload:
            page.reload()
        page.evaluate(AXE)
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            found.append(f"{name} {width}: the page scrolls sideways")
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            found += page.evaluate(AXE_RUN, [scheme == "dark", None])
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}-{scheme}.png"))
    return found


@pytest.mark.visual
def test_the_review_page_reads_well_and_decides(page, mirror) -> None:
    url, item = review_url()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(url)
    before = looks(page, "review")

    form = page.locator(f"#post-{item.oktopost_id} form")
    form.locator("input[name=reviewer]").fill("Dana Client")
    form.locator("textarea[name=note]").fill("Shorter, please.")
    form.locator("button:has-text('Request changes')").click()
    page.wait_for_selector(f"#post-{item.oktopost_id} .banner-success")
    after = looks(page, "review-decided", reload=False)
    cookies = {c["name"] for c in page.context.cookies()}

    assert before == [] and after == [], (before, after)
    assert page.console_errors == []
    assert cookies <= {"csrftoken"}
    assert Post.objects.get(oktopost_id=item.post_oktopost_id).approval == "rejected"
