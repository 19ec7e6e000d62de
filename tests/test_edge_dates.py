"""Dates at the edges of what Python can hold never crash a page or a form."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from posts.models import BulkAction
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

EDGES = [datetime(9999, 12, 31, 23, 59, tzinfo=UTC), datetime(1, 1, 1, 0, 1, tzinfo=UTC)]


@pytest.fixture
def east_and_west(editor, editor_client: Client):
    """The same editor, first east of UTC, then west of it."""

    def zones():
        for zone in ("Asia/Tokyo", "America/Los_Angeles"):
            editor.time_zone = zone
            editor.save()
            yield zone

    return zones


@pytest.mark.parametrize("edge", EDGES)
def test_pages_show_posts_at_the_edges_of_time_in_every_zone(
    east_and_west, editor_client: Client, edge: datetime
) -> None:
    post = f.post(status="pending", start_at=edge, modified=edge, created=edge)
    for _ in east_and_west():
        for url in ("/posts/", "/posts/?sort=-start", f"/posts/{post.oktopost_id}/"):
            assert editor_client.get(url).status_code == 200, url
        row = editor_client.get(f"/posts/{post.oktopost_id}/row/")
        assert row.status_code == 200


@pytest.mark.parametrize("when", ["9999-12-31T23:30", "0001-01-01T00:30", "2035-01-01T10:00"])
def test_forms_refuse_times_far_outside_the_next_five_years(
    east_and_west, editor_client: Client, when: str
) -> None:
    post = f.post(status="pending")
    for _ in east_and_west():
        checks = editor_client.get("/posts/new/checks/", {"when": when})
        assert checks.status_code == 200
        created = editor_client.post("/posts/new/", {"when": when, "text": "x"})
        assert created.status_code == 200
        moved = editor_client.post(
            f"/posts/{post.oktopost_id}/reschedule/",
            {"when": when, "expected_modified": post.modified.isoformat()},
            follow=True,
        )
        assert moved.status_code == 200
        html = created.content.decode() + moved.content.decode()
        assert any(words in html for words in ("5 years ahead", "too far", "in the past"))


def test_bulk_move_refuses_a_date_beyond_five_years(editor_client: Client) -> None:
    post = f.post(status="pending")
    response = editor_client.post(
        "/posts/bulk/",
        {"action": "move", "date": "9999-12-31", "scope": "selected", "post": post.oktopost_id},
    )
    assert response.status_code == 200
    assert "more than 5 years ahead" in response.content.decode()
    assert not BulkAction.objects.exists()


def test_bulk_shift_past_five_years_is_refused_per_post(editor, oktopost) -> None:
    from posts import services

    post = f.post(status="pending", start_at=timezone.now() + timedelta(days=5 * 365))
    bulk = BulkAction.objects.create(
        user=editor, kind="shift", post_ids=[post.oktopost_id], params={"minutes": 60 * 24 * 30}
    )
    services.bulk_run(bulk.id)
    bulk.refresh_from_db()
    assert bulk.results == [
        {"post": post.oktopost_id, "ok": False, "message": bulk.results[0]["message"]}
    ]
    assert "more than 5 years ahead" in bulk.results[0]["message"]
