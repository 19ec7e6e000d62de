"""/health/ knows whether background work gets done (a worker's heartbeat, the queue's
backlog) and whether uploads can be kept (the media folder); the 503 page names the
media folder when it is what failed. Before (issue 22): a wedged worker with 82 tasks
waiting, and a full media folder, both left /health/ at 200 "ok"."""

import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core import heartbeat
from oktodash.celery import app
from reports.tasks import stats_rollup_refresh

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_if_configured")]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def empty_queue():
    app.control.purge()
    yield
    app.control.purge()


def health(client: Client) -> dict:
    response = client.get("/health/")
    assert response.status_code == 200
    return response.json()


def test_a_worker_that_beat_a_moment_ago_is_healthy(client: Client, empty_queue) -> None:
    heartbeat.worker_alive_note()
    body = health(client)
    assert body["status"] == "ok", body["problems"]
    assert body["media"] == {"ok": True}


def test_no_heartbeat_for_three_minutes_is_degraded_naming_how_long(
    client: Client, empty_queue
) -> None:
    with time_machine.travel(time.time() - 180, tick=False):
        heartbeat.worker_alive_note()
    body = health(client)
    assert body["status"] == "degraded"
    assert "No worker for 3 minutes" in " ".join(body["problems"])


def test_tasks_nobody_takes_for_two_minutes_are_a_queue_backing_up(
    client: Client, empty_queue
) -> None:
    heartbeat.worker_alive_note()  # a worker beats, but its pool takes nothing
    with time_machine.travel(time.time() - 120, tick=False):
        stats_rollup_refresh.apply_async()
    stats_rollup_refresh.apply_async()
    heartbeat.worker_alive_note()
    body = health(client)
    assert body["status"] == "degraded"
    assert "The task queue is backing up (2 tasks, the oldest waiting 2 minutes)" in " ".join(
        body["problems"]
    )


def test_a_running_worker_beats_from_its_main_process(empty_queue) -> None:
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deadline = time.monotonic() + 10
        while heartbeat.worker_quiet_for() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    quiet = heartbeat.worker_quiet_for()
    assert quiet is not None and quiet < heartbeat.NO_WORKER_AFTER


def test_a_media_folder_without_room_is_degraded(client: Client, settings) -> None:
    heartbeat.worker_alive_note()
    settings.MEDIA_MIN_FREE_MB = 10**12  # more than any disk has
    body = health(client)
    assert body["status"] == "degraded"
    assert body["media"] == {"ok": False}
    assert (
        "The media folder cannot take files (full or read-only): uploads fail."
        in (body["problems"])
    )


def test_an_upload_into_a_broken_media_folder_is_a_503_naming_it(
    editor, settings, tmp_path: Path
) -> None:
    """Before: the 503 page blamed "the file cache (var/cache)"."""
    settings.VAR_DIR = tmp_path
    (tmp_path / "media").write_text("not a folder")  # every write under it fails
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    response = client.post("/attachments/upload/", {"file": SimpleUploadedFile("a.png", PNG)})
    page = response.content.decode()
    assert response.status_code == 503
    assert f"The media folder ({tmp_path / 'media'}) is full or read-only" in page
    assert "file cache" not in page


def test_backlog_ages_are_never_negative_nor_in_the_future() -> None:
    assert heartbeat._minutes(0) == "less than a minute"
    assert heartbeat._minutes(60) == "1 minute"
    assert heartbeat._minutes(timedelta(minutes=7).total_seconds()) == "7 minutes"
