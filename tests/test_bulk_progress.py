"""A bulk change's page lists every post from the start: waiting ones with what is
planned for them, done ones with their result. Never an empty table."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from posts.models import BulkAction
from tests import factories as f
from tests.html_nodes import parse

pytestmark = pytest.mark.django_db


def table_rows(html: bytes) -> list[list[str]]:
    body = parse(html).find(lambda n: n.tag == "tbody")
    return [
        [td.text() for td in tr.find_all(lambda n: n.tag == "td")]
        for tr in body.find_all(lambda n: n.tag == "tr")
    ]


def test_a_shift_not_started_lists_its_posts_as_waiting_with_their_new_times(
    editor, editor_client: Client
) -> None:
    first, second = f.post(status="pending"), f.post(status="pending")
    bulk = BulkAction.objects.create(
        user=editor,
        kind="shift",
        post_ids=[first.oktopost_id, second.oktopost_id],
        params={
            "minutes": 30,
            "targets": {
                first.oktopost_id: {
                    "from": datetime(2031, 3, 4, 9, 0, tzinfo=UTC).isoformat(),
                    "to": datetime(2031, 3, 4, 9, 30, tzinfo=UTC).isoformat(),
                },
                second.oktopost_id: {"error": "It is being sent right now."},
            },
        },
    )
    response = editor_client.get(f"/posts/bulk/{bulk.id}/")
    assert "Starting: 2 posts to change" in response.content.decode()
    assert table_rows(response.content) == [
        [
            first.oktopost_id,
            "Waiting…",
            "To move from Tue 04 Mar 2031, 09:00 to Tue 04 Mar 2031, 09:30",
        ],
        [second.oktopost_id, "Waiting…", "Will be left as it is: It is being sent right now."],
    ]


def test_done_posts_show_their_result_and_the_rest_still_wait(
    editor, editor_client: Client
) -> None:
    posts = [f.post(status="pending") for _ in range(3)]
    ids = [p.oktopost_id for p in posts]
    bulk = BulkAction.objects.create(
        user=editor,
        kind="cancel",
        post_ids=ids,
        results=[
            {"post": ids[0], "ok": True, "message": "Cancelled"},
            {"post": ids[1], "ok": False, "message": "Oktopost says it was already sent."},
        ],
    )
    response = editor_client.get(f"/posts/bulk/{bulk.id}/", headers={"HX-Request": "true"})
    assert "Working: 2 of 3 done" in response.content.decode()
    assert table_rows(response.content) == [
        [ids[0], "Succeeded ✓", "Cancelled"],
        [ids[1], "Failed ✗", "Oktopost says it was already sent."],
        [ids[2], "Waiting…", "To be cancelled"],
    ]
