"""Light, dark or as the device: the theme is kept per user and applied on every page."""

from django.test import Client

from accounts.models import User


def test_pages_follow_the_device_until_the_user_chooses(viewer_client: Client) -> None:
    html = viewer_client.get("/posts/").content.decode()
    # No data-theme: Pico follows prefers-color-scheme.
    assert '<html lang="en" data-clock="24" data-date-order="dmy">' in html
    assert '<meta name="color-scheme" content="light dark">' in html


def test_choosing_dark_is_kept_and_applied(viewer_client: Client, viewer: User) -> None:
    response = viewer_client.post("/accounts/theme/", {"theme": "dark", "next": "/activity/"})
    assert response.status_code == 302 and response["Location"] == "/activity/"
    viewer.refresh_from_db()
    assert viewer.theme == "dark"
    html = viewer_client.get("/posts/").content.decode()
    assert 'data-date-order="dmy" data-theme="dark">' in html
    assert 'value="dark" class="theme-choice" aria-pressed="true"' in html

    viewer_client.post("/accounts/theme/", {"theme": "auto"})
    assert "data-theme" not in viewer_client.get("/posts/").content.decode()


def test_an_unknown_theme_changes_nothing(viewer_client: Client, viewer: User) -> None:
    viewer_client.post("/accounts/theme/", {"theme": "neon", "next": "/posts/"})
    viewer.refresh_from_db()
    assert viewer.theme == "auto"


def test_the_theme_form_needs_csrf_and_a_login(viewer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    assert client.post("/accounts/theme/", {"theme": "dark"}).status_code == 403
    anonymous = Client()
    assert anonymous.post("/accounts/theme/", {"theme": "dark"}).status_code == 302
    viewer.refresh_from_db()
    assert viewer.theme == "auto"


def test_next_may_not_leave_the_site(viewer_client: Client) -> None:
    response = viewer_client.post(
        "/accounts/theme/", {"theme": "light", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_the_theme_is_a_get_free_post_only_view(viewer_client: Client) -> None:
    assert viewer_client.get("/accounts/theme/").status_code == 405
