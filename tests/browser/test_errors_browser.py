"""What a person sees when things go wrong: errors in place, a double click, an outage.

Each flow is screenshotted at a desktop and a phone size (tests/artifacts/)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core import infra
from posts.models import Post, Profile, SavedView
from tests.conftest import PASSWORD, make_user
from tests.fixtures_browser import (
    live_checks_settled,
    log_in,
    open_compose_drawer,
    open_details,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def shots(page, name: str) -> None:
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        # As the page loads at this size: the field with the error (autofocus) in view.
        page.evaluate("document.activeElement?.scrollIntoView({block: 'center'})")
        screenshot(page, f"{name}-{size}")
        page.emulate_media(color_scheme="dark")
        screenshot(page, f"{name}-{size}-dark")
        page.emulate_media(color_scheme="light")
    page.set_viewport_size(SIZES["desktop"])


@pytest.fixture
def editor_page(page, mirror):
    make_user("erin", "editor")
    log_in(page, "erin", PASSWORD)
    return page


def test_a_duplicate_view_name_is_shown_beside_the_form(editor_page) -> None:
    page = editor_page
    page.goto("/posts/?network=Twitter")
    for _ in range(2):
        open_details(page, "Save this view")
        page.fill("details.save-view input[name=name]", "Twitter")
        page.click("details.save-view button:has-text('Save view')")
        page.wait_for_load_state()
    error = page.locator("details.save-view[open] .form-error")
    assert "You already have a view called “Twitter”." in error.inner_text()
    assert page.input_value("details.save-view input[name=name]") == "Twitter"
    assert SavedView.objects.count() == 1
    shots(page, "saved-view-error")


def in_three_days() -> str:
    return timezone.localtime(timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")


def fill_new_post(page, text: str, when: str):
    """The new-post page with a LinkedIn post at `when` (local, to the minute) filled in."""
    linkedin = Profile.objects.filter(network="LinkedIn", status="valid").first()
    page.goto("/posts/new/")
    form = page.locator("#post-form")
    form.locator("select[name=network]").select_option("LinkedIn")
    form.locator("select[name=campaign]").select_option(index=1)
    form.locator("textarea[name=text]").fill(text)
    form.locator(f"input[name=profiles][value='{linkedin.oktopost_id}']").check()
    form.locator("input[name=when]").fill(when)
    live_checks_settled(form)
    return form


def posts_sent(page) -> list[str]:
    """The addresses of the POSTs the page sends from now on."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    return sent


def bad_gateway(picked):
    """A route handler: what a proxy answers while oktodash is down (502) to the requests
    `picked(request)` chooses; the others go through."""

    def handle(route) -> None:
        if picked(route.request):
            route.fulfill(status=502, body="Bad Gateway", content_type="text/plain")
        else:
            route.continue_()

    return handle


def test_a_double_click_on_schedule_makes_one_post_and_a_second_asks_first(editor_page) -> None:
    page = editor_page
    text, when = "Double-clicked in the browser", in_three_days()
    form = fill_new_post(page, text, when)
    sent = posts_sent(page)
    form.locator("button:has-text('Schedule in Oktopost')").dblclick()
    # The button is off from the first click until the answer: the second sends nothing.
    expect(page).to_have_url(re.compile(r"/posts/\?sort=-created$"), timeout=15_000)
    assert sum(url.endswith("/posts/new/") for url in sent) == 1, sent
    assert Post.objects.filter(message__text=text).count() == 1

    form = fill_new_post(page, text, when)
    form.locator("button:has-text('Schedule in Oktopost')").click()
    page.wait_for_selector("text=Create it anyway", timeout=20_000)
    assert "already sends this message to these profiles at this time" in form.inner_text()
    shots(page, "identical-post-confirm")
    assert Post.objects.filter(message__text=text).count() == 1


def test_a_failed_or_lost_answer_to_schedule_says_so_and_sending_again_makes_one_post(
    editor_page,
) -> None:
    """What a proxy answers when oktodash is down (502), and an answer lost after
    oktodash created the post (the connection drops on the way back): the page says so in
    words, keeps what was entered, and the same form sent again creates nothing twice."""
    page = editor_page
    text = "Its answer was lost on the way back"
    form = fill_new_post(page, text, in_three_days())
    button = form.locator("button:has-text('Schedule in Oktopost')")
    toast = page.locator("#request-error")

    page.route("**/posts/new/", bad_gateway(lambda request: request.method == "POST"))
    button.click()
    expect(toast).to_contain_text("it answered with error 502")
    expect(toast).to_contain_text("What you entered is still here")
    expect(button).to_be_enabled()
    assert form.locator("textarea[name=text]").input_value() == text
    assert not Post.objects.filter(message__text=text).exists()
    page.unroute("**/posts/new/")

    def lose_answer(route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        route.fetch()  # oktodash receives the form and creates the post...
        route.abort("connectionreset")  # ...and its answer never arrives

    page.route("**/posts/new/", lose_answer)
    button.click()
    expect(toast).to_contain_text("oktodash could not be reached")
    expect(toast).to_contain_text("check it before sending again")
    expect(toast.get_by_role("link", name="Open the activity log (new tab)")).to_have_attribute(
        "href", re.compile(r"/activity/$")
    )
    expect(button).to_be_enabled()
    assert Post.objects.filter(message__text=text).count() == 1
    shots(page, "lost-answer")
    page.unroute("**/posts/new/")

    button.click()  # the same form again: answered with the first post
    expect(page).to_have_url(re.compile(r"/posts/\?sort=-created$"), timeout=15_000)
    expect(page.locator("#messages")).to_contain_text("This form was already submitted")
    assert Post.objects.filter(message__text=text).count() == 1
    # The browser's and htmx's own lines about the failed requests, and no script error.
    expected = ("Failed to load resource", "Response Status Error Code 502", "htmx:")
    assert [e for e in page.console_errors if not e.startswith(expected)] == []


def test_on_a_phone_the_failure_words_leave_the_forms_button_within_reach(editor_page) -> None:
    """The toast sits over the bottom of the screen: on a phone, on the new-post page and
    in the queue's drawer, the form scrolls far enough that its button shows above it
    (it was left under the toast until dismissed)."""
    page = editor_page
    page.set_viewport_size(SIZES["phone"])
    page.route("**/posts/new/", bad_gateway(lambda request: request.method == "POST"))
    for where in ("page", "drawer"):
        if where == "drawer":
            form = open_compose_drawer(page)
        else:
            form = fill_new_post(page, "Sent while oktodash was down", in_three_days())
        button = form.locator("button:has-text('Schedule in Oktopost')")
        button.click()
        toast = page.locator("#request-error")
        expect(toast).to_contain_text("error 502")
        # Scrolled as far as it goes (the drawer scrolls itself, the page the window).
        page.evaluate(
            "window.scrollTo(0, document.documentElement.scrollHeight);"
            "const d = document.querySelector('#drawer.open'); if (d) d.scrollTop = d.scrollHeight;"
        )
        shown, over = button.bounding_box(), toast.bounding_box()
        assert shown["y"] + shown["height"] <= over["y"], (where, shown, over)
        screenshot(page, f"failed-toast-{where}-phone")
        page.emulate_media(color_scheme="dark")
        screenshot(page, f"failed-toast-{where}-phone-dark")
        page.emulate_media(color_scheme="light")
    page.unroute("**/posts/new/")


def test_a_failed_refresh_leaves_nothing_behind_after_the_back_button(editor_page) -> None:
    """htmx keeps a copy of the page for the back button when a view is pushed, the
    failure's words in it: they go before the copy is taken. Without that, after Back the
    page kept the room made below for words no longer shown."""
    page = editor_page
    page.goto("/posts/?preset=all")

    page.route("**/posts/?*", bad_gateway(lambda request: request.headers.get("hx-request")))
    open_details(page, "Filters and sort")
    page.locator("#queue-filters select[name=sort]").select_option("start_at")
    toast = page.locator("#request-error")
    expect(toast).to_contain_text("Nothing on this page changed")
    page.unroute("**/posts/?*")
    page.click("a[rel=next]")  # another view, pushed: htmx keeps a copy of this one
    expect(page).to_have_url(re.compile(r"cursor="))
    page.go_back()
    expect(page.locator("a[rel=next]")).to_be_visible()
    expect(page.locator("#request-error:visible")).to_have_count(0)
    assert not page.evaluate("document.body.classList.contains('request-failed')")


def test_pages_still_work_with_a_banner_when_redis_is_down(page, queue_rows, settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    infra._failed_at.clear()
    make_user("vera", "viewer")
    log_in(page, "vera", PASSWORD)
    page.goto("/posts/")
    banner = page.locator("#status-bar .banner-error")
    assert "Redis at 127.0.0.1:1 cannot be reached" in banner.first.inner_text()
    assert page.locator("#post-rows tbody tr").count() > 0
    shots(page, "redis-down")
    infra._failed_at.clear()


@pytest.fixture
def queue_rows(db):
    from tests import factories as f

    for hours in range(1, 6):
        f.post(status="pending", start_at=timezone.now() + timedelta(hours=hours))
