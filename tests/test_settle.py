"""Settling writes whose answer was lost: after a sync, each "being checked" activity is
decided from what Oktopost (the sandbox, over HTTP) and the mirror now say."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oktopost.client import OktopostClient
from posts import sync
from posts.connection import get_client
from posts.models import Activity, Campaign, Message, Post

pytestmark = pytest.mark.django_db

OK, NOT_DONE = Activity.Outcome.OK, Activity.Outcome.NOT_DONE


@pytest.fixture
def client(oktopost) -> OktopostClient:
    sync.posts_sync(full=True)
    return get_client()


@pytest.fixture
def post(client) -> Post:
    return Post.objects.filter(status="pending").order_by("start_at").first()


def lost(action: str, *, post: Post | None = None, at=None, **after: object) -> Activity:
    """An activity recorded as the services record a write whose answer was lost."""
    return Activity.objects.create(
        action=action,
        outcome=Activity.Outcome.CHECKING,
        at=at or timezone.now() - timedelta(minutes=2),
        post_oktopost_id=post.oktopost_id if post else "",
        after=after,
        answer="Read timed out.",
    )


def settled(client: OktopostClient, entry: Activity) -> Activity:
    assert sync.activities_settle(client, synced_since=timezone.now()) == 1
    entry.refresh_from_db()
    assert "Checked by the sync" in entry.answer
    return entry


def test_a_lost_message_create_that_oktopost_made_is_ok_and_mirrored(client) -> None:
    campaign = Campaign.objects.first()
    made = client.message_create(
        network="Twitter", campaign_id=campaign.oktopost_id, text="Lost answer, made anyway"
    )
    entry = lost(
        Activity.Action.MESSAGE_CREATE,
        campaign=campaign.oktopost_id,
        text="Lost answer, made anyway",
    )

    assert settled(client, entry).outcome == OK
    assert Message.objects.filter(oktopost_id=made.id).exists()


def test_a_lost_message_create_that_oktopost_did_not_make_is_not_done(client) -> None:
    campaign = Campaign.objects.first()
    entry = lost(
        Activity.Action.MESSAGE_CREATE, campaign=campaign.oktopost_id, text="Never reached it"
    )

    assert settled(client, entry).outcome == NOT_DONE


def test_a_lost_post_create_found_in_the_mirror_is_ok_with_its_id(client, post) -> None:
    entry = lost(
        Activity.Action.CREATE,
        at=post.created,
        message=post.message_id,
        profiles=list(post.credential_ids),
    )

    entry = settled(client, entry)

    assert entry.outcome == OK
    assert entry.post_oktopost_id == post.oktopost_id


def test_a_lost_post_create_missing_from_the_mirror_is_not_done(client, post) -> None:
    entry = lost(
        Activity.Action.CREATE,
        at=post.created,
        message=post.message_id,
        profiles=["003-000000000000000-1"],
    )

    entry = settled(client, entry)

    assert entry.outcome == NOT_DONE
    assert entry.post_oktopost_id == ""


def test_a_lost_cancel_of_a_post_gone_from_oktopost_is_ok(client, oktopost, post) -> None:
    oktopost.control("DELETE", f"posts/{post.oktopost_id}")
    entry = lost(Activity.Action.CANCEL, post=post)

    assert settled(client, entry).outcome == OK
    post.refresh_from_db()
    assert post.deleted_at is not None


def test_a_lost_cancel_of_a_post_still_in_oktopost_is_not_done(client, post) -> None:
    entry = lost(Activity.Action.CANCEL, post=post)

    assert settled(client, entry).outcome == NOT_DONE
    post.refresh_from_db()
    assert post.deleted_at is None


def test_a_lost_reschedule_the_post_shows_is_ok(client, post) -> None:
    entry = lost(Activity.Action.RESCHEDULE, post=post, start_at=post.start_at.isoformat())

    assert settled(client, entry).outcome == OK


def test_a_lost_reschedule_the_post_does_not_show_is_not_done(client, post) -> None:
    wanted = post.start_at + timedelta(hours=3)
    entry = lost(Activity.Action.RESCHEDULE, post=post, start_at=wanted.isoformat())

    assert settled(client, entry).outcome == NOT_DONE


def test_a_lost_profiles_change_the_post_shows_is_ok(client, post) -> None:
    entry = lost(
        Activity.Action.CHANGE_PROFILES, post=post, profiles=list(reversed(post.credential_ids))
    )

    assert settled(client, entry).outcome == OK


def test_a_lost_profiles_change_the_post_does_not_show_is_not_done(client, post) -> None:
    entry = lost(Activity.Action.CHANGE_PROFILES, post=post, profiles=["003-000000000000000-1"])

    assert settled(client, entry).outcome == NOT_DONE


def test_a_write_younger_than_the_sync_is_left_for_the_next_one(client, post) -> None:
    entry = lost(Activity.Action.CANCEL, post=post, at=timezone.now())

    assert sync.activities_settle(client, synced_since=timezone.now()) == 0
    entry.refresh_from_db()
    assert entry.outcome == Activity.Outcome.CHECKING
