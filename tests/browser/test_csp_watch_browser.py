"""The shared browser fixture fails a test on any Content Security Policy violation."""

import pytest

from tests.conftest import PASSWORD, make_user
from tests.fixtures_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_inline_style_set_by_a_script_is_reported(chromium, page) -> None:
    make_user("vera", "viewer")
    log_in(page, "vera", PASSWORD)
    page.goto("/posts/")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    chromium.flush()
    seen = list(chromium.csp_violations)
    # Seen: now clear them, or this test would fail at teardown as every other would.
    chromium.csp_violations.clear()
    assert len(seen) == 2
    assert all(v.startswith("style-src") and "/posts/" in v for v in seen)


def test_a_context_opened_by_a_test_is_watched_too(chromium, live_server) -> None:
    context = chromium.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    chromium.flush()
    seen = list(chromium.csp_violations)
    chromium.csp_violations.clear()
    context.close()
    assert len(seen) == 1
