"""attachments/: content sniffing, the signed source URL Oktopost fetches, roles, and an
upload from the computer through Oktopost's /upload (the sandbox fetches our URL)."""

import io
import os
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from attachments import links, sniff, storage
from attachments.models import LocalFile
from oktopost.sandbox import media as demo
from posts.models import Activity, MediaItem

pytestmark = pytest.mark.django_db

PNG = demo.png(40, 30, (200, 10, 10), (10, 10, 200))
MP4 = demo.mp4(12.0)
GIF = b"GIF89a" + b"\x05\x00\x04\x00" + b"\x00" * 20 + b";"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\xff\xc0\x00\x11\x08\x00\x20\x00\x30\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00\x12\x34"
    + b"\xff\xd9"
)
EXE = b"MZ\x90\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media_dir(settings, tmp_path):
    """Stored files of each test in a folder of its own."""
    settings.VAR_DIR = tmp_path


def sniffed(data: bytes) -> sniff.Sniffed:
    return sniff.sniff(io.BytesIO(data), size=len(data))


# --- content sniffing ------------------------------------------------------------------


def test_each_accepted_kind_is_recognised_by_its_bytes_with_its_size() -> None:
    assert sniffed(PNG) == sniff.Sniffed("png", 40, 30)
    assert sniffed(GIF) == sniff.Sniffed("gif", 5, 4)
    assert sniffed(JPEG) == sniff.Sniffed("jpeg", 48, 32)
    assert sniffed(PDF).kind == "pdf"
    video = sniffed(MP4)
    assert (video.kind, video.media_kind, round(video.duration)) == ("mp4", "video", 12)


def test_a_renamed_program_is_refused_whatever_its_name() -> None:
    with pytest.raises(sniff.Refused, match="not one Oktopost accepts"):
        sniffed(EXE)


@pytest.mark.parametrize(
    "data", [PNG, JPEG, GIF, PDF, MP4], ids=["png", "jpeg", "gif", "pdf", "mp4"]
)
def test_a_file_cut_short_is_refused_as_damaged(data: bytes) -> None:
    with pytest.raises(sniff.Refused, match="damaged or cut short"):
        sniffed(data[: len(data) * 2 // 3])


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(sniff.Refused, match="empty"):
        sniffed(b"")


# --- the signed source URL -------------------------------------------------------------


def stored(editor, data: bytes = PNG, name: str = "photo.png") -> LocalFile:
    from attachments import services

    return services.file_store(user=editor, upload=SimpleUploadedFile(name, data))


def source_path(local: LocalFile) -> str:
    return (
        links.source_url(str(local.token), file_name=local.disk_name)
        .split("://", 1)[1]
        .split("/", 1)[1]
    )


def test_the_signed_url_serves_the_bytes_without_a_login(editor) -> None:
    local = stored(editor)
    response = Client().get("/" + source_path(local))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(len(PNG))
    assert response["Accept-Ranges"] == "bytes"
    assert "sessionid" not in response.cookies


def test_head_gives_the_size_and_no_body(editor) -> None:
    local = stored(editor)
    response = Client().head("/" + source_path(local))
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(PNG))
    assert response.content == b""


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=10-", 10, None),
        ("bytes=-7", -7, None),
        ("bytes=5-99999", 5, None),
    ],
)
def test_a_range_answers_206_with_exactly_those_bytes(editor, header, start, end) -> None:
    local = stored(editor)
    response = Client().get("/" + source_path(local), headers={"Range": header})
    assert response.status_code == 206
    body = b"".join(response.streaming_content)
    expected = PNG[start : (end + 1 if end is not None else None)]
    assert body == expected
    first = len(PNG) + start if start < 0 else start
    assert response["Content-Range"] == f"bytes {first}-{first + len(expected) - 1}/{len(PNG)}"
    assert response["Content-Length"] == str(len(expected))


def test_a_range_past_the_end_answers_416(editor) -> None:
    local = stored(editor)
    response = Client().get("/" + source_path(local), headers={"Range": f"bytes={len(PNG)}-"})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(PNG)}"


def test_an_altered_signature_is_refused(editor) -> None:
    local = stored(editor)
    path = source_path(local)
    signed = path.split("/")[2]
    tampered = path.replace(signed, signed[:-2] + ("AA" if signed[-2:] != "AA" else "BB"))
    assert Client().get("/" + tampered).status_code == 403
    # Signed for another salt (e.g. a queue cursor): not ours either.
    other = signing.dumps(str(local.token), salt="posts.queue.cursor", compress=True)
    assert Client().get(f"/attachments/source/{other}/{local.disk_name}").status_code == 403


def test_an_expired_link_is_refused(editor) -> None:
    local = stored(editor)
    path = source_path(local)
    later = time.time() + links.VALID_FOR + 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = Client().get("/" + path)
    assert response.status_code == 403
    assert b"expired" in response.content


def test_a_valid_link_to_a_file_that_is_gone_is_404(editor) -> None:
    local = stored(editor)
    storage.upload_path(local.disk_name).unlink()
    assert Client().get("/" + source_path(local)).status_code == 404


def test_stored_files_are_not_reachable_any_other_way(editor, client) -> None:
    local = stored(editor)
    assert client.get(f"/static/{local.disk_name}").status_code == 404
    assert client.get(f"/media/uploads/{local.disk_name}").status_code == 404
    assert "static" not in str(storage.upload_path(local.disk_name))


# --- roles and bad files ---------------------------------------------------------------


def test_viewers_cannot_upload(viewer_client) -> None:
    response = viewer_client.post(
        "/attachments/upload/", {"file": SimpleUploadedFile("a.png", PNG)}
    )
    assert response.status_code == 403
    assert LocalFile.objects.count() == 0


def test_an_upload_needs_a_login(client) -> None:
    response = client.post("/attachments/upload/", {"file": SimpleUploadedFile("a.png", PNG)})
    assert response.status_code in (302, 403)
    assert LocalFile.objects.count() == 0


def test_a_renamed_exe_is_refused_in_words_and_nothing_is_kept_or_sent(
    oktopost, editor_client
) -> None:
    response = editor_client.post(
        "/attachments/upload/", {"file": SimpleUploadedFile("holiday.png", EXE)}
    )
    assert response.status_code == 200
    assert "holiday.png: This file is not one Oktopost accepts" in response.content.decode()
    assert LocalFile.objects.count() == 0
    assert not [p for p in storage.uploads_dir().iterdir()]
    assert oktopost.calls()["by_endpoint"].get("POST /upload", 0) == 0


def test_a_truncated_image_is_refused(oktopost, editor_client) -> None:
    response = editor_client.post(
        "/attachments/upload/", {"file": SimpleUploadedFile("cut.png", PNG[:-20])}
    )
    assert "damaged or cut short" in response.content.decode()
    assert LocalFile.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(oktopost, editor_client, settings) -> None:
    settings.ATTACHMENTS_MAX_MB = 1
    big = demo.mp4(5.0, payload=b"\x00" * 1_200_000)
    response = editor_client.post(
        "/attachments/upload/", {"file": SimpleUploadedFile("big.mp4", big)}
    )
    assert "files up to 1 MB" in response.content.decode()
    assert LocalFile.objects.count() == 0


# --- through Oktopost's /upload --------------------------------------------------------


def wait_until_settled(client: Client, local: LocalFile, seconds: float = 20.0) -> LocalFile:
    """Poll the state view as the page does, until Oktopost has decided (bounded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        client.get(f"/attachments/files/{local.key}/")
        local.refresh_from_db()
        if local.state in ("complete", "failed") and (
            local.kind != "mp4" or local.video_ok is not None or local.state == "failed"
        ):
            return local
        time.sleep(0.3)
    return local


@pytest.fixture
def reachable(live_server, settings):
    """The sandbox fetches our signed URL: serve it on a real port."""
    settings.SITE_URL = live_server.url
    return live_server


@pytest.mark.django_db(transaction=True)
def test_an_image_goes_pending_then_complete_with_its_media_in_the_mirror(
    oktopost, reachable, editor_client
) -> None:
    response = editor_client.post(
        "/attachments/upload/", {"file": SimpleUploadedFile("sun.png", PNG)}
    )
    html = response.content.decode()
    local = LocalFile.objects.get()
    assert local.state == "pending"
    assert "Oktopost is processing the file" in html
    assert f'name="upload" value="{local.key}"' in html
    assert f'hx-get="/attachments/files/{local.key}/"' in html
    local = wait_until_settled(editor_client, local)
    assert local.state == "complete", local.reason
    assert local.media_id.startswith("026")
    final = editor_client.get(f"/attachments/files/{local.key}/").content.decode()
    assert f'name="media" value="{local.media_id}"' in final
    assert "Ready in Oktopost" in final
    assert "hx-get" not in final  # polling stops
    assert MediaItem.objects.get(oktopost_id=local.media_id).type == "Image"
    # The sandbox really read our URL, HEAD and ranged GET.
    assert oktopost.calls()["by_endpoint"].get("POST /upload") == 1
    assert Activity.objects.filter(action="media_upload", outcome="ok").count() == 1
    # The thumbnail is our own stored copy, served to a logged-in reader.
    thumb = editor_client.get(f"/attachments/thumb/{local.media_id}/")
    assert thumb.status_code == 200
    assert b"".join(thumb.streaming_content) == PNG
    assert Client().get(f"/attachments/thumb/{local.media_id}/").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_video_is_checked_by_oktopost_before_it_is_usable(
    oktopost, reachable, editor_client
) -> None:
    editor_client.post("/attachments/upload/", {"file": SimpleUploadedFile("clip.mp4", MP4)})
    local = wait_until_settled(editor_client, LocalFile.objects.get())
    assert local.state == "complete", local.reason
    assert local.video_ok is True
    assert local.usable
    assert oktopost.calls()["by_endpoint"].get("GET /video-validate/{id}", 0) >= 1


@pytest.mark.django_db(transaction=True)
def test_an_upload_oktopost_cannot_fetch_fails_with_its_reason_and_the_file_is_kept(
    oktopost, editor_client, settings
) -> None:
    from tests.fixtures_sandbox import free_port

    settings.SITE_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    editor_client.post("/attachments/upload/", {"file": SimpleUploadedFile("sun.png", PNG)})
    local = wait_until_settled(editor_client, LocalFile.objects.get())
    assert local.state == "failed"
    assert local.reason
    html = editor_client.get(f"/attachments/files/{local.key}/").content.decode()
    assert "Oktopost could not take this file" in html
    assert "Send again" in html
    assert storage.upload_path(local.disk_name).exists()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/attachments/files/{id}/"),
        ("post", "/attachments/files/{id}/retry/"),
        ("get", "/attachments/library/"),
        ("post", "/attachments/by-address/"),
    ],
)
def test_viewers_get_403_on_every_other_attachment_write(
    viewer_client, editor, method, url
) -> None:
    local = stored(editor)
    response = getattr(viewer_client, method)(url.format(id=local.key))
    assert response.status_code == 403
    assert LocalFile.objects.get(id=local.id).state == "stored"


def test_every_attachment_post_needs_the_csrf_token(editor) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    for url in ("/attachments/upload/", "/attachments/by-address/"):
        assert client.post(url, {"media_url": "https://example.com/a.png"}).status_code == 403


# --- the networks' media limits (posts.media_rules, pure) -------------------------------


def test_media_rules_refuse_what_a_network_cannot_take_and_name_what_is_unknown() -> None:
    from posts.media_rules import Item, check

    video = Item("video", "clip.mp4", size=10_000_000, seconds=200)
    assert (
        "clip.mp4 lasts 200 s; Twitter takes videos up to 140 s."
        in check("Twitter", [video]).errors
    )
    assert check("Twitter", [Item("video", "short.mp4", 1000, 30)]).errors == ()
    mixed = check("LinkedIn", [Item("image", "a.png", 10), Item("video", "b.mp4", 10, 5)])
    assert "Attach images, a video or a document, not a mix of them." in mixed.errors
    assert (
        "Facebook does not take PDF documents; only LinkedIn does."
        in check("Facebook", [Item("pdf", "deck.pdf", 10)]).errors
    )
    assert check("Instagram", []).errors == ("Instagram posts need an image or a video.",)
    facebook_video = check("Facebook", [Item("video", "v.mp4", 10, 5)])
    assert facebook_video.errors == ()
    assert "Facebook's video length limit is unknown." in facebook_video.unknown
    assert check("Twitter", [Item("image", "x.png", None)]).unknown == (
        "The size of x.png is unknown.",
    )
    assert check("LinkedIn", []).errors == () and check("LinkedIn", []).unknown == ()


# --- housekeeping ------------------------------------------------------------------------


def _age(path, days: float) -> None:
    when = (timezone.now() - timedelta(days=days)).timestamp()
    os.utime(path, (when, when))


def test_prune_drops_old_bytes_and_keeps_what_may_still_be_needed(editor) -> None:
    from attachments import services

    now = timezone.now()
    done_old, done_new, failed_old, failed_new = (stored(editor) for _ in range(4))
    LocalFile.objects.filter(id=done_old.id).update(
        state=LocalFile.State.COMPLETE, created=now - timedelta(days=8)
    )
    LocalFile.objects.filter(id=done_new.id).update(
        state=LocalFile.State.COMPLETE, created=now - timedelta(days=6)
    )
    LocalFile.objects.filter(id=failed_old.id).update(
        state=LocalFile.State.FAILED, created=now - timedelta(days=31)
    )
    LocalFile.objects.filter(id=failed_new.id).update(
        state=LocalFile.State.FAILED, created=now - timedelta(days=20)
    )
    stale, fresh = (
        storage.cache_path("026000000000001.png"),
        storage.cache_path("026000000000002.png"),
    )
    stale.write_bytes(PNG)
    fresh.write_bytes(PNG)
    _age(stale, 31)
    leftover = storage.uploads_dir() / ".incoming-abc"
    leftover.write_bytes(b"x" * 10)
    _age(leftover, 2)

    pruned = services.files_prune()

    def on_disk(local: LocalFile) -> bool:
        return storage.upload_path(local.disk_name).exists()

    assert not on_disk(done_old) and not on_disk(failed_old)
    assert on_disk(done_new) and on_disk(failed_new)
    assert not stale.exists() and fresh.exists() and not leftover.exists()
    assert (pruned.files, pruned.cached, pruned.partial) == (2, 1, 1)
    assert LocalFile.objects.count() == 4  # the rows stay
    assert services.files_prune() == services.Pruned(0, 0, 0, 0)  # nothing twice


def test_prune_runs_as_the_daily_task(editor, settings) -> None:
    from attachments.tasks import attachments_prune

    local = stored(editor)
    LocalFile.objects.filter(id=local.id).update(
        state=LocalFile.State.COMPLETE, created=timezone.now() - timedelta(days=9)
    )
    assert attachments_prune.apply().get() == {"files": 1, "cached": 0, "partial": 0}
    assert not storage.upload_path(local.disk_name).exists()
    assert settings.CELERY_BEAT_SCHEDULE["attachments-prune"]["task"] == attachments_prune.name
