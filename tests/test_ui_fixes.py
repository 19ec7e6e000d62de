"""Issue 13's honest states: the UTC hint, the cancelled label, refresh-now progress,
counters never fetched, names and local times in the activity, the navigation."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from posts import mirror as mirror_rows
from posts.connection import get_client
from posts.models import Activity, Post
from posts.sync import stats as stats_sync
from tests import factories as f

pytestmark = pytest.mark.django_db


def berlin(client: Client, user: User) -> Client:
    user.time_zone = "Europe/Berlin"
    user.save(update_fields=["time_zone"])
    return client


def checks(client: Client, when: str) -> str:
    params = {"network": "LinkedIn", "text": "Hello", "when": when}
    return client.get(reverse("posts:new_checks"), params).content.decode()


# --- the UTC hint -------------------------------------------------------------------


def test_the_utc_hint_gives_the_utc_time_not_the_local_one(
    editor_client: Client, editor: User
) -> None:
    """Before: 10:30 in Berlin was shown as "10:30 UTC" (the local time, mislabelled)."""
    html = checks(berlin(editor_client, editor), "2027-12-02T10:30")
    assert "That is Thu 2 Dec 2027, 09:30 UTC." in html
    assert "10:30 UTC" not in html


def test_the_utc_hint_crosses_midnight_into_the_previous_day(
    editor_client: Client, editor: User
) -> None:
    html = checks(berlin(editor_client, editor), "2027-12-02T00:30")
    assert "That is Wed 1 Dec 2027, 23:30 UTC." in html


def test_a_local_time_that_happens_twice_names_both_utc_instants(
    editor_client: Client, editor: User
) -> None:
    """31 Oct 2027, 02:30 happens twice in Berlin: first at 00:30 UTC (CEST), then 01:30."""
    html = checks(berlin(editor_client, editor), "2027-10-31T02:30")
    assert "That is Sun 31 Oct 2027, 00:30 UTC." in html
    assert "02:30 happens twice on 31 Oct in Europe/Berlin" in html
    assert "the first, 00:30 UTC, is used; the second would be 01:30 UTC." in html


# --- cancelled posts ------------------------------------------------------------------


def test_a_cancelled_post_says_cancelled_in_the_queue_and_on_its_page(
    mirror, editor_client: Client
) -> None:
    """Before: a cancelled post was still labelled "Scheduled"."""
    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    editor_client.post(
        f"/posts/{post.oktopost_id}/cancel/", {"expected_modified": post.modified.isoformat()}
    )
    row = editor_client.get(f"/posts/{post.oktopost_id}/row/").content.decode()
    assert '<span class="status status-cancelled">Cancelled</span>' in row
    assert "Scheduled" not in row

    page = editor_client.get(f"/posts/{post.oktopost_id}/").content.decode()
    assert '<span class="status status-cancelled">Cancelled</span>' in page
    assert "status-pending" not in page


def test_a_sent_post_deleted_in_oktopost_keeps_its_sent_status(editor_client: Client, db) -> None:
    post = f.post(status="complete", start_at=timezone.now() - timedelta(days=2))
    Post.objects.filter(id=post.id).update(deleted_at=timezone.now())
    row = editor_client.get(f"/posts/{post.oktopost_id}/row/").content.decode()
    assert ">Sent<" in row and "deleted" in row and "Cancelled" not in row


# --- refresh now ----------------------------------------------------------------------


def poll(client: Client, post: Post, requested: str | None = None):
    params = {"poll": "1"}
    if requested:
        params["requested"] = requested
    return client.get(
        reverse("posts:stats", args=[post.oktopost_id]), params, headers={"HX-Request": "true"}
    )


def test_refresh_now_keeps_showing_progress_while_the_worker_fetches(
    editor_client: Client, oktopost
) -> None:
    """Before: the worker takes the request off the post before calling Oktopost; the
    poll then stopped (286) with the old numbers and the next poll never came."""
    remote = get_client().post_list(status="complete", count=25).items[0]
    post = f.post(status="complete", start_at=timezone.now() - timedelta(days=1))
    Post.objects.filter(id=post.id).update(oktopost_id=remote.id)
    post.refresh_from_db()

    started = editor_client.post(
        reverse("posts:stats_refresh", args=[post.oktopost_id]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "Refresh queued at" in started and 'hx-trigger="every 2s"' in started
    requested = Post.objects.get(id=post.id).stats_requested_at
    assert f'"requested": "{requested.isoformat()}"' in started

    # A worker claims the post: the request mark is gone, the call not yet answered.
    post.refresh_from_db()
    assert stats_sync.stats_claim(post) is not None
    fetching = poll(editor_client, post, requested.isoformat())
    assert fetching.status_code == 200
    html = fetching.content.decode()
    assert "Fetching the numbers from Oktopost" in html
    assert 'hx-trigger="every 2s"' in html and "Refresh stats now" not in html

    # The worker writes the new numbers: the block swaps them in and stops polling.
    post.refresh_from_db()
    item = get_client().post_get(post.oktopost_id, stats=True)
    with transaction.atomic():
        mirror_rows.post_stats_apply(post, item, now=timezone.now())
    done = poll(editor_client, post, requested.isoformat())
    assert done.status_code == 286
    html = done.content.decode()
    assert "Updated: these are the numbers Oktopost gave" in html
    assert "every 2s" not in html
    post.refresh_from_db()
    assert f"{post.impressions:,}" in html


def test_refresh_now_says_why_when_no_numbers_come(editor_client: Client, db) -> None:
    post = f.post(status="complete", start_at=timezone.now() - timedelta(days=1))
    asked = timezone.now() - timedelta(minutes=5)
    response = poll(editor_client, post, asked.isoformat())
    assert response.status_code == 286
    assert "No new numbers 2 minutes after asking" in response.content.decode()


def test_a_post_gone_from_oktopost_ends_the_wait_saying_so(editor_client: Client, db) -> None:
    post = f.post(status="complete", start_at=timezone.now() - timedelta(days=1))
    Post.objects.filter(id=post.id).update(deleted_at=timezone.now())
    response = poll(editor_client, post, timezone.now().isoformat())
    assert response.status_code == 286
    assert "Oktopost no longer has this post" in response.content.decode()


# --- counters, names, local times, navigation -----------------------------------------


def test_counters_never_fetched_read_not_yet_in_the_queue(editor_client: Client, db) -> None:
    post = f.post(status="complete", start_at=timezone.now() - timedelta(days=1), counters_at=None)
    Post.objects.filter(id=post.id).update(clicks=0, impressions=0)
    row = editor_client.get(f"/posts/{post.oktopost_id}/row/").content.decode()
    assert row.count("not yet") == 6

    Post.objects.filter(id=post.id).update(
        counters_at=timezone.now(), clicks=12345, stats_at=timezone.now(), impressions=35547
    )
    row = editor_client.get(f"/posts/{post.oktopost_id}/row/").content.decode()
    assert "not yet" not in row
    assert ">12,345<" in row and ">35,547<" in row


def test_campaign_and_profile_chips_show_names(editor_client: Client, db) -> None:
    camp = f.campaign("Spring launch")
    prof = f.profile("LinkedIn", "Acme careers")
    html = editor_client.get(
        "/posts/", {"campaign": camp.oktopost_id, "profile": prof.oktopost_id}
    ).content.decode()
    chips = html[html.index('class="chips"') :]
    chips = chips[: chips.index("</p>")]
    assert "Spring launch" in chips and "LinkedIn: Acme careers" in chips
    assert camp.oktopost_id not in chips.split('href="')[0]


def test_the_activity_shows_times_in_the_users_zone_and_profiles_by_name(
    editor_client: Client, editor: User
) -> None:
    prof = f.profile("LinkedIn", "Acme careers")
    Activity.objects.create(
        user=editor,
        action="reschedule",
        outcome="ok",
        post_oktopost_id="004000000000001",
        before={"start_at": "2027-12-02T09:30:00+00:00", "profiles": [prof.oktopost_id]},
        after={"start_at": "2027-12-02T11:00:00+00:00", "profiles": [prof.oktopost_id]},
    )
    html = berlin(editor_client, editor).get("/activity/").content.decode()
    assert "Time: Thu 2 Dec 2027, 10:30 → Thu 2 Dec 2027, 12:00" in html
    assert "Profiles: Acme careers → Acme careers" in html
    assert "2027-12-02T09:30" not in html and prof.oktopost_id not in html
    assert "Times in Europe/Berlin" in html


def test_activity_is_in_the_navigation_and_marked_when_current(viewer_client: Client) -> None:
    html = viewer_client.get("/activity/").content.decode()
    assert '<a href="/activity/" aria-current="page">Activity</a>' in html
    assert '<a href="/posts/">Queue</a>' in html


def test_the_message_list_hides_while_writing_a_new_message(editor_client: Client) -> None:
    # The rule lives in the stylesheet (no inline style under our CSP).
    css = (Path(__file__).resolve().parent.parent / "static/css/app.css").read_text()
    assert 'form:has(input[name="source"][value="new"]:checked) #existing-message' in css
    html = editor_client.get("/posts/new/").content.decode()
    assert 'value="new"' in html and "checked" in html
