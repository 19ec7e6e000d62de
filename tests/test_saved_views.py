"""Saved views: POST /posts/views/ and /posts/views/<id>/delete/, and the nav's Views menu."""

import re
from datetime import timedelta
from html import unescape

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from posts.models import SavedView
from tests import factories as f

SAVE = reverse("posts:view_create")


def menu(client: Client) -> list[tuple[str, str]]:
    """(link, text) of each entry in the nav's Views menu."""
    html = client.get("/posts/").content.decode()
    found = re.search(
        r'<details class="dropdown" id="saved-views-menu">(.*?)</details>', html, re.S
    )
    if found is None:
        return []
    return [
        (unescape(href), " ".join(re.sub(r"<[^>]+>", "", text).split()))
        for href, text in re.findall(r'<a href="([^"]*)">(.*?)</a>', found.group(1), re.S)
    ]


def rows(response) -> list[str]:
    return [r.post.oktopost_id for r in response.context["page"].rows]


def test_a_view_is_saved_with_its_name_and_query_without_the_page_cursor(
    editor_client: Client, editor: User
) -> None:
    response = editor_client.post(
        SAVE, {"name": "LinkedIn, next days", "query": "network=LinkedIn&cursor=abc&size=25"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/posts/?network=LinkedIn&size=25"
    view = SavedView.objects.get()
    assert (view.owner, view.name, view.query, view.shared) == (
        editor,
        "LinkedIn, next days",
        "network=LinkedIn&size=25",
        False,
    )
    html = editor_client.get(response["Location"]).content.decode()
    assert "Saved the view “LinkedIn, next days”." in html
    assert menu(editor_client) == [("/posts/?network=LinkedIn&size=25", "LinkedIn, next days")]


def test_a_view_is_private_unless_shared(editor_client: Client, viewer_client: Client) -> None:
    editor_client.post(SAVE, {"name": "Mine", "query": "preset=drafts"})
    assert menu(viewer_client) == []
    assert "saved-views-menu" not in viewer_client.get("/posts/").content.decode()


def test_a_shared_view_appears_for_teammates_with_the_owners_name(
    editor_client: Client, viewer_client: Client
) -> None:
    editor_client.post(SAVE, {"name": "Failures", "query": "preset=attention", "shared": "on"})
    assert SavedView.objects.get().shared
    assert menu(viewer_client) == [("/posts/?preset=attention", "Failures (shared by alice)")]
    assert menu(editor_client) == [("/posts/?preset=attention", "Failures (shared)")]


def test_a_duplicate_name_is_refused_with_a_message_and_nothing_saved(
    editor_client: Client, viewer_client: Client
) -> None:
    editor_client.post(SAVE, {"name": "Twitter", "query": "network=Twitter"})
    response = editor_client.post(SAVE, {"name": "  Twitter ", "query": "network=Facebook"})
    # The queue the form was posted from comes back, with the error beside the form.
    assert response.status_code == 200
    html = response.content.decode()
    assert "You already have a view called “Twitter”." in html
    assert '<details class="save-view" open>' in html
    assert 'value="network=Facebook"' in html
    assert list(SavedView.objects.values_list("query", flat=True)) == ["network=Twitter"]
    # Names are per person: a teammate may use the same one.
    viewer_client.post(SAVE, {"name": "Twitter", "query": "network=Twitter"})
    assert SavedView.objects.count() == 2


def test_a_view_needs_a_name(editor_client: Client) -> None:
    response = editor_client.post(SAVE, {"name": "   ", "query": "network=Twitter"})
    assert SavedView.objects.count() == 0
    assert response.status_code == 200
    assert 'class="form-errors" role="alert"' in response.content.decode()


def test_a_huge_query_is_refused_in_the_form_not_with_a_400(editor_client: Client) -> None:
    response = editor_client.post(SAVE, {"name": "Huge", "query": "q=" + "x" * 100_000})
    assert response.status_code == 200
    assert "too long to save" in response.content.decode() or "at most 2000" in (
        response.content.decode()
    )
    assert SavedView.objects.count() == 0


def test_a_view_keeps_only_a_query_string_never_a_url_elsewhere(editor_client: Client) -> None:
    response = editor_client.post(
        SAVE, {"name": "Odd", "query": "https://evil.example/?network=Twitter"}
    )
    assert response["Location"].startswith("/posts/?")
    assert "//evil.example" not in response["Location"]
    assert "//evil.example" not in SavedView.objects.get().query


def test_deleting_someone_elses_view_is_not_found(
    editor_client: Client, viewer_client: Client
) -> None:
    editor_client.post(SAVE, {"name": "Shared", "query": "preset=sent", "shared": "on"})
    view = SavedView.objects.get()
    delete = reverse("posts:view_delete", args=[view.id])
    assert viewer_client.post(delete).status_code == 404
    assert SavedView.objects.filter(id=view.id).exists()

    response = editor_client.post(delete, follow=True)
    assert response.redirect_chain == [("/posts/", 302)]
    assert "Deleted the view “Shared”." in response.content.decode()
    assert not SavedView.objects.exists()
    assert editor_client.post(delete).status_code == 404


def test_viewers_can_save_views_too(viewer_client: Client, viewer: User) -> None:
    response = viewer_client.post(SAVE, {"name": "Sent this week", "query": "preset=sent"})
    assert response.status_code == 302
    assert SavedView.objects.get().owner == viewer
    assert menu(viewer_client) == [("/posts/?preset=sent", "Sent this week")]


def test_users_without_a_role_cannot_save_views(outsider: User) -> None:
    client = Client()
    client.force_login(outsider)
    assert client.post(SAVE, {"name": "Nope", "query": ""}).status_code == 403
    assert not SavedView.objects.exists()


def test_saving_needs_a_post_and_a_login(editor_client: Client, client: Client) -> None:
    assert editor_client.get(SAVE).status_code == 405
    response = client.post(SAVE, {"name": "Anon", "query": ""})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not SavedView.objects.exists()


def test_the_saved_views_link_reopens_the_same_filtered_rows(editor_client: Client, db) -> None:
    now = timezone.now()
    launch = f.campaign("Launch")
    for i in range(40):
        f.post(
            status="complete" if i % 3 else "error",
            network="Twitter" if i % 2 else "LinkedIn",
            start_at=now - timedelta(hours=i),
            camp=launch if i % 4 else None,
            clicks=i % 5,
        )
    page = editor_client.get(
        f"/posts/?preset=sent&network=Twitter&campaign={launch.oktopost_id}&sort=clicks&size=25"
    )
    expected = rows(page)
    assert expected
    # What the page's "Save this view" form posts.
    found = re.search(r'name="query" value="([^"]*)" id="save-view-query"', page.content.decode())
    query = unescape(found.group(1))
    editor_client.post(SAVE, {"name": "Twitter launch by clicks", "query": query})

    [(link, name)] = menu(editor_client)
    assert name == "Twitter launch by clicks"
    again = editor_client.get(link)
    assert again.context["notes"] == []
    assert again.context["filters"] == page.context["filters"]
    assert rows(again) == expected
