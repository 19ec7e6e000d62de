"""Redis, the file cache, the task queue or the database down: words, never a 500."""

import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from core import infra
from oktodash.celery import app
from oktodash.settings import redis_cache
from posts.models import BulkAction, Post, SyncState
from reports.tasks import stats_rollup_refresh
from tests import factories as f
from tests.conftest import PASSWORD
from tests.fixtures_sandbox import free_port

pytestmark = pytest.mark.django_db

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def fresh_outage_memory():
    infra._failed_at.clear()
    yield
    infra._failed_at.clear()


@pytest.fixture(params=["redis", "file"])
def cache_down(request, settings, tmp_path):
    """The cache is down: Redis not listening, or a file cache whose folder is a file."""
    if request.param == "redis":
        settings.REDIS_URL = CLOSED
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": CLOSED,
            }
        }
        return "Redis at 127.0.0.1:1"
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    settings.REDIS_URL = ""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(blocker / "inside"),
        }
    }
    return "the file cache (var/cache)"


@pytest.fixture(params=["redis", "folder"])
def broker_down(request, tmp_path):
    """The task queue is down: Redis not listening, or the filesystem broker's folder
    gone (the app's connection pools are rebuilt from the changed conf)."""
    original = app.conf.broker_url, app.conf.broker_transport_options
    if request.param == "redis":
        app.conf.broker_url = CLOSED
        app.conf.broker_transport_options = {"max_retries": 1, "interval_start": 0}
    else:
        gone = str(tmp_path / "gone")
        app.conf.broker_url = "filesystem://"
        app.conf.broker_transport_options = {
            "data_folder_in": gone,
            "data_folder_out": gone,
            "control_folder": gone,
        }
    app._pool = None
    app.amqp._producer_pool = None
    yield
    app.conf.broker_url, app.conf.broker_transport_options = original
    app._pool = None
    app.amqp._producer_pool = None


def test_pages_are_served_with_a_banner_when_the_cache_is_down(
    cache_down: str, viewer_client: Client
) -> None:
    f.post(status="pending")
    response = viewer_client.get("/posts/")
    assert response.status_code == 200
    assert f"{cache_down} cannot be reached".lower() in response.content.decode().lower()
    assert viewer_client.get("/posts/status/").status_code == 200


def test_health_is_503_json_naming_the_cache_when_it_is_down(
    cache_down: str, viewer_client
) -> None:
    # Names are details for signed-in users (issue 23); a monitor gets the state alone.
    response = viewer_client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["cache"]["ok"] is False
    assert body["cache"]["name"] == cache_down
    assert any(cache_down in problem for problem in body["problems"])


def test_a_login_while_the_database_is_down_gets_a_503_page(editor) -> None:
    def refuse(execute, sql, params, many, context):
        raise OperationalError("unable to open database file")

    client = Client(raise_request_exception=False)
    with connection.execute_wrapper(refuse):
        response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 503
    assert b"The database cannot be reached" in response.content


# Requests run in autocommit, as in production, so the task is queued at once.
@pytest.mark.django_db(transaction=True)
def test_refresh_now_while_the_queue_is_down_says_so(broker_down, viewer_client: Client) -> None:
    post = f.post(status="complete", start_at=timezone.now() - timedelta(hours=2))
    response = viewer_client.post(f"/posts/{post.oktopost_id}/stats/refresh/", follow=True)
    assert response.status_code == 200
    assert "cannot be reached, so the refresh waits" in response.content.decode()
    # Still at the head of the stats queue for when the worker is back.
    assert Post.objects.get(id=post.id).stats_requested_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_bulk_change_that_cannot_be_queued_leaves_nothing_behind(
    broker_down, editor_client: Client
) -> None:
    post = f.post(status="pending")
    response = editor_client.post(
        "/posts/bulk/",
        {"action": "shift", "minutes": "30", "scope": "selected", "post": post.oktopost_id},
    )
    assert response.status_code == 200
    assert "cannot be reached, so nothing was changed" in response.content.decode()
    assert not BulkAction.objects.exists()


def test_health_degrades_with_the_error_when_syncs_fail_for_long(viewer_client: Client) -> None:
    client = viewer_client  # the error's text is for signed-in users (issue 23)
    now = timezone.now()
    SyncState.objects.create(
        name="posts",
        last_success=now - timedelta(minutes=40),
        last_error_at=now - timedelta(minutes=1),
        last_error="BadResponse: Oktopost answered with something that is not JSON",
    )
    response = client.get("/health/")
    body = response.json()
    assert response.status_code == 200  # the web still serves; Oktopost is the trouble
    assert body["status"] == "degraded"
    assert body["sync"]["error"].startswith("BadResponse")
    assert body["sync"]["failing_for_seconds"] >= 40 * 60 - 5
    assert any("Syncs have failed for 40 minutes" in p for p in body["problems"])


def test_a_recent_failure_alone_does_not_degrade_health(viewer_client: Client) -> None:
    client = viewer_client
    now = timezone.now()
    SyncState.objects.create(
        name="posts",
        last_success=now - timedelta(minutes=3),
        last_error_at=now - timedelta(minutes=1),
        last_error="ReadTimeout",
    )
    from core.heartbeat import worker_alive_note

    worker_alive_note()  # as a running worker does
    body = client.get("/health/").json()
    assert body["status"] == "ok"
    assert body["sync"]["last_failure"] is not None


def test_a_worker_says_in_words_that_it_cannot_reach_its_queue(tmp_path) -> None:
    """Before: only Celery's own retry lines, which name a URL and not what it is for."""
    log = tmp_path / "worker.log"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "SECRET_KEY": "worker-test",
        "HTTPS": "false",
        "VAR_DIR": str(tmp_path / "var"),
        "OKTOPOST_SANDBOX": "true",
        "REDIS_URL": CLOSED,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "oktodash", "worker", "--pool", "solo"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "cannot reach" not in log.read_text():
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(15)
    assert "This worker cannot reach its task queue, Redis at 127.0.0.1:1" in log.read_text()


def test_a_sync_stopped_by_our_own_budget_store_does_not_blame_oktopost(
    oktopost, settings, viewer_client: Client
) -> None:
    """Before: Redis holding the rate budget was down, and the status bar said
    "Oktopost could not be reached"."""
    from posts import sync

    settings.OKTOPOST_LIMITER_URL = CLOSED
    with pytest.raises(Exception, match="Connection"):
        sync.posts_sync()
    error = SyncState.objects.get(name="posts").last_error
    assert error.startswith("our shared API budget (Redis at 127.0.0.1:1) could not be used")
    page = viewer_client.get("/posts/").content.decode()
    assert "Oktopost could not be reached" not in page
    assert "The last sync failed at" in page


def test_a_write_while_only_the_budgets_redis_is_down_names_it(oktopost, settings, editor) -> None:
    settings.OKTOPOST_LIMITER_URL = CLOSED
    post = f.post(status="pending")
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    response = client.post(
        f"/posts/{post.oktopost_id}/cancel/", {"expected_modified": post.modified.isoformat()}
    )
    assert response.status_code == 503
    assert b"Redis at 127.0.0.1:1 cannot be reached" in response.content


def test_the_banner_goes_with_the_first_page_after_the_cache_is_back(
    cache_down: str, viewer_client: Client, settings, tmp_path
) -> None:
    """Before: the banner naming Redis stayed for one more page load after Redis was back."""
    assert "cannot be reached" in viewer_client.get("/posts/").content.decode()
    settings.REDIS_URL = ""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache-back"),
        }
    }
    assert "cannot be reached" not in viewer_client.get("/posts/").content.decode()


def _redis_server(port: int, folder) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if redis.Redis(port=port).ping():
                return server
        except redis.ConnectionError:
            time.sleep(0.02)
    server.kill()
    pytest.fail("redis-server did not start")


def test_the_banner_goes_with_the_first_page_after_redis_restarts(
    viewer_client: Client, settings, tmp_path
) -> None:
    """Before: the first page after Redis came back used a connection from before, was
    refused, and showed the banner naming Redis once more."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    settings.REDIS_URL = url
    settings.CACHES = {"default": redis_cache(url)}
    original = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url, app.conf.broker_transport_options = url, {"max_retries": 0}
    app._pool = None
    app.amqp._producer_pool = None
    server = _redis_server(port, tmp_path)
    try:
        assert "cannot be reached" not in viewer_client.get("/posts/").content.decode()
        server.terminate()
        server.wait(10)
        # A page queues work while Redis is down: the task queue is noted down too.
        assert not infra.task_send(stats_rollup_refresh.name)
        assert "cannot be reached" in viewer_client.get("/posts/").content.decode()
        server = _redis_server(port, tmp_path)
        assert "cannot be reached" not in viewer_client.get("/posts/").content.decode()
    finally:
        server.kill()
        server.wait(10)
        app.conf.broker_url, app.conf.broker_transport_options = original
        app._pool = None
        app.amqp._producer_pool = None
