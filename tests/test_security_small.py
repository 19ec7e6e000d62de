"""Issue 23's smaller findings, one test (or two) each."""

import struct
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from alerts.models import Dispatch
from alerts.services import detect, send
from attachments import links, services, sniff
from attachments.models import LocalFile
from posts.models import Delivery, SyncState
from sharing.services import share_link_create
from tests import factories as f
from tests.alerts_receivers import SMTPServer
from tests.conftest import make_user
from tests.security_helpers import fake_dns, loopback_only  # noqa: F401
from tests.test_attachments import PNG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


# --- a CRLF in a campaign name -----------------------------------------------------------


@pytest.fixture
def alice(db):
    from accounts.models import EDITOR

    user = make_user("alice", EDITOR)
    user.email = "alice@example.com"
    user.save()
    return user


def crlf_failure() -> None:
    camp = f.campaign("Spring\r\nBcc: everyone@evil.example")
    prof = f.profile("LinkedIn", "Acme\npage")
    post = f.post(
        status="error",
        start_at=timezone.now() - timedelta(minutes=30),
        msg=f.message("Launch", camp=camp),
        camp=camp,
        profiles=[prof],
    )
    Delivery.objects.filter(post=post).update(status="failed", error="Token\r\nexpired")


def test_a_line_break_in_a_campaign_name_is_mailed_not_retried_forever(
    alice, settings, monkeypatch
) -> None:
    monkeypatch.setattr(send, "enqueue", lambda task, *args: None)
    server = SMTPServer()
    server.start()
    try:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 3},
            }
        }
        crlf_failure()
        detect.alerts_detect()
        sent = send.dispatches_send_due(now=timezone.now() + timedelta(seconds=1))
    finally:
        server.stop()
    assert sent == 1
    dispatch = Dispatch.objects.get(channel="email")
    assert dispatch.state == Dispatch.State.SENT and dispatch.attempts == 1
    assert [m["To"] for m in server.messages] == ["alice@example.com"]
    assert "everyone@evil.example" not in (server.messages[0]["Bcc"] or "")
    assert "\n" not in server.messages[0]["Subject"]


def test_a_header_that_still_cannot_be_sent_fails_once_in_words_without_an_empty_file(
    alice, settings, tmp_path, monkeypatch
) -> None:
    """Whatever header breaks, the batch goes on, the try is recorded, and the file
    backend writes no empty file."""
    monkeypatch.setattr(send, "enqueue", lambda task, *args: None)
    mail_dir = tmp_path / "mail"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(mail_dir)},
        }
    }
    now = timezone.now()
    bad = Dispatch.objects.create(
        channel="email", user=alice, subject="Broken\nsubject", body="x", due_at=now
    )
    good = Dispatch.objects.create(
        channel="email", user=alice, subject="Fine", body="y", due_at=now
    )
    assert send.dispatches_send_due(now=now + timedelta(seconds=1)) == 1
    bad.refresh_from_db()
    good.refresh_from_db()
    assert good.state == Dispatch.State.SENT
    assert bad.state == Dispatch.State.FAILED and bad.attempts == 1
    assert "line break" in bad.last_error
    files = list(Path(mail_dir).glob("*"))
    assert files and all(p.stat().st_size > 0 for p in files)


# --- a PNG claiming 4294967295 x 4294967295 pixels --------------------------------------


def png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [4294967295, 2**31, 100_001])
def test_an_image_claiming_absurd_dimensions_is_refused(side: int, editor_client) -> None:
    data = png_claiming(side, side)
    with pytest.raises(sniff.Refused, match="pixels"):
        sniff.sniff(__import__("io").BytesIO(data), size=len(data))
    html = editor_client.post(
        "/attachments/upload/", {"file": SimpleUploadedFile("huge.png", data)}
    ).content.decode()
    assert "pixels" in html
    assert LocalFile.objects.count() == 0


def test_a_large_but_real_image_size_is_kept(editor) -> None:
    data = png_claiming(12_000, 8_000)
    assert sniff.sniff(__import__("io").BytesIO(data), size=len(data)).width == 12_000


# --- /s/<token>/part/<unknown>/ --------------------------------------------------------


def test_an_unknown_section_of_a_share_page_has_the_share_headers(editor) -> None:
    link = share_link_create(page="stats", query="", label="Board", user=editor)
    for path in (f"/s/{link.token}/part/nope/", f"/s/{link.token}/part/top-posts/"):
        response = Client().get(path)
        assert response.status_code == 404
        assert response["Referrer-Policy"] == "no-referrer"
        assert "noindex" in response["X-Robots-Tag"]
        assert "no-store" in response["Cache-Control"]
        assert response.cookies == {}


# --- the signed upload address: Range units and methods ---------------------------------


def _source(editor) -> str:
    local = services.file_store(user=editor, upload=SimpleUploadedFile("a.png", PNG))
    url = links.source_url(str(local.token), file_name=local.disk_name)
    return "/" + url.split("/", 3)[3]


def test_a_range_in_another_unit_is_ignored(editor) -> None:
    """RFC 9110 §14.2: a Range header in a unit the server does not know is ignored."""
    response = Client().get(_source(editor), headers={"Range": "items=0-1"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG


def test_a_post_to_the_signed_address_is_405(editor) -> None:
    client = Client(enforce_csrf_checks=True)
    path = _source(editor)
    for method in ("post", "put", "delete"):
        response = getattr(client, method)(path)
        assert response.status_code == 405, method
        assert "GET" in response["Allow"]


# --- a signed-in user without a role --------------------------------------------------


@pytest.mark.parametrize("path", ["/alerts/", "/alerts/settings/"])
def test_a_user_without_a_role_cannot_read_alerts(outsider, path) -> None:
    f.campaign("Secret campaign")
    client = Client()
    client.force_login(outsider)
    response = client.get(path)
    assert response.status_code == 403
    assert "Secret campaign" not in response.content.decode()
    assert client.post("/alerts/read/").status_code == 403


# --- anonymous /health/ ------------------------------------------------------------------


def test_anonymous_health_says_how_things_are_without_version_or_error_text(
    client, viewer_client, settings
) -> None:
    now = timezone.now()
    SyncState.objects.create(
        name="posts",
        last_success=now - timedelta(minutes=40),
        last_error_at=now - timedelta(minutes=1),
        last_error="BadResponse: GET https://internal.example/v2/post -> token abc",
    )
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    text = response.content.decode()
    assert settings.VERSION not in text and "version" not in body
    assert "BadResponse" not in text and "internal.example" not in text
    assert body["database"] == {"ok": True}
    # Signed-in users with a role see the details.
    detailed = viewer_client.get("/health/").json()
    assert detailed["version"] == settings.VERSION
    assert detailed["sync"]["error"].startswith("BadResponse")
