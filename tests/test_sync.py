"""The mirror follows the sandbox over real HTTP: full, incremental, resumed, reconciled."""

import socket
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from oktopost.errors import RateLimited, RetryableError
from posts import mirror, sync
from posts.connection import get_client, get_limiter
from posts.models import Campaign, Delivery, Message, Post, Profile, StatsSample, SyncState
from posts.sync import posts as sync_posts

pytestmark = pytest.mark.django_db


def world_posts(sandbox) -> int:
    return sandbox.control("GET", "state")["counts"]["posts"]


def calls_since(sandbox, before: int) -> int:
    return sandbox.calls()["total"] - before


def test_a_full_sync_mirrors_every_post_message_campaign_and_profile(oktopost) -> None:
    result = sync.posts_sync(full=True)
    total = world_posts(oktopost)
    assert result.complete
    assert result.created == total == Post.objects.count()
    assert not Post.objects.filter(message__isnull=True).exists()
    message_ids = set(Post.objects.values_list("message_id", flat=True))
    assert set(Message.objects.values_list("oktopost_id", flat=True)) >= message_ids
    assert Campaign.objects.exists()
    assert Profile.objects.filter(status="invalid").count() == 1
    assert Delivery.objects.count() >= total
    # Minimum: one page per 100 posts (+1 per page for the inclusive bound), the
    # messages in batches of 100, the catalog's five parts (campaigns, profiles, users,
    # tags, calendar notes) and the approvals' two lists (workflows, items).
    pages = -(-total // 100)
    batches = -(-Message.objects.count() // 100)
    assert result.calls <= 2 * pages + batches + 5 + 2 + result.postlogs


def test_a_second_full_sync_changes_nothing_and_duplicates_nothing(oktopost) -> None:
    sync.posts_sync(full=True)
    count = Post.objects.count()
    again = sync.posts_sync(full=True)
    assert again.created == 0
    assert again.deleted == 0
    assert Post.objects.count() == count
    assert Delivery.objects.count() == Delivery.objects.values("post", "profile").distinct().count()


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_an_incremental_sync_of_a_quiet_account_costs_at_most_two_calls(oktopost, order) -> None:
    oktopost.control("POST", "options", {"order": order})
    sync.posts_sync(full=True)
    before = oktopost.calls()["total"]
    result = sync.posts_sync()
    assert result.kind == "incremental"
    assert result.created == result.updated == 0
    assert calls_since(oktopost, before) <= 2


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_an_incremental_sync_picks_up_changes_and_sent_posts(oktopost, order) -> None:
    oktopost.control("POST", "options", {"order": order})
    sync.posts_sync(full=True)
    pending = Post.objects.filter(status="pending").order_by("start_at").first()
    oktopost.control("POST", f"posts/{pending.oktopost_id}/send")
    result = sync.posts_sync()
    pending.refresh_from_db()
    assert pending.status in ("complete", "incomplete", "error")
    assert result.updated >= 1
    assert pending.stats_due_at is not None


def test_failed_posts_get_per_profile_outcomes_with_the_networks_error(oktopost) -> None:
    sync.posts_sync(full=True)
    failed = Post.objects.filter(status__in=["error", "incomplete"]).first()
    assert failed is not None, "the seeded world has failed posts"
    deliveries = failed.deliveries.all()
    assert any(d.status == "failed" and d.error for d in deliveries)


def test_a_post_deleted_in_oktopost_is_marked_deleted_by_the_next_full_sync(oktopost) -> None:
    sync.posts_sync(full=True)
    victim = Post.objects.filter(status="complete").first()
    oktopost.control("DELETE", f"posts/{victim.oktopost_id}")
    result = sync.posts_sync(full=True)
    victim.refresh_from_db()
    assert result.deleted == 1
    assert victim.deleted_at is not None
    assert Post.objects.filter(deleted_at__isnull=True).count() == Post.objects.count() - 1


def test_two_syncs_never_overlap(oktopost) -> None:
    token = sync.lock_claim(sync.POSTS_LOCK)
    assert token
    with pytest.raises(sync.SyncBusy):
        sync.posts_sync()
    sync.lock_release(sync.POSTS_LOCK, token)
    assert sync.posts_sync(full=True).complete


def test_a_lock_whose_holder_went_quiet_is_taken_over(oktopost, settings) -> None:
    assert sync.lock_claim(sync.POSTS_LOCK)
    SyncState.objects.filter(name=sync.POSTS_LOCK).update(
        running_since=timezone.now() - timedelta(seconds=settings.SYNC_LOCK_STALE_SECONDS + 1)
    )
    assert sync.posts_sync(full=True).complete


def test_a_sync_cut_short_by_a_429_resumes_where_it_stopped(oktopost) -> None:
    total = world_posts(oktopost)
    oktopost.control("POST", "limits", {"per_minute": 4, "block_seconds": 2})
    with pytest.raises(RateLimited):
        sync.posts_sync(full=True)
    partial = Post.objects.count()
    assert 0 < partial < total
    left = SyncState.objects.get(name="posts-full")
    assert left.window and "window" not in left.last_result
    oktopost.control("POST", "limits", {"per_minute": 60, "block_seconds": 2})
    oktopost.control("POST", "block", {"seconds": 0})
    get_limiter().reset()
    before = oktopost.calls()["total"]
    result = sync.posts_sync(full=True)
    assert result.complete
    assert Post.objects.count() == total
    # It resumed: the pages already committed were not read again.
    assert result.created == total - partial
    # The pages, their messages, the catalog's five parts and the approvals' two lists.
    assert calls_since(oktopost, before) < 2 * (-(-total // 100)) + 12


def test_a_sync_survives_oktopost_errors_by_retrying_reads(oktopost) -> None:
    oktopost.control("POST", "faults", {"next": ["500", "drop", "truncate"], "latency_ms": 50})
    assert sync.posts_sync(full=True).complete
    assert Post.objects.count() == world_posts(oktopost)


def test_a_sync_that_keeps_failing_keeps_what_it_committed(oktopost) -> None:
    sync.posts_sync(full=True)
    oktopost.control("POST", "faults", {"error_rate": 1.0})
    with pytest.raises(RetryableError):
        sync.posts_sync(full=True)
    state = SyncState.objects.get(name=sync.POSTS_LOCK)
    assert state.running_since is None
    assert state.last_error.startswith("Oktopost: RetryableError: GET ")
    assert state.last_error_at is not None
    assert Post.objects.filter(deleted_at__isnull=True).count() == world_posts(oktopost)


def test_counters_sync_reads_list_counters_of_recent_posts(oktopost) -> None:
    sync.posts_sync(full=True)
    oktopost.control("POST", "clock", {"advance_seconds": 6 * 3600})
    before = StatsSample.objects.count()
    result = sync.counters_sync(since=timedelta(hours=48))
    assert result.complete and result.pages >= 1
    assert StatsSample.objects.count() > before


def test_stats_refresh_fetches_shares_and_impressions_of_due_posts(oktopost) -> None:
    sync.posts_sync(full=True)
    result = sync.stats_refresh(limit=5)
    assert result.refreshed == 5
    assert result.calls == 5
    refreshed = Post.objects.filter(stats_at__isnull=False)
    assert refreshed.count() == 5
    assert all(p.impressions is not None and p.stats_due_at > timezone.now() for p in refreshed)


def test_a_refresh_now_request_jumps_the_queue(oktopost) -> None:
    sync.posts_sync(full=True)
    due = Post.objects.filter(stats_due_at__isnull=False).order_by("stats_due_at", "id")
    first_due = due.first()
    asked = due.last()
    assert asked != first_due
    mirror.post_stats_request(asked)
    result = sync.stats_refresh(limit=1)
    asked.refresh_from_db()
    first_due.refresh_from_db()
    assert result.refreshed == 1
    assert asked.stats_at is not None and asked.stats_requested_at is None
    assert first_due.stats_at is None


def test_stats_tiers_follow_the_age_of_the_post() -> None:
    now = timezone.now()
    expected = [(1, "48h"), (50, "7d"), (24 * 20, "30d"), (24 * 90, "older")]
    for hours, tier in expected:
        post = Post(start_at=now - timedelta(hours=hours))
        assert sync.stats_tier(post, now)[1] == tier


def test_the_client_is_built_from_settings(oktopost) -> None:
    client = get_client()
    assert client.base_url == oktopost.base_url
    assert client.me().account_id == oktopost.account_id


def test_stats_refresh_gives_way_to_a_running_sync(oktopost) -> None:
    sync.posts_sync(full=True)
    token = sync.lock_claim(sync.POSTS_LOCK)
    result = sync.stats_refresh(limit=5)
    sync.lock_release(sync.POSTS_LOCK, token)
    assert result.refreshed == 0
    assert "sync is running" in result.stopped


def test_a_lock_held_by_a_process_that_is_gone_is_taken_over_at_once(oktopost) -> None:
    import socket
    import subprocess

    dead_pid = subprocess.Popen(["true"])
    dead_pid.wait()
    SyncState.objects.create(
        name=sync.POSTS_LOCK,
        running_since=timezone.now(),
        run_token=f"{socket.gethostname()}:{dead_pid.pid}:abcd",
    )
    assert sync.posts_sync(full=True).complete


def test_stats_do_not_wait_for_a_sync_whose_process_is_gone(oktopost) -> None:
    sync.posts_sync(full=True)
    gone = subprocess.Popen(["true"])
    gone.wait()
    SyncState.objects.filter(name=sync.POSTS_LOCK).update(
        running_since=timezone.now(), run_token=f"{socket.gethostname()}:{gone.pid}:abcd"
    )
    result = sync.stats_refresh(limit=5)
    assert result.stopped == ""
    assert result.refreshed == 5


def test_a_lock_held_by_a_live_process_is_respected(oktopost) -> None:
    import os
    import socket

    SyncState.objects.create(
        name=sync.POSTS_LOCK,
        running_since=timezone.now(),
        run_token=f"{socket.gethostname()}:{os.getppid()}:abcd",
    )
    with pytest.raises(sync.SyncBusy):
        sync.posts_sync()


def _stats_fetches(sandbox, since_total: int) -> list[str]:
    """Paths of the ?stats=1 post reads the sandbox answered since `since_total` calls."""
    calls = sandbox.control("GET", "calls?last=2000")
    recent = calls["recent"][-(calls["total"] - since_total) :]
    return [c["path"] for c in recent if c["endpoint"] == "GET /post/{id}"]


def test_overlapping_stats_refreshes_never_fetch_the_same_post_twice(oktopost) -> None:
    sync.posts_sync(full=True)
    before = oktopost.calls()["total"]
    first, second = get_client(), get_client()
    fetch = first.post_get
    overlapping: list[sync.StatsResult] = []

    def fetch_while_another_run_starts(post_id: str, **kwargs):
        # Between claiming a post and storing its answer, another worker (or the next beat
        # tick) runs over the same queue, which the first run has already read.
        if len(overlapping) < 3:
            overlapping.append(sync.stats_refresh(limit=4, client=second))
        return fetch(post_id, **kwargs)

    first.post_get = fetch_while_another_run_starts
    result = sync.stats_refresh(limit=10, client=first)

    fetched = _stats_fetches(oktopost, before)
    refreshed = result.refreshed + sum(r.refreshed for r in overlapping)
    assert len(fetched) == len(set(fetched)) == refreshed
    # The first run claims post 1; the second run takes posts 2-5, which the first skips;
    # it claims post 6, the third run takes 7-10, and the first skips those too.
    assert [r.refreshed for r in overlapping] == [4, 4]
    assert result.refreshed == 2
    assert Post.objects.filter(stats_at__isnull=False).count() == refreshed


def test_posts_the_budget_stops_before_go_back_to_the_queue_unchanged(oktopost) -> None:
    sync.posts_sync(full=True)
    now = timezone.now()
    requested = Post.objects.filter(status="complete").order_by("start_at").first()
    mirror.post_stats_request(requested)
    queue = sync.stats_queue(now, 3)
    assert queue[0].id == requested.id
    client = get_client()

    def refuse(post_id: str, **kwargs):
        raise RateLimited("the budget says wait", retry_at=0.0, call="rate budget")

    client.post_get = refuse
    result = sync.stats_refresh(limit=3, client=client)

    assert result.refreshed == 0 and "budget" in result.stopped
    assert [p.id for p in sync.stats_queue(now, 3)] == [p.id for p in queue]
    after = Post.objects.get(id=requested.id)
    assert after.stats_requested_at == queue[0].stats_requested_at
    assert after.stats_due_at == queue[0].stats_due_at


def test_a_post_whose_stats_fail_is_retried_later_not_at_once(oktopost) -> None:
    sync.posts_sync(full=True)
    now = timezone.now()
    head = sync.stats_queue(now, 1)[0]
    mirror.post_stats_request(head)
    client = get_client()

    def broken(post_id: str, **kwargs):
        raise RetryableError("the server is unwell", call="GET /post/{id}")

    client.post_get = broken
    result = sync.stats_refresh(limit=1, client=client)

    after = Post.objects.get(id=head.id)
    assert result.failed == 1
    assert after.stats_requested_at is None
    # An overdue post keeps its place relative to the others, 10 minutes later.
    assert after.stats_due_at == head.stats_due_at + timedelta(minutes=10)


def test_a_sync_works_off_the_postlog_backlog_in_batches_up_to_a_bound(
    oktopost, monkeypatch
) -> None:
    monkeypatch.setattr(sync_posts, "POSTLOGS_PER_RUN", 2)
    monkeypatch.setattr(sync_posts, "POSTLOGS_MAX_PER_RUN", 5)
    full = sync.posts_sync(full=True)
    failed = len(sync.postlogs_pending(1000)) + full.postlogs
    assert failed > 5, "the sandbox world needs more failed posts for this test"
    assert full.postlogs == 5

    monkeypatch.setattr(sync_posts, "POSTLOGS_MAX_PER_RUN", 1000)
    before = oktopost.calls()["by_endpoint"].get("GET /postlog", 0)
    again = sync.posts_sync()

    assert again.postlogs == failed - 5
    assert oktopost.calls()["by_endpoint"]["GET /postlog"] - before == failed - 5
    assert sync.postlogs_pending(1000) == []
