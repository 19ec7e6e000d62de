"""Share pages' rate limit (issue 23, finding 3): it holds against parallel requests on
every cache backend, and the sections a page fills in are not counted as page views.

The clock is pinned (time_machine), so no test straddles two rate windows."""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from core.infra import rate_take
from sharing import views
from sharing.services import share_link_create
from tests import factories as f
from tests.security_helpers import fake_dns, loopback_only  # noqa: F401

MOMENT = datetime(2027, 3, 10, 12, 0, 5, tzinfo=UTC)


@pytest.fixture(params=["file", "locmem", "redis"])
def backend(request, settings, tmp_path) -> str:
    if request.param == "file":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            }
        }
    elif request.param == "locmem":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    else:
        url = request.getfixturevalue("redis_url")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": f"test-rate-{uuid.uuid4().hex}",
            }
        }
    return request.param


def test_sixteen_threads_get_exactly_the_limit_through(backend) -> None:
    """The probe: 240 requests from 16 threads within a minute; 60 may pass."""
    passed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def visitor() -> None:
        start.wait()
        for _ in range(15):
            ok = rate_take("share:203.0.113.9", limit=60, window=60)
            with lock:
                passed.append(ok)

    with time_machine.travel(MOMENT, tick=False):
        threads = [threading.Thread(target=visitor) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(passed) == 240
    assert sum(passed) == 60


def test_a_new_window_starts_the_count_again(backend) -> None:
    with time_machine.travel(MOMENT, tick=False) as clock:
        assert [rate_take("k", limit=2, window=60) for _ in range(3)] == [True, True, False]
        clock.shift(timedelta(seconds=60))
        assert rate_take("k", limit=2, window=60) is True


@pytest.fixture
def link_url(db, editor) -> str:
    camp = f.campaign("Launch")
    li = f.profile("LinkedIn", "Acme LI")
    for i in range(5):
        f.post(
            status="complete",
            start_at=MOMENT - timedelta(days=i + 1),
            profiles=[li],
            msg=f.message(f"Post {i}", "LinkedIn", camp),
            camp=camp,
        )
    created = share_link_create(
        page="stats", query="range=90d", label="Board", user=editor, now=MOMENT
    )
    return f"/s/{created.token}/"


def test_the_sections_a_page_fills_in_are_not_extra_page_views(link_url, monkeypatch) -> None:
    monkeypatch.setattr(views, "SHARE_RATE_PER_MINUTE", 5)
    anonymous = Client()
    with time_machine.travel(MOMENT, tick=False):
        for _ in range(5):
            page = anonymous.get(link_url)
            assert page.status_code == 200
            for name in ("breakdown", "messages", "top", "heatmap"):
                part = anonymous.get(f"{link_url}part/{name}/", headers={"HX-Request": "true"})
                assert part.status_code == 200, name
        assert anonymous.get(link_url).status_code == 429
        assert anonymous.get(link_url + "export.csv").status_code == 429


def test_sections_alone_are_limited_too(link_url, monkeypatch) -> None:
    """Sections have a budget of their own (every section of every page allowed), so
    hammering the most expensive one is still bounded."""
    monkeypatch.setattr(views, "SHARE_RATE_PER_MINUTE", 2)
    anonymous = Client()
    with time_machine.travel(MOMENT, tick=False):
        codes = [
            anonymous.get(f"{link_url}part/messages/", headers={"HX-Request": "true"}).status_code
            for _ in range(2 * len(views.SECTIONS_PER_PAGE) + 1)
        ]
        assert codes[:-1] == [200] * (len(codes) - 1)
        assert codes[-1] == 429
        # The page itself still opens: sections do not eat the page views.
        assert anonymous.get(link_url).status_code == 200


def test_the_use_count_is_one_per_page_view(link_url) -> None:
    from sharing.models import ShareLink

    anonymous = Client()
    with time_machine.travel(MOMENT, tick=False):
        anonymous.get(link_url)
        anonymous.get(f"{link_url}part/top/", headers={"HX-Request": "true"})
    link = ShareLink.objects.get()
    assert link.use_count == 1
    assert link.last_used_at == MOMENT
    assert timezone.is_aware(link.last_used_at)
