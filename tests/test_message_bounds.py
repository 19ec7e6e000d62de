"""Each message's engagement over all its posts, and its posts and engagement per
network, source, media kind and target profile, are kept exact by triggers, whatever
writes the posts and their deliveries, and the top messages found by walking those sums
down are the top messages the GROUP BY over the range gives (reports/message_bounds.py,
reports/message_keys.py)."""

import random
import zoneinfo
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import F

from posts.models import Delivery, Post, Profile
from posts.queue import QueueFilters
from reports import message_bounds, message_keys
from reports.models import MessageEngagement, MessageKeySum
from reports.ranges import Period
from reports.selectors import Scope, breakdown_rows
from tests import factories as f

PERIOD = Period(date(2026, 10, 1), date(2026, 10, 20))
NETWORKS = ("LinkedIn", "Twitter", "Facebook")
STATUSES = ["complete"] * 5 + ["incomplete", "error", "pending"]
PROFILES = ("003-001000000000001-00000301", "003-001000000000001-00000302")
CREATORS = ("00A000000000001", "00A000000000002")


@pytest.fixture
def posts(db) -> list[Post]:
    # Sums a writer outside this test left in the process's database (seen once after
    # 68 other tests: rows of the sandbox's messages, negative, with no post left) are
    # not this test's: it starts from no posts and no sums, as a new database does.
    assert not Post.objects.exists(), "posts left by an earlier test"
    MessageEngagement.objects.all().delete()
    MessageKeySum.objects.all().delete()
    rnd = random.Random(5)
    for pid in PROFILES:
        Profile.objects.create(oktopost_id=pid, name=pid[-3:], network="LinkedIn")
    messages = [f.message(f"text {n}") for n in range(40)]
    lo = datetime(2026, 9, 25, tzinfo=UTC)
    made = []
    for _ in range(300):
        made.append(
            f.post(
                status=rnd.choice(STATUSES),
                start_at=lo + timedelta(seconds=rnd.randrange(30 * 86_400)),
                network=rnd.choice(NETWORKS),
                msg=rnd.choice([*messages, None]),
                # Few values: ties between messages, broken by the message's id.
                comments=rnd.randrange(3),
                likes=rnd.randrange(4),
                shares=rnd.choice([0, 0, 1]),
                media_kind=rnd.choice(["", "image"]),
                source=rnd.choice(["UI", "API"]),
                created_by=rnd.choice(CREATORS),
                deleted_at=lo if rnd.random() < 0.05 else None,
            )
        )
        targets = rnd.sample(PROFILES, rnd.choice([0, 1, 2]))
        Delivery.objects.bulk_create([Delivery(post=made[-1], profile_id=p) for p in targets])
    return made


def _sums() -> dict[str, int]:
    found: dict[str, int] = defaultdict(int)
    for message_id, c, li, s in Post.objects.values_list(
        "message_id", "comments", "likes", "shares"
    ):
        if message_id is not None:
            found[message_id] += c + li + s
    return dict(found)


def _kept() -> dict[str, int]:
    return dict(MessageEngagement.objects.values_list("message_id", "engagement"))


def _zeroes_dropped(sums: dict) -> dict:
    return {k: v for k, v in sums.items() if v and v != (0, 0)}


def _key_sums() -> dict[tuple[str, str, str], tuple[int, int]]:
    """(dimension, value, message) -> (posts, engagement), from the posts."""
    found: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    profiles = defaultdict(list)
    for post_id, profile_id in Delivery.objects.values_list("post_id", "profile_id"):
        profiles[post_id].append(profile_id)
    rows = Post.objects.values_list(
        "id", "message_id", "network", "source", "media_kind", "created_by", "comments", "likes",
        "shares",
    )  # fmt: skip
    for post_id, message_id, network, source, media, creator, c, li, s in rows:
        if message_id is None:
            continue
        keys = [("network", network), ("source", source), ("media", media), ("creator", creator)]
        for dim, key in [*keys, *(("profile", p) for p in profiles[post_id])]:
            found[dim, key, message_id][0] += 1
            found[dim, key, message_id][1] += c + li + s
    return {k: tuple(v) for k, v in found.items()}


def _kept_keys() -> dict[tuple[str, str, str], tuple[int, int]]:
    rows = MessageKeySum.objects.values_list("dim", "key", "message_id", "posts", "engagement")
    return {(d, k, m): (p, e) for d, k, m, p, e in rows}


def test_the_sums_are_exact_after_every_kind_of_write(posts) -> None:
    assert _kept() == _sums()
    one, other = posts[0], posts[1]
    # A stats save, a counters tick, bulk updates, a new post, a message changed or
    # removed, deletes one by one and in bulk.
    one.likes += 7
    one.save()
    Post.objects.filter(id=other.id).update(comments=F("comments") + 2, shares=5)
    changed = posts[10:40]
    for p in changed:
        p.likes += 1
    Post.objects.bulk_update(changed, ["likes"], batch_size=7)
    f.post(msg=f.message("new"), likes=4, comments=1)
    Post.objects.filter(id=posts[50].id).update(message_id=posts[51].message_id, likes=9)
    Post.objects.filter(id=posts[52].id).update(message_id=None)
    Post.objects.filter(id__in=[p.id for p in posts[60:70]]).delete()
    posts[80].delete()
    # A write the sums do not read changes nothing.
    Post.objects.filter(id=posts[90].id).update(clicks=F("clicks") + 1, impressions=3)
    assert _zeroes_dropped(_kept()) == _zeroes_dropped(_sums())
    assert _zeroes_dropped(_kept_keys()) == _zeroes_dropped(_key_sums())


def test_the_sums_per_value_are_exact_after_every_kind_of_write(posts) -> None:
    """Network, source, media kind and target profile: the posts' writes above, and a
    post's values and deliveries added, moved and removed, in either order."""
    assert _kept_keys() == _key_sums()
    one = posts[0]
    one.network, one.source, one.media_kind = "Facebook", "API", "video"
    one.likes += 3
    one.save()
    Post.objects.filter(id__in=[p.id for p in posts[100:130]]).update(
        shares=F("shares") + 1, source="UI"
    )
    Post.objects.filter(id=posts[131].id).update(network="Twitter", created_by=CREATORS[1])
    Post.objects.filter(id=posts[132].id).update(message_id=posts[133].message_id, comments=4)
    Post.objects.filter(id=posts[134].id).update(message_id=None, media_kind="pdf")
    # Deliveries: added, moved to another profile and another post, removed one by one,
    # in bulk and with their post.
    Delivery.objects.filter(post=posts[140]).delete()
    Delivery.objects.create(post=posts[140], profile_id=PROFILES[1])
    Delivery.objects.filter(post=posts[141]).delete()
    target = Delivery.objects.create(post=posts[141], profile_id=PROFILES[1])
    Delivery.objects.filter(id=target.id).update(profile_id=PROFILES[0])
    moved = Delivery.objects.filter(post=posts[142]).first()
    if moved is not None and not Delivery.objects.filter(post=posts[143]).exists():
        Delivery.objects.filter(id=moved.id).update(post=posts[143])
    Delivery.objects.filter(post_id__in=[p.id for p in posts[150:160]]).delete()
    posts[161].delete()
    Post.objects.filter(id__in=[p.id for p in posts[170:180]]).delete()
    new = f.post(msg=posts[3].message, likes=2, network="Twitter", source="API")
    Delivery.objects.bulk_create([Delivery(post=new, profile_id=p) for p in PROFILES])
    assert _zeroes_dropped(_kept_keys()) == _zeroes_dropped(_key_sums())


def test_lost_triggers_come_back_with_every_sum_recomputed(posts) -> None:
    with connection.cursor() as cursor:
        for sql in message_bounds._drop(connection.vendor):
            cursor.execute(sql)
    Post.objects.filter(id=posts[0].id).update(likes=F("likes") + 50)
    assert _kept() != _sums()
    assert message_bounds.ensure(connection) is True
    assert _kept() == _sums()
    assert message_bounds.ensure(connection) is False


def test_lost_key_triggers_come_back_with_every_sum_recomputed(posts) -> None:
    with connection.cursor() as cursor:
        for sql in message_keys._drop(connection.vendor):
            cursor.execute(sql)
    Post.objects.filter(id=posts[0].id).update(likes=F("likes") + 50, network="Twitter")
    Delivery.objects.filter(post=posts[1]).delete()
    assert _kept_keys() != _key_sums()
    assert message_keys.ensure(connection) is True
    assert _kept_keys() == _key_sums()
    assert message_keys.ensure(connection) is False


SCOPES = [
    QueueFilters(),
    QueueFilters(networks=("Twitter",)),
    QueueFilters(statuses=("complete",)),
    QueueFilters(media="image", deleted=True),
    QueueFilters(profiles=PROFILES[:1]),
    QueueFilters(preset="sent"),
]


@pytest.mark.parametrize("batch", [1, 3, 250])
@pytest.mark.parametrize("filters", SCOPES)
def test_the_walk_gives_the_top_messages_of_the_group_by(posts, monkeypatch, batch, filters):
    """In batches of any size, and when the walk is cut short (the GROUP BY then)."""
    monkeypatch.setattr(message_bounds, "BATCH", batch)
    scope = Scope(filters, PERIOD, zoneinfo.ZoneInfo("Europe/Paris"))
    now = datetime(2026, 10, 30, tzinfo=UTC)
    for limit in (1, 5, 10):
        got = breakdown_rows(scope, "message", now=now, order="engagement", limit=limit)
        with monkeypatch.context() as m:
            m.setattr(message_bounds, "WALK", 0)  # never walks: the range's GROUP BY
            expected = breakdown_rows(scope, "message", now=now, order="engagement", limit=limit)
        assert got == expected, (filters, limit)
        assert len(got[0]) == limit and got[1]


def test_the_walk_stops_early_for_a_broad_scope(posts, monkeypatch) -> None:
    read = []
    grouped = message_bounds.top_by_engagement

    def counting(fetch, *, limit):
        return grouped(lambda ids: read.append(len(ids)) or fetch(ids), limit=limit)

    monkeypatch.setattr(message_bounds, "BATCH", 4)
    monkeypatch.setattr(message_bounds, "top_by_engagement", counting)
    scope = Scope(QueueFilters(), PERIOD, zoneinfo.ZoneInfo("UTC"))
    rows, _ = breakdown_rows(
        scope, "message", now=datetime(2026, 10, 30, tzinfo=UTC), order="engagement", limit=2
    )
    assert len(rows) == 2 and 0 < sum(read) < MessageEngagement.objects.count()


# Scopes narrowed to one network, source, media kind, creator or profile (alone and with
# more).
KEYED = [
    QueueFilters(networks=("Twitter",)),
    QueueFilters(sources=("API",)),
    QueueFilters(created_by=CREATORS[:1], networks=("Twitter", "LinkedIn")),
    QueueFilters(media="image"),
    QueueFilters(media="none", statuses=("complete",)),
    QueueFilters(profiles=PROFILES[1:]),
    QueueFilters(profiles=PROFILES[:1], networks=("LinkedIn",), deleted=True),
]


def test_the_walk_by_value_gives_the_rows_of_the_group_by(posts, monkeypatch) -> None:
    """By posts (ties by the thousand at 1M posts, cut by the message's id) and by
    engagement, in batches of any size, against the range's GROUP BY."""
    now = datetime(2026, 10, 30, tzinfo=UTC)
    walked = []
    keyed = message_bounds.top_by_key

    def counting(fetch, **kwargs):
        walked.append(kwargs["dim"])
        return keyed(fetch, **kwargs)

    monkeypatch.setattr(message_bounds, "top_by_key", counting)
    for filters in KEYED:
        scope = Scope(filters, PERIOD, zoneinfo.ZoneInfo("Europe/Paris"))
        for order in ("posts", "engagement"):
            for batch in (1, 3, 250):
                monkeypatch.setattr(message_bounds, "BATCH", batch)
                for limit in (1, 5, 10):
                    got = breakdown_rows(scope, "message", now=now, order=order, limit=limit)
                    with monkeypatch.context() as m:
                        m.setattr(message_bounds, "WALK", 0)  # the range's GROUP BY
                        expected = breakdown_rows(
                            scope, "message", now=now, order=order, limit=limit
                        )
                    assert got == expected, (filters, order, batch, limit)
                    assert len(got[0]) == limit and got[1]
    # Every scope was walked by its value's sums (not the GROUP BY, not the global
    # sums); each GROUP BY above asked too, and was cut short at once.
    assert len(walked) == 2 * len(KEYED) * 2 * 3 * 3
    assert {"network", "source", "media", "creator", "profile"} == set(walked)
