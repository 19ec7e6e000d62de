"""The catalog's parts stand alone (issue 25): a key that may not read users (403), a plan
without the endpoint (404) or any failure of one part never stops the posts, and the
status bar says in words what cannot be named. Against the sandbox over HTTP."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from posts import sync
from posts.catalog_parts import state_name
from posts.connection import get_client
from posts.models import CalendarNote, Campaign, OktopostUser, Post, Profile, SyncState, Tag

pytestmark = pytest.mark.django_db


def world_posts(sandbox) -> int:
    return sandbox.control("GET", "state")["counts"]["posts"]


def deny(sandbox, endpoints: dict[str, int]) -> None:
    sandbox.control("POST", "deny", {"endpoints": endpoints})


def calls_to(sandbox, endpoint: str) -> int:
    return sandbox.calls()["by_endpoint"].get(endpoint, 0)


def status_bar(client: Client) -> str:
    return client.get("/posts/status/").content.decode()


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (403, "Oktopost does not let our API key read its users, so creators show as ids."),
        (
            404,
            "Oktopost does not offer its users to our API key (its plan may not include "
            "them), so creators show as ids.",
        ),
    ],
)
def test_a_full_sync_mirrors_every_post_while_the_user_list_is_refused(
    oktopost, editor_client: Client, status: int, words: str
) -> None:
    deny(oktopost, {"GET /user": status})

    out = io.StringIO()
    call_command("sync_oktopost", "--full", stdout=out)

    assert Post.objects.count() == world_posts(oktopost)
    assert Campaign.objects.exists() and Profile.objects.exists() and Tag.objects.exists()
    assert not OktopostUser.objects.exists()
    state = SyncState.objects.get(name=state_name("users"))
    assert f"HTTP {status}" in state.last_error
    assert SyncState.objects.get(name="posts").last_error == ""
    assert words in status_bar(editor_client)
    assert f"{world_posts(oktopost)} posts created" in out.getvalue() and words in out.getvalue()


def test_every_part_refused_at_once_still_mirrors_every_post(
    oktopost, editor_client: Client
) -> None:
    deny(
        oktopost,
        {
            "GET /campaign": 403,
            "GET /credential": 404,
            "GET /user": 403,
            "GET /tag": 404,
            "GET /calendar/custom-events": 403,
        },
    )

    result = sync.posts_sync(full=True)

    assert result.complete and Post.objects.count() == world_posts(oktopost)
    assert not (Campaign.objects.exists() or Profile.objects.exists())
    assert not CalendarNote.objects.exists()
    bar = status_bar(editor_client)
    for words in (
        "read its campaigns, so campaigns show as ids",
        "does not offer its social profiles",
        "read its users, so creators show as ids",
        "does not offer its tags",
        "read its calendar notes, so the calendar shows no notes",
    ):
        assert words in bar


def test_a_refused_part_is_asked_again_only_after_half_an_hour(oktopost) -> None:
    deny(oktopost, {"GET /user": 403, "GET /campaign": 403})
    sync.posts_sync(full=True)
    assert calls_to(oktopost, "GET /user") == 1

    sync.posts_sync()  # an incremental pass two minutes later: nothing asked again
    sync.catalog_sync(force=True)  # unknown campaigns do not ask a refused part again
    assert calls_to(oktopost, "GET /user") == calls_to(oktopost, "GET /campaign") == 1

    deny(oktopost, {})
    later = timezone.now() + sync.CATALOG_MAX_AGE + timedelta(seconds=1)
    assert sync.catalog_sync(now=later)
    assert OktopostUser.objects.exists() and Campaign.objects.exists()
    assert SyncState.objects.get(name=state_name("users")).last_error == ""


def test_any_failure_of_one_part_is_told_and_the_others_are_read(
    oktopost, editor_client: Client
) -> None:
    client = get_client()
    client.max_retries = 0  # the 500 below is the answer, not retried
    oktopost.control("POST", "faults", {"next": ["500"]})

    sync.catalog_sync(client=client, parts=("users", "tags"))

    assert not OktopostUser.objects.exists() and Tag.objects.exists()
    bar = status_bar(editor_client)
    assert "Oktopost did not give its users at" in bar
    assert "so creators show as ids. The next try is automatic." in bar


def test_names_read_before_a_refusal_are_kept_and_said_to_be_from_then(
    oktopost, editor_client: Client
) -> None:
    earlier = timezone.now() - timedelta(hours=2)
    sync.catalog_sync(parts=("users",), now=earlier)
    names = OktopostUser.objects.count()
    deny(oktopost, {"GET /user": 403})

    sync.catalog_sync(parts=("users",))

    assert OktopostUser.objects.count() == names > 0
    local = timezone.localtime(earlier)
    assert (
        "read its users, so creators show by the names read on "
        f"{local:%-d %b, %H:%M}" in status_bar(editor_client)
    )


def test_the_words_go_once_the_part_is_read_again(oktopost, editor_client: Client) -> None:
    deny(oktopost, {"GET /tag": 404})
    sync.catalog_sync(parts=("tags",))
    assert "does not offer its tags" in status_bar(editor_client)

    deny(oktopost, {})
    sync.catalog_sync(parts=("tags",), now=timezone.now() + sync.CATALOG_MAX_AGE)

    assert "its tags" not in status_bar(editor_client)
