"""Tasks on real Celery workers, on the filesystem transport and on Redis."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import kombu.pools
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.db import connection

from oktodash.celery import app
from posts import tasks
from posts.models import Delivery, Post, StatsSample, SyncState
from tests.conftest import redis_or_skip

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent


def wait_for(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def redis_broker(redis_url: str) -> tuple[str, dict]:
    """This test process's broker database on the test Redis server (tests/settings.py),
    emptied: tasks left by an earlier run would be delivered here, and nothing else may
    live in it."""
    url = redis_or_skip(os.environ["REDIS_BROKER_TEST_URL"], setting="REDIS_BROKER_TEST_URL")
    redis.Redis.from_url(url).flushdb()
    return url, {"visibility_timeout": 3}


def filesystem_broker(tmp_path: Path) -> tuple[str, dict]:
    """The embedded broker as settings configure it for VAR_DIR=tmp_path/worker-var."""
    folder = tmp_path / "worker-var" / "broker"
    return "oktodash-filesystem://", {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "claims_folder": str(folder / "claimed"),
        "damaged_folder": str(folder / "damaged"),
    }


def _drop_pools() -> None:
    # Celery caches broker connections and producers; a new broker needs new ones.
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    kombu.pools.reset()


@pytest.fixture
def short_lived_connections() -> Iterator[None]:
    """The in-thread worker's database connection must close after each task, or it
    outlives the test and keeps PostgreSQL from dropping the test database."""
    database = django_settings.DATABASES["default"]
    saved = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    yield
    database["CONN_MAX_AGE"] = saved


@contextmanager
def app_on_broker(url: str, options: dict) -> Iterator[None]:
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.broker_url, app.conf.broker_transport_options = url, options
    _drop_pools()
    try:
        yield
    finally:
        _drop_pools()
        app.conf.broker_url, app.conf.broker_transport_options = saved


def synced() -> bool:
    state = SyncState.objects.filter(name="posts").first()
    return bool(state and state.last_success)


@pytest.mark.parametrize("kind", ["filesystem", "redis"])
def test_a_real_worker_runs_the_sync_task(
    oktopost, tmp_path: Path, kind: str, short_lived_connections, request: pytest.FixtureRequest
) -> None:
    if kind == "redis":
        url, options = request.getfixturevalue("redis_broker")
    else:
        url, options = filesystem_broker(tmp_path)
    total = oktopost.control("GET", "state")["counts"]["posts"]
    with app_on_broker(url, options), start_worker(app, perform_ping_check=False):
        tasks.sync_posts.delay(full=True)
        wait_for(synced, timeout=60, what="the sync task")
        assert Post.objects.count() == total
        tasks.refresh_stats.delay(limit=3)
        wait_for(
            lambda: Post.objects.filter(stats_at__isnull=False).count() == 3,
            timeout=30,
            what="the stats task",
        )


def test_the_beat_schedule_syncs_often_and_refreshes_stats_continuously(settings) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    # What a worker knows: every app's tasks.py, found as the worker finds them at start
    # (alone, this process holds only the tasks modules its tests happened to import).
    app.loader.import_default_modules()
    registered = set(app.tasks)
    assert {entry["task"] for entry in schedule.values()} <= registered
    assert schedule["sync-posts"]["schedule"] <= 300
    assert schedule["refresh-stats"]["schedule"] <= 60


def mirror_rows() -> tuple[list[dict], list[dict], int]:
    """Everything a sync writes, except the stamps that say when a post was last seen."""
    seen = {"id", "synced_at", "counters_at", "seen_in_full_sync"}
    fields = [f.name for f in Post._meta.concrete_fields if f.name not in seen]
    posts = list(Post.objects.order_by("oktopost_id").values(*fields))
    delivery_fields = [
        f.name for f in Delivery._meta.concrete_fields if f.name not in {"id", "post"}
    ]
    deliveries = list(
        Delivery.objects.order_by("post__oktopost_id", "profile").values(
            "post__oktopost_id", *delivery_fields
        )
    )
    return posts, deliveries, StatsSample.objects.count()


def test_the_sync_task_run_again_changes_nothing(oktopost) -> None:
    # acks_late hands a task whose worker died to another worker: safe only if a
    # second run leaves the mirror as the first left it.
    first = tasks.sync_posts.apply(kwargs={"full": True}).get()
    assert first["created"] == oktopost.control("GET", "state")["counts"]["posts"]
    after_first = mirror_rows()
    second = tasks.sync_posts.apply(kwargs={"full": True}).get()
    assert mirror_rows() == after_first
    assert (second["created"], second["updated"], second["deleted"]) == (0, 0, 0)


def test_sync_tasks_ack_late_and_declare_bounded_retries_and_time_limits() -> None:
    for task in (tasks.sync_posts, tasks.sync_counters, tasks.refresh_stats):
        assert task.acks_late and task.ignore_result
        assert task.max_retries == 3
        assert task.soft_time_limit < task.time_limit


def test_every_task_that_writes_runs_again_when_its_worker_dies_and_ends_in_time() -> None:
    """Redis hands out a dead worker's task after its visibility timeout, which must
    outlast every task's hard limit (else a slow task still running runs twice)."""
    from django.conf import settings as django_settings

    from oktodash.celery import app

    app.loader.import_default_modules()
    ours = {n: t for n, t in app.tasks.items() if not n.startswith("celery.")}
    assert "posts.tasks.bulk_run" in ours
    default = django_settings.CELERY_TASK_TIME_LIMIT
    for name, task in ours.items():
        assert task.acks_late and task.reject_on_worker_lost, name
        limit = task.time_limit or default
        assert limit <= django_settings.LONGEST_TASK_SECONDS, name
        assert (task.soft_time_limit or 0) < limit, name
    visibility = 60 + django_settings.LONGEST_TASK_SECONDS
    assert visibility <= 15 * 60  # documented in docs/RELIABILITY.md


def _worker_env(oktopost, broker_url: str, tmp_path: Path) -> dict[str, str]:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        database_url = f"sqlite:///{db['NAME']}"
    else:
        database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "SECRET_KEY": "worker-test",
        "HTTPS": "false",
        "VAR_DIR": str(tmp_path / "worker-var"),
        "OKTOPOST_SANDBOX": "true",
        "DATABASE_URL": database_url,
        "REDIS_URL": broker_url if broker_url.startswith("redis") else "",
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "SYNC_LOCK_STALE_SECONDS": "2",
        "OKTOPOST_BASE_URL": oktopost.base_url,
        "OKTOPOST_LIMITER_URL": str(tmp_path / "ratelimit.sqlite3"),
    }


def _start_worker_process(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "oktodash",
            "worker",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["filesystem", "redis"])
def test_a_task_killed_with_its_worker_runs_again_and_the_mirror_is_right(
    oktopost, tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    total = oktopost.control("GET", "state")["counts"]["posts"]
    # Slow answers keep the sync in flight long enough to kill it mid-way.
    oktopost.control("POST", "faults", {"latency_ms": 700})
    if kind == "redis":
        url, options = request.getfixturevalue("redis_broker")
    else:
        url, options = filesystem_broker(tmp_path)
    env = _worker_env(oktopost, url, tmp_path)
    first = _start_worker_process(env, tmp_path / "worker1.log")
    try:
        with app_on_broker(url, options):
            tasks.sync_posts.delay(full=True)
        wait_for(lambda: Post.objects.exists(), timeout=60, what="the first page")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    partial = Post.objects.count()
    assert partial < total, "the task finished before it could be killed"
    assert not synced()

    oktopost.control("POST", "faults", {})
    second = _start_worker_process(env, tmp_path / "worker2.log")
    try:
        # Redis hands the unacknowledged task out again after the visibility timeout;
        # the embedded broker as soon as a live worker sees the dead one's lease.
        wait_for(synced, timeout=90, what="the task to run again")
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(15)
        except subprocess.TimeoutExpired:
            second.kill()
    assert Post.objects.count() == total
    assert Post.objects.values("oktopost_id").distinct().count() == total
    log = (tmp_path / "worker2.log").read_text()
    assert "posts.tasks.sync_posts" in log


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["filesystem", "redis"])
def test_a_bulk_whose_worker_is_killed_moves_every_post_exactly_once(
    mirror, editor, tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    """Before: the bulk ran again from the start on Redis and shifted a post twice, or
    (file broker) never ran again and stayed at "Working: 3 of 6"."""
    from django.utils import timezone

    from posts import services
    from posts.connection import get_client
    from posts.models import BulkAction

    posts = list(
        Post.objects.filter(status="pending", start_at__gt=timezone.now()).order_by("id")[:5]
    )
    before = {p.oktopost_id: p.start_at for p in posts}
    if kind == "redis":
        url, options = request.getfixturevalue("redis_broker")
    else:
        url, options = filesystem_broker(tmp_path)
    env = _worker_env(mirror, url, tmp_path)
    mirror.control("POST", "faults", {"latency_ms": 400})
    first = _start_worker_process(env, tmp_path / "worker1.log")
    try:
        with app_on_broker(url, options):
            bulk = services.bulk_start(
                user=editor, kind="shift", post_ids=list(before), params={"minutes": 60}
            )

        def written() -> bool:
            bulk.refresh_from_db()
            return len(bulk.results) >= 1

        # Each post takes a read and a write (0.4 s each): killed amid the second.
        wait_for(written, timeout=60, what="the first post written")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    bulk.refresh_from_db()
    assert bulk.finished is None, "the bulk finished before it could be killed"

    mirror.control("POST", "faults", {})
    second = _start_worker_process(env, tmp_path / "worker2.log")
    try:
        wait_for(
            lambda: BulkAction.objects.get(id=bulk.id).finished is not None,
            timeout=60,
            what="the bulk to run again and finish",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(15)
        except subprocess.TimeoutExpired:
            second.kill()
    bulk.refresh_from_db()
    assert sorted(r["post"] for r in bulk.results) == sorted(before)
    assert [r for r in bulk.results if not r["ok"]] == []
    for oktopost_id, start in before.items():
        item = get_client(priority="interactive").post_get(oktopost_id)
        assert item.start_at == start + timedelta(minutes=60), oktopost_id
