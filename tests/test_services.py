"""posts/services.py against the sandbox over real HTTP, with its failure modes."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from core import localtime
from posts import services, sync
from posts.connection import get_client, get_limiter
from posts.models import Activity, BulkAction, Message, Post, Profile
from posts.sync import settle

pytestmark = pytest.mark.django_db


def two_linkedin_profiles() -> list[Profile]:
    profiles = list(Profile.objects.filter(network="LinkedIn", status="valid")[:2])
    assert len(profiles) == 2
    return profiles


def creates(sandbox) -> int:
    return sandbox.calls()["by_endpoint"].get("POST /post", 0)


def test_a_new_message_then_a_post_for_two_profiles(mirror, editor) -> None:
    campaign_id = Post.objects.exclude(campaign_id=None).first().campaign_id
    message = services.message_create(
        user=editor, network="LinkedIn", campaign_id=campaign_id, text="Big news <b>today</b>"
    )
    profiles = two_linkedin_profiles()
    start = timezone.now() + timedelta(days=2)
    post = services.post_create(
        user=editor,
        message_id=message.oktopost_id,
        profile_ids=[p.oktopost_id for p in profiles],
        start_at=start,
    )
    assert post.status == "pending"
    assert abs((post.start_at - start).total_seconds()) < 1
    assert set(post.credential_ids) == {p.oktopost_id for p in profiles}
    assert post.deliveries.count() == 2
    assert Message.objects.get(oktopost_id=message.oktopost_id).text == "Big news <b>today</b>"
    actions = list(Activity.objects.order_by("at").values_list("action", "outcome", "user"))
    assert actions == [("message_create", "ok", editor.id), ("create", "ok", editor.id)]


def test_oktopost_refusing_leaves_the_mirror_unchanged_and_says_why(mirror, editor) -> None:
    message = Message.objects.filter(network="Twitter").first()
    linkedin = two_linkedin_profiles()[0]
    before = Post.objects.count()
    with pytest.raises(services.ServiceError) as caught:
        services.post_create(
            user=editor,
            message_id=message.oktopost_id,
            profile_ids=[linkedin.oktopost_id],
            start_at=timezone.now() + timedelta(days=1),
        )
    assert "is a LinkedIn profile but the message is for Twitter" in caught.value.message
    assert caught.value.field == "profiles"
    assert Post.objects.count() == before
    assert Activity.objects.get().outcome == "failed"


def test_a_500_on_create_is_never_retried_and_is_checked_by_the_next_sync(mirror, editor) -> None:
    message = Message.objects.filter(network="LinkedIn").first()
    profile = two_linkedin_profiles()[0]
    mirror.control("POST", "faults", {"next": ["500"]})
    with pytest.raises(services.BeingChecked):
        services.post_create(
            user=editor,
            message_id=message.oktopost_id,
            profile_ids=[profile.oktopost_id],
            start_at=timezone.now() + timedelta(days=1),
        )
    assert creates(mirror) == 1
    entry = Activity.objects.get(action="create")
    assert entry.outcome == "checking"
    # Once Oktopost can no longer act on it (docs/RELIABILITY.md), "not done" is sure.
    long_ago = timezone.now() - settle.may_act_for() - timedelta(minutes=1)
    Activity.objects.filter(id=entry.id).update(at=long_ago)
    sync.posts_sync()
    entry.refresh_from_db()
    assert entry.outcome == "not_done"
    assert "did not create" in entry.answer


def test_a_timeout_after_oktopost_acted_creates_no_duplicate(mirror, editor, monkeypatch) -> None:
    message = Message.objects.filter(network="LinkedIn").first()
    profile = two_linkedin_profiles()[0]
    mirror.control("POST", "faults", {"after_write_delay_ms": 4000})
    with pytest.raises(services.BeingChecked) as caught:
        services.post_create(
            user=editor,
            message_id=message.oktopost_id,
            profile_ids=[profile.oktopost_id],
            start_at=timezone.now() + timedelta(days=1),
        )
    assert "Do not create it again" in caught.value.message
    mirror.control("POST", "faults", {})
    # The sandbox logs the call when it has answered, after its delay.
    deadline = time.monotonic() + 5
    while creates(mirror) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert creates(mirror) == 1
    entry = Activity.objects.get(action="create")
    # Settle at once instead of a minute later (the post's creation time must stay near
    # the write's, so the write is not back-dated).
    monkeypatch.setattr(settle, "SETTLE_AFTER", timedelta(0))
    sync.posts_sync()
    entry.refresh_from_db()
    assert entry.outcome == "ok"
    created = Post.objects.get(oktopost_id=entry.post_oktopost_id)
    assert created.message_id == message.oktopost_id
    assert creates(mirror) == 1


def test_a_create_that_acts_late_is_never_called_not_done_nor_made_twice(
    mirror, editor, monkeypatch, settings
) -> None:
    """Before: Oktopost created the post 150 s after our client gave up; the sync had
    meanwhile settled the write as "not done", and the same form made a second post."""
    message = Message.objects.filter(network="LinkedIn").first()
    profile = two_linkedin_profiles()[0]
    form = {
        "user": editor,
        "submit_key": "acts-late",
        "message": message,
        "profile_ids": [profile.oktopost_id],
        "start_at": timezone.now() + timedelta(days=1),
    }
    settings.OKTOPOST_TIMEOUT = (3.05, 0.3)
    # The write waits 1.5 s before Oktopost acts; the client gives up after 0.3 s.
    mirror.control("POST", "faults", {"latency_ms": 1500})
    with pytest.raises(services.BeingChecked):
        services.post_compose(**form)
    mirror.control("POST", "faults", {})
    # By Oktopost's clock, it acts 150 s after the client gave up.
    mirror.control("POST", "clock", {"advance_seconds": 150})
    monkeypatch.setattr(settle, "SETTLE_AFTER", timedelta(0))
    entry = Activity.objects.get(action="create")
    if creates(mirror) == 0:
        # A sync before Oktopost acted sees no post: that is no proof it never will.
        sync.posts_sync()
        entry.refresh_from_db()
        assert entry.outcome == "checking"
        with pytest.raises(services.BeingChecked):
            services.post_compose(**form)
    deadline = time.monotonic() + 5
    while creates(mirror) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    sync.posts_sync()
    entry.refresh_from_db()
    assert entry.outcome == "ok", entry.answer
    post, created_now = services.post_compose(**form)
    assert not created_now and post.oktopost_id == entry.post_oktopost_id
    assert creates(mirror) == 1


def test_a_429_block_is_told_in_plain_words_and_changes_nothing_locally(mirror, editor) -> None:
    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    start_at, modified = post.start_at, post.modified
    mirror.control("POST", "block", {"seconds": 60})
    with pytest.raises(services.ServiceError) as caught:
        services.post_reschedule(
            user=editor,
            post=post,
            start_at=post.start_at + timedelta(hours=1),
            expected_modified=None,
        )
    assert "limiting our API calls" in caught.value.message
    mirror.control("POST", "block", {"seconds": 0})
    get_limiter().reset()
    stored = Post.objects.get(id=post.id)
    assert (stored.start_at, stored.modified) == (start_at, modified)


def test_a_sent_post_cannot_be_changed_and_oktopost_says_why(mirror, editor) -> None:
    sent = Post.objects.filter(status="complete").first()
    with pytest.raises(services.ServiceError) as caught:
        services.post_reschedule(
            user=editor,
            post=sent,
            start_at=timezone.now() + timedelta(days=1),
            expected_modified=sent.modified,
        )
    assert "sent" in caught.value.message.lower()
    assert Post.objects.get(id=sent.id).start_at == sent.start_at


def test_rescheduling_updates_oktopost_then_the_mirror_and_records_it(mirror, editor) -> None:
    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    new_time = (post.start_at + timedelta(days=1)).replace(second=0, microsecond=0)
    updated = services.post_reschedule(
        user=editor, post=post, start_at=new_time, expected_modified=post.modified
    )
    assert updated.start_at == new_time
    # The sandbox is the truth: Oktopost itself has the new time.
    assert get_client().post_get(post.oktopost_id).start_at == new_time
    entry = Activity.objects.get(action="reschedule")
    assert entry.before["start_at"] == post.start_at.isoformat()
    assert entry.after["start_at"] == new_time.isoformat()


def test_a_post_changed_meanwhile_in_oktopost_is_not_overwritten(mirror, editor) -> None:
    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    loaded = post.modified
    later = post.start_at + timedelta(hours=5)
    mirror.control(
        "POST", f"posts/{post.oktopost_id}", {"StartDateTime": later.strftime("%Y-%m-%d %H:%M:%S")}
    )
    with pytest.raises(services.ChangedMeanwhile) as caught:
        services.post_reschedule(
            user=editor,
            post=post,
            start_at=post.start_at + timedelta(days=3),
            expected_modified=loaded,
        )
    assert "changed in Oktopost while you were editing" in caught.value.message
    assert caught.value.post.start_at == later.replace(microsecond=0)
    assert mirror.calls()["by_endpoint"].get("POST /post/{id}", 0) == 0


def test_cancelling_deletes_in_oktopost_and_keeps_the_post_marked(mirror, editor) -> None:
    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    services.post_cancel(user=editor, post=post, expected_modified=post.modified)
    post.refresh_from_db()
    assert post.deleted_at is not None
    assert Activity.objects.get(action="cancel").outcome == "ok"
    with pytest.raises(services.ServiceError):
        services.post_cancel(user=editor, post=post, expected_modified=None)


def test_bulk_reports_each_success_and_each_failure(mirror, editor) -> None:
    unsent = list(
        Post.objects.filter(status="pending", start_at__gt=timezone.now()).order_by("start_at")[:3]
    )
    sent = Post.objects.filter(status="complete").first()
    gone = unsent[2]
    mirror.control("DELETE", f"posts/{gone.oktopost_id}")
    ids = [p.oktopost_id for p in (*unsent, sent)]
    bulk = services.bulk_start(user=editor, kind="shift", post_ids=ids, params={"minutes": 90})
    done = services.bulk_run(bulk.id)
    assert [r["ok"] for r in done.results] == [True, True, False, False]
    assert done.succeeded == 2 and done.failed == 2
    for before, result in zip(unsent[:2], done.results, strict=False):
        after = Post.objects.get(id=before.id)
        assert after.start_at == before.start_at + timedelta(minutes=90)
        assert result["message"].startswith("Now ")
    assert all(r["message"] for r in done.results)
    assert Activity.objects.filter(bulk=bulk).count() == 4


def test_bulk_move_keeps_each_posts_local_time_of_day(mirror, editor) -> None:
    editor.time_zone = "Europe/Paris"
    editor.save()
    posts = list(Post.objects.filter(status="pending", start_at__gt=timezone.now())[:2])
    target = (timezone.now() + timedelta(days=20)).date()
    bulk = services.bulk_start(
        user=editor,
        kind="move",
        post_ids=[p.oktopost_id for p in posts],
        params={"date": target.isoformat()},
    )
    services.bulk_run(bulk.id)
    for before in posts:
        after = Post.objects.get(id=before.id)
        local_before = before.start_at.astimezone(editor.zone)
        local_after = after.start_at.astimezone(editor.zone)
        assert local_after.date() == target
        assert (
            local_after.time() == local_before.time().replace(second=0)
            or local_after.time() == local_before.time()
        )


def test_a_bulk_run_that_is_repeated_skips_what_is_done(mirror, editor) -> None:
    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    bulk = services.bulk_start(
        user=editor, kind="shift", post_ids=[post.oktopost_id], params={"minutes": 30}
    )
    services.bulk_run(bulk.id)
    services.bulk_run(bulk.id)
    assert Post.objects.get(id=post.id).start_at == post.start_at + timedelta(minutes=30)
    assert mirror.calls()["by_endpoint"]["POST /post/{id}"] == 1


def test_a_bulk_run_again_after_its_worker_died_mid_write_takes_over_that_posts_lock(
    mirror, editor
) -> None:
    """Before: the dead run's hold on the post it was writing (90 s) made the next run
    refuse that post ("Another change to this post is still being saved") and the bulk
    ended with it failed, though nobody else was changing it."""
    from posts.models import WriteLock

    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    bulk = services.bulk_start(
        user=editor, kind="shift", post_ids=[post.oktopost_id], params={"minutes": 30}
    )
    # What a worker killed amid the write leaves: the post being written, and its hold.
    bulk.params["writing"] = post.oktopost_id
    BulkAction.objects.filter(id=bulk.id).update(params=bulk.params)
    WriteLock.objects.create(
        name=f"post:{post.oktopost_id}",
        token=f"bulk-{bulk.id}",
        expires_at=timezone.now() + timedelta(seconds=90),
    )
    done = services.bulk_run(bulk.id)
    assert [r for r in done.results if not r["ok"]] == []
    assert Post.objects.get(id=post.id).start_at == post.start_at + timedelta(minutes=30)
    assert not WriteLock.objects.filter(name=f"post:{post.oktopost_id}").exists()


def test_local_times_that_do_not_exist_are_refused() -> None:
    import zoneinfo
    from datetime import datetime

    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    with pytest.raises(localtime.BadLocalTime):
        localtime.local_to_utc(datetime(2026, 3, 29, 2, 30), berlin)
    assert localtime.is_ambiguous(datetime(2026, 10, 25, 2, 30), berlin)
    first = localtime.local_to_utc(datetime(2026, 10, 25, 2, 30), berlin)
    assert first.hour == 0 and first.minute == 30


def test_a_write_answered_with_an_error_page_is_not_called_a_timeout(mirror, editor) -> None:
    """Before: a fast 500 on a write was told "Oktopost did not answer in time"."""
    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    # The conflict check's read goes through; the write gets the 500.
    mirror.control("POST", "faults", {"next": ["slow:1", "500"]})
    with pytest.raises(services.BeingChecked) as caught:
        services.post_reschedule(
            user=editor,
            post=post,
            start_at=post.start_at + timedelta(hours=1),
            expected_modified=post.modified,
        )
    words = caught.value.message
    assert "did not answer in time" not in words
    assert "answered the write with an error (HTTP 500)" in words


def test_a_garbled_answer_to_a_write_is_not_called_an_error_with_http_200(mirror, editor) -> None:
    """Before: "Oktopost answered the write with an error (HTTP 200)"."""
    posts = Post.objects.filter(status="pending", start_at__gt=timezone.now())[:2]
    for post, fault in zip(posts, ("truncate", "garbage"), strict=True):
        mirror.control("POST", "faults", {"next": ["slow:1", fault]})
        with pytest.raises(services.BeingChecked) as caught:
            services.post_reschedule(
                user=editor,
                post=post,
                start_at=post.start_at + timedelta(hours=1),
                expected_modified=post.modified,
            )
        words = caught.value.message
        assert "HTTP 200" not in words
        assert "could not be read (it came cut off or garbled)" in words


def test_a_500_from_oktopost_is_told_in_words_not_its_raw_text(mirror, editor) -> None:
    """Before: the page showed Oktopost's raw "Internal Server Error"."""
    post = Post.objects.filter(status="pending", start_at__gt=timezone.now()).first()
    mirror.control("POST", "faults", {"next": ["500"] * 6})  # the read, and its retries
    with pytest.raises(services.ServiceError) as caught:
        services.post_reschedule(
            user=editor,
            post=post,
            start_at=post.start_at + timedelta(hours=1),
            expected_modified=post.modified,
        )
    mirror.control("POST", "faults", {})
    words = caught.value.message
    assert "Internal Server Error" not in words
    assert "Oktopost had a problem of its own (HTTP 500); nothing was changed." in words


def test_the_same_form_after_a_settled_lost_create_answers_with_the_sync_decision(
    mirror, editor, monkeypatch
) -> None:
    """Before: the form's key kept repeating "we cannot tell yet" after the sync knew."""
    message = Message.objects.filter(network="LinkedIn").first()
    profile = two_linkedin_profiles()[0]
    form = {
        "user": editor,
        "submit_key": "lost-then-settled",
        "message": message,
        "profile_ids": [profile.oktopost_id],
        "start_at": timezone.now() + timedelta(days=1),
    }
    mirror.control("POST", "faults", {"after_write_delay_ms": 4000})
    with pytest.raises(services.BeingChecked):
        services.post_compose(**form)
    mirror.control("POST", "faults", {})
    deadline = time.monotonic() + 5
    while creates(mirror) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    monkeypatch.setattr(settle, "SETTLE_AFTER", timedelta(0))
    sync.posts_sync()

    post, created_now = services.post_compose(**form)

    assert not created_now
    assert post.message_id == message.oktopost_id
    assert creates(mirror) == 1
