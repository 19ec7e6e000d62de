import pytest
from django.db import OperationalError, connection
from django.test import Client

from oktodash import __version__


@pytest.mark.usefixtures("redis_if_configured")
def test_health_reports_every_dependency(db, client: Client, viewer_client: Client) -> None:
    from core.heartbeat import worker_alive_note

    worker_alive_note()  # as a running worker does
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    # The version is a detail for signed-in users (issue 23).
    assert "version" not in body
    assert viewer_client.get("/health/").json()["version"] == __version__
    assert body["database"] == {"ok": True}
    assert body["broker"] == {"ok": True}
    assert body["cache"] == {"ok": True}
    assert "last_sync" in body
    assert response["Cache-Control"].startswith("max-age=0")


def _refuse(execute, sql, params, many, context):
    raise OperationalError("database is unreachable")


def test_health_is_503_when_the_database_does_not_answer(db, client: Client) -> None:
    with connection.execute_wrapper(_refuse):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False
    assert response.json()["status"] == "down"


@pytest.mark.usefixtures("redis_if_configured")
@pytest.mark.django_db
def test_health_is_503_naming_the_broker_when_it_is_down(client: Client, settings) -> None:
    from oktodash.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/health/")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    body = response.json()
    assert body["broker"]["ok"] is False
    assert body["status"] == "down"
    assert any("cannot be reached" in p for p in body["problems"])


@pytest.mark.usefixtures("redis_if_configured")
def test_health_reports_the_last_sync_and_an_oktopost_block(
    db, client: Client, settings, tmp_path
) -> None:
    from django.utils import timezone

    from posts.connection import get_limiter
    from posts.models import SyncState

    settings.OKTOPOST_LIMITER_URL = str(tmp_path / "budget.sqlite3")
    moment = timezone.now()
    SyncState.objects.create(name="posts", last_success=moment)
    get_limiter().block_until(moment.timestamp() + 600)
    body = client.get("/health/").json()
    assert body["last_sync"] == moment.isoformat()
    assert body["oktopost"]["blocked"] is True
    assert body["oktopost"]["blocked_until"].startswith(str(moment.year))
