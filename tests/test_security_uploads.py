"""Uploads belong to their uploader (issue 23, finding 5): another editor can neither see
nor act on them, and the addresses that name them cannot be counted through."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import EDITOR
from attachments import services
from attachments.models import LocalFile
from tests.conftest import make_user
from tests.security_helpers import fake_dns, loopback_only  # noqa: F401
from tests.test_attachments import PNG


@pytest.fixture(autouse=True)
def media_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def bob(db) -> Client:
    client = Client()
    client.force_login(make_user("bob", EDITOR))
    return client


def stored(user, name: str = "alices-plan.png") -> LocalFile:
    return services.file_store(user=user, upload=SimpleUploadedFile(name, PNG))


def test_another_editor_cannot_see_or_retry_an_upload_by_its_row_id(editor, bob) -> None:
    local = stored(editor)
    LocalFile.objects.filter(id=local.id).update(state=LocalFile.State.FAILED, reason="x")
    for response in (
        bob.get(f"/attachments/files/{local.id}/"),
        bob.post(f"/attachments/files/{local.id}/retry/"),
    ):
        assert response.status_code == 404
        assert "alices-plan" not in response.content.decode()
    assert LocalFile.objects.get(id=local.id).state == LocalFile.State.FAILED


def test_another_editor_cannot_see_or_retry_an_upload_by_its_address(editor, bob) -> None:
    local = stored(editor)
    LocalFile.objects.filter(id=local.id).update(state=LocalFile.State.FAILED, reason="x")
    key = LocalFile.objects.get(id=local.id).key
    for response in (
        bob.get(f"/attachments/files/{key}/"),
        bob.post(f"/attachments/files/{key}/retry/"),
    ):
        assert response.status_code == 404
        assert "alices-plan" not in response.content.decode()
    assert LocalFile.objects.get(id=local.id).state == LocalFile.State.FAILED


def test_the_uploader_and_an_admin_see_it(editor, editor_client, db) -> None:
    local = stored(editor)
    key = LocalFile.objects.get(id=local.id).key
    assert "alices-plan.png" in editor_client.get(f"/attachments/files/{key}/").content.decode()
    admin = make_user("ada", None)
    admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    assert client.get(f"/attachments/files/{key}/").status_code == 200


def test_pages_name_uploads_by_a_random_key_not_a_counter(oktopost, editor, editor_client) -> None:
    html = editor_client.post(
        "/attachments/upload/", {"file": SimpleUploadedFile("x.png", PNG)}
    ).content.decode()
    local = LocalFile.objects.get()
    values = re.findall(r'name="upload" value="([^"]*)"', html)
    values += re.findall(r"/attachments/files/([^/\"]+)/", html)
    assert values, html
    for value in values:
        assert value == local.key and not value.isdigit() and len(value) >= 22
    other = stored(make_user("carol", EDITOR))
    assert other.key != local.key


def test_the_compose_form_refuses_another_editors_upload(editor, bob) -> None:
    local = stored(editor)
    key = LocalFile.objects.get(id=local.id).key
    response = bob.post("/posts/new/", {"upload": [key], "source": "new"})
    assert response.status_code == 200
    assert "attached files is no longer here" in response.content.decode()
    response = bob.post("/posts/new/", {"upload": [str(local.id)], "source": "new"})
    assert "alices-plan" not in response.content.decode()
