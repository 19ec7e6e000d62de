"""Every URL that answers both as a page and as an htmx partial says so in `Vary`."""

import pytest
from django.test import Client

from posts.models import BulkAction
from tests import factories as f

pytestmark = pytest.mark.django_db


def both_ways(client: Client, url: str) -> tuple:
    page = client.get(url)
    partial = client.get(url, headers={"HX-Request": "true"})
    restore = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    return page, partial, restore


@pytest.mark.parametrize(
    "url",
    [
        "/posts/",
        "/posts/new/",
        "/posts/{post}/",
        "/posts/bulk/{bulk}/",
        "/calendar/",
        "/calendar/post/{post}/",
        "/stats/part/top/",
        "/stats/part/breakdown/?by=campaign",
    ],
)
def test_page_or_partial_urls_vary_on_hx_request(editor, editor_client: Client, url: str) -> None:
    post = f.post(status="pending")
    bulk = BulkAction.objects.create(user=editor, kind="cancel", post_ids=[post.oktopost_id])
    page, partial, restore = both_ways(
        editor_client, url.format(post=post.oktopost_id, bulk=bulk.id)
    )
    for response in (page, partial, restore):
        assert response.status_code == 200
        assert "HX-Request" in response["Vary"]
    # The partial is a fragment; a visit and a history restore get the whole page.
    assert b"<html" in page.content and b"<html" in restore.content
    assert b"<html" not in partial.content
