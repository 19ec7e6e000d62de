"""The stats page, a share link's page and a post's detail as people see them (issue 29):
failures coloured as bad news, complete days compared, a compact heatmap that marks
thin cells, and a refresh time never in the past. Screenshots at 1366x900 and 390x844,
light and dark, in artifacts/."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import VIEWER
from posts.models import Post, StatsSample
from sharing.services import share_link_create
from tests import factories as f
from tests.conftest import make_user
from tests.fixtures_browser import ARTIFACTS, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Sunday 6 Dec 2026, 12:26 in Berlin: the day is half over.
NOON = datetime(2026, 12, 6, 11, 26, tzinfo=UTC)
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=True) as traveller:
        yield traveller


@pytest.fixture
def world(transactional_db, clock) -> dict:
    """Five weeks of posts at the same hours: more failures last week than the week
    before, posts earlier today, one lucky post alone at Saturday 22:00, and a post whose
    stats refresh was due two minutes ago."""
    viewer = make_user("vera", VIEWER)
    viewer.time_zone = "Europe/Berlin"
    viewer.save()
    now = NOON
    launch = f.campaign("Launch")
    li = f.profile("LinkedIn", "Acme LI")
    hello = f.message("Hello LinkedIn people", "LinkedIn", launch)
    posts = []
    for day in range(1, 36):
        for n in range(4):
            failed = (day <= 7 and n < 2) or (7 < day <= 14 and n == 0 and day % 3 == 0)
            at = now - timedelta(days=day, hours=3 * n + 1)
            posts.append(
                f.post(
                    status="error" if failed else "complete",
                    start_at=at,
                    profiles=[li],
                    msg=hello,
                    camp=launch,
                    clicks=10 + n,
                    likes=3 + day % 4,
                    comments=1,
                    shares=n % 2,
                    impressions=400 + 10 * n,
                    stats_at=now - timedelta(hours=2),
                )
            )
    # Posts today: counted tomorrow, when the day is whole.
    for hours in (1, 2, 4):
        f.post(
            status="complete",
            start_at=now - timedelta(hours=hours),
            profiles=[li],
            msg=hello,
            camp=launch,
            clicks=1,
            likes=1,
            stats_at=now,
        )
    # Saturday 5 Dec, 22:10 Berlin: one post with a huge score.
    f.post(
        status="complete",
        start_at=datetime(2026, 12, 5, 21, 10, tzinfo=UTC),
        profiles=[li],
        msg=hello,
        camp=launch,
        likes=900,
        stats_at=now,
    )
    sent = posts[0]
    # The next stats refresh was due two minutes ago: the worker has not got to it.
    Post.objects.filter(id=sent.id).update(stats_due_at=now - timedelta(minutes=2), stats_at=None)
    for hours, clicks, likes, impressions in ((30, 0, 0, 0), (20, 40, 3, 900), (2, 95, 11, 4200)):
        StatsSample.objects.create(
            post=sent,
            at=now - timedelta(hours=hours),
            clicks=clicks,
            likes=likes,
            impressions=impressions,
        )
    token = share_link_create(
        page="stats", query="range=7d", label="Last week", user=make_user("erin", "editor")
    ).token
    return {"viewer": viewer, "sent": sent.oktopost_id, "share": token}


def _context(chromium, live_server, size: str, user=None):
    from tests.browser.test_ui_pages import session_cookie

    context = chromium.new_context(
        base_url=live_server.url, viewport=SIZES[size], reduced_motion="reduce"
    )
    context.set_default_timeout(10_000)
    if user is not None:
        context.add_cookies([session_cookie(user, live_server.url)])
    return context


def _sections_filled_in(page) -> None:
    for name in ("top", "heatmap"):
        page.wait_for_selector(f"#stats-{name}:not(.stats-lazy)")


def _delta(page, label: str):
    return page.locator(".stat-card", has=page.locator(f"header:text-is('{label}')")).locator(
        ".stat-delta"
    )


def _colour_of(page, tag: str) -> str:
    """The colour Pico gives <ins> (good news) or <del> (bad news) on this page."""
    return page.evaluate(
        """(tag) => { const el = document.createElement(tag); el.textContent = "x";
        document.body.append(el); const c = getComputedStyle(el).color; el.remove();
        return c; }""",
        tag,
    )


def _failures_read_as_bad_news(page) -> None:
    failed, sent = _delta(page, "Failed"), _delta(page, "Sent")
    assert failed.inner_text().startswith("▲"), failed.inner_text()
    assert sent.inner_text().startswith("▼"), sent.inner_text()
    bad, good = _colour_of(page, "del"), _colour_of(page, "ins")
    assert bad != good
    # More failures and fewer posts sent are both bad news: red, whatever the arrow.
    assert failed.evaluate("e => getComputedStyle(e).color") == bad
    assert sent.evaluate("e => getComputedStyle(e).color") == bad
    assert _delta(page, "Likes").evaluate("e => getComputedStyle(e).color") == good


def test_more_failures_is_red_on_the_stats_page_and_the_share_page(
    chromium, live_server, world
) -> None:
    context = _context(chromium, live_server, "desktop", world["viewer"])
    try:
        page = context.new_page()
        page.goto("/stats/?range=7d")
        _failures_read_as_bad_news(page)
    finally:
        context.close()
    anonymous = _context(chromium, live_server, "desktop")
    try:
        page = anonymous.new_page()
        page.goto(f"/s/{world['share']}/")
        _failures_read_as_bad_news(page)
    finally:
        anonymous.close()


def test_last_7_days_ends_yesterday_and_says_so(chromium, live_server, world) -> None:
    context = _context(chromium, live_server, "desktop", world["viewer"])
    try:
        page = context.new_page()
        page.goto("/stats/?range=7d")
        freshness = page.locator(".stats-freshness").inner_text()
        assert "Last 7 days (29 Nov 2026 to 5 Dec 2026)" in freshness
        assert "Complete days only (today counts once it is over)" in freshness
        assert "compared with the 7 days before: 22 Nov 2026 \N{EN DASH} 28 Nov 2026" in freshness
        # The trend's last day is yesterday, whole: no dive for a day half over.
        page.click("text=The trend as a table")
        last = page.locator("#trend-table tbody tr").last.locator("td")
        assert last.first.inner_text() == "Sat 5 Dec 2026"
        assert int(last.nth(1).inner_text()) >= 4
        labels = page.locator(".stats-chart svg").first.locator("text.tick").all_inner_texts()
        assert "6 Dec" not in labels
    finally:
        context.close()


def test_the_heatmap_is_compact_marks_thin_cells_and_fits_a_phone(
    chromium, live_server, world
) -> None:
    for size in SIZES:
        context = _context(chromium, live_server, size, world["viewer"])
        try:
            page = context.new_page()
            page.goto("/stats/?range=30d")
            _sections_filled_in(page)
            section = page.locator("#stats-heatmap")
            section.scroll_into_view_if_needed()
            width = page.viewport_size["width"]
            # Every hour's column is on screen, without scrolling sideways.
            for hour in ("00", "11", "12", "23"):
                head = section.locator(f"thead th:text-is('{hour}')")
                box = head.bounding_box()
                assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (size, hour)
            scroll = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert scroll[0] <= scroll[1], f"/stats/ scrolls sideways on {size}: {scroll}"
            # The one lucky post of Saturday 22:00 is hatched and pale, not the darkest.
            lucky = section.locator("tr:has(th:text-is('Sat')) td[title^='Sat 22:00']")
            classes = lucky.get_attribute("class").split()
            assert "heat-thin" in classes and "heat-5" not in classes, classes
            assert "heat-5" in section.locator("td.heat-5").first.get_attribute("class")
            assert section.locator(".heat-legend").is_visible()
            height = section.bounding_box()["height"]
            if size == "desktop":
                assert height < 420, f"the heatmap takes {height:.0f} px of a 900 px screen"
        finally:
            context.close()


def test_the_post_detail_says_due_now_and_not_fetched_yet_with_its_charts_in_a_row(
    chromium, live_server, world
) -> None:
    context = _context(chromium, live_server, "desktop", world["viewer"])
    try:
        page = context.new_page()
        page.goto(f"/posts/{world['sent']}/")
        stats = page.locator("#post-stats").inner_text()
        assert "as of never" not in stats
        assert "Shares and impressions: not fetched from Oktopost yet." in stats
        assert "Next refresh due about" not in stats and "due now" in stats
        charts = page.locator("#post-stats .chart")
        assert charts.count() == 3
        boxes = [charts.nth(i).bounding_box() for i in range(3)]
        row = page.locator("#post-stats .charts").bounding_box()
        # One row, filling it: no blank gap beside or between the charts.
        assert len({round(b["y"]) for b in boxes}) == 1, boxes
        assert boxes[-1]["x"] + boxes[-1]["width"] >= row["x"] + row["width"] - 2
        # Impressions, known only from a later sample, start at their chart's left edge.
        for i in range(3):
            points = charts.nth(i).locator("polyline").get_attribute("points").split()
            assert points[0].startswith("0.0,") and points[-1].startswith("300.0,"), points
        svgs = [charts.nth(i).locator("svg").bounding_box() for i in range(3)]
        assert len({round(b["y"]) for b in svgs}) == 1, svgs  # the lines side by side
    finally:
        context.close()


@pytest.mark.visual
@pytest.mark.parametrize("size", SIZES)
def test_screenshots_of_stats_share_and_detail(chromium, live_server, world, size) -> None:
    """For a person to look at: artifacts/statsui-*.png."""
    context = _context(chromium, live_server, size, world["viewer"])
    try:
        page = context.new_page()
        for name, url in (
            ("stats", "/stats/?range=30d"),
            ("stats-today", "/stats/?from=2026-12-06&to=2026-12-06"),
            ("share", f"/s/{world['share']}/"),
            ("detail", f"/posts/{world['sent']}/"),
        ):
            page.goto(url)
            if name != "detail":
                _sections_filled_in(page)
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                screenshot(page, f"statsui-{name}-{size}-{scheme}", full_page=True)
                if name == "stats":  # the parts issue 29 changed, at their real size
                    for part in ("#stats-heatmap", ".stats-totals"):
                        page.locator(part).screenshot(
                            path=str(ARTIFACTS / f"statsui-{part[1:]}-{size}-{scheme}.png")
                        )
            page.emulate_media(color_scheme="light")
    finally:
        context.close()
