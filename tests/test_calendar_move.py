"""Moving a post on the calendar: drag (JSON) and the "Move to…" form, against the sandbox.

The move goes through posts.services.post_reschedule, so Oktopost (the sandbox) is the
judge; these tests read Oktopost back to show a refused move changed nothing there.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from core.localtime import BadLocalTime
from planner.moves import drop_target
from posts import sync
from posts.connection import get_client
from posts.models import Activity, Post

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
JSON = {"Accept": "application/json"}


def at(day: date, hour: int, minute: int, zone) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def next_clock_change(zone, *, forward: bool) -> date:
    """The first day, at least a week from now, on which `zone`'s clocks go forward (or
    back): tests against the sandbox must move posts in the future, whatever today is."""
    day = timezone.now().astimezone(zone).date() + timedelta(days=7)
    for _ in range(400):
        before = datetime(day.year, day.month, day.day, tzinfo=zone).utcoffset()
        after = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone).utcoffset()
        if before != after and (after > before) == forward:
            return day
        day += timedelta(days=1)
    raise AssertionError(f"{zone} has no clock change within a year")


def place(sandbox, post: Post, when: datetime) -> Post:
    """Set the post's time in Oktopost (as another Oktopost user would) and sync it in."""
    sandbox.control(
        "POST", f"posts/{post.oktopost_id}", json={"StartDateTime": f"{when:%Y-%m-%d %H:%M:%S}"}
    )
    sync.posts_sync()
    return Post.objects.get(id=post.id)


def in_oktopost(post: Post) -> datetime:
    return get_client(priority="interactive").post_get(post.oktopost_id).start_at


def move(client: Client, post: Post, **data) -> tuple[int, dict]:
    data.setdefault("expected_modified", post.modified.isoformat())
    response = client.post(f"/calendar/post/{post.oktopost_id}/move/", data, headers=JSON)
    return response.status_code, (response.json() if response.status_code != 403 else {})


@pytest.fixture
def pending(mirror) -> Post:
    return Post.objects.filter(
        status="pending", start_at__gt=timezone.now() + timedelta(hours=2), deleted_at=None
    ).first()


def zone_of(user, name: str) -> None:
    user.time_zone = name
    user.save()


# --- the arithmetic, both directions, both zones --------------------------------------


@pytest.mark.parametrize(
    ("zone", "start", "day", "expected_utc"),
    [
        # Berlin, clocks forward on 28 Mar 2027: 09:30 CET (08:30Z) -> 09:30 CEST (07:30Z)
        (BERLIN, datetime(2027, 3, 25, 8, 30, tzinfo=UTC), date(2027, 4, 1), "07:30"),
        # Berlin, clocks back on 31 Oct 2027: 09:30 CEST (07:30Z) -> 09:30 CET (08:30Z)
        (BERLIN, datetime(2027, 10, 28, 7, 30, tzinfo=UTC), date(2027, 11, 2), "08:30"),
        # New York, forward on 14 Mar 2027: 09:30 EST (14:30Z) -> 09:30 EDT (13:30Z)
        (NEW_YORK, datetime(2027, 3, 10, 14, 30, tzinfo=UTC), date(2027, 3, 15), "13:30"),
        # New York, back on 7 Nov 2027: 09:30 EDT (13:30Z) -> 09:30 EST (14:30Z)
        (NEW_YORK, datetime(2027, 11, 5, 13, 30, tzinfo=UTC), date(2027, 11, 8), "14:30"),
    ],
)
def test_a_drop_keeps_the_local_time_of_day_across_dst(zone, start, day, expected_utc) -> None:
    moved = drop_target(start, zone, day=day)
    assert moved.astimezone(zone).strftime("%H:%M") == "09:30"
    assert moved.strftime("%H:%M") == expected_utc
    assert moved.astimezone(zone).date() == day


@pytest.mark.parametrize(
    ("zone", "start", "day"),
    [
        (BERLIN, datetime(2027, 3, 20, 1, 30, tzinfo=UTC), date(2027, 3, 28)),  # 02:30 CET
        (NEW_YORK, datetime(2027, 3, 10, 7, 30, tzinfo=UTC), date(2027, 3, 14)),  # 02:30 EST
    ],
)
def test_a_drop_onto_a_time_the_clocks_skip_is_refused(zone, start, day) -> None:
    with pytest.raises(BadLocalTime, match="does not exist"):
        drop_target(start, zone, day=day)


@pytest.mark.parametrize(
    ("zone", "day", "first_utc"),
    [(BERLIN, date(2027, 10, 31), "00:30"), (NEW_YORK, date(2027, 11, 7), "05:30")],
)
def test_a_drop_onto_a_time_that_happens_twice_takes_the_first(zone, day, first_utc) -> None:
    start = at(day - timedelta(days=3), 1 if zone is NEW_YORK else 2, 30, zone)
    moved = drop_target(start, zone, day=day)
    assert moved.strftime("%H:%M") == first_utc


def test_an_hour_drop_sets_the_hour_and_keeps_the_minutes() -> None:
    start = datetime(2027, 5, 3, 7, 45, tzinfo=UTC)  # 09:45 in Berlin
    moved = drop_target(start, BERLIN, day=date(2027, 5, 4), hour=15)
    assert moved.astimezone(BERLIN) == datetime(2027, 5, 4, 15, 45, tzinfo=BERLIN)


# --- through the view and the service, against the sandbox ---------------------------


@pytest.mark.dates
def test_a_drag_moves_the_post_in_oktopost_and_the_mirror_keeping_the_time_of_day(
    mirror, pending, editor, editor_client: Client
) -> None:
    zone_of(editor, "Europe/Berlin")
    change = next_clock_change(BERLIN, forward=True)
    post = place(mirror, pending, at(change - timedelta(days=3), 9, 30, BERLIN))
    target = change + timedelta(days=4)
    status, answer = move(editor_client, post, date=target.isoformat())
    assert status == 200, answer
    assert answer["ok"] is True
    assert f"{target:%a %d %b %Y}, 09:30" in answer["message"]
    expected = at(target, 9, 30, BERLIN)
    assert in_oktopost(post) == expected
    assert Post.objects.get(id=post.id).start_at == expected
    entry = Activity.objects.filter(post_oktopost_id=post.oktopost_id).latest("id")
    assert (entry.action, entry.outcome, entry.user) == ("reschedule", "ok", editor)


@pytest.mark.dates
def test_a_drop_on_an_hour_of_the_week_view_sets_that_hour(
    mirror, pending, editor, editor_client: Client
) -> None:
    zone_of(editor, "America/New_York")
    change = next_clock_change(NEW_YORK, forward=False)
    post = place(mirror, pending, at(change - timedelta(days=2), 9, 15, NEW_YORK))
    target = change + timedelta(days=1)
    status, answer = move(editor_client, post, date=target.isoformat(), hour="16")
    assert status == 200, answer
    assert in_oktopost(post) == at(target, 16, 15, NEW_YORK)


@pytest.mark.dates
def test_a_refused_drag_leaves_oktopost_and_the_mirror_unchanged(
    mirror, pending, editor, editor_client: Client
) -> None:
    zone_of(editor, "Europe/Berlin")
    change = next_clock_change(BERLIN, forward=True)
    post = place(mirror, pending, at(change - timedelta(days=8), 2, 30, BERLIN))
    writes = mirror.calls()["by_endpoint"].get("POST /post/{id}", 0)
    status, answer = move(editor_client, post, date=change.isoformat())
    assert status == 400
    assert answer["ok"] is False
    assert f"02:30 does not exist on {change:%d %b %Y}" in answer["message"]
    assert in_oktopost(post) == post.start_at
    assert Post.objects.get(id=post.id).start_at == post.start_at
    assert mirror.calls()["by_endpoint"].get("POST /post/{id}", 0) == writes
    assert not Activity.objects.filter(post_oktopost_id=post.oktopost_id).exists()


def test_a_drag_racing_another_change_is_refused_and_nothing_is_half_written(
    mirror, pending, editor, editor_client: Client
) -> None:
    shown = Post.objects.get(id=pending.id)
    theirs = (shown.start_at + timedelta(days=1)).replace(second=0, microsecond=0)
    mirror.control(
        "POST",
        f"posts/{shown.oktopost_id}",
        json={"StartDateTime": f"{theirs:%Y-%m-%d %H:%M:%S}"},
    )
    day = (shown.start_at + timedelta(days=3)).astimezone(editor.zone).date()
    status, answer = move(editor_client, shown, date=day.isoformat())
    assert status == 409
    assert "changed in Oktopost while you were editing" in answer["message"]
    assert in_oktopost(shown) == theirs
    # The mirror now holds Oktopost's version (theirs), not ours.
    assert Post.objects.get(id=shown.id).start_at == theirs
    assert not Activity.objects.filter(post_oktopost_id=shown.oktopost_id, outcome="ok").exists()


def test_viewers_cannot_drag_server_side(mirror, pending, viewer_client: Client) -> None:
    before = in_oktopost(pending)
    day = (pending.start_at + timedelta(days=2)).date()
    status, _ = move(viewer_client, pending, date=day.isoformat())
    assert status == 403
    assert in_oktopost(pending) == before
    assert Post.objects.get(id=pending.id).start_at == pending.start_at


@pytest.mark.dates
def test_sent_posts_cannot_be_moved(mirror, editor_client: Client) -> None:
    sent = Post.objects.filter(status="complete").first()
    status, answer = move(editor_client, sent, date=(timezone.now() + timedelta(days=2)).date())
    assert status == 409
    assert "already sent" in answer["message"]


@pytest.mark.dates
def test_a_move_into_the_past_is_refused(mirror, pending, editor_client: Client) -> None:
    status, answer = move(editor_client, pending, date=(timezone.now() - timedelta(days=2)).date())
    assert status == 400
    assert "in the past" in answer["message"]


def test_a_move_needs_the_csrf_token(mirror, pending, editor) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(f"/calendar/post/{pending.oktopost_id}/move/", {"date": "2027-01-05"})
    assert response.status_code == 403


def test_a_move_without_the_version_shown_is_refused(mirror, pending, editor_client) -> None:
    response = editor_client.post(
        f"/calendar/post/{pending.oktopost_id}/move/", {"date": "2027-01-05"}, headers=JSON
    )
    assert response.status_code == 400
    assert "which version of the post it showed" in response.json()["message"]


def test_the_move_to_form_works_without_javascript(
    mirror, pending, editor, editor_client: Client
) -> None:
    drawer = editor_client.get(f"/calendar/post/{pending.oktopost_id}/?back=view%3Dmonth")
    html = drawer.content.decode()
    assert "Move to…" in html
    assert 'name="time"' in html
    new_day = (pending.start_at + timedelta(days=4)).astimezone(editor.zone).date()
    response = editor_client.post(
        f"/calendar/post/{pending.oktopost_id}/move/",
        {
            "date": new_day.isoformat(),
            "time": "10:05",
            "expected_modified": pending.modified.isoformat(),
            "back": "view=month",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/calendar/?view=month"
    assert "Moved to" in response.content.decode()
    local = in_oktopost(pending).astimezone(editor.zone)
    assert (local.date(), local.strftime("%H:%M")) == (new_day, "10:05")


def test_the_drawer_offers_no_move_to_viewers(mirror, pending, viewer_client) -> None:
    html = viewer_client.get(f"/calendar/post/{pending.oktopost_id}/").content.decode()
    assert "Move to…" not in html
    assert "Open the full post" in html


def test_a_foreign_back_address_is_dropped(mirror, pending, editor_client) -> None:
    response = editor_client.post(
        f"/calendar/post/{pending.oktopost_id}/move/",
        {"date": "bad", "back": "https://evil.example/"},
    )
    assert response["Location"] == "/calendar/"
