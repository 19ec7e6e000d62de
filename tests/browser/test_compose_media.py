"""An editor attaches an image in real Chromium, adds a LinkedIn first comment, schedules
the post and sees its thumbnail in the queue."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oktopost.sandbox import media as demo
from posts.models import Post, Profile
from tests.conftest import PASSWORD, make_user
from tests.fixtures_browser import loaded_width, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editor_page(page, oktopost, live_server, settings, tmp_path, request):
    settings.VAR_DIR = tmp_path
    # The sandbox fetches our signed URL from the live server.
    settings.SITE_URL = live_server.url
    request.getfixturevalue("mirror")
    make_user("erin", "editor")
    log_in(page, "erin", PASSWORD)
    return page


def test_attach_an_image_schedule_it_and_see_the_thumbnail_in_the_queue(
    editor_page, tmp_path
) -> None:
    page = editor_page
    picture = tmp_path / "team-photo.png"
    picture.write_bytes(demo.png(120, 80, (240, 120, 0), (0, 60, 200)))
    page.goto("/posts/new/")
    form = page.locator("#compose-form")
    assert page.locator("#compose-preview").count() == 1
    form.locator("select[name=network]").select_option("LinkedIn")
    form.locator("select[name=campaign]").select_option(index=1)
    form.locator("textarea[name=text]").fill("Our team at the launch, photo attached")

    # The first comment is offered only once a LinkedIn profile is ticked.
    assert not page.locator("#first-comment").is_visible()
    linkedin = Profile.objects.filter(network="LinkedIn", status="valid").first()
    form.locator(f"input[name=profiles][value='{linkedin.oktopost_id}']").check()
    assert page.locator("#first-comment").is_visible()

    page.locator("input[data-upload-input]").set_input_files(str(picture))
    ready = page.locator("#attached-files .attached:has-text('Ready in Oktopost')")
    ready.wait_for(timeout=30_000)
    media_id = ready.locator("input[name=media]").get_attribute("value")
    assert media_id.startswith("026")
    assert loaded_width(ready.locator("img.thumb")) > 0

    # The live preview shows the attached picture, then the first comment under it.
    preview_image = page.locator(f"#compose-preview .net-media img[src*='{media_id}']")
    preview_image.first.wait_for()
    page.locator("textarea[name=first_comment_text]").fill("Full story in the link below")
    page.locator("select[name=first_comment_media]").select_option(media_id)
    page.wait_for_selector("#compose-preview .net-comment:has-text('Full story in the link below')")
    when = timezone.localtime(timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    form.locator("input[name=when]").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.wait_for_selector("#create-checks:has-text('UTC')")
    screenshot(page, "compose-media", full_page=True)
    form.locator("button:has-text('Schedule in Oktopost')").click()
    page.wait_for_url("**/posts/?sort=-created")

    post = Post.objects.get(message__text="Our team at the launch, photo attached")
    assert post.media_kind == "image"
    assert post.first_comment["text"] == "Full story in the link below"
    assert post.first_comment["media_id"] == media_id
    assert loaded_width(page.locator(f"#post-{post.oktopost_id} img.row-thumb")) > 0
    screenshot(page, "queue-with-thumbnail")
    # The drawer shows the whole picture and the first comment, which can be removed.
    page.locator(f"#post-{post.oktopost_id} .col-message a").click()
    drawer = page.locator("#drawer.open")
    assert loaded_width(drawer.locator(".media-full img")) == 120
    assert "Full story in the link below" in drawer.locator(".first-comment").inner_text()
    screenshot(page, "drawer-with-media")
    drawer.locator("button:has-text('Remove first comment')").click()
    page.wait_for_selector("#messages:has-text('First comment removed.')")
    post.refresh_from_db()
    assert post.first_comment == {}
    assert [e for e in page.console_errors if "ERR_NAME_NOT_RESOLVED" not in e] == []


def test_an_upload_from_the_drawer_works_without_a_policy_violation(
    editor_page, tmp_path, chromium
) -> None:
    """The form in the queue's drawer uploads too (its script is the page's), and the
    file's status polls swap in without an inline style, even after something (here a
    screenshot) has touched the page's styles. The `chromium` fixture fails the test on
    any Content Security Policy violation."""
    page = editor_page
    picture = tmp_path / "drawer-photo.png"
    picture.write_bytes(demo.png(300, 200, (20, 160, 90), (250, 250, 250)))
    page.goto("/posts/?preset=all")
    page.locator(".queue-head a:has-text('New post')").click()
    drawer = page.locator("#drawer #compose-form")
    drawer.wait_for()
    screenshot(page, "compose-drawer")
    page.locator("#drawer input[data-upload-input]").set_input_files(str(picture))
    ready = page.locator("#drawer #attached-files .attached:has-text('Ready in Oktopost')")
    ready.wait_for(timeout=30_000)
    screenshot(page, "compose-drawer-uploaded")
    # A send with errors swaps the whole form in again (the attachment stays).
    drawer.locator("button[type=submit]").click()
    page.locator("#drawer .errorlist").first.wait_for()
    assert page.locator("#drawer #attached-files .attached:has-text('drawer-photo.png')").count()
    chromium.flush()
    assert chromium.csp_violations == []
