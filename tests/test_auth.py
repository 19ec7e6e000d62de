"""Login everywhere but /health/; roles enforced in views; throttled logins."""

import importlib
import io
import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import Client, RequestFactory

from core.roles import editor_required, role_required
from tests.conftest import PASSWORD


@pytest.mark.parametrize("url", ["/", "/posts/", "/calendar/", "/stats/", "/accounts/time-zone/"])
def test_pages_need_login(db, client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_health_needs_no_login(db, client: Client) -> None:
    assert client.get("/health/").status_code == 200


def test_login_page_logs_in_and_redirects_to_the_queue(client: Client, editor) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).status_code == 200


def test_a_wrong_password_shows_the_usual_message(client: Client, editor) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_repeated_failures_are_throttled_even_with_the_right_password(
    client: Client, editor
) -> None:
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(editor_client: Client) -> None:
    assert editor_client.get("/accounts/logout/").status_code == 405
    response = editor_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert editor_client.get("/posts/").status_code == 302


def test_csrf_is_enforced_on_posts(editor) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post("/accounts/time-zone/", {"time_zone": "Europe/Paris"})
    assert response.status_code == 403
    editor.refresh_from_db()
    assert editor.time_zone == "UTC"


def _write_view(request) -> HttpResponse:
    return HttpResponse("written")


@pytest.mark.parametrize(
    ("user_fixture", "allowed"), [("editor", True), ("viewer", False), ("outsider", False)]
)
def test_editor_required_refuses_everyone_but_editors(
    request, rf: RequestFactory, user_fixture: str, allowed: bool
) -> None:
    http_request = rf.post("/write/")
    http_request.user = request.getfixturevalue(user_fixture)
    view = editor_required(_write_view)
    if allowed:
        assert view(http_request).content == b"written"
    else:
        with pytest.raises(PermissionDenied):
            view(http_request)


def test_viewer_role_admits_editors_and_viewers_but_not_outsiders(
    rf: RequestFactory, editor, viewer, outsider
) -> None:
    view = role_required("viewer")(_write_view)
    for user, allowed in ((editor, True), (viewer, True), (outsider, False)):
        http_request = rf.get("/read/")
        http_request.user = user
        if allowed:
            assert view(http_request).status_code == 200
        else:
            with pytest.raises(PermissionDenied):
                view(http_request)


def test_roles_exist_after_migrations(db) -> None:
    from django.apps import apps
    from django.contrib.auth.models import Group

    # The migration's own work, run again here: rows it wrote when the test database
    # was made are gone after any transactional test's flush.
    Group.objects.all().delete()
    importlib.import_module("accounts.migrations.0002_roles").create_roles(apps, None)
    assert set(Group.objects.values_list("name", flat=True)) >= {"editor", "viewer"}


@pytest.mark.parametrize("url", ["/calendar/", "/stats/", "/posts/status/"])
def test_pages_need_a_role_not_only_a_login(client: Client, outsider, url: str) -> None:
    client.force_login(outsider)
    assert client.get(url).status_code == 403


def test_signed_in_pages_are_private_and_not_stored(editor_client: Client) -> None:
    for url in ("/posts/", "/activity/", "/accounts/time-zone/"):
        cache_control = editor_client.get(url)["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control


def test_behind_a_proxy_one_clients_failures_do_not_lock_out_another(
    client: Client, editor, settings
) -> None:
    """Every request comes from the proxy's address; the proxy appends the client's."""
    settings.BEHIND_PROXY = True
    proxy = {"REMOTE_ADDR": "172.18.0.5"}
    for _ in range(5):
        client.post(
            "/accounts/login/",
            {"username": "alice", "password": "wrong"},
            # A forged left-most hop must not help the attacker either.
            HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9",
            **proxy,
        )
    attacker = client.post(
        "/accounts/login/",
        {"username": "alice", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        **proxy,
    )
    assert attacker.status_code == 429
    alice = Client()
    response = alice.post(
        "/accounts/login/",
        {"username": "alice", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
        **proxy,
    )
    assert response.status_code == 302


def test_a_refused_request_is_one_line_in_the_log(viewer_client: Client) -> None:
    from oktodash.logredact import RedactingFormatter

    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, RedactingFormatter)
    )
    written = io.StringIO()
    old = handler.setStream(written)
    try:
        assert viewer_client.get("/posts/new/").status_code == 403
    finally:
        handler.setStream(old)
    lines = [line for line in written.getvalue().splitlines() if line]
    assert len(lines) == 1, lines
    assert "Forbidden" in lines[0] and "/posts/new/" in lines[0]


def test_roles_given_taken_or_renamed_count_from_the_next_request(
    editor_client: Client, editor
) -> None:
    """Roles come from a cache shared by every request (core.roles.role_names); any change
    to a user's groups, or to a group, must show at once."""
    from django.contrib.auth.models import Group

    from core.roles import EDITOR

    assert editor_client.get("/posts/new/").status_code == 200  # the roles are cached now
    group = Group.objects.get(name=EDITOR)
    editor.groups.remove(group)
    assert editor_client.get("/posts/new/").status_code == 403
    group.user_set.add(editor)  # from the group's side
    assert editor_client.get("/posts/new/").status_code == 200
    group.name = "former editors"
    group.save()
    assert editor_client.get("/posts/new/").status_code == 403
    group.name = EDITOR
    group.save()
    assert editor_client.get("/posts/new/").status_code == 200
    group.delete()
    assert editor_client.get("/posts/new/").status_code == 403


def test_logout_ends_the_session_for_every_copy_of_its_cookie(editor) -> None:
    """A cookie copied before the logout is refused after it, though the session had
    been read through it."""
    client = Client()
    client.force_login(editor)
    copy = Client()
    copy.cookies = client.cookies.__class__(client.cookies)
    assert copy.get("/posts/").status_code == 200
    client.post("/accounts/logout/")
    assert copy.get("/posts/").status_code == 302
