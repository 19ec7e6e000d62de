"""Oktopost's users: the client reads them from the sandbox, the sync keeps them, and
pages show their names where they would show `00A…` ids."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from oktopost.errors import NotFound
from oktopost.types import User
from posts import sync
from posts.connection import get_client
from posts.models import OktopostUser
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_client_lists_and_reads_users_over_http(oktopost) -> None:
    client = get_client()
    users = list(client.users_iter())
    assert users and all(u.id.startswith("00A") and u.name for u in users)
    one = client.user_get(users[1].id)
    assert (one.id, one.name, one.email) == (users[1].id, users[1].name, users[1].email)
    with pytest.raises(NotFound):
        client.user_get("00A999999999999")


def test_a_user_without_a_name_field_takes_first_and_last_name() -> None:
    user = User.from_api(
        {"Id": "00A000000000007", "FirstName": "Ada", "LastName": "Lovelace"}, call="GET /user"
    )
    assert user.name == "Ada Lovelace" and user.label == "Ada Lovelace"
    bare = User.from_api({"Id": "00A000000000008", "Email": "x@example.com"}, call="GET /user")
    assert bare.label == "x@example.com"


def test_the_catalog_sync_keeps_the_users(mirror) -> None:
    names = {u.id: u.name for u in get_client().users_iter()}
    assert dict(OktopostUser.objects.values_list("oktopost_id", "name")) == names


def test_queue_and_detail_show_names_not_ids(viewer_client: Client, db) -> None:
    OktopostUser.objects.create(oktopost_id="00A000000000042", name="Grace Hopper")
    post = f.post(created_by="00A000000000042", start_at=timezone.now() + timedelta(days=2))
    queue = viewer_client.get("/posts/?created_by=00A000000000042").content.decode()
    assert "Grace Hopper" in queue
    assert ">00A000000000042" not in queue  # only in values and links, never as text
    detail = viewer_client.get(f"/posts/{post.oktopost_id}/").content.decode()
    assert re.search(r"by <span[^>]*>Grace Hopper</span>", detail)


def test_an_unknown_id_is_shown_as_it_is(viewer_client: Client, db) -> None:
    post = f.post(created_by="00A000000000077")
    detail = viewer_client.get(f"/posts/{post.oktopost_id}/").content.decode()
    assert re.search(r'by <span class="muted user-id"[^>]*>00A000000000077</span>', detail)


def test_a_new_sync_of_users_shows_at_once(viewer_client: Client, db) -> None:
    from posts import mirror

    post = f.post(created_by="00A000000000051")
    viewer_client.get(f"/posts/{post.oktopost_id}/")  # caches the (empty) name map
    mirror.users_upsert(
        [User("00A000000000051", "Katherine Johnson", "", None)], now=timezone.now()
    )
    detail = viewer_client.get(f"/posts/{post.oktopost_id}/").content.decode()
    assert re.search(r"by <span[^>]*>Katherine Johnson</span>", detail)


def test_sync_calls_include_the_user_list_once(oktopost) -> None:
    before = oktopost.calls()["total"]
    assert sync.catalog_sync(force=True)
    calls = oktopost.calls()
    assert calls["total"] - before >= 3  # campaigns, profiles, users
