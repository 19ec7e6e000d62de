"""Webhooks in, for tests: our webhooks installed in the per-test sandbox and pointing at
pytest-django's live server, tasks run eagerly, and waiting for what a delivery does."""

from __future__ import annotations

import time

import pytest
import requests

from inbox import services
from inbox import tasks as inbox_tasks  # noqa: F401  (eager tasks must be loaded)
from oktodash.celery import app

WAIT = 5.0


@pytest.fixture
def eager_tasks():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def intake(live_server, settings, mirror, eager_tasks):
    """Our webhooks installed in the per-test sandbox, pointing at the live server on
    127.0.0.1; returns the sandbox."""
    settings.SITE_URL = live_server.url.replace("localhost", "127.0.0.1")
    mirror.control("POST", "webhooks", {"retry_base": 0.05})
    services.webhooks_install()
    return mirror


def wait_for(check, timeout: float = WAIT) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            pytest.fail(f"not true within {timeout} s")
        time.sleep(0.02)
    return time.monotonic() - started


def unsent_post_ids(sandbox, count: int) -> list[str]:
    found = requests.get(
        f"{sandbox.base_url}/post",
        params={"status": "inqueue", "_count": 100, "_order": "startDateTime"},
        auth=sandbox.auth,
        timeout=5,
    ).json()["Items"]
    # The latest ones: nothing moved by the clock below sends them.
    return [p["Id"] for p in found][:count]
