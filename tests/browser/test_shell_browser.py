"""The shell in real Chromium: log in as the demo users, change the time zone."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from tests.fixtures_browser import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def demo_passwords(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "demo-users.txt"
    call_command("ensure_demo_users", credentials_file=path, stdout=StringIO())
    return dict(line.split(" ", 1) for line in path.read_text().splitlines())


def test_the_demo_editor_logs_in_sees_the_shell_and_changes_the_time_zone(
    page, tmp_path: Path
) -> None:
    passwords = demo_passwords(tmp_path)
    page.goto("/posts/")
    assert "/accounts/login/" in page.url
    log_in(page, "editor", passwords["editor"])
    assert page.url.endswith("/posts/")
    assert page.locator("nav >> text=Queue").is_visible()
    assert page.locator("nav >> text=Calendar").is_visible()
    assert page.locator("#user-menu summary").inner_text().startswith("editor")
    screenshot(page, "shell-editor")

    page.click("#user-menu summary")
    page.click("text=Time zone: UTC")
    page.select_option("select[name=time_zone]", "Europe/Berlin")
    page.click("button:has-text('Save')")
    assert "Times are now shown in Europe/Berlin" in page.inner_text("#messages")
    assert User.objects.get(username="editor").time_zone == "Europe/Berlin"
    assert "times in Europe/Berlin" in page.inner_text("footer")
    # The page ran under the strict CSP: a violation would be a console error.
    assert page.console_errors == []


def test_the_demo_viewer_logs_in_and_out(page, tmp_path: Path) -> None:
    passwords = demo_passwords(tmp_path)
    log_in(page, "viewer", passwords["viewer"])
    assert "Viewer" in page.inner_text("#user-menu summary")
    screenshot(page, "shell-viewer")
    page.click("#user-menu summary")
    page.click("text=Log out")
    page.wait_for_url("**/accounts/login/")
    page.goto("/posts/")
    assert "/accounts/login/" in page.url
    assert page.console_errors == []


def test_a_wrong_password_shows_the_message_in_the_browser(page, tmp_path: Path) -> None:
    demo_passwords(tmp_path)
    log_in(page, "editor", "not-the-password")
    assert "Please enter a correct username and password" in page.inner_text("main")
