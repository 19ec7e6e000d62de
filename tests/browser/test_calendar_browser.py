"""The calendar in real Chromium: drag a chip to another day, against the sandbox."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from posts import sync
from posts.connection import get_client
from posts.models import CalendarNote, Post
from tests.conftest import PASSWORD, make_user
from tests.fixtures_browser import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def synced(oktopost):
    sync.posts_sync(full=True)
    return oktopost


def a_pending_post() -> Post:
    return (
        Post.objects.filter(
            status="pending", deleted_at=None, start_at__gt=timezone.now() + timedelta(days=2)
        )
        .order_by("start_at")
        .first()
    )


def test_dragging_a_chip_to_another_day_moves_it_in_oktopost_and_in_the_queue(page, synced) -> None:
    user = make_user("erin", "editor")
    log_in(page, "erin", PASSWORD)
    post = a_pending_post()
    local = timezone.localtime(post.start_at, user.zone)
    # Another day of the same week, still ahead.
    step = -1 if local.weekday() == 6 else 1
    target_day = local.date() + timedelta(days=step)
    page.goto(f"/calendar/?view=week&date={local.date()}")
    chip = page.locator(f"#chip-{post.oktopost_id}")
    assert chip.get_attribute("draggable") == "true"
    target = page.locator(f'.slot[data-drop-date="{target_day}"][data-drop-hour="{local.hour}"]')
    chip.drag_to(target)
    page.wait_for_selector("#cal-live:has-text('Moved to')")
    expected = post.start_at + timedelta(days=step)
    assert get_client(priority="interactive").post_get(post.oktopost_id).start_at == expected
    assert Post.objects.get(id=post.id).start_at == expected
    # The calendar redraws from the mirror: the chip now sits in the target day's hour.
    page.wait_for_selector(
        f'.slot[data-drop-date="{target_day}"][data-drop-hour="{local.hour}"] '
        f"#chip-{post.oktopost_id}"
    )
    screenshot(page, "calendar-after-drag")
    # And the queue shows it on that day.
    page.goto(f"/posts/?from={target_day}&to={target_day}&sort=start_at")
    row = page.locator(f"#post-{post.oktopost_id}")
    assert row.is_visible()
    assert f"{target_day.day} " in row.locator(".col-time").inner_text()
    assert [e for e in page.console_errors if "ERR_NAME_NOT_RESOLVED" not in e] == []


def test_a_refused_drop_snaps_back_and_says_why(page, synced) -> None:
    user = make_user("erin", "editor")
    log_in(page, "erin", PASSWORD)
    today = timezone.localtime(timezone.now(), user.zone).date()
    page.goto(f"/calendar/?view=week&date={today}")
    chip = page.locator('.chip[draggable="true"]').first
    post_id = chip.get_attribute("data-post")
    before = Post.objects.get(oktopost_id=post_id).start_at
    home = chip.evaluate("c => c.closest('[data-drop-date]').dataset.dropHour")
    if today.weekday():  # yesterday is on screen: its heading keeps the time of day
        target = page.locator(f'h3[data-drop-date="{today - timedelta(days=1)}"]')
    else:  # Monday: midnight's hour of today is past too
        target = page.locator(f'.slot[data-drop-date="{today}"][data-drop-hour="0"]')
    chip.drag_to(target)
    page.wait_for_selector("#cal-live.refused")
    assert "in the past" in page.inner_text("#cal-live")
    chip = page.locator(f"#chip-{post_id}")
    assert chip.evaluate("c => c.closest('[data-drop-date]').dataset.dropHour") == home
    assert "refused" in chip.get_attribute("class")
    assert Post.objects.get(oktopost_id=post_id).start_at == before
    screenshot(page, "calendar-refused-drop")


def test_viewers_get_no_draggable_chips(page, synced) -> None:
    make_user("vera", "viewer")
    log_in(page, "vera", PASSWORD)
    page.goto("/calendar/?view=month")
    assert page.locator(".chip").count() > 0
    assert page.locator('.chip[draggable="true"]').count() == 0
    assert page.locator("#calendar-body[data-can-move]").count() == 0


SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def test_oktoposts_calendar_notes_show_on_the_week_and_the_month(page, synced) -> None:
    """Notes read from the sandbox by the sync, at both sizes, light and dark: each on its
    day with that day's part of its span, readable, and opening to the whole span."""
    user = make_user("vera", "viewer")
    log_in(page, "vera", PASSWORD)
    launch = CalendarNote.objects.get(title="Q3 launch day")
    freeze = CalendarNote.objects.get(title="Content freeze")
    launch_day = timezone.localtime(launch.start_at, user.zone).date()
    freeze_days = (freeze.end_at - freeze.start_at).days
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.goto(f"/calendar/?view=week&date={launch_day}")
        note = page.locator(f"#day-{launch_day} ~ .day-notes .note", has_text="Q3 launch day")
        if not note.count():  # the phone's week is a list: the note follows its heading
            note = page.locator(".note", has_text="Q3 launch day")
        assert note.is_visible()
        assert f"{timezone.localtime(launch.start_at, user.zone):%H:%M}" in note.inner_text()
        note.locator("summary").click()
        assert "Press embargo lifts" in note.locator(".note-body").inner_text()
        width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width[0] <= width[1], f"{size}: the week scrolls sideways"
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=str(SCREENSHOTS / f"calendar-notes-week-{size}-{scheme}.png"))
        page.emulate_media(color_scheme="light")
        page.goto(
            f"/calendar/?view=month&date={timezone.localtime(freeze.start_at, user.zone).date()}"
        )
        spans = page.locator(".note", has_text="Content freeze")
        assert spans.count() in (freeze_days, freeze_days + 1)  # +1: the zone moves it a day
        assert all(spans.nth(n).is_visible() for n in range(spans.count()))
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.screenshot(
                path=str(SCREENSHOTS / f"calendar-notes-month-{size}-{scheme}.png"), full_page=True
            )
        page.emulate_media(color_scheme="light")
    assert [e for e in page.console_errors if "ERR_NAME_NOT_RESOLVED" not in e] == []
