"""The queue at /posts/: filters, sort, keyset pages, htmx branches, bad input."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from posts.models import Delivery
from tests import factories as f
from tests.html_nodes import parse


def rows(response) -> list[str]:
    return [r.post.oktopost_id for r in response.context["page"].rows]


@pytest.fixture
def world(db):
    now = timezone.now()
    launch, brand = f.campaign("Launch"), f.campaign("Brand")
    linkedin, twitter = f.profile("LinkedIn", "Acme LI"), f.profile("Twitter", "Acme X")
    hello = f.message("Hello LinkedIn people", "LinkedIn", launch)
    tweet = f.message("A tweet about <b>things</b>", "Twitter", brand)
    return {
        "launch": launch,
        "brand": brand,
        "linkedin": linkedin,
        "twitter": twitter,
        "upcoming": f.post(
            status="pending",
            start_at=now + timedelta(hours=5),
            profiles=[linkedin],
            msg=hello,
            camp=launch,
        ),
        "queued": f.post(
            status="inqueue",
            start_at=now + timedelta(days=3),
            network="Twitter",
            profiles=[twitter],
            msg=tweet,
            camp=brand,
            source="API",
        ),
        "stuck": f.post(
            status="pending",
            start_at=now - timedelta(hours=2),
            profiles=[linkedin],
            msg=hello,
            camp=launch,
        ),
        "sent": f.post(
            status="complete",
            start_at=now - timedelta(days=1),
            profiles=[linkedin],
            msg=hello,
            camp=launch,
            clicks=40,
            likes=3,
        ),
        "failed": f.post(
            status="error",
            start_at=now - timedelta(days=2),
            network="Twitter",
            profiles=[twitter],
            msg=tweet,
            camp=brand,
            clicks=2,
        ),
        "partial": f.post(
            status="incomplete",
            start_at=now - timedelta(days=3),
            profiles=[linkedin, twitter],
            msg=hello,
            camp=launch,
            clicks=7,
        ),
        "draft": f.post(
            status="draft",
            start_at=now + timedelta(days=9),
            profiles=[linkedin],
            msg=hello,
            camp=launch,
            source="Board",
        ),
        "gone": f.post(
            status="complete",
            start_at=now - timedelta(days=4),
            profiles=[linkedin],
            msg=hello,
            deleted_at=now,
        ),
    }


def ids(world, *names) -> list[str]:
    return [world[n].oktopost_id for n in names]


def test_all_lists_every_live_post_newest_first(editor_client: Client, world) -> None:
    response = editor_client.get("/posts/?preset=all")
    assert response.status_code == 200
    assert rows(response) == ids(
        world, "draft", "queued", "upcoming", "stuck", "sent", "failed", "partial"
    )
    assert "7 posts" in response.content.decode()


@pytest.mark.dates
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"preset": "upcoming"}, ["upcoming", "queued"]),
        ({"preset": "attention"}, ["stuck", "failed", "partial"]),
        ({"preset": "sent"}, ["sent", "failed", "partial"]),
        ({"preset": "drafts"}, ["draft"]),
        ({"preset": "past"}, ["stuck", "sent", "failed", "partial"]),
        ({"status": ["stuck"]}, ["stuck"]),
        ({"status": ["complete", "error"]}, ["sent", "failed"]),
        ({"network": "Twitter"}, ["queued", "failed"]),
        ({"source": "API"}, ["queued"]),
        ({"source": "Board"}, ["draft"]),
        ({"q": "tweet"}, ["queued", "failed"]),
        ({"deleted": "1", "status": "complete"}, ["sent", "gone"]),
        ({"preset": "attention", "status": "error"}, ["failed"]),
    ],
)
def test_each_filter_and_preset(editor_client: Client, world, query, expected) -> None:
    response = editor_client.get("/posts/?" + urlencode(query, doseq=True))
    assert rows(response) == ids(world, *expected)


@pytest.mark.dates
def test_the_queue_opens_at_now_soonest_first_with_the_past_a_click_away(
    editor_client: Client, world
) -> None:
    response = editor_client.get("/posts/")
    assert rows(response) == ids(world, "upcoming", "queued")
    page = parse(response.content)
    tabs = page.find(lambda n: n.tag == "nav" and n.get("aria-label") == "Views")
    current = tabs.find(lambda n: n.get("aria-current") == "page")
    assert current.text() == "Upcoming"
    earlier = page.find(lambda n: "earlier-link" in n.get("class", ""))
    past = editor_client.get(earlier["href"])
    assert rows(past) == ids(world, "stuck", "sent", "failed", "partial")
    # Every post is still one click away, and its link names itself.
    every = tabs.find(lambda n: n.tag == "a" and n.text() == "All")
    assert rows(editor_client.get(every["href"])) == rows(editor_client.get("/posts/?preset=all"))


def test_removing_the_last_filter_shows_every_post_not_the_opening_view(
    editor_client: Client, world
) -> None:
    response = editor_client.get("/posts/?preset=upcoming")
    chips = dict(response.context["chips"])
    assert chips["Upcoming"] == "preset=all"
    assert len(rows(editor_client.get("/posts/?" + chips["Upcoming"]))) == 7
    # The first page and a saved view of every post name it too.
    everything = editor_client.get("/posts/?preset=all")
    assert everything.context["here"] == "preset=all"
    assert everything.context["filters"].query() == ""  # as the stats and calendar read it


def test_cancel_from_a_filtered_view_returns_to_that_view(editor_client: Client, mirror) -> None:
    from posts.models import Post

    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    view = f"/posts/?preset=upcoming&network={post.network}"
    page = parse(editor_client.get(view).content)
    link = page.find(
        lambda n: (
            n.tag == "a" and n.get("href", "").startswith(f"/posts/{post.oktopost_id}/cancel/")
        )
    )
    ask = parse(editor_client.get(link["href"]).content)
    back = ask.find(lambda n: n.get("name") == "back")["value"]
    assert back == view
    response = editor_client.post(
        f"/posts/{post.oktopost_id}/cancel/",
        {"expected_modified": post.modified.isoformat(), "back": back},
    )
    assert response.status_code == 302
    assert response["Location"] == view


@pytest.mark.parametrize("back", ["https://elsewhere.example/", "//elsewhere.example/", "/admin/"])
def test_cancel_never_returns_outside_the_queue(editor_client: Client, world, back) -> None:
    post = world["upcoming"]
    html = editor_client.get(f"/posts/{post.oktopost_id}/cancel/?back={back}").content.decode()
    ask = parse(html)
    assert ask.find(lambda n: n.get("name") == "back")["value"] == "/posts/"


def test_profile_and_campaign_filters_combine(editor_client: Client, world) -> None:
    query = {"profile": world["twitter"].oktopost_id, "campaign": world["launch"].oktopost_id}
    assert rows(editor_client.get("/posts/?" + urlencode(query))) == ids(world, "partial")


def test_created_by_filters(editor_client: Client, world) -> None:
    other = f.post(status="draft", created_by="00A000000000009")
    assert rows(editor_client.get("/posts/?created_by=00A000000000009")) == [other.oktopost_id]


@pytest.mark.dates
def test_date_range_is_whole_days_in_the_viewers_zone(editor, world) -> None:
    editor.time_zone = "America/New_York"
    editor.save()
    client = Client()
    client.force_login(editor)
    zone = editor.zone
    day = world["sent"].start_at.astimezone(zone).date()
    response = client.get(f"/posts/?from={day}&to={day}")
    assert world["sent"].oktopost_id in rows(response)
    for post in [r.post for r in response.context["page"].rows]:
        assert post.start_at.astimezone(zone).date() == day


@pytest.mark.parametrize(
    "field",
    [
        "start_at",
        "created",
        "modified",
        "clicks",
        "conversions",
        "comments",
        "likes",
        "shares",
        "impressions",
    ],
)
@pytest.mark.parametrize("direction", ["", "-"])
def test_every_sort_both_ways(editor_client: Client, world, field, direction) -> None:
    response = editor_client.get(f"/posts/?sort={direction}{field}")
    posts = [r.post for r in response.context["page"].rows]
    keys = [(getattr(p, field), p.id) for p in posts]
    assert keys == sorted(keys, reverse=direction == "-")
    assert not response.context["notes"]


def test_keyset_pages_walk_forward_and_back_without_gaps(editor_client: Client, db) -> None:
    start = timezone.now()
    made = [f.post(status="draft", start_at=start + timedelta(minutes=i % 7)) for i in range(60)]
    seen: list[str] = []
    response = editor_client.get("/posts/?size=25")
    pages = [rows(response)]
    while response.context["next_query"]:
        response = editor_client.get("/posts/?" + response.context["next_query"])
        pages.append(rows(response))
    for page in pages:
        seen += page
    assert len(seen) == len(set(seen)) == len(made)
    assert [len(p) for p in pages] == [25, 25, 10]
    back = editor_client.get("/posts/?" + response.context["prev_query"])
    assert rows(back) == pages[1]


def test_htmx_gets_only_the_rows_with_count_and_chips_out_of_band(
    editor_client: Client, world
) -> None:
    response = editor_client.get("/posts/?network=Twitter", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="post-rows">')
    assert '<span id="result-count" class="result-count" hx-swap-oob="true">' in html
    assert 'id="filter-state" hx-swap-oob="true"' in html
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_full_page(editor_client: Client, world) -> None:
    response = editor_client.get(
        "/posts/?network=Twitter",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "status=nonsense",
        "from=2026-13-45",
        "to=yesterday",
        "page=-5",
        "page=99999999999999999999",
        "sort=DROP TABLE posts_post",
        "sort=--clicks",
        "size=1000000",
        "cursor=garbage",
        "network=<script>alert(1)</script>",
        "q=' OR 1=1 --",
        "campaign=002%27%3B--",
        "profile=%00",
        "from=2026-12-10&to=2026-12-01",
        "preset=everything",
        "q=" + "x" * 500,
        "created_by=<img src=x onerror=alert(1)>",
    ],
)
def test_bad_query_strings_give_the_page_with_a_note(editor_client: Client, world, query) -> None:
    response = editor_client.get("/posts/?" + query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    if "q=' OR" not in query:
        assert response.context["notes"], query


def test_a_cursor_from_other_filters_is_ignored_with_a_note(editor_client: Client, db) -> None:
    for i in range(30):
        f.post(status="draft", network="Twitter" if i % 2 else "LinkedIn")
    first = editor_client.get("/posts/?size=25")
    cursor = first.context["next_query"].split("cursor=")[1]
    response = editor_client.get(f"/posts/?network=Twitter&cursor={cursor}")
    assert "other filters" in " ".join(response.context["notes"])
    assert len(rows(response)) == 15


def test_the_url_round_trips_every_filter(editor_client: Client, world) -> None:
    query = {
        "preset": "sent",
        "network": "LinkedIn",
        "campaign": world["launch"].oktopost_id,
        "q": "Hello",
        "sort": "-clicks",
        "from": "2026-01-01",
    }
    response = editor_client.get("/posts/?" + urlencode(query))
    canonical = response.context["filters"].query()
    again = editor_client.get("/posts/?" + canonical)
    assert rows(again) == rows(response)
    assert again.context["filters"] == response.context["filters"]


def test_the_page_uses_a_constant_number_of_queries(
    editor_client: Client, world, django_assert_max_num_queries
) -> None:
    editor_client.get("/posts/")  # warm the session and caches
    with django_assert_max_num_queries(12) as few:
        editor_client.get("/posts/?preset=sent")
    for i in range(40):
        f.post(
            status="complete",
            start_at=timezone.now() - timedelta(hours=i),
            profiles=[world["linkedin"], world["twitter"]],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        editor_client.get("/posts/?preset=sent")


def test_viewers_see_the_queue_but_no_write_controls(viewer_client: Client, world) -> None:
    response = viewer_client.get("/posts/")
    assert response.status_code == 200
    assert "New post" not in response.content.decode()


def test_editors_see_write_controls(editor_client: Client, world) -> None:
    assert "New post" in editor_client.get("/posts/").content.decode()


def test_users_without_a_role_are_refused(outsider, world) -> None:
    client = Client()
    client.force_login(outsider)
    assert client.get("/posts/").status_code == 403


def test_message_text_is_escaped(editor_client: Client, world) -> None:
    html = editor_client.get("/posts/?network=Twitter").content.decode()
    assert "&lt;b&gt;things&lt;/b&gt;" in html


def test_empty_states_say_what_to_do(editor_client: Client, db) -> None:
    assert (
        "first sync with Oktopost has not finished" in editor_client.get("/posts/").content.decode()
    )
    f.post(status="draft")
    html = editor_client.get("/posts/?network=YouTube").content.decode()
    assert "No posts match these filters" in html


@pytest.mark.dates
def test_live_rows_poll_and_settled_rows_do_not(editor_client: Client, world) -> None:
    html = editor_client.get("/posts/?preset=all").content.decode()
    stuck = world["stuck"].oktopost_id
    assert f'id="post-{stuck}"' in html
    row = editor_client.get(f"/posts/{stuck}/row/").content.decode()
    assert 'hx-trigger="every 30s"' in row
    old = editor_client.get(f"/posts/{world['partial'].oktopost_id}/row/").content.decode()
    assert "every 30s" not in old


def test_failed_profiles_are_marked_in_the_row(editor_client: Client, world) -> None:
    Delivery.objects.filter(post=world["partial"], profile_id=world["twitter"].oktopost_id).update(
        status="failed", error="Duplicate status"
    )
    html = editor_client.get(f"/posts/{world['partial'].oktopost_id}/row/").content.decode()
    assert "✗ 1 failed" in html and "Duplicate status" in html
