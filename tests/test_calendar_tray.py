"""The calendar's drafts tray, its new-post links and its hour-by-hour week (issue 29).

Scheduling a draft goes through posts.services.post_update, like a move: the sandbox is
the judge, so these tests read Oktopost back.
"""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from planner import selectors
from posts.connection import get_client
from posts.models import Activity, Post
from posts.queue import QueueFilters
from tests import factories as f

pytestmark = pytest.mark.django_db

JSON = {"Accept": "application/json"}


def at(day: date, hour: int, minute: int, zone) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def local_today(user) -> date:
    return timezone.now().astimezone(user.zone).date()


@pytest.fixture
def draft(mirror) -> Post:
    return (
        Post.objects.filter(status="draft", deleted_at=None, approval="")
        .order_by("-modified")
        .first()
    )


def schedule(client: Client, post: Post, **data) -> tuple[int, dict]:
    data.setdefault("expected_modified", post.modified.isoformat())
    response = client.post(f"/calendar/post/{post.oktopost_id}/schedule/", data, headers=JSON)
    return response.status_code, (response.json() if response.status_code != 403 else {})


# --- the tray ------------------------------------------------------------------------


def test_editors_see_the_drafts_tray_with_draggable_drafts(
    mirror, draft, editor_client: Client
) -> None:
    html = editor_client.get("/calendar/").content.decode()
    tray = re.search(r'<aside class="tray".*?</aside>', html, re.S).group(0)
    assert "Drafts" in tray
    assert f'data-draft="{draft.oktopost_id}"' in tray
    assert f"/calendar/post/{draft.oktopost_id}/schedule/" in tray
    assert "Schedule…" in tray
    # Only drafts: nothing scheduled sits in the tray.
    ids = re.findall(r'data-draft="([^"]+)"', tray)
    assert set(Post.objects.filter(oktopost_id__in=ids).values_list("status", flat=True)) <= {
        "draft",
        "inqueue-draft",
    }


def test_viewers_get_no_tray(mirror, viewer_client: Client) -> None:
    html = viewer_client.get("/calendar/").content.decode()
    assert 'class="tray"' not in html
    assert "data-draft=" not in html


def test_scheduling_a_draft_sets_its_time_and_status_in_oktopost_and_the_mirror(
    draft, editor, editor_client: Client
) -> None:
    day = local_today(editor) + timedelta(days=3)
    status, answer = schedule(editor_client, draft, date=day.isoformat(), time="14:45")
    assert status == 200, answer
    expected = at(day, 14, 45, editor.zone)
    assert f"Scheduled for {day:%a %d %b %Y}, 14:45" in answer["message"]
    remote = get_client(priority="interactive").post_get(draft.oktopost_id)
    assert (remote.start_at, remote.status) == (expected, "pending")
    mirrored = Post.objects.get(id=draft.id)
    assert (mirrored.start_at, mirrored.status) == (expected, "pending")
    entry = Activity.objects.filter(post_oktopost_id=draft.oktopost_id).latest("id")
    assert (entry.action, entry.outcome, entry.user) == ("reschedule", "ok", editor)


def test_scheduling_into_the_past_is_refused_in_plain_words_and_changes_nothing(
    mirror, draft, editor, editor_client: Client
) -> None:
    writes = mirror.calls()["by_endpoint"].get("POST /post/{id}", 0)
    yesterday = local_today(editor) - timedelta(days=1)
    status, answer = schedule(editor_client, draft, date=yesterday.isoformat(), time="09:00")
    assert status == 400
    assert answer["message"] == f"Not scheduled: {yesterday:%a %d %b %Y} 09:00 is in the past."
    assert Post.objects.get(id=draft.id).status == "draft"
    assert mirror.calls()["by_endpoint"].get("POST /post/{id}", 0) == writes


def test_a_post_that_is_no_longer_a_draft_is_not_scheduled_again(
    mirror, editor, editor_client: Client
) -> None:
    post = Post.objects.filter(status="pending", deleted_at=None).first()
    day = local_today(editor) + timedelta(days=2)
    status, answer = schedule(editor_client, post, date=day.isoformat(), time="10:00")
    assert status == 409
    assert answer["message"] == "Not scheduled: this post is not a draft any more."


def test_a_draft_changed_in_oktopost_meanwhile_is_refused(
    mirror, draft, editor, editor_client: Client
) -> None:
    shown = Post.objects.get(id=draft.id)
    theirs = (timezone.now() + timedelta(days=9)).replace(second=0, microsecond=0)
    mirror.control(
        "POST", f"posts/{shown.oktopost_id}", json={"StartDateTime": f"{theirs:%Y-%m-%d %H:%M:%S}"}
    )
    day = local_today(editor) + timedelta(days=2)
    status, answer = schedule(editor_client, shown, date=day.isoformat(), time="10:00")
    assert status == 409
    assert "changed in Oktopost while you were editing" in answer["message"]
    assert Post.objects.get(id=shown.id).status == "draft"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"date": "2027-02-30", "time": "10:00"}, "Enter a valid date"),
        ({"date": "", "time": "10:00"}, "This field is required"),
        ({"date": "2027-02-03", "time": "25:00"}, "Enter a valid time"),
    ],
)
def test_bad_input_is_refused_in_words_never_a_500(
    mirror, draft, editor_client: Client, data, words
) -> None:
    status, answer = schedule(editor_client, draft, **data)
    assert status == 400
    assert answer["message"].startswith("Not scheduled:")
    assert words in answer["message"]


def test_viewers_cannot_schedule_and_the_form_needs_csrf(mirror, draft, viewer_client, editor):
    day = (timezone.now() + timedelta(days=2)).date().isoformat()
    status, _ = schedule(viewer_client, draft, date=day, time="10:00")
    assert status == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    response = strict.post(
        f"/calendar/post/{draft.oktopost_id}/schedule/",
        {"date": day, "time": "10:00", "expected_modified": draft.modified.isoformat()},
    )
    assert response.status_code == 403
    assert Post.objects.get(id=draft.id).status == "draft"


def test_the_tray_form_works_without_javascript(draft, editor, editor_client: Client) -> None:
    day = local_today(editor) + timedelta(days=4)
    response = editor_client.post(
        f"/calendar/post/{draft.oktopost_id}/schedule/",
        {
            "date": day.isoformat(),
            "time": "08:05",
            "expected_modified": draft.modified.isoformat(),
            "back": f"view=month&date={day}",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/calendar/?view=month&date={day}"
    assert f"Scheduled for {day:%a %d %b %Y}, 08:05" in response.content.decode()


# --- the week, hour by hour ----------------------------------------------------------


@pytest.mark.dates
def test_the_week_shows_a_busy_days_late_posts_in_their_hours(
    editor_client: Client, editor
) -> None:
    day = local_today(editor) + timedelta(days=2)
    early = [f.post(start_at=at(day, 6, n, editor.zone)) for n in range(20)]
    late = [f.post(start_at=at(day, 21, n, editor.zone)) for n in range(2)]
    html = editor_client.get(f"/calendar/?view=week&date={day}").content.decode()
    # The late posts show in their hour without a click; the busy hour says how many more.
    assert all(f'id="chip-{p.oktopost_id}"' in html for p in late)
    six = re.search(rf'id="chips-{day}-h6".*?</div>', html, re.S).group(0)
    assert six.count('class="chip ') == selectors.PER_HOUR
    assert f"+{20 - selectors.PER_HOUR} more" in six
    assert f"hour=6&amp;shown={selectors.PER_HOUR}" in six
    opened = editor_client.get(
        f"/calendar/day/?view=week&date={day}&hour=6&shown=3", headers={"HX-Request": "true"}
    ).content.decode()
    assert all(f'id="chip-{p.oktopost_id}"' in opened for p in early)
    assert not any(f'id="chip-{p.oktopost_id}"' in opened for p in late)
    assert f'id="chips-{day}-h6"' in opened
    assert opened.count("data-first-new") == 1


@pytest.mark.dates
def test_a_week_is_still_a_handful_of_queries_by_the_hour(
    editor, django_assert_max_num_queries
) -> None:
    day = local_today(editor) + timedelta(days=1)
    for n in range(48):
        f.post(start_at=at(day, n % 24, n // 24, editor.zone))
    first = day - timedelta(days=day.weekday())
    with django_assert_max_num_queries(6):
        cal = selectors.calendar_read(
            QueueFilters(),
            view="week",
            days=[first + timedelta(days=n) for n in range(7)],
            month=None,
            today=local_today(editor),
            now=timezone.now(),
            zone=editor.zone,
            choices={"profiles": {}, "campaigns": []},
            with_tray=True,
        )
    shown = next(d for d in cal.days if d.day == day)
    assert shown.count == 48
    assert len(shown.chips) == 48
    assert shown.more == 0


# --- new posts from empty hours and days ---------------------------------------------


@pytest.mark.dates
def test_empty_hours_ahead_link_to_a_new_post_at_that_hour(editor_client: Client, editor) -> None:
    day = local_today(editor) + timedelta(days=8)
    html = editor_client.get(f"/calendar/?view=week&date={day}").content.decode()
    assert f'href="/posts/new/?when={day}T14:00"' in html
    assert f"New post on {day:%a} {day.day} {day:%b} at 14:00" in html
    month = editor_client.get(f"/calendar/?view=month&date={day}").content.decode()
    assert f'href="/posts/new/?when={day}T09:00"' in month


@pytest.mark.dates
def test_past_hours_and_viewers_get_no_new_post_links(
    editor_client: Client, viewer_client: Client, editor
) -> None:
    yesterday = local_today(editor) - timedelta(days=1)
    html = editor_client.get(f"/calendar/?view=week&date={yesterday}").content.decode()
    assert f"/posts/new/?when={yesterday}T" not in html
    assert "/posts/new/?when=" not in viewer_client.get("/calendar/").content.decode()


def test_the_new_post_form_takes_the_time_it_was_opened_at(editor_client: Client) -> None:
    html = editor_client.get("/posts/new/?when=2027-03-04T14:00").content.decode()
    assert re.search(r'name="when"[^>]*value="2027-03-04T14:00"', html)
    for bad in ("tomorrow", "2027-13-04T14:00", "2027-03-04T14:00<script>"):
        response = editor_client.get(f"/posts/new/?when={bad}")
        assert response.status_code == 200
        assert "<script>" not in re.search(r'name="when"[^>]*>', response.content.decode()).group(0)


@pytest.mark.dates
def test_failed_posts_cost_no_query_each(
    editor_client: Client, editor, django_assert_max_num_queries
) -> None:
    """A failed delivery is explained with the message's length, link included: read with
    the chips, not a query per chip (the seeded mirror's week took 33 queries before)."""
    from posts.models import Delivery

    day = local_today(editor) + timedelta(days=1)
    page = f.profile(name="Acme page")
    for n in range(12):
        msg = f.message("Too long " * 400)
        msg.link_url = f"https://example.com/{n}"
        msg.save()
        post = f.post(
            start_at=at(day, 8 + n, 0, editor.zone), msg=msg, status="error", profiles=[page]
        )
        Delivery.objects.filter(post=post).update(status="failed", error="Text is too long")
    editor_client.get("/calendar/")
    # The page's own 13 (test_calendar's count), with 12 failed posts.
    for view in ("week", "month"):
        with django_assert_max_num_queries(13):
            html = editor_client.get(f"/calendar/?view={view}&date={day}").content.decode()
        assert html.count('class="chip chip-error') == (12 if view == "week" else 4)


@pytest.mark.dates
def test_a_crowded_week_shows_fewer_chips_an_hour_and_every_hours_count(
    editor_client: Client, editor
) -> None:
    """Density adapts: with every hour of a week busy, each shows one chip and "+N more"
    (about 200 chips a page, not 504); a quiet week keeps three an hour."""
    assert selectors.week_density(20) == selectors.PER_HOUR
    assert selectors.week_density(168) == 1
    day = local_today(editor) + timedelta(days=14)
    monday = day - timedelta(days=day.weekday())
    for d in range(7):
        for hour in range(24):
            for minute in (0, 20, 40):
                f.post(start_at=at(monday + timedelta(days=d), hour, minute, editor.zone))
    html = editor_client.get(f"/calendar/?view=week&date={monday}").content.decode()
    assert html.count('class="chip ') == 168
    assert html.count("+2 more") == 168
