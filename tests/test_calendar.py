"""The calendar page: week and month, filters and notes, chips, gaps, clashes, "+N more"."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict
from django.test import Client
from django.utils import timezone

from planner import scope as scopes
from planner import selectors
from posts.queue import QueueFilters
from tests import factories as f

pytestmark = pytest.mark.django_db


def local_today(user) -> date:
    return timezone.now().astimezone(user.zone).date()


def local_day(post, user) -> date:
    return post.start_at.astimezone(user.zone).date()


def at(day: date, hour: int, minute: int, zone) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


@pytest.mark.dates
def test_the_calendar_replaces_the_placeholder(editor_client: Client) -> None:
    response = editor_client.get("/calendar/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "not built yet" not in html
    assert 'class="week"' in html
    assert "Today" in html
    assert 'href="/static/css/calendar.css"' in html or "calendar." in html


@pytest.mark.dates
def test_viewers_see_the_calendar_but_no_drag(viewer_client: Client, viewer) -> None:
    post = f.post(start_at=timezone.now() + timedelta(hours=2))
    html = viewer_client.get(f"/calendar/?date={local_day(post, viewer)}").content.decode()
    assert f'id="chip-{post.oktopost_id}"' in html
    assert 'draggable="true"' not in html
    assert "data-can-move" not in html


@pytest.mark.dates
def test_editors_can_drag_unsent_posts_but_not_sent_ones(editor_client: Client, editor) -> None:
    now = timezone.now()
    unsent = f.post(start_at=now + timedelta(hours=2))
    sent = f.post(status="complete", start_at=now - timedelta(minutes=30))
    # Late on a Sunday the two fall in different weeks: each is read on its own week.
    html = editor_client.get(f"/calendar/?date={local_day(unsent, editor)}").content.decode()
    assert re.search(rf'id="chip-{unsent.oktopost_id}"[^>]*\s+draggable="true"', html, re.S)
    html = editor_client.get(f"/calendar/?date={local_day(sent, editor)}").content.decode()
    chip = re.search(rf'id="chip-{sent.oktopost_id}".*?>', html, re.S).group(0)
    assert 'draggable="false"' in chip


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("view=year", "Ignored view “year”"),
        ("date=2026-13-45", "Ignored date “2026-13-45”"),
        ("date=1999-01-01", "more than 5 years away"),
        ("date=2150-01-01", "more than 5 years away"),
        ("date=" + "9" * 5000, "use YYYY-MM-DD"),
        ("status=bogus", "Ignored status “bogus”"),
        ("from=2026-01-01&to=2026-02-01", "the calendar shows its own dates"),
        ("sort=clicks", "Ignored sort"),
        ("network=%00", "Ignored network"),
        ("profile=../etc", "Ignored profile"),
    ],
)
def test_bad_input_is_a_note_and_the_current_week_never_a_500(
    editor_client: Client, query: str, words: str
) -> None:
    response = editor_client.get(f"/calendar/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert words in html, html[:3000]
    assert 'class="week"' in html or "view=month" in query


@pytest.mark.dates
def test_the_url_holds_view_date_and_filters(editor_client: Client) -> None:
    camp = f.campaign("Spring")
    html = editor_client.get(
        f"/calendar/?view=month&date=2026-12-10&network=LinkedIn&campaign={camp.oktopost_id}"
    ).content.decode()
    assert "December 2026" in html
    assert (
        f"view=month&amp;date=2026-11-01&amp;network=LinkedIn&amp;campaign={camp.oktopost_id}"
        in html
    )
    assert (
        f"view=month&amp;date=2027-01-01&amp;network=LinkedIn&amp;campaign={camp.oktopost_id}"
        in html
    )
    assert "view=week&amp;date=2026-12-10&amp;network=LinkedIn" in html
    # Filter chips name the campaign, not its id.
    assert "Spring ✕" in html


@pytest.mark.dates
def test_filters_select_the_chips(editor_client: Client, editor) -> None:
    soon = timezone.now() + timedelta(hours=3)
    li = f.post(start_at=soon, network="LinkedIn")
    tw = f.post(start_at=soon, network="Twitter")
    html = editor_client.get(f"/calendar/?network=Twitter&date={local_day(tw, editor)}")
    html = html.content.decode()
    assert f"chip-{tw.oktopost_id}" in html
    assert f"chip-{li.oktopost_id}" not in html


@pytest.mark.dates
def test_days_link_to_the_queue_filtered_to_that_day(editor_client: Client, editor) -> None:
    today = local_today(editor)
    html = editor_client.get("/calendar/?network=Twitter").content.decode()
    iso = today.isoformat()
    assert f'href="/posts/?network=Twitter&amp;from={iso}&amp;to={iso}&amp;sort=start_at"' in html


@pytest.mark.dates
def test_today_is_marked_and_empty_days_ahead_are_gaps(editor_client: Client, editor) -> None:
    today = local_today(editor)
    tomorrow = today + timedelta(days=1)
    f.post(start_at=at(tomorrow, 10, 0, editor.zone))
    html = editor_client.get(f"/calendar/?date={today}").content.decode()
    assert "today-mark" in html
    html = editor_client.get(f"/calendar/?date={tomorrow}").content.decode()
    # Every day of that week still ahead but tomorrow (today counts as ahead too).
    monday = tomorrow - timedelta(days=tomorrow.weekday())
    week = [monday + timedelta(days=n) for n in range(7)]
    assert html.count("Nothing scheduled") == sum(today <= d != tomorrow for d in week)
    head = re.search(rf'id="day-{tomorrow}".*?</h3>', html, re.S).group(0)
    assert "Nothing scheduled" not in head


@pytest.mark.dates
def test_a_full_day_says_how_many_more_and_expands(editor_client: Client, editor) -> None:
    day = local_today(editor) + timedelta(days=2)
    posts = [f.post(start_at=at(day, 9, n, editor.zone)) for n in range(7)]
    html = editor_client.get(f"/calendar/?view=month&date={day}").content.decode()
    assert "+3 more" in html
    assert f"chip-{posts[3].oktopost_id}" in html
    assert f"chip-{posts[4].oktopost_id}" not in html
    expanded = editor_client.get(f"/calendar/day/?date={day}", headers={"HX-Request": "true"})
    body = expanded.content.decode()
    assert expanded.status_code == 200
    assert all(f"chip-{p.oktopost_id}" in body for p in posts)


@pytest.mark.dates
def test_clashes_flag_both_posts_on_one_profile_within_the_window(
    editor_client: Client, editor, settings
) -> None:
    day = local_today(editor) + timedelta(days=3)
    page = f.profile(name="Acme page")
    other = f.profile(name="Other page")
    a = f.post(start_at=at(day, 9, 0, editor.zone), profiles=[page])
    b = f.post(start_at=at(day, 9, 40, editor.zone), profiles=[page])
    c = f.post(start_at=at(day, 11, 0, editor.zone), profiles=[page])
    d = f.post(start_at=at(day, 9, 10, editor.zone), profiles=[other])
    html = editor_client.get(f"/calendar/?date={day}").content.decode()

    def chip(post) -> str:
        return re.search(rf'<a class="chip[^"]*" id="chip-{post.oktopost_id}"', html).group(0)

    assert "clash" in chip(a) and "clash" in chip(b)
    assert "clash" not in chip(c) and "clash" not in chip(d)
    assert "Clash: same profile within 60 minutes" in html
    settings.CALENDAR_CLASH_MINUTES = 150
    html = editor_client.get(f"/calendar/?date={day}").content.decode()
    assert "clash" in chip(c)
    assert "within 150 min" in html


@pytest.mark.dates
def test_chips_tell_status_by_icon_and_words(editor_client: Client, editor) -> None:
    now = timezone.now()
    # An hour ago and an hour ahead, but inside this week: on a Monday before 01:00 an
    # hour ago was last week, off the page (the test failed then), and late on a Sunday
    # an hour ahead is next week.
    monday = local_today(editor) - timedelta(days=local_today(editor).weekday())
    f.post(status="error", start_at=max(now - timedelta(hours=1), at(monday, 0, 0, editor.zone)))
    sunday_night = at(monday + timedelta(days=6), 23, 59, editor.zone)
    f.post(status="draft", start_at=min(now + timedelta(hours=1), sunday_night))
    html = editor_client.get("/calendar/").content.decode()
    assert '<span class="visually-hidden">Failed:</span>' in html
    assert "✗" in html
    assert '<span class="visually-hidden">Draft:</span>' in html


@pytest.mark.dates
@pytest.mark.parametrize("view", ["week", "month"])
def test_a_page_is_a_handful_of_queries_whatever_the_filters(
    editor_client: Client, editor, django_assert_max_num_queries, view: str
) -> None:
    camp = f.campaign()
    page = f.profile()
    # The shown week's Monday, whatever today is: every post lands inside both views.
    monday = local_today(editor) - timedelta(days=local_today(editor).weekday())
    for n in range(40):
        f.post(
            start_at=at(monday + timedelta(days=n % 7), 8 + n % 10, 0, editor.zone),
            camp=camp,
            profiles=[page],
            msg=f.message(f"Text {n}"),
        )
    editor_client.get("/calendar/")  # the creators list is cached after the first page
    query = (
        f"view={view}&date={monday}&status=pending&network=LinkedIn&campaign={camp.oktopost_id}"
        f"&profile={page.oktopost_id}&source=UI&created_by=00A000000000001&q=text"
    )
    # Session, user, roles; campaigns, profiles, tags; the days' counts and chips; their
    # deliveries, who made them here, the notes; the drafts tray; saved views; the sync's
    # state.
    with django_assert_max_num_queries(14):
        response = editor_client.get(f"/calendar/?{query}")
    assert response.content.decode().count('class="chip ') >= 7


@pytest.mark.dates
def test_only_the_visible_range_is_read(editor, django_assert_max_num_queries) -> None:
    today = local_today(editor)
    inside = f.post(start_at=at(today, 12, 0, editor.zone))
    outside = f.post(start_at=at(today + timedelta(days=60), 12, 0, editor.zone))
    parsed = scopes.parse(QueryDict(""), today=today, profiles=set(), campaigns=set(), tags=set())
    cal = selectors.calendar_read(
        parsed.filters,
        view="week",
        days=parsed.days,
        month=None,
        today=today,
        now=timezone.now(),
        zone=editor.zone,
    )
    ids = {c.post.oktopost_id for d in cal.days for c in d.chips}
    assert ids == {inside.oktopost_id}
    assert outside.oktopost_id not in ids


# --- DST: chips fall on the right local day and hour --------------------------------

DST_DAYS = [
    # zone, the day the clocks change, (local hour, minute) pairs around the change
    ("Europe/Berlin", date(2027, 3, 28), [(1, 30), (3, 30), (23, 30)]),  # forward
    ("Europe/Berlin", date(2027, 10, 31), [(0, 30), (2, 30), (23, 30)]),  # back
    ("America/New_York", date(2027, 3, 14), [(1, 30), (3, 30), (23, 30)]),  # forward
    ("America/New_York", date(2027, 11, 7), [(0, 30), (1, 30), (23, 30)]),  # back
]


@pytest.mark.dates
@pytest.mark.parametrize(("zone_name", "day", "times"), DST_DAYS)
def test_chips_fall_on_the_right_local_day_and_hour_across_a_dst_change(
    editor, zone_name: str, day: date, times
) -> None:
    editor.time_zone = zone_name
    editor.save()
    zone = ZoneInfo(zone_name)
    posts = {(h, m): f.post(start_at=at(day, h, m, zone)) for h, m in times}
    # Also the last minute of the day before and the first of the day after.
    before = f.post(start_at=at(day - timedelta(days=1), 23, 59, zone))
    after = f.post(start_at=at(day + timedelta(days=1), 0, 0, zone))
    first = day - timedelta(days=day.weekday())
    cal = selectors.calendar_read(
        QueueFilters(),
        view="week",
        days=[first + timedelta(days=n) for n in range(7)] + [first + timedelta(days=7)],
        month=None,
        today=date(2026, 12, 1),
        now=timezone.now(),
        zone=zone,
    )
    days = {d.day: d for d in cal.days}
    placed = {c.post.oktopost_id: hour for hour, chips in days[day].by_hour for c in chips}
    for (h, _m), post in posts.items():
        assert placed[post.oktopost_id] == h
    assert days[day].count == len(times)
    assert before.oktopost_id in {c.post.oktopost_id for c in days[day - timedelta(days=1)].chips}
    assert after.oktopost_id in {c.post.oktopost_id for c in days[day + timedelta(days=1)].chips}


@pytest.mark.dates
def test_the_week_view_page_shows_a_dst_week_in_the_users_zone(editor_client, editor) -> None:
    editor.time_zone = "America/New_York"
    editor.save()
    zone = ZoneInfo("America/New_York")
    post = f.post(start_at=at(date(2027, 11, 7), 1, 30, zone))
    html = editor_client.get("/calendar/?date=2027-11-07").content.decode()
    slot = html.rfind('data-drop-hour="', 0, html.index(f'id="chip-{post.oktopost_id}"'))
    assert html[slot : slot + 19] == 'data-drop-hour="1">'
    assert 'data-drop-date="2027-11-07"' in html[slot - 40 : slot]


@pytest.mark.dates
def test_creators_are_named_in_the_filter_and_its_chip(editor_client: Client) -> None:
    from posts.models import OktopostUser

    OktopostUser.objects.create(oktopost_id="00A000000000042", name="Grace Hopper")
    f.post(created_by="00A000000000042", start_at=timezone.now() + timedelta(days=1))
    html = editor_client.get("/calendar/?created_by=00A000000000042").content.decode()
    assert '<option value="00A000000000042" selected>Grace Hopper</option>' in html
    assert "Grace Hopper ✕" in html
    assert ">00A000000000042<" not in html
