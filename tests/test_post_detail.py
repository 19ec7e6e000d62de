"""A post at /posts/<id>/ (page and drawer), its stats block and "refresh stats now"."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from accounts.models import User
from posts import sync
from posts.connection import get_client
from posts.models import Delivery, Message, Post, StatsSample
from tests import factories as f

LONG_TEXT = (
    "Our spring launch is here. "
    + "Every detail of the new release, explained in full, line by line. " * 3
    + "\nSecond line & <b>not bold</b>"
)


@pytest.fixture
def sent(db) -> Post:
    """A sent post with a link preview, one profile that worked, one that failed."""
    launch = f.campaign("Spring launch")
    ok, bad = f.profile("LinkedIn", "Acme LI"), f.profile("LinkedIn", "Acme careers")
    message = f.message(LONG_TEXT, "LinkedIn", launch)
    Message.objects.filter(id=message.id).update(
        link_url="https://example.com/spring",
        link_title="Spring release notes",
        description="What changed this spring.",
        image_url="https://img.example.com/spring.png",
    )
    post = f.post(
        status="incomplete",
        start_at=timezone.now() - timedelta(hours=3),
        profiles=[ok, bad],
        msg=message,
        camp=launch,
        source="API",
        content_source="Feed",
        created_by="00A000000000001",
        modified_by="00A000000000002",
        queued=True,
        clicks=12,
        conversions=1,
        comments=2,
        likes=7,
    )
    Delivery.objects.filter(post=post, profile_id=ok.oktopost_id).update(
        status="success", remote_url="https://www.linkedin.com/feed/update/urn:li:activity:1"
    )
    Delivery.objects.filter(post=post, profile_id=bad.oktopost_id).update(
        status="failed", error="<script>alert(1)</script> Duplicate status & rejected"
    )
    return post


@pytest.fixture
def pending(db) -> Post:
    return f.post(status="pending", start_at=timezone.now() + timedelta(days=2), msg=f.message())


def detail(post: Post) -> str:
    return reverse("posts:detail", args=[post.oktopost_id])


def stats_row(*cells: object) -> str:
    """The stats table's row of numbers; assertInHTML compares it ignoring layout whitespace."""
    return "<tr>" + "".join(_stats_cell(cell) for cell in cells) + "</tr>"


def _stats_cell(cell: object) -> str:
    # A counter never fetched reads "not yet", not 0.
    if cell == "not yet":
        return '<td class="num muted">not yet</td>'
    return (
        f'<td class="num">{cell:,}</td>'
        if isinstance(cell, int)
        else f'<td class="num">{cell}</td>'
    )


def test_the_page_shows_every_field_of_the_post(editor_client: Client, sent: Post) -> None:
    response = editor_client.get(detail(sent))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and "Back to the queue" in html
    for text in (
        sent.oktopost_id,
        "Sent with errors",
        "Spring launch",
        "API (Feed)",
        'title="Oktopost user 00A000000000001">00A000000000001</span>',
        'title="Oktopost user 00A000000000002">00A000000000002</span>',
        "Sent with errors",
        f'href="https://app.oktopost.com/post/{sent.oktopost_id}"',
        f'datetime="{sent.start_at.isoformat()}"',
    ):
        assert text in html, text
    # Words, not "Queued: yes"; the post's id only in its copy field (issue 29, item 14).
    assertInHTML("<dt>How it goes out</dt><dd>Sent from Oktopost's posting queue</dd>", html)
    assert f'readonly value="{sent.oktopost_id}"' in html and sent.message_id not in html


def test_the_whole_message_and_its_link_preview_are_shown(
    editor_client: Client, sent: Post
) -> None:
    html = editor_client.get(detail(sent)).content.decode()
    # The queue cuts the message at 120 characters; the page shows all of it.
    assert "line by line. Every detail of the new release, explained in full, line" in html
    assert "line by line. <br>Second line &amp; &lt;b&gt;not bold&lt;/b&gt;" in html
    assert "Spring release notes" in html
    assert "What changed this spring." in html
    assert 'href="https://example.com/spring"' in html
    assert 'src="https://img.example.com/spring.png"' in html


def test_a_message_not_synced_yet_is_said_so(editor_client: Client, db) -> None:
    post = f.post(status="pending")
    Post.objects.filter(id=post.id).update(message_id="005000000099999")
    html = editor_client.get(detail(post)).content.decode()
    assert "The message has not been synced yet." in html and "005000000099999" not in html


def test_htmx_gets_only_the_drawer_partial(editor_client: Client, sent: Post) -> None:
    response = editor_client.get(detail(sent), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<article class="post-detail" id="post-detail">')
    assert html.rstrip().endswith("</article>")
    assert "<html" not in html and "Back to the queue" not in html
    assert "Spring release notes" in html
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_full_page(editor_client: Client, sent: Post) -> None:
    response = editor_client.get(
        detail(sent), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_each_profile_shows_its_outcome_with_the_networks_error_escaped(
    editor_client: Client, sent: Post
) -> None:
    Delivery.objects.create(post=sent, profile_id="003-not-mirrored-yet")
    html = editor_client.get(detail(sent)).content.decode()
    assert "LinkedIn Acme LI" in html and "Sent ✓" in html
    assert 'href="https://www.linkedin.com/feed/update/urn:li:activity:1"' in html
    assert "LinkedIn Acme careers" in html and "Failed ✗" in html
    # Explained in words, with the network's own text (escaped) one click away.
    assert "LinkedIn refused the text as a duplicate of an earlier post." in html
    assert (
        "<code>&lt;script&gt;alert(1)&lt;/script&gt; Duplicate status &amp; rejected</code>"
    ) in html
    assert "<script>alert(1)" not in html
    # A profile the mirror has not fetched yet still shows, by its id.
    assert "003-not-mirrored-yet" in html and "Outcome not fetched yet" in html


def test_the_stats_table_says_how_fresh_each_number_is(editor_client: Client, sent: Post) -> None:
    html = editor_client.get(detail(sent)).content.decode()
    # Shares and impressions are unknown until ?stats=1 has answered once.
    assertInHTML(stats_row(12, 1, 2, 7, "not yet", "not yet"), html)
    assert "Clicks to likes as of" in html and "Shares and impressions as of never" in html
    assert "A chart appears once the numbers have changed at least once." in html
    assert "<svg" not in html

    Post.objects.filter(id=sent.id).update(
        shares=5, impressions=900, stats_at=timezone.now() - timedelta(minutes=5)
    )
    html = editor_client.get(detail(sent)).content.decode()
    assertInHTML(stats_row(12, 1, 2, 7, 5, 900), html)
    assert "Shares and impressions as of never" not in html
    assert "5\xa0minutes ago" in html


def test_stale_counters_are_marked_stale(editor_client: Client, sent: Post) -> None:
    Post.objects.filter(id=sent.id).update(counters_at=timezone.now() - timedelta(hours=5))
    html = editor_client.get(detail(sent)).content.decode()
    assert '<p class="stale">' in html and ": stale." in html


def test_a_chart_appears_once_stats_samples_exist(editor_client: Client, sent: Post) -> None:
    start = timezone.now() - timedelta(hours=2)
    for minutes, clicks, likes in ((0, 3, 1), (30, 8, 4), (90, 12, 7)):
        StatsSample.objects.create(
            post=sent, at=start + timedelta(minutes=minutes), clicks=clicks, likes=likes
        )
    html = editor_client.get(detail(sent)).content.decode()
    # Impressions were never fetched (0 in every sample): no chart pretends they grew.
    assert html.count('<figure class="chart">') == 2
    assert "Clicks: 3 → 12 since" in html and "Likes: 1 → 7 since" in html
    assert "Impressions:" not in html
    assert 'aria-label="Clicks over time, from 3 to 12"' in html
    assert '<polyline points="0.0,' in html and " 300.0," in html
    assert "A chart appears once" not in html


def test_an_unsent_post_has_no_stats_yet(editor_client: Client, pending: Post) -> None:
    html = editor_client.get(detail(pending)).content.decode()
    assert "No stats before the post is sent." in html
    assert "Refresh stats now" not in html


def test_an_unknown_post_is_not_found(editor_client: Client, db) -> None:
    assert editor_client.get("/posts/004000000099999/").status_code == 404


def test_viewers_see_the_post_without_write_controls(
    viewer_client: Client, editor_client: Client, pending: Post
) -> None:
    writes = (
        reverse("posts:reschedule", args=[pending.oktopost_id]),
        reverse("posts:profiles", args=[pending.oktopost_id]),
        reverse("posts:cancel", args=[pending.oktopost_id]),
    )
    as_editor = editor_client.get(detail(pending)).content.decode()
    assert all(url in as_editor for url in writes)

    for headers in ({}, {"HX-Request": "true"}):
        response = viewer_client.get(detail(pending), headers=headers)
        assert response.status_code == 200
        html = response.content.decode()
        assert pending.oktopost_id in html
        for url in writes:
            assert url not in html


def test_viewers_may_ask_for_fresh_stats(viewer_client: Client, sent: Post) -> None:
    assert "Refresh stats now" in viewer_client.get(detail(sent)).content.decode()
    url = reverse("posts:stats_refresh", args=[sent.oktopost_id])
    assert viewer_client.post(url).status_code == 302


def test_users_without_a_role_are_refused(outsider: User, sent: Post) -> None:
    client = Client()
    client.force_login(outsider)
    assert client.get(detail(sent)).status_code == 403
    assert client.get(detail(sent), headers={"HX-Request": "true"}).status_code == 403
    refresh = reverse("posts:stats_refresh", args=[sent.oktopost_id])
    assert client.post(refresh).status_code == 403
    sent.refresh_from_db()
    assert sent.stats_requested_at is None


def test_anonymous_visitors_are_sent_to_log_in(client: Client, sent: Post) -> None:
    for url in (detail(sent), reverse("posts:stats", args=[sent.oktopost_id])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_refresh_stats_now_queues_a_refresh_and_returns_to_the_post(
    editor_client: Client, sent: Post, django_capture_on_commit_callbacks
) -> None:
    url = reverse("posts:stats_refresh", args=[sent.oktopost_id])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = editor_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == detail(sent)
    # The task is sent only once the request's transaction has committed.
    assert len(callbacks) == 1
    sent.refresh_from_db()
    assert sent.stats_requested_at is not None

    html = editor_client.get(detail(sent)).content.decode()
    assert "Stats refresh queued" in html
    assert "Refresh queued at" in html and "Refresh stats now" not in html
    assert f'hx-get="/posts/{sent.oktopost_id}/stats/?poll=1" hx-trigger="every 2s"' in html


def test_refresh_stats_now_from_the_drawer_swaps_in_the_polling_stats_block(
    editor_client: Client, sent: Post, django_capture_on_commit_callbacks
) -> None:
    url = reverse("posts:stats_refresh", args=[sent.oktopost_id])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = editor_client.post(url, headers={"HX-Request": "true"})
    assert len(callbacks) == 1
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="post-stats"')
    assert 'hx-trigger="every 2s"' in html and "Refresh queued at" in html


def test_refreshing_a_post_deleted_in_oktopost_is_not_found(
    editor_client: Client, sent: Post
) -> None:
    Post.objects.filter(id=sent.id).update(deleted_at=timezone.now())
    url = reverse("posts:stats_refresh", args=[sent.oktopost_id])
    assert editor_client.post(url).status_code == 404
    assert editor_client.get(url).status_code == 405


def test_a_refresh_without_the_csrf_token_is_refused(editor: User, sent: Post) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(reverse("posts:stats_refresh", args=[sent.oktopost_id]))
    assert response.status_code == 403
    sent.refresh_from_db()
    assert sent.stats_requested_at is None


def test_the_stats_block_polls_until_the_refresh_ran_then_stops_with_the_new_numbers(
    editor_client: Client, oktopost
) -> None:
    remote = get_client().post_list(status="complete", count=25).items[0]
    post = f.post(status="complete", start_at=timezone.now() - timedelta(days=1))
    Post.objects.filter(id=post.id).update(oktopost_id=remote.id)
    post.refresh_from_db()
    editor_client.post(reverse("posts:stats_refresh", args=[post.oktopost_id]))
    poll = reverse("posts:stats", args=[post.oktopost_id]) + "?poll=1"
    htmx = {"HX-Request": "true"}

    waiting = editor_client.get(poll, headers=htmx)
    assert waiting.status_code == 200
    assert 'hx-trigger="every 2s"' in waiting.content.decode()

    assert sync.stats_refresh(limit=1).refreshed == 1
    post.refresh_from_db()
    assert post.stats_requested_at is None and post.stats_at is not None

    done = editor_client.get(poll, headers=htmx)
    # 286: htmx swaps the block in and stops polling.
    assert done.status_code == 286
    html = done.content.decode()
    assert html.lstrip().startswith('<section id="post-stats"')
    assert "every 2s" not in html and "Refresh stats now" in html
    numbers = (post.clicks, post.conversions, post.comments, post.likes)
    assertInHTML(stats_row(*numbers, post.shares, post.impressions), html)
