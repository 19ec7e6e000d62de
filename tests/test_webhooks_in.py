"""Webhooks in (issue 27), end to end: the sandbox process delivers signed events over
HTTP to a live oktodash (pytest-django's live_server), which stores them and applies
them to the mirror (tasks run eagerly, in the request that stored them)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
import requests
from django.utils import timezone

from inbox import crypto, selectors, services
from inbox.models import Event, Installation
from oktopost.webhooks import signature
from posts.models import Post
from tests.fixtures_webhooks import WAIT, unsent_post_ids, wait_for


def sandbox_post(sandbox, post_id: str) -> dict:
    return requests.get(f"{sandbox.base_url}/post/{post_id}", auth=sandbox.auth, timeout=5).json()[
        "Post"
    ]


def deliveries_done(sandbox) -> bool:
    state = sandbox.control("GET", "webhooks")
    return state["held"] == 0 and state["queued"] == 0


def post_to(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(
        url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=5
    )


@pytest.mark.django_db(transaction=True)
def test_install_is_idempotent_and_keeps_the_secret_encrypted(intake):
    first = Installation.objects.get()
    again = services.webhooks_install()
    assert again.created == [] and len(again.kept) == 4
    hooks = requests.get(f"{intake.base_url}/webhook", auth=intake.auth, timeout=5).json()
    assert hooks["Total"] == 4
    stored = Installation.objects.get()
    secret = crypto.decrypt(stored.secret)
    assert secret == crypto.decrypt(first.secret)
    assert secret not in stored.secret and {h["Secret"] for h in hooks["Items"]} == {secret}
    rotated = services.webhooks_install(rotate=True)
    assert len(rotated.updated) == 4
    assert len(selectors.intake_secrets()) == 2  # the old one still accepted for a while


@pytest.mark.django_db(transaction=True)
def test_a_bad_signature_gets_4xx_and_stores_nothing(intake):
    intake.control("POST", "webhooks", {"bad_signature": True})
    post_id = unsent_post_ids(intake, 1)[0]
    intake.control("POST", f"posts/{post_id}", {"Flag": "changed"})
    hook = services.selectors.installation().webhook_ids["postModified"]

    def refused() -> bool:
        log = requests.get(f"{intake.base_url}/webhook-log/{hook}", auth=intake.auth, timeout=5)
        return any(e["ResponseCode"] == 401 for e in log.json()["Items"])

    wait_for(refused)
    assert Event.objects.count() == 0
    answer = post_to(services.intake_url(), b'{"event":"postModified"}', {})
    assert answer.status_code == 401 and b"postModified" not in answer.content
    assert not answer.cookies


@pytest.mark.django_db(transaction=True)
def test_a_replay_is_ignored_and_a_stale_delivery_refused(intake):
    secret = selectors.intake_secrets()[0]
    post_id = unsent_post_ids(intake, 1)[0]
    body = json.dumps(
        {
            "event": "postModified",
            "timestamp": int(time.time()),
            "webhookId": "0WH000000000002",
            "data": sandbox_post(intake, post_id),
        }
    ).encode()
    headers = {"X-Oktopost-Signature": signature(body, secret)}
    first = post_to(services.intake_url(), body, headers)
    replay = post_to(services.intake_url(), body, headers)
    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.text.strip() == "Already stored."
    assert Event.objects.count() == 1
    old = body.replace(b'"timestamp": ', b'"timestamp": 1').replace(
        str(int(time.time())).encode(), b"100"
    )
    stale = post_to(services.intake_url(), old, {"X-Oktopost-Signature": signature(old, secret)})
    assert stale.status_code == 400 and Event.objects.count() == 1
    legacy = body.replace(b"postModified", b"postCreated")
    by_old_header = post_to(
        services.intake_url(), legacy, {"X-Oktopost-Secret": signature(legacy, secret)}
    )
    assert by_old_header.status_code == 200 and Event.objects.count() == 2


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_100_events_delivered_twice_and_shuffled_leave_the_mirror_equal_to_the_sandbox(intake):
    intake.control(
        "POST", "webhooks", {"hold": True, "duplicate": True, "shuffle": True, "seed": 3}
    )
    intake.control("POST", "clock", {"freeze": True})
    posts = unsent_post_ids(intake, 20)
    base = int(time.time()) + 86_400
    for i in range(100):
        post_id = posts[i % len(posts)]
        intake.control("POST", f"posts/{post_id}", {"StartDateTime": base + 300 * i})
        # One second between changes, as people make them: their order is known.
        intake.control("POST", "clock", {"advance_seconds": 1})
    calls_before = intake.calls()["by_endpoint"]
    intake.control("POST", "webhooks", {"hold": False})
    wait_for(lambda: deliveries_done(intake), timeout=30)
    wait_for(lambda: not Event.objects.filter(processed_at__isnull=True).exists(), timeout=30)
    assert Event.objects.count() == 100
    for post_id in posts:
        want = sandbox_post(intake, post_id)
        row = Post.objects.get(oktopost_id=post_id)
        assert row.start_at.strftime("%Y-%m-%d %H:%M:%S") == want["StartDateTime"]
        assert row.modified.strftime("%Y-%m-%d %H:%M:%S") == want["Modified"]
    # Everything came in the payloads: no reads while applying them.
    assert intake.calls()["by_endpoint"].get("GET /post/{id}", 0) == calls_before.get(
        "GET /post/{id}", 0
    ) + len(posts)  # the comparison's own reads above


@pytest.mark.django_db(transaction=True)
def test_a_post_changed_in_oktopost_shows_its_new_time_within_5_s_without_polling(intake):
    post_id = unsent_post_ids(intake, 1)[0]
    before = intake.calls()
    new_start = datetime(2031, 3, 4, 5, 6, tzinfo=UTC)
    intake.control("POST", f"posts/{post_id}", {"StartDateTime": int(new_start.timestamp())})
    took = wait_for(lambda: Post.objects.filter(oktopost_id=post_id, start_at=new_start).exists())
    assert took < WAIT
    after = intake.calls()
    assert after["total"] == before["total"]  # not one /v2 call: no list, no fetch


@pytest.mark.django_db(transaction=True)
def test_a_slim_payload_is_fetched_once(intake):
    intake.control("POST", "webhooks", {"slim": True})
    post_id = unsent_post_ids(intake, 1)[0]
    intake.control("POST", f"posts/{post_id}", {"Flag": "slim"})
    wait_for(lambda: Post.objects.filter(oktopost_id=post_id, flag="slim").exists())
    assert intake.calls()["by_endpoint"].get("GET /post/{id}") == 1


@pytest.mark.django_db(transaction=True)
def test_a_deleted_post_is_marked_gone(intake):
    post_id = unsent_post_ids(intake, 1)[0]
    intake.control("DELETE", f"posts/{post_id}")
    wait_for(lambda: Post.objects.filter(oktopost_id=post_id, deleted_at__isnull=False).exists())


@pytest.mark.django_db(transaction=True)
def test_events_wait_while_the_queue_is_down_and_are_applied_after(intake, monkeypatch):
    # The queue refuses (enqueue answers False): deliveries are still stored and answered.
    monkeypatch.setattr(services, "enqueue", lambda *args: False)
    post_id = unsent_post_ids(intake, 1)[0]
    intake.control("POST", f"posts/{post_id}", {"Flag": "later"})
    wait_for(lambda: Event.objects.filter(post_id=post_id).exists())
    assert not Post.objects.filter(oktopost_id=post_id, flag="later").exists()
    monkeypatch.undo()
    # The queue is back: the sweep queues what waits, and the (eager) worker applies it.
    assert services.events_sweep() == 1
    assert Post.objects.filter(oktopost_id=post_id, flag="later").exists()


@pytest.mark.django_db(transaction=True)
def test_the_sync_rests_while_webhooks_arrive_and_health_says_when_they_go_silent(
    intake, client, settings
):
    from posts import tasks as posts_tasks

    assert not selectors.webhooks_healthy()  # installed, nothing arrived yet
    post_id = unsent_post_ids(intake, 1)[0]
    intake.control("POST", f"posts/{post_id}", {"Flag": "ping"})
    wait_for(lambda: Event.objects.exists())
    assert selectors.webhooks_healthy()
    before = intake.calls()["total"]
    assert posts_tasks.sync_posts.run()["skipped"]
    assert intake.calls()["total"] == before
    assert not any("Webhooks silent" in p for p in client.get("/health/").json()["problems"])
    long_ago = timezone.now() - timezone.timedelta(
        minutes=settings.WEBHOOKS_SILENT_AFTER_MINUTES + 1
    )
    Event.objects.update(received_at=long_ago)
    Installation.objects.update(installed_at=long_ago)
    assert not selectors.webhooks_healthy()
    body = client.get("/health/").json()
    assert body["status"] == "degraded"
    assert any(p.startswith("Webhooks silent: nothing from Oktopost") for p in body["problems"])
    assert "skipped" not in posts_tasks.sync_posts.run()


def test_the_secret_is_encrypted_and_opens_under_a_fallback_key(settings):
    token = crypto.encrypt("s3cret-value-of-forty-characters")
    assert "s3cret" not in token
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-key"
    assert crypto.decrypt(token) == "s3cret-value-of-forty-characters"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt(token)
