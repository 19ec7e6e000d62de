"""/stats/ with follower growth, the engagement rate and per-post averages, as people see
it: at 1366x900 and 390x844, light and dark, after the sections have filled in. No
sideways scroll, nothing serious for axe, no CSP violation; screenshots in
var/screenshots/stats-followers-*.png for a person to look at."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import VIEWER
from posts.models import FollowerDay
from tests import factories as f
from tests.browser.test_ui_pages import (
    AXE,
    AXE_RUN,
    SCREENSHOTS,
    SIZES,
    WATCH_CSP,
    session_cookie,
    watch_errors,
)
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.visual, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stats_world(transactional_db) -> dict:
    """One brand on three networks, a month of posts and of followers."""
    now = timezone.now()
    viewer = make_user("vera", VIEWER)
    viewer.time_zone = "Europe/Berlin"
    viewer.save()
    profiles = [
        f.profile("LinkedIn", "Northwind Analytics"),
        f.profile("Twitter", "Northwind Analytics"),
        f.profile("Facebook", "Northwind Analytics"),
        f.profile("LinkedIn", "Northwind Careers with a rather long page name"),
    ]
    for i in range(60):
        prof = profiles[i % len(profiles)]
        f.post(
            status="complete",
            network=prof.network,
            start_at=now - timedelta(hours=5 + 11 * i),
            profiles=[prof],
            counters_at=now - timedelta(minutes=20),
            clicks=13 * i,
            likes=7 * i,
            comments=i % 9,
            shares=i % 5,
            impressions=(0 if prof.network == "Twitter" else 950 * i),
            stats_at=now - timedelta(hours=1),
        )
    today = now.date()
    days = []
    for n, prof in enumerate(profiles):
        followers = 1200 + 3000 * n
        for back in range(40, -1, -1):
            added = (7 + n * 5) + (back * 7919 + n) % 11 - 5
            followers += added
            days.append(
                FollowerDay(
                    profile=prof, day=today - timedelta(days=back), followers=followers, added=added
                )
            )
    FollowerDay.objects.bulk_create(days)
    return {"viewer": viewer}


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_the_stats_page_with_follower_growth_reads_well_everywhere(
    chromium, live_server, stats_world, size: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(
        base_url=live_server.url,
        viewport=SIZES[size],
        is_mobile=size == "phone",
        has_touch=size == "phone",
        reduced_motion="reduce",
    )
    context.set_default_timeout(15_000)
    context.add_cookies([session_cookie(stats_world["viewer"], live_server.url)])
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors = watch_errors(page)
    problems = []
    for by in ("profile", "media"):
        page.emulate_media(color_scheme="light")
        page.goto(f"/stats/?range=30d&by={by}")
        page.wait_for_selector("#followers-table")
        page.wait_for_selector("#breakdown-table")
        page.wait_for_selector("#heatmap")
        body = page.inner_text("body")
        assert "Northwind Analytics · Twitter" in body
        assert "Engagement rate" in body
        scroll = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if scroll[0] > scroll[1]:
            problems.append(f"{by}-{size}: page scrolls sideways {scroll}")
        page.evaluate(AXE)
        # Grouped by media, only the breakdown differs from the page grouped by profile:
        # axe checks that section, and it is the screenshot.
        scope, part = (None, "#stats-followers") if by == "profile" else ("#stats-breakdown",) * 2
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            violations = page.evaluate(AXE_RUN, [scheme == "dark", scope])
            if violations:
                problems.append(f"{by}-{size}-{scheme}: axe: {violations}")
            label = f"stats-followers-{by}-{size}-{scheme}"
            if scope is None:
                page.screenshot(path=str(SCREENSHOTS / f"{label}.png"), full_page=True)
            page.locator(part).screenshot(path=str(SCREENSHOTS / f"{label}-section.png"))
        csp = page.evaluate("window.__csp")
        if csp:
            problems.append(f"{by}-{size}: CSP violations: {csp}")
    context.close()
    assert not errors, errors
    assert not problems, "\n".join(problems)
