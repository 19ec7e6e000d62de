"""The Oktopost connection page with webhooks installed, events arriving and two failed
deliveries in Oktopost's log: at 1366x900 and 390x844, light and dark, usable and
axe-clean (test_ui_pages shows it before install). Screenshots in var/screenshots/."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import EDITOR
from core import infra
from inbox import crypto, services
from inbox.models import Event, Installation
from tests.browser.test_ui_pages import (
    SCHEMES,
    SCREENSHOTS,
    SIZES,
    WATCH_CSP,
    Page,
    check_page,
    session_cookie,
)
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.visual, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def installed() -> object:
    now = timezone.now()
    Installation.objects.create(
        url="https://oktodash.example.com/webhooks/oktopost/",
        secret=crypto.encrypt("s" * 40),
        webhook_ids={e: f"0WH00000000000{i}" for i, e in enumerate(services.POST_EVENTS)},
        installed_at=now - timedelta(days=3),
    )
    for i in range(37):
        body = f'{{"n": {i}}}'.encode()
        Event.objects.create(
            key=hashlib.sha256(body).hexdigest(),
            event="postModified",
            post_id=f"0040000000000{i:02d}",
            timestamp=int((now - timedelta(minutes=i)).timestamp()),
            body=body.decode(),
            received_at=now - timedelta(minutes=i, seconds=12),
            processed_at=None if i < 2 else now,
        )
    failed = services.DeliveryFailure
    side = services.OktopostSide(
        checked_at=now - timedelta(minutes=2),
        registered={e: e != "postSent" for e in services.POST_EVENTS},
        deliveries_last_hour=39,
        failures_last_hour=2,
        recent_failures=(
            failed("postModified", now - timedelta(minutes=7), 503, ""),
            failed("postCreated", now - timedelta(minutes=41), None, "timed out after 5 s"),
        ),
    )
    infra.cache_set(services.SIDE_CACHE_KEY, side, 300)
    user = make_user("erin", EDITOR)
    user.time_zone = "Europe/Berlin"
    user.save()
    return user


@pytest.mark.parametrize("size", SIZES)
def test_the_connection_page_reads_well_at_both_sizes_in_light_and_dark(
    chromium, live_server, installed, size: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    touch = size == "phone"
    context = chromium.new_context(
        base_url=live_server.url,
        viewport=SIZES[size],
        is_mobile=touch,
        has_touch=touch,
        reduced_motion="reduce",
    )
    context.add_cookies([session_cookie(installed, live_server.url)])
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    spec = Page("oktopost-connection-healthy", lambda d: "/webhooks/", roles=(EDITOR,))
    assert page.goto("/webhooks/").status == 200
    text = page.inner_text("main")
    assert "Healthy." in text and "postSent: missing or disabled" in text
    assert "we answered 503" in text and "timed out after 5 s" in text
    problems: list[str] = []
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        check_page(page, f"{spec.name}-editor-{size}-{scheme}", spec, problems, size, scheme)
    context.close()
    assert not problems, "\n".join(problems)
