"""The new-post form with media and a LinkedIn first comment, end to end against the
sandbox (which fetches our signed URLs from a live server); the queue's media filter and
thumbnails; editing the first comment on the detail page."""

import secrets
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from attachments import links
from attachments.models import LocalFile
from posts import mirror as mirror_writer
from posts.models import Activity, MediaItem, Message, Post, Profile
from tests import factories as f
from tests.test_attachments import MP4, PNG, wait_until_settled

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def reachable(live_server, settings):
    settings.SITE_URL = live_server.url
    return live_server


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def profile_of(network: str) -> Profile:
    return Profile.objects.filter(network=network, status="valid").order_by("id").first()


def form(network: str, **overrides) -> dict:
    campaign = Post.objects.exclude(campaign_id=None).first().campaign_id
    return {
        "source": "new",
        "network": network,
        "campaign": campaign,
        "text": f"With media {secrets.token_hex(3)}",
        "profiles": [profile_of(network).oktopost_id],
        "when": local(timezone.now() + timedelta(days=3)),
        "status": "pending",
        "submit_key": secrets.token_urlsafe(12),
        **overrides,
    }


def writes(sandbox) -> dict[str, int]:
    calls = sandbox.calls()["by_endpoint"]
    return {
        k: calls.get(k, 0) for k in ("POST /message", "POST /post", "POST /upload", "POST /media")
    }


def upload(client: Client, name: str, data: bytes) -> LocalFile:
    client.post("/attachments/upload/", {"file": SimpleUploadedFile(name, data)})
    return LocalFile.objects.order_by("-id").first()


# --- end to end ------------------------------------------------------------------------


def test_an_image_post_end_to_end_through_the_form(mirror, reachable, editor_client) -> None:
    file = wait_until_settled(editor_client, upload(editor_client, "sunrise.png", PNG))
    assert file.state == "complete", file.reason
    response = editor_client.post("/posts/new/", form("LinkedIn", media=[file.media_id]))
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.order_by("-id").first()
    assert post.media_kind == "image"
    message = Message.objects.get(oktopost_id=post.message_id)
    assert [m["id"] for m in message.media] == [file.media_id]
    assert message.media[0]["type"] == "Image"
    # Oktopost has the media on the message (read back over HTTP).
    from posts.connection import get_client

    assert get_client().messages_by_ids([post.message_id])[0].raw["Media"][0]["Id"] == file.media_id
    entries = Activity.objects.filter(outcome="ok").values_list("action", flat=True)
    assert {"media_upload", "message_create", "create"} <= set(entries)
    # The queue shows it with a thumbnail, and filters it.
    html = editor_client.get("/posts/?media=image&sort=-created").content.decode()
    assert f'id="post-{post.oktopost_id}"' in html
    assert f"/attachments/thumb/{file.media_id}/" in html
    assert (
        f'id="post-{post.oktopost_id}"'
        not in editor_client.get("/posts/?media=none&sort=-created").content.decode()
    )
    # The detail page shows the whole picture.
    detail = editor_client.get(f"/posts/{post.oktopost_id}/").content.decode()
    assert f'src="/attachments/thumb/{file.media_id}/"' in detail


def test_a_video_post_end_to_end_through_the_form(mirror, reachable, editor_client) -> None:
    file = upload(editor_client, "clip.mp4", MP4)
    assert file.state == "pending"
    file = wait_until_settled(editor_client, file)
    assert file.usable, file.reason
    response = editor_client.post("/posts/new/", form("Twitter", upload=[file.key]))
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.order_by("-id").first()
    assert post.media_kind == "video"
    assert Message.objects.get(oktopost_id=post.message_id).media[0]["id"] == file.media_id
    html = editor_client.get("/posts/?media=video").content.decode()
    assert f'id="post-{post.oktopost_id}"' in html
    assert "thumb-video" in html


def test_a_pending_upload_creates_nothing_and_says_so(mirror, reachable, editor_client) -> None:
    mirror.control("POST", "options", {"upload_delay": 30})
    file = upload(editor_client, "slow.png", PNG)
    before = writes(mirror)
    response = editor_client.post("/posts/new/", form("LinkedIn", upload=[file.key]))
    assert response.status_code == 200
    assert "slow.png is still being processed by Oktopost" in response.content.decode()
    assert writes(mirror) == before
    assert not Activity.objects.filter(action__in=["create", "message_create"]).exists()


def test_a_failed_upload_leaves_nothing_half_created(mirror, editor_client, settings) -> None:
    from tests.fixtures_sandbox import free_port

    settings.SITE_URL = f"http://127.0.0.1:{free_port()}"
    file = wait_until_settled(editor_client, upload(editor_client, "lost.png", PNG))
    assert file.state == "failed"
    posts_before, messages_before = Post.objects.count(), Message.objects.count()
    before = writes(mirror)
    response = editor_client.post("/posts/new/", form("LinkedIn", upload=[file.key]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was created." in html
    assert "Oktopost could not take lost.png" in html
    assert (Post.objects.count(), Message.objects.count()) == (posts_before, messages_before)
    assert writes(mirror) == before
    assert not Activity.objects.filter(
        action__in=["create", "message_create"], outcome="ok"
    ).exists()
    # The file is kept for another try, and the form shows it again.
    assert LocalFile.objects.filter(id=file.id, state="failed").exists()
    assert f'id="file-{file.key}"' in html


# --- the first comment -----------------------------------------------------------------


def test_a_first_comment_is_refused_without_a_linkedin_profile(mirror, editor_client) -> None:
    before = writes(mirror)
    response = editor_client.post(
        "/posts/new/", form("Twitter", first_comment_text="Read more in the comments")
    )
    assert response.status_code == 200
    assert "A first comment can only go with a LinkedIn profile" in response.content.decode()
    assert writes(mirror) == before


def test_a_linkedin_post_keeps_its_first_comment_and_it_can_be_changed_and_removed(
    mirror, editor_client
) -> None:
    response = editor_client.post(
        "/posts/new/", form("LinkedIn", first_comment_text="Link in the first comment")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.order_by("-id").first()
    assert post.first_comment["text"] == "Link in the first comment"
    detail = editor_client.get(f"/posts/{post.oktopost_id}/").content.decode()
    assert "Link in the first comment" in detail
    assert "Remove first comment" in detail

    stamp = post.modified.isoformat()
    editor_client.post(
        f"/posts/{post.oktopost_id}/first-comment/",
        {"text": "A better comment", "media_id": "", "expected_modified": stamp},
    )
    post.refresh_from_db()
    assert post.first_comment["text"] == "A better comment"
    from posts.connection import get_client

    assert get_client().post_get(post.oktopost_id).raw["FirstComment"]["Text"] == "A better comment"

    editor_client.post(
        f"/posts/{post.oktopost_id}/first-comment/",
        {"remove": "1", "expected_modified": post.modified.isoformat()},
    )
    post.refresh_from_db()
    assert post.first_comment == {}
    assert "FirstComment" not in get_client().post_get(post.oktopost_id).raw
    actions = list(
        Activity.objects.filter(action="first_comment", outcome="ok").values_list(
            "action", flat=True
        )
    )
    assert len(actions) == 2
    activity = editor_client.get("/activity/").content.decode()
    assert "First comment: Link in the first comment → A better comment" in activity
    assert "First comment: A better comment → removed" in activity


def test_a_first_comment_over_3000_characters_is_refused(mirror, editor_client) -> None:
    before = writes(mirror)
    response = editor_client.post("/posts/new/", form("LinkedIn", first_comment_text="x" * 3001))
    assert response.status_code == 200
    assert "3000" in response.content.decode()
    assert writes(mirror) == before


def test_viewers_cannot_change_a_first_comment(mirror, viewer_client) -> None:
    post = Post.objects.filter(network="LinkedIn", status="pending").first()
    response = viewer_client.post(
        f"/posts/{post.oktopost_id}/first-comment/", {"text": "x", "expected_modified": ""}
    )
    assert response.status_code == 403


# --- limits before any write -----------------------------------------------------------


def library_images(n: int, size: int = 1000) -> list[str]:
    now = timezone.now()
    raw = [
        {"Id": f"026{secrets.token_hex(6)}", "Type": "Image", "Name": f"pic{i}.png", "Size": size}
        for i in range(n)
    ]
    mirror_writer.media_upsert_raw(raw, now=now)
    return [r["Id"] for r in raw]


def test_network_limits_are_refused_before_anything_is_sent(mirror, editor_client) -> None:
    before = writes(mirror)
    five = library_images(5)
    response = editor_client.post("/posts/new/", form("Twitter", media=five))
    assert "Twitter takes at most 4 images; 5 are attached." in response.content.decode()
    big = library_images(1, size=6_000_000)
    response = editor_client.post("/posts/new/", form("Twitter", media=big))
    assert "Twitter takes images up to 5 MB" in response.content.decode()
    response = editor_client.post("/posts/new/", form("YouTube", title="A film", media=five[:1]))
    assert "YouTube does not take images" in response.content.decode()
    assert writes(mirror) == before


def test_an_unknown_limit_is_said_to_be_unknown(mirror, editor_client) -> None:
    one = library_images(1)
    page = editor_client.get(
        "/posts/new/checks/", {"network": "LinkedIn", "source": "new", "media": one}
    ).content.decode()
    assert "LinkedIn&#x27;s image size limit is unknown" in page


def test_an_unknown_media_id_is_refused(mirror, editor_client) -> None:
    response = editor_client.post("/posts/new/", form("LinkedIn", media=["026doesnotexist"]))
    assert "not known here" in response.content.decode()


# --- images by address, the library, thumbnails ----------------------------------------


def test_a_pasted_address_must_be_http_and_public(mirror, editor_client) -> None:
    for url, words in [
        ("file:///etc/passwd", "Only http:// and https://"),
        ("http://127.0.0.1/admin.png", "private network"),
        ("http://169.254.169.254/latest/meta-data", "private network"),
        ("http://10.1.2.3:8080/x.png", "usual web ports"),
    ]:
        html = editor_client.post("/attachments/by-address/", {"media_url": url}).content.decode()
        assert words in html, url
    assert writes(mirror)["POST /media"] == 0


def test_a_pasted_image_address_is_checked_then_added_to_the_library(
    mirror, reachable, editor_client, editor, settings
) -> None:
    settings.ATTACHMENTS_FETCH_PRIVATE = True  # the live server is on loopback
    from attachments import services

    stored = services.file_store(user=editor, upload=SimpleUploadedFile("p.png", PNG))
    url = links.source_url(str(stored.token), file_name=stored.disk_name)
    html = editor_client.post("/attachments/by-address/", {"media_url": url}).content.decode()
    item = MediaItem.objects.get(name=stored.disk_name)
    assert f'name="media" value="{item.oktopost_id}"' in html
    assert writes(mirror)["POST /media"] == 1
    # Not an image: refused before Oktopost is asked.
    pdf = services.file_store(user=editor, upload=SimpleUploadedFile("d.pdf", b"%PDF-1.4\n%%EOF\n"))
    url = links.source_url(str(pdf.token), file_name=pdf.disk_name)
    html = editor_client.post("/attachments/by-address/", {"media_url": url}).content.decode()
    assert "does not answer with an image" in html
    assert writes(mirror)["POST /media"] == 1


def test_the_library_lists_media_with_thumbnails_served_from_a_cached_copy(
    mirror, editor_client
) -> None:
    html = editor_client.get("/attachments/library/").content.decode()
    item = MediaItem.objects.filter(type__in=["Image", "ImageUrl"]).first()
    assert item is not None, "the sandbox's demo library has images"
    assert f'value="{item.oktopost_id}"' in html
    response = editor_client.get(f"/attachments/thumb/{item.oktopost_id}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")
    assert response["X-Content-Type-Options"] == "nosniff"
    first = b"".join(response.streaming_content)
    assert first.startswith((b"\x89PNG", b"\xff\xd8", b"GIF8"))
    # Second time from the cache, not from the resource: the same bytes even when the
    # resource no longer answers.
    MediaItem.objects.filter(id=item.id).update(resource="https://gone.invalid/x.png")
    again = editor_client.get(f"/attachments/thumb/{item.oktopost_id}/")
    assert b"".join(again.streaming_content) == first


def test_a_thumbnail_is_never_fetched_from_a_private_address_in_a_record(db, editor_client) -> None:
    mirror_writer.media_upsert_raw(
        [{"Id": "026evil0000001", "Type": "Image", "Resource": "http://10.0.0.5/secret.png"}],
        now=timezone.now(),
    )
    assert editor_client.get("/attachments/thumb/026evil0000001/").status_code == 404
    assert editor_client.get("/attachments/thumb/not-an-id/").status_code == 404


# --- the mirror ------------------------------------------------------------------------


def test_the_sync_keeps_message_media_and_post_media_kind(mirror) -> None:
    with_media = Message.objects.exclude(media=[])
    assert with_media.exists(), "the sandbox's demo messages include images"
    message = with_media.first()
    assert message.media_kind == "image"
    assert {"id", "type", "name", "resource"} <= set(message.media[0])
    assert (
        Post.objects.filter(message_id=message.oktopost_id).exclude(media_kind="image").count() == 0
    )
    assert Post.objects.filter(media_kind="").exists()


def test_the_queue_filter_by_media_and_its_notes(db, editor_client) -> None:
    msg = f.message("pic")
    img = f.post(msg=msg, media_kind="image")
    vid = f.post(media_kind="video")
    txt = f.post()
    page = editor_client.get("/posts/?media=image").content.decode()
    assert f"post-{img.oktopost_id}" in page and f"post-{vid.oktopost_id}" not in page
    page = editor_client.get("/posts/?media=none").content.decode()
    assert f"post-{txt.oktopost_id}" in page and f"post-{img.oktopost_id}" not in page
    page = editor_client.get("/posts/?media=sound").content.decode()
    assert "Ignored media" in page
    assert "With image" in editor_client.get("/posts/?media=image").content.decode()


def test_the_stats_page_takes_the_media_filter(db, editor_client) -> None:
    f.post(status="complete", media_kind="image", start_at=timezone.now() - timedelta(days=1))
    html = editor_client.get("/stats/?media=image").content.decode()
    assert "With image" in html
    assert "Ignored media" not in html


def test_preview_media_describes_attached_media_in_the_order_given(db, editor) -> None:
    from attachments import services
    from attachments.selectors import preview_media

    ids = library_images(2)
    mirror_writer.media_upsert_raw(
        [{"Id": "026video0000001", "Type": "Video", "Name": "film.mp4", "Size": 9}],
        now=timezone.now(),
    )
    file = services.file_store(user=editor, upload=SimpleUploadedFile("own.png", PNG))
    LocalFile.objects.filter(id=file.id).update(media_id="026own000000001", state="complete")
    found = preview_media([ids[1], "026video0000001", "026own000000001", "026unknown", "bad"])
    assert [m.id for m in found] == [ids[1], "026video0000001", "026own000000001"]
    assert [m.kind for m in found] == ["image", "video", "image"]
    assert found[0].thumbnail_url == f"/attachments/thumb/{ids[1]}/"
    assert found[1].thumbnail_url == ""
    assert (found[2].name, found[2].width, found[2].height) == ("own.png", 40, 30)
