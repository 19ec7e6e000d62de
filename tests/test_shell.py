"""The UI shell: navigation, strict CSP, vendored assets, friendly error pages."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client


def test_shell_has_navigation_user_menu_and_status_slot(editor_client: Client) -> None:
    html = editor_client.get("/calendar/").content.decode()
    for label in ("Queue", "Calendar", "Stats"):
        assert f">{label}</a>" in html
    assert 'id="user-menu"' in html
    assert "alice" in html and "Editor" in html
    assert 'id="status-bar"' in html
    assert 'id="messages"' in html


def test_csrf_token_travels_in_hx_headers_on_body(editor_client: Client) -> None:
    html = editor_client.get("/calendar/").content.decode()
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'>", html)


def test_csp_is_strict(editor_client: Client) -> None:
    response = editor_client.get("/calendar/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_no_inline_script_or_style_in_the_shell(editor_client: Client) -> None:
    html = editor_client.get("/calendar/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html
    assert " style=" not in html
    assert " onclick=" not in html


def test_htmx_is_told_not_to_inject_styles_or_eval(editor_client: Client) -> None:
    html = editor_client.get("/calendar/").content.decode()
    assert '"includeIndicatorStyles": false' in html
    assert '"allowEval": false' in html


def test_vendored_assets_are_served_locally(editor_client: Client) -> None:
    html = editor_client.get("/calendar/").content.decode()
    assert "https://" not in re.sub(r"<a [^>]*>", "", html)
    for asset in ("vendor/htmx-2.0.11.min.js", "vendor/pico-2.1.1.min.css", "js/app.js"):
        assert finders.find(asset), asset
        assert editor_client.get(f"/static/{asset}").status_code == 200


def test_unknown_urls_get_a_404_page_in_the_shell(editor_client: Client) -> None:
    response = editor_client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b'id="user-menu"' in response.content


@pytest.mark.urls("tests.urls_error")
def test_server_errors_get_a_500_page_without_a_traceback(editor) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    response = client.get("/explode/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"secret traceback detail" not in response.content
    assert b"Traceback" not in response.content


def test_every_page_in_the_navigation_is_built(editor_client: Client) -> None:
    for url in ("/posts/", "/calendar/", "/stats/", "/activity/"):
        response = editor_client.get(url)
        assert response.status_code == 200, url
        assert b"not built yet" not in response.content, url
