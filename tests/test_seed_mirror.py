"""`manage.py seed_mirror`: realistic, consistent mirror rows; --clear spares real ones."""

import io
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from oktopost import types as ok
from posts import mirror
from posts.models import (
    SENT_STATUSES,
    UNSENT_STATUSES,
    Campaign,
    Delivery,
    Message,
    Post,
    Profile,
    Source,
    StatsSample,
    Status,
)

pytestmark = pytest.mark.django_db

POST_ID = re.compile(r"^0049\d{11}$")
MESSAGE_ID = re.compile(r"^0059\d{11}$")
CAMPAIGN_ID = re.compile(r"^0029\d{11}$")
PROFILE_ID = re.compile(r"^003-001900000000001-\d+$")


def seed(**options: object) -> str:
    out = io.StringIO()
    call_command("seed_mirror", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded() -> str:
    return seed(posts=500, seed=7)


def test_it_writes_every_status_and_every_source(seeded: str) -> None:
    assert Post.objects.count() == 500
    assert set(Post.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(Post.objects.values_list("source", flat=True)) == set(Source.values)
    assert "Seeded 500 posts in" in seeded


def test_it_writes_a_realistic_catalog_and_messages(seeded: str) -> None:
    assert 6 <= Campaign.objects.count() <= 10
    assert 8 <= Profile.objects.count() <= 12
    assert Profile.objects.filter(status="invalid").count() == 1
    assert set(Profile.objects.values_list("network", flat=True)) == {
        "Twitter",
        "LinkedIn",
        "Facebook",
        "Instagram",
        "YouTube",
    }
    assert Message.objects.count() == 125
    lengths = [len(t) for t in Message.objects.values_list("text", flat=True)]
    assert min(lengths) < 200 < max(lengths)
    assert Message.objects.exclude(link_url="").exclude(link_title="").exists()
    assert not Message.objects.filter(network="Instagram").exclude(link_url="").exists()


def test_ids_have_oktopost_shapes_in_the_seeded_range(seeded: str) -> None:
    assert all(POST_ID.match(i) for i in Post.objects.values_list("oktopost_id", flat=True))
    assert all(MESSAGE_ID.match(i) for i in Message.objects.values_list("oktopost_id", flat=True))
    assert all(CAMPAIGN_ID.match(i) for i in Campaign.objects.values_list("oktopost_id", flat=True))
    assert all(PROFILE_ID.match(i) for i in Profile.objects.values_list("oktopost_id", flat=True))
    assert {u[:4] for u in Post.objects.values_list("created_by", flat=True)} == {"00A9"}


def test_posts_match_their_messages(seeded: str) -> None:
    messages = {m.oktopost_id: m for m in Message.objects.all()}
    for post in Post.objects.all():
        message = messages[post.message_id]
        assert post.network == message.network
        assert post.campaign_id == message.campaign_id
        assert message.created <= post.created <= post.modified


def test_every_target_profile_has_one_delivery_with_a_consistent_outcome(seeded: str) -> None:
    profiles = {p.oktopost_id: p for p in Profile.objects.all()}
    by_post: dict[int, list[Delivery]] = {}
    for delivery in Delivery.objects.all():
        by_post.setdefault(delivery.post_id, []).append(delivery)
    for post in Post.objects.all():
        deliveries = by_post[post.pk]
        assert sorted(d.profile_id for d in deliveries) == sorted(post.credential_ids)
        assert post.total_count == len(deliveries)
        assert all(profiles[d.profile_id].network == post.network for d in deliveries)
        outcomes = Counter(d.status for d in deliveries)
        if post.status == Status.COMPLETE:
            assert set(outcomes) == {"success"}
        elif post.status == Status.ERROR:
            assert set(outcomes) == {"failed"}
        elif post.status == Status.INCOMPLETE:
            assert set(outcomes) == {"success", "failed"}
        else:
            assert set(outcomes) == {""}
        for delivery in deliveries:
            if delivery.status == "failed":
                assert delivery.error and delivery.postlog_id.startswith("0079")
                assert delivery.sent_at == post.start_at
            if delivery.status == "success" and post.status == Status.INCOMPLETE:
                assert delivery.remote_url.startswith("https://")


def test_times_and_counters_look_like_a_live_account(seeded: str) -> None:
    now = timezone.now()
    starts = list(Post.objects.values_list("start_at", flat=True))
    assert min(starts) >= now - timedelta(days=61)
    assert max(starts) <= now + timedelta(days=31)
    future = Post.objects.filter(start_at__gt=now)
    assert future.exists()
    assert not future.filter(status__in=SENT_STATUSES).exists()
    past = Post.objects.filter(start_at__lt=now)
    assert past.filter(status=Status.COMPLETE).count() > past.count() / 2
    stuck = [p for p in Post.objects.filter(status__in=["pending", "inqueue"]) if p.is_stuck]
    assert stuck
    assert all(now - p.start_at < timedelta(hours=7) for p in stuck)

    sent = Post.objects.filter(status__in=[Status.COMPLETE, Status.INCOMPLETE])
    assert sent.filter(clicks__gt=0, likes__gt=0, impressions__gt=0).count() > sent.count() / 2
    assert not sent.filter(stats_due_at__isnull=True).exists()
    assert not Post.objects.filter(counters_at__isnull=True).exists()
    assert Post.objects.filter(stats_at__isnull=False).exists()
    unsent = Post.objects.filter(status__in=UNSENT_STATUSES)
    assert not unsent.exclude(clicks=0, likes=0, impressions=0).exists()
    assert not unsent.filter(stats_due_at__isnull=False).exists()
    assert StatsSample.objects.exists()


def test_seeding_twice_without_clear_is_refused(seeded: str) -> None:
    with pytest.raises(CommandError, match="--clear"):
        seed(posts=10)


def test_clear_removes_only_seeded_rows(seeded: str) -> None:
    # Rows as the sync writes them from the sandbox (its ids never start with 9).
    campaign = Campaign.objects.create(oktopost_id="002000000000001", name="Real")
    profile = Profile.objects.create(
        oktopost_id="003-001000000000001-123456", name="Real", network="Twitter"
    )
    message = Message.objects.create(
        oktopost_id="005000000000001", campaign=campaign, network="Twitter", text="Hi"
    )
    post = Post.objects.create(
        oktopost_id="004000000000001",
        status=Status.COMPLETE,
        network="Twitter",
        campaign=campaign,
        message=message,
        start_at=timezone.now(),
    )
    Delivery.objects.create(post=post, profile=profile, status="success")
    StatsSample.objects.create(post=post, at=timezone.now(), clicks=3)

    out = seed(clear=True)

    assert "500 posts" in out
    assert list(Post.objects.values_list("oktopost_id", flat=True)) == ["004000000000001"]
    assert list(Campaign.objects.values_list("oktopost_id", flat=True)) == ["002000000000001"]
    assert list(Message.objects.values_list("oktopost_id", flat=True)) == ["005000000000001"]
    assert list(Profile.objects.values_list("name", flat=True)) == ["Real"]
    assert Delivery.objects.get().post_id == post.pk
    assert StatsSample.objects.get().post_id == post.pk


def test_clear_then_seed_replaces_the_seeded_rows(seeded: str) -> None:
    seed(posts=40, clear=True, seed=8)
    assert Post.objects.count() == 40
    assert Message.objects.count() == 10
    assert Delivery.objects.filter(post__in=Post.objects.all()).count() == Delivery.objects.count()


def test_posts_are_required_unless_clearing() -> None:
    with pytest.raises(CommandError, match="--posts"):
        seed()


def test_seeded_posts_are_the_rows_the_sync_writes_from_their_payloads(seeded: str) -> None:
    for post in Post.objects.all():
        item = ok.Post.from_api(post.raw, call="test")
        assert {name: getattr(post, name) for name in mirror.POST_FIELDS} == mirror.post_values(
            item
        )


def test_seeded_messages_are_the_rows_the_sync_writes_from_their_payloads(seeded: str) -> None:
    for message in Message.objects.all():
        values = mirror.message_values(
            ok.Message.from_api(message.raw, call="test"), now=message.synced_at
        )
        assert {name: getattr(message, name) for name in values} == values
