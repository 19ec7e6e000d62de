"""The status bar on every page: last sync, budget, and banners that say what is wrong."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from posts.connection import get_limiter
from posts.heartbeat import WORKER_SEEN_KEY
from posts.models import SyncState

pytestmark = pytest.mark.dates


@pytest.fixture(autouse=True)
def own_budget(settings, tmp_path):
    settings.OKTOPOST_LIMITER_URL = str(tmp_path / "budget.sqlite3")
    cache.delete(WORKER_SEEN_KEY)


def test_before_any_sync_it_says_so(editor_client: Client) -> None:
    html = editor_client.get("/calendar/").content.decode()
    assert "Not synced with Oktopost yet" in html
    assert "API budget today" in html and "0 / 19000 calls (0%)" in html


def test_it_shows_the_last_sync_and_the_budget_used(editor_client: Client) -> None:
    SyncState.objects.create(name="posts", last_success=timezone.now() - timedelta(minutes=3))
    get_limiter().acquire(priority="interactive")
    cache.set(WORKER_SEEN_KEY, timezone.now().isoformat())
    html = editor_client.get("/posts/status/").content.decode()
    assert "Last sync" in html and "3\xa0minutes ago" in html
    assert "1 / 19000 calls" in html
    assert "worker has not been seen" not in html


def test_a_block_and_a_quiet_worker_get_banners(editor_client: Client) -> None:
    get_limiter().block_until((timezone.now() + timedelta(minutes=10)).timestamp())
    html = editor_client.get("/posts/status/").content.decode()
    assert "Oktopost is blocking our API key until" in html
    assert "The background worker has not been seen yet" in html


def test_a_failing_sync_is_told_in_plain_words_and_escaped(editor_client: Client) -> None:
    now = timezone.now()
    SyncState.objects.create(
        name="posts",
        last_success=now - timedelta(hours=1),
        last_error="RetryableError: <script>alert(1)</script> server error 502",
        last_error_at=now,
    )
    html = editor_client.get("/posts/status/").content.decode()
    assert "The last sync failed at" in html
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html


def test_the_status_bar_needs_login(client: Client, db) -> None:
    assert client.get("/posts/status/").status_code == 302
