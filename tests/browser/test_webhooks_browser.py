"""Webhooks in, as a person sees them (issue 27): a post changed in Oktopost (the
sandbox's control API, standing in for someone using Oktopost's own screens) shows its
new time on the queue page within 5 s, and oktodash made no call to Oktopost meanwhile:
the change came by webhook, not by a sync."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import EDITOR
from tests.browser.test_ui_pages import session_cookie
from tests.conftest import make_user
from tests.fixtures_webhooks import WAIT, unsent_post_ids

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_post_changed_in_oktopost_shows_its_new_time_on_the_queue_page_within_5_s(
    chromium, live_server, intake
) -> None:
    editor = make_user("erin", EDITOR)
    post_id = unsent_post_ids(intake, 1)[0]
    new_start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    local = new_start.astimezone(ZoneInfo(editor.time_zone))  # the queue's days and times
    day = local.date().isoformat()
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 900}
    )
    context.set_default_timeout(10_000)
    context.add_cookies([session_cookie(editor, live_server.url)])
    page = context.new_page()
    rows_polled: list[str] = []
    page.on("request", lambda r: rows_polled.append(r.url) if "/row/" in r.url else None)
    queue = f"/posts/?from={day}&to={day}"
    page.goto(queue)
    row = page.locator(f"#post-{post_id}")
    assert row.count() == 0  # not on that day yet

    before = intake.calls()["total"]
    changed = time.monotonic()
    intake.control("POST", f"posts/{post_id}", {"StartDateTime": int(new_start.timestamp())})
    shown = None
    while time.monotonic() - changed < WAIT:
        page.goto(queue)  # a person looking again: pages read the mirror only
        if row.count():
            shown = datetime.fromisoformat(row.locator("time").get_attribute("datetime"))
            break
        page.wait_for_timeout(100)
    took = time.monotonic() - changed
    assert shown == new_start, f"not on the queue page within {WAIT} s"
    assert took < WAIT
    assert intake.calls()["total"] == before  # no list, no fetch: nothing polled Oktopost
    assert rows_polled == []  # nor did the page poll its rows
    label = row.locator("time").inner_text()
    assert f"{local:%H:%M}" in label and str(local.day) in label
    context.close()
    print(f"new time on the queue page {took:.2f} s after the change")
