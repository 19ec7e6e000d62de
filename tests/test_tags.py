"""Tags (issue 25): mirrored from the sandbox over HTTP with the messages' tags, at no
call per post; `tag=` filters the queue, the stats page, the calendar and share links,
through an index."""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.utils import timezone

from oktopost import types as ok
from posts import mirror, queue, sync
from posts.connection import get_client
from posts.models import Message, MessageTag, Post, Tag
from posts.selectors import queue_choices, queue_queryset
from sharing.models import ShareLink
from tests import factories as f
from tests.test_maintenance import forget_stats

pytestmark = pytest.mark.django_db


def sandbox_tags_by_message() -> dict[str, set[str]]:
    """Each mirrored message's tag ids, as the sandbox answers them."""
    ids = list(Message.objects.values_list("oktopost_id", flat=True))
    return {m.id: set(m.tags) for m in get_client().messages_by_ids(ids, with_tags=True)}


def tagged_posts(tag_ids: set[str], *, before: datetime | None = None) -> set[str]:
    messages = {m for m, tags in sandbox_tags_by_message().items() if tags & tag_ids}
    found = Post.objects.filter(message_id__in=messages, deleted_at=None)
    if before is not None:
        found = found.filter(start_at__lt=before)
    return set(found.values_list("oktopost_id", flat=True))


def queue_ids(client: Client, query: str) -> set[str]:
    """Every post the queue lists for `query`, page after page."""
    response = client.get(f"/posts/?{query}&size=100")
    found = {r.post.oktopost_id for r in response.context["page"].rows}
    while response.context["next_query"]:
        response = client.get("/posts/?" + response.context["next_query"])
        found |= {r.post.oktopost_id for r in response.context["page"].rows}
    return found


def some_tag() -> Tag:
    """The tag carried by the most messages (so it has posts)."""
    counts: dict[str, int] = {}
    for tag_id in MessageTag.objects.values_list("tag_id", flat=True):
        counts[tag_id] = counts.get(tag_id, 0) + 1
    return Tag.objects.get(oktopost_id=max(counts, key=counts.get))


@pytest.mark.real_sync  # counts the sync's own calls
def test_the_sync_mirrors_tags_and_message_tags_with_no_call_per_post(mirror) -> None:
    by_endpoint = mirror.calls()["by_endpoint"]
    client = get_client()
    assert dict(Tag.objects.values_list("oktopost_id", "name")) == {
        t.id: t.name for t in client.tags_iter()
    }
    links: dict[str, set[str]] = {}
    for message_id, tag_id in MessageTag.objects.values_list("message_id", "tag_id"):
        links.setdefault(message_id, set()).add(tag_id)
    expected = sandbox_tags_by_message()
    assert links == {m: tags for m, tags in expected.items() if tags}
    assert not Message.objects.filter(tags_at=None).exists()
    assert "GET /message/{id}" not in by_endpoint and "GET /post/{id}" not in by_endpoint
    assert by_endpoint["GET /message"] <= -(-len(expected) // 100)


def test_a_full_pass_reads_changed_message_tags_again(mirror) -> None:
    tag = some_tag()
    message = Message.objects.exclude(tag_links__tag_id=tag.oktopost_id).first()
    get_client().message_update(message.oktopost_id, tag_ids=[tag.oktopost_id])
    Message.objects.filter(id=message.id).update(tags_at=None)  # as after the upgrade, too

    sync.posts_sync(full=True)

    assert set(message.tag_links.values_list("tag_id", flat=True)) == {tag.oktopost_id}
    assert not Message.objects.filter(tags_at=None).exists()


def test_tags_filter_the_queue(mirror, viewer_client: Client) -> None:
    tag = some_tag()
    expected = tagged_posts({tag.oktopost_id})
    assert 0 < len(expected) < Post.objects.count()

    assert queue_ids(viewer_client, f"tag={tag.oktopost_id}") == expected


def test_repeated_tags_match_any_of_them_and_show_as_named_chips(
    mirror, viewer_client: Client
) -> None:
    first, second = Tag.objects.order_by("name")[:2]
    query = urlencode([("tag", first.oktopost_id), ("tag", second.oktopost_id)])

    assert queue_ids(viewer_client, query) == tagged_posts({first.oktopost_id, second.oktopost_id})
    chips = dict(viewer_client.get(f"/posts/?{query}").context["chips"])
    assert chips[f"Tag: {first.name}"] == f"tag={second.oktopost_id}"


def test_an_unknown_tag_is_ignored_with_a_note(mirror, viewer_client: Client) -> None:
    response = viewer_client.get("/posts/?tag=0AF999999999999")
    assert "Ignored tag “0AF999999999999”: not a known tag." in response.context["notes"]
    assert response.context["filters"].tags == ()


def test_the_filter_form_offers_tags_by_name(mirror, viewer_client: Client) -> None:
    html = viewer_client.get("/posts/").content.decode()
    for tag in Tag.objects.all():
        assert f'<option value="{tag.oktopost_id}">{tag.name}</option>' in html


def test_tags_filter_the_stats_page(mirror, viewer_client: Client) -> None:
    tag = some_tag()
    zone = viewer_client.get("/stats/").context["zone"]
    starts = Post.objects.order_by("start_at").values_list("start_at", flat=True)
    first = timezone.localtime(starts.first(), zone).date()
    # The stats page counts complete days, up to yesterday (issue 29).
    today = timezone.localtime(timezone.now(), zone).date()
    last = today - timedelta(days=1)
    before = datetime.combine(today, time.min, tzinfo=zone)

    response = viewer_client.get(f"/stats/?tag={tag.oktopost_id}&from={first}&to={last}")

    assert response.status_code == 200 and not response.context["notes"]
    tagged = tagged_posts({tag.oktopost_id}, before=before)
    assert response.context["totals"].current.posts == len(tagged)
    everything = viewer_client.get(f"/stats/?from={first}&to={last}").context["totals"]
    assert everything.current.posts == Post.objects.filter(start_at__lt=before).count()
    assert f"Tag: {tag.name} \N{MULTIPLICATION SIGN}" in response.content.decode()


def test_tags_filter_the_calendar(mirror, viewer_client: Client) -> None:
    tag = some_tag()
    expected = tagged_posts({tag.oktopost_id})
    day = timezone.localdate()
    response = viewer_client.get(f"/calendar/?view=month&date={day}&tag={tag.oktopost_id}")
    shown = {c.post.oktopost_id for d in response.context["calendar"].days for c in d.chips}
    assert shown and shown <= expected


def test_a_shared_view_keeps_its_tag_and_refuses_once_the_tag_is_gone(
    mirror, editor_client: Client
) -> None:
    tag = some_tag()
    fields = {"page": "queue", "query": f"tag={tag.oktopost_id}", "label": "Launch posts"}
    review = editor_client.post("/share/new/", {**fields, "days": "7"})
    assert ("Tags", tag.name) in review.context["review"].preview.scope
    made = editor_client.post(
        "/share/new/", {**fields, "days": "7", "seen": review.context["review"].seen}
    )
    url = made.context["new_url"].split("testserver", 1)[1]
    anonymous = Client()

    widened = anonymous.get(url + "?tag=&network=Twitter")
    assert {r.post.oktopost_id for r in widened.context["page"].rows} <= tagged_posts(
        {tag.oktopost_id}
    )
    assert f"Tag: {tag.name}" in widened.content.decode()

    # Deleted in Oktopost: its messages no longer carry it, and the tag list omits it.
    get_client().tag_delete(tag.oktopost_id)
    sync.posts_sync(full=True)
    sync.catalog_sync(parts=("tags",), now=timezone.now() + sync.CATALOG_MAX_AGE)

    assert not Tag.objects.filter(oktopost_id=tag.oktopost_id).exists()
    assert anonymous.get(url).status_code == 410
    assert ShareLink.objects.count() == 1


def test_a_new_link_with_an_unknown_tag_is_refused_in_words(db, editor_client: Client) -> None:
    response = editor_client.post(
        "/share/new/", {"page": "stats", "query": "tag=0AF999999999999", "label": "x"}
    )
    assert "Ignored tag “0AF999999999999”: not a known tag." in response.content.decode()
    assert not ShareLink.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_tag_filter_reads_through_indexes() -> None:
    launch = f.tag("launch", messages=[f.message("a"), f.message("b")])
    f.post(msg=Message.objects.get(text="a"))
    filters = queue.parse(
        QueryDict(f"tag={launch.oktopost_id}"),
        profiles=set(),
        campaigns=set(),
        tags={launch.oktopost_id},
    ).filters
    posts = queue_queryset(filters, now=timezone.now(), zone=timezone.get_current_timezone())
    assert posts.count() == 1
    if connection.vendor != "sqlite":
        return  # PostgreSQL plans from statistics: three rows are read whole, rightly
    # The plan without statistics, from a new connection: a sync in an earlier test ran
    # ANALYZE in its transaction, and after the rollback this connection still plans
    # with what it loaded then (reloading them does not forget them).
    forget_stats()
    connection.close()
    plan = posts.order_by("-start_at", "-id").explain()
    # The tag's messages from the (tag, message) index, their posts from the posts'
    # message index: no scan of posts.
    assert "USING COVERING INDEX sqlite_autoindex_posts_messagetag" in plan
    assert "SEARCH posts_post USING INDEX posts_post_message_id" in plan
    assert "SCAN posts_post" not in plan


def test_tag_names_are_refreshed_at_once_in_the_forms(db, viewer_client: Client) -> None:
    tag = f.tag("launch")
    viewer_client.get("/posts/")  # caches the choices
    mirror.tags_upsert([ok.Tag(tag.oktopost_id, "Launch 2027", None, None)], now=timezone.now())
    assert "Launch 2027" in viewer_client.get("/posts/").content.decode()
    assert queue_choices()["tags"] == [(tag.oktopost_id, "Launch 2027")]


def test_a_message_tag_the_tag_list_has_not_named_yet_shows_as_its_id(db) -> None:
    message = f.message("x")
    answer = ok.Message.from_api(
        {
            "Id": message.oktopost_id,
            "Network": "LinkedIn",
            "Message": "x",
            "Tags": ["0AF000000000777"],
        },
        call="GET /message",
    )
    mirror.messages_upsert([answer], now=timezone.now() - timedelta(minutes=1))
    assert ("0AF000000000777", "0AF000000000777") in queue_choices()["tags"]
