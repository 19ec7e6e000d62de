"""The window walker over real HTTP, when many posts share one second (Oktopost's
resolution): crowded seconds are read whole, once, whatever the list's direction."""

from collections import Counter
from datetime import UTC, datetime

import pytest

from oktopost.client import OktopostClient
from posts import sync
from posts.connection import get_client
from posts.models import Post, SyncState
from posts.sync.posts import EPOCH
from posts.sync.walker import Window, _direction_probe, _drain_second, walk

pytestmark = pytest.mark.django_db

CROWDED = 150  # more than a page (100)


@pytest.fixture
def client(oktopost) -> OktopostClient:
    return get_client()


def crowd(sandbox, *, field: str, count: int = CROWDED, at: str | None = None) -> dict:
    body = {"field": field, "count": count} | ({"at": at} if at else {})
    answer = sandbox.control("POST", "crowd", body)
    answer["second"] = datetime.strptime(answer["at"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return answer


def ids_read(client: OktopostClient, window: Window, *, order: str) -> Counter[str]:
    read: Counter[str] = Counter()
    for page in walk(client, window, order=order):
        read.update(p.id for p in page)
    return read


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_a_second_crowded_with_a_whole_page_is_read_once(oktopost, client, order) -> None:
    oktopost.control("POST", "options", {"order": order})
    crowded = crowd(oktopost, field="created", at="2024-01-01 00:00:00")
    total = oktopost.control("GET", "state")["counts"]["posts"]

    read = ids_read(client, Window(lo=EPOCH), order="created")

    assert set(crowded["ids"]) <= set(read)
    assert len(read) == total
    assert max(read.values()) == 1


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_an_incremental_sync_reads_a_crowded_second_of_changes_once(oktopost, order) -> None:
    oktopost.control("POST", "options", {"order": order})
    sync.posts_sync(full=True)
    # A bulk edit after the cursor, newer than anything else in the list.
    crowded = crowd(oktopost, field="modified", at="2099-01-01 00:00:00")

    result = sync.posts_sync()

    assert result.complete
    assert result.updated == CROWDED
    assert result.unchanged == 0  # a post read twice would count as unchanged
    moved = Post.objects.filter(oktopost_id__in=crowded["ids"], modified=crowded["second"])
    assert moved.count() == CROWDED


def test_draining_a_second_reads_every_page_of_it_and_skips_what_was_seen(oktopost, client) -> None:
    crowded = crowd(oktopost, field="created", count=250, at="2024-01-01 00:00:00")
    first_page = set(crowded["ids"][:100])
    seen = set(first_page)
    before = oktopost.calls()["total"]

    pages = list(_drain_second(client, crowded["second"], seen, order="created"))

    read = [p.id for page in pages for p in page]
    assert sorted(read) == sorted(set(crowded["ids"]) - first_page)
    assert seen == set(crowded["ids"])
    assert oktopost.calls()["total"] - before == 3  # pages 0, 1 and the short page 2


def test_draining_a_second_yields_nothing_when_all_of_it_was_seen(oktopost, client) -> None:
    crowded = crowd(oktopost, field="created", count=120, at="2024-01-01 00:00:00")
    seen = set(crowded["ids"])

    assert list(_drain_second(client, crowded["second"], seen, order="created")) == []


def test_the_direction_probe_says_desc_when_the_crowded_second_is_the_newest(
    oktopost, client
) -> None:
    crowded = crowd(oktopost, field="modified", at="2099-01-01 00:00:00")

    direction = _direction_probe(client, Window(lo=EPOCH), crowded["second"], order="modified")

    assert direction == "desc"


def test_the_direction_probe_says_asc_when_posts_lie_above_the_crowded_second(
    oktopost, client
) -> None:
    crowded = crowd(oktopost, field="created", at="2001-01-01 00:00:00")

    direction = _direction_probe(client, Window(lo=EPOCH), crowded["second"], order="created")

    assert direction == "asc"


def test_a_post_at_the_cursor_edited_again_is_read_again(oktopost) -> None:
    sync.posts_sync(full=True)
    state = SyncState.objects.get(name=sync.POSTS_LOCK)
    at_cursor = state.cursor_ids[0]
    oktopost.control("POST", "clock", {"advance_seconds": 5})
    oktopost.control("POST", f"posts/{at_cursor}", {"Flag": "edited-again"})

    sync.posts_sync()

    assert Post.objects.get(oktopost_id=at_cursor).flag == "edited-again"
