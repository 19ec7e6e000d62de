"""Calendar notes (issue 25): Oktopost's custom calendar events, read by the sync from
the sandbox over HTTP into the mirror, shown on the week and month views on each day they
touch, with that day's part of their span."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from planner.notes import day_part, span_words
from posts import sync
from posts.connection import get_client
from posts.models import CalendarNote
from tests import factories as f

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def local(moment: datetime, user) -> datetime:
    return moment.astimezone(user.zone)


def shown(response) -> dict:
    """{day: [(when, title), ...]} as the page's days hold them."""
    return {
        d.day: [(n.when, n.title) for n in d.notes]
        for d in response.context["calendar"].days
        if d.notes
    }


def test_the_sync_mirrors_every_calendar_note(mirror) -> None:
    events = {e.id: e for e in get_client().calendar_events_iter()}
    assert len(events) >= 5
    notes = {n.oktopost_id: n for n in CalendarNote.objects.all()}
    assert set(notes) == set(events)
    for event_id, event in events.items():
        note = notes[event_id]
        assert (note.title, note.start_at, note.end_at) == (
            event.title,
            event.start_at,
            event.end_at,
        )
        assert note.campaign_ids == list(event.campaign_ids)


def test_notes_show_on_the_week_and_the_month_of_their_day(
    mirror, viewer_client: Client, viewer
) -> None:
    notes = list(CalendarNote.objects.all())
    months = {}
    for note in notes:
        day = local(note.start_at, viewer).date()
        week = viewer_client.get(f"/calendar/?view=week&date={day}")
        assert note.title in [title for _, title in shown(week).get(day, [])]
        assert escape(note.title) in week.content.decode()
        months.setdefault(day.replace(day=1), []).append((day, note.title))
    for month, expected in months.items():
        days = shown(viewer_client.get(f"/calendar/?view=month&date={month}"))
        for day, title in expected:
            assert title in [t for _, t in days.get(day, [])]


def test_a_moment_shows_its_time_and_a_span_each_days_part(
    mirror, viewer_client: Client, viewer
) -> None:
    moment = CalendarNote.objects.filter(end_at=None).first()
    day = local(moment.start_at, viewer).date()
    response = viewer_client.get(f"/calendar/?view=week&date={day}")
    assert (f"{local(moment.start_at, viewer):%H:%M}", moment.title) in shown(response)[day]

    span = next(
        n
        for n in CalendarNote.objects.exclude(end_at=None)
        if n.end_at - n.start_at > timedelta(days=1)
    )
    first, last = local(span.start_at, viewer), local(span.end_at, viewer)
    response = viewer_client.get(f"/calendar/?view=month&date={first.date()}")
    days = shown(response)
    touched = [d for d, notes in days.items() if any(t == span.title for _, t in notes)]
    expected = (last - timedelta(microseconds=1)).date() - first.date()
    assert len(touched) == expected.days + 1
    parts = [w for d in sorted(touched) for w, t in days[d] if t == span.title]
    assert parts[1:-1] == ["all day"] * (len(parts) - 2)


def test_a_note_deleted_in_oktopost_leaves_the_calendar(mirror, viewer_client: Client) -> None:
    note = CalendarNote.objects.order_by("start_at").last()
    get_client().calendar_event_delete(note.oktopost_id)

    sync.catalog_sync(parts=("notes",), now=timezone.now() + sync.CATALOG_MAX_AGE)

    assert not CalendarNote.objects.filter(oktopost_id=note.oktopost_id).exists()
    day = timezone.localtime(note.start_at).date()
    response = viewer_client.get(f"/calendar/?view=month&date={day}")
    assert note.title not in response.content.decode()


def test_a_campaign_filter_keeps_that_campaigns_notes_and_general_ones(
    mirror, viewer_client: Client, viewer
) -> None:
    with_campaign = CalendarNote.objects.exclude(campaign_ids=[]).first()
    general = CalendarNote.objects.filter(campaign_ids=[]).first()
    other = f.campaign("Elsewhere", oktopost_id="002999999999999")
    for note in (with_campaign, general):
        day = local(note.start_at, viewer).date()
        mine = viewer_client.get(
            f"/calendar/?view=month&date={day}&campaign={with_campaign.campaign_ids[0]}"
        )
        elsewhere = viewer_client.get(
            f"/calendar/?view=month&date={day}&campaign={other.oktopost_id}"
        )
        titles = [t for _, t in shown(mine).get(day, [])]
        other_titles = [t for _, t in shown(elsewhere).get(day, [])]
        assert note.title in titles
        assert (note.title in other_titles) == (note is general)


def test_a_note_names_its_campaigns_and_says_its_whole_span(
    mirror, viewer_client: Client, viewer
) -> None:
    note = CalendarNote.objects.exclude(campaign_ids=[]).exclude(description="").first()
    day = local(note.start_at, viewer).date()
    html = viewer_client.get(f"/calendar/?view=week&date={day}").content.decode()
    name = get_client().calendar_event_get(note.oktopost_id).campaigns[0][1]
    assert f"Campaign: {escape(name)}" in html
    assert escape(note.description) in html
    end = local(note.end_at, viewer) if note.end_at else None
    assert span_words(local(note.start_at, viewer), end) in html


def test_a_day_opened_in_place_keeps_its_notes_in_its_cell(
    mirror, viewer_client: Client, viewer
) -> None:
    # "+N more" swaps only the day's chips (planner:day), so its notes stay where they are.
    note = CalendarNote.objects.first()
    day = local(note.start_at, viewer).date()
    html = viewer_client.get(f"/calendar/?view=month&date={day}").content.decode()
    cell = re.search(
        rf'<section class="month-day[^"]*" data-drop-date="{day}".*?</section>', html, re.S
    )
    assert escape(note.title) in cell.group(0)
    more = viewer_client.get(f"/calendar/day/?view=month&date={day}").content.decode()
    assert escape(note.title) not in more


def test_a_notes_part_of_each_day_in_a_zone_with_a_clock_change() -> None:
    # Content freeze from Saturday 00:00 UTC for two days, seen in Berlin (UTC+1, then
    # +2 from 02:00 on Sunday 29 March 2026).
    start = datetime(2026, 3, 28, 0, 0, tzinfo=UTC).astimezone(BERLIN)
    end = datetime(2026, 3, 30, 0, 0, tzinfo=UTC).astimezone(BERLIN)
    days = [start.date() + timedelta(days=n) for n in range(3)]
    assert [day_part(d, start, end, BERLIN) for d in days] == [
        "from 01:00",
        "all day",
        "until 02:00",
    ]
    assert span_words(start, end) == "Sat 28 Mar, 01:00 \N{EN DASH} Mon 30 Mar, 02:00"


def test_whole_days_moments_and_short_spans_read_plainly() -> None:
    day = datetime(2026, 7, 13, tzinfo=BERLIN)
    assert span_words(day.replace(hour=13), None) == "Mon 13 Jul, 13:00"
    assert day_part(day.date(), day.replace(hour=13), None, BERLIN) == "13:00"
    short = (day.replace(hour=9), day.replace(hour=10, minute=30))
    assert span_words(*short) == "Mon 13 Jul, 09:00\N{EN DASH}10:30"
    assert day_part(day.date(), *short, BERLIN) == "09:00\N{EN DASH}10:30"
    whole = (day, day + timedelta(days=3))
    assert span_words(*whole) == "Mon 13 Jul \N{EN DASH} Wed 15 Jul, all day"
    assert [day_part(day.date() + timedelta(days=n), *whole, BERLIN) for n in range(3)] == [
        "all day"
    ] * 3
    assert span_words(day, day + timedelta(days=1)) == "Mon 13 Jul, all day"
