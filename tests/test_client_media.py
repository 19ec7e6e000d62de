"""The client's media, upload, video-validate, message media and first comment calls, end
to end against the sandbox, plus how their types read odd answers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from oktopost.client import OktopostClient
from oktopost.errors import NotFound, PermanentError, SchemaError
from oktopost.sandbox import media as files
from oktopost.types import FirstComment, FirstCommentInput, Message, Post, Upload, VideoCheck
from tests.fixtures_sandbox import FileSource, SandboxProcess

PNG = files.png(30, 30, (0, 0, 0), (255, 255, 255))
MP4 = files.mp4(7.25)
SETTLE_SECONDS = 30.0


@pytest.fixture
def client(quick_uploads: SandboxProcess) -> Iterator[OktopostClient]:
    client = OktopostClient(
        account_id=quick_uploads.account_id,
        api_key=quick_uploads.api_key,
        base_url=quick_uploads.base_url,
        timeout=(1.0, 10.0),
        backoff_base=0.01,
    )
    yield client
    client.session.close()


def wait_settled(client: OktopostClient, upload: Upload) -> Upload:
    deadline = time.monotonic() + SETTLE_SECONDS
    while upload.pending:
        if time.monotonic() > deadline:
            pytest.fail(f"upload {upload.id} still pending after {SETTLE_SECONDS} s")
        time.sleep(0.05)
        upload = client.upload_get(upload.id)
    return upload


def linkedin_message(client: OktopostClient, **extra: Any) -> Message:
    campaign = client.campaign_list(count=25).items[0].id
    return client.message_create(network="LinkedIn", campaign_id=campaign, text="Hi", **extra)


def linkedin_profile(client: OktopostClient) -> str:
    return client.credential_list(network="LinkedIn")[0].id


def test_media_library_calls(client: OktopostClient, file_source: FileSource) -> None:
    url = file_source.add("/logo.png", PNG, "image/png")

    created = client.media_create(resource=url, name="Logo")
    page = client.media_list(q="logo", count=25)
    images = client.media_list(type="Image", count=25)
    fetched = client.media_get(created.id)
    client.media_delete(created.id)

    assert created.type == "ImageUrl" and created.is_image and not created.is_video
    assert created.name == "Logo" and created.resource == url and created.size == len(PNG)
    assert created.created is not None
    assert [m.id for m in page.items] == [created.id] and page.total == 1
    assert images.total > 0 and all(m.type == "Image" for m in images.items)
    assert all(m.mime_type == "image/png" for m in images.items)
    assert fetched == created
    with pytest.raises(NotFound):
        client.media_get(created.id)
    with pytest.raises(ValueError, match="type must be one of"):
        client.media_list(type="Gif")


def test_media_create_refusal_is_a_permanent_error_with_the_reason(
    client: OktopostClient, file_source: FileSource
) -> None:
    url = file_source.add("/doc.html", b"<p>", "text/html")

    with pytest.raises(PermanentError) as caught:
        client.media_create(resource=url)

    assert "is not an image" in caught.value.messages["resource"]


def test_image_upload_to_message_and_first_comment(
    client: OktopostClient, file_source: FileSource
) -> None:
    started = client.upload_create(
        source=file_source.add("/a.png", PNG, "image/png"), name="a.png", mime_type="image/png"
    )
    done = wait_settled(client, started)
    assert started.pending and not started.complete
    assert done.complete and done.media_id and done.reason == ""
    assert done.total_size == done.downloaded == len(PNG)

    message = linkedin_message(client, media_ids=[done.media_id])
    post = client.post_create(
        message_id=message.id,
        credential_ids=[linkedin_profile(client)],
        first_comment=FirstCommentInput("Details below", media_id=done.media_id),
    )
    changed = client.post_update(post.id, first_comment=FirstCommentInput("Edited"))
    removed = client.post_update(post.id, remove_first_comment=True)

    assert message.media_ids == (done.media_id,)
    assert message.media[0].type == "Image" and message.media[0].name == "a.png"
    assert requests.get(message.media[0].resource, timeout=10).content == PNG
    assert post.first_comment is not None
    assert post.first_comment.text == "Details below"
    assert post.first_comment.media_ids == (done.media_id,)
    assert post.first_comment.status == "pending"
    assert post.first_comment.network == "LinkedIn"
    assert post.first_comment.scheduled_at == post.start_at
    assert changed.first_comment is not None and changed.first_comment.text == "Edited"
    assert changed.first_comment.media == ()
    assert removed.first_comment is None
    assert client.post_get(post.id).first_comment is None


def test_video_upload_and_validate(client: OktopostClient, file_source: FileSource) -> None:
    source = file_source.add("/v.mp4", MP4, "video/mp4")

    done = wait_settled(
        client, client.upload_create(source=source, name="v.mp4", mime_type="video/mp4")
    )
    check = client.video_validate(done.media_id or "")

    assert client.media_get(done.media_id or "").is_video
    assert check.valid and check.reasons == () and check.message == ""
    assert check.duration == 7.25
    with pytest.raises(PermanentError) as caught:
        client.video_validate(client.media_list(type="Image", count=25).items[0].id)
    assert "not a video" in caught.value.messages["mediaId"]
    with pytest.raises(NotFound):
        client.video_validate("026999999999999")


def test_failed_upload_reads_as_failed_with_its_reason(
    client: OktopostClient, file_source: FileSource
) -> None:
    source = file_source.add("/fake.mp4", PNG, "video/mp4")

    done = wait_settled(
        client, client.upload_create(source=source, name="fake.mp4", mime_type="video/mp4")
    )

    assert done.failed and not done.complete and done.media_id is None
    assert "not an MP4 video" in done.reason
    assert [u.id for u in client.upload_list(status="failed").items] == [done.id]


def test_first_comment_refused_off_linkedin(client: OktopostClient) -> None:
    campaign = client.campaign_list(count=25).items[0].id
    tweet = client.message_create(network="Twitter", campaign_id=campaign, text="Hi")
    twitter = client.credential_list(network="Twitter")[0].id

    with pytest.raises(PermanentError) as caught:
        client.post_create(
            message_id=tweet.id, credential_ids=[twitter], first_comment=FirstCommentInput("x")
        )

    assert "LinkedIn posts only" in caught.value.messages["firstComment"]


def test_message_with_an_unknown_media_id_is_refused(client: OktopostClient) -> None:
    with pytest.raises(PermanentError) as caught:
        linkedin_message(client, media_ids=["026999999999999"])

    assert caught.value.messages == {"media": "Media 026999999999999 was not found."}


def test_arguments_are_checked_before_any_call(client: OktopostClient) -> None:
    with pytest.raises(ValueError, match="mime_type"):
        client.upload_create(source="http://x/a.webp", name="a.webp", mime_type="image/webp")
    with pytest.raises(ValueError, match="at most 3000"):
        client.post_update("004000000000001", first_comment=FirstCommentInput("x" * 3001))
    with pytest.raises(ValueError, match="text or an image"):
        client.post_update("004000000000001", first_comment=FirstCommentInput("  "))
    with pytest.raises(ValueError, match="not both"):
        client.post_update(
            "004000000000001", first_comment=FirstCommentInput("x"), remove_first_comment=True
        )
    with pytest.raises(TypeError):
        linkedin_message(client, media_ids="026000000000001")


# ---------------------------------------------------------------- parsing


def test_types_tolerate_bare_media_ids_and_missing_fields() -> None:
    raw = {
        "Id": "004000000000001",
        "Status": "pending",
        "FirstComment": {"Id": "1", "Text": "t", "ScheduledAt": 1700000000, "Media": ["026"]},
    }

    post = Post.from_api(raw, call="test")
    bare = Upload.from_api({"Id": "027", "Status": "pending"}, call="test")

    assert post.first_comment is not None
    assert post.first_comment.media_ids == ("026",)
    assert post.first_comment.scheduled_at is not None
    assert post.first_comment.scheduled_at.timestamp() == 1700000000
    assert Post.from_api(raw | {"FirstComment": None}, call="test").first_comment is None
    assert FirstComment.from_api({"FirstComment": []}, call="test") is None
    assert bare.media_id is None and bare.reason == "" and bare.pending


def test_video_check_needs_is_valid() -> None:
    with pytest.raises(SchemaError, match="isValid is missing"):
        VideoCheck.from_api({"Result": True, "errors": []}, call="test")
    check = VideoCheck.from_api(
        {"Result": True, "isValid": False, "errors": ["Too long", "Bad codec"]}, call="test"
    )
    assert not check.valid and check.duration is None
    assert check.message == "Too long; Bad codec"
