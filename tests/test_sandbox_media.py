"""The sandbox's media library, uploads, video-validate, message media and first comments,
over real HTTP (the sandbox process and a local file server as the uploads' source)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from typing import Any

import pytest
import requests

from oktopost.sandbox import media as files
from oktopost.sandbox.generate import generate
from oktopost.sandbox.persist import from_state, to_state
from tests.fixtures_sandbox import FileSource, SandboxProcess

DATE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
MEDIA_KEYS = [
    "Id",
    "Created",
    "Modified",
    "AccountId",
    "Status",
    "FolderId",
    "CreatedBy",
    "ModifiedBy",
    "Type",
    "Size",
    "Resource",
    "Name",
    "Description",
]
UPLOAD_KEYS = {
    "Id",
    "Created",
    "Modified",
    "CreatedBy",
    "Status",
    "Name",
    "MimeType",
    "TotalSize",
    "Downloaded",
    "Source",
    "LastError",
    "Attempts",
    "MediaId",
}
FIRST_COMMENT_KEYS = {"Id", "Network", "Status", "ScheduledAt", "Text", "CampaignId", "Media"}
PNG = files.png(40, 20, (10, 20, 30), (200, 210, 220))
# Long enough to show the duration is read from mvhd, not guessed.
MP4 = files.mp4(12.5, payload=b"\x01" * 3000)
SETTLE_SECONDS = 30.0


def api(sandbox: SandboxProcess, method: str, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", sandbox.auth)
    return requests.request(method, sandbox.base_url + path, timeout=15, **kwargs)


def ok(sandbox: SandboxProcess, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = api(sandbox, method, path, **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["Result"] is True
    return body


def refused(
    sandbox: SandboxProcess, method: str, path: str, status: int = 400, **kwargs: Any
) -> dict[str, str]:
    """The {key: message} of an error answer, after checking the envelope. A validation
    error also says everything under `API`, where the SDK reads it; that summary is
    checked here and left out of the answer."""
    response = api(sandbox, method, path, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["Result"] is False
    errors = {key: value["Error"] for key, value in body["Errors"].items()}
    if len(errors) > 1:
        summary = errors.pop("API")
        assert summary == " ".join(errors.values())
    return errors


def settled(sandbox: SandboxProcess, upload_id: str) -> dict[str, Any]:
    """Poll GET /upload/{id} until it leaves pending (fails after SETTLE_SECONDS)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        upload = ok(sandbox, "GET", f"/upload/{upload_id}")["Upload"]
        if upload["Status"] != "pending":
            return upload
        time.sleep(0.05)
    pytest.fail(f"upload {upload_id} still pending after {SETTLE_SECONDS} s")


def upload(sandbox: SandboxProcess, source: str, name: str, mime: str) -> dict[str, Any]:
    body = ok(sandbox, "POST", "/upload", data={"source": source, "name": name, "mimeType": mime})
    created = body["Upload"]
    assert created["Status"] == "pending"
    assert created["MediaId"] is None
    return settled(sandbox, created["Id"])


def credential(sandbox: SandboxProcess, network: str) -> str:
    items = ok(sandbox, "GET", "/credential", params={"network": network})["Items"]
    return items[0]["Id"]


def campaign(sandbox: SandboxProcess) -> str:
    return ok(sandbox, "GET", "/campaign")["Items"][0]["Id"]


def message(sandbox: SandboxProcess, network: str, **extra: str) -> dict[str, Any]:
    data = {"network": network, "campaignId": campaign(sandbox), "message": "Hello", **extra}
    return ok(sandbox, "POST", "/message", data=data)["Message"]


def demo_image(sandbox: SandboxProcess) -> dict[str, Any]:
    return ok(sandbox, "GET", "/media", params={"type": "Image"})["Items"][0]


# ------------------------------------------------------------------- library


def test_demo_library_lists_real_pictures_served_without_auth(sandbox: SandboxProcess) -> None:
    body = ok(sandbox, "GET", "/media", params={"_count": 25})

    assert body["Total"] == len(body["Items"]) > 0
    for item in body["Items"]:
        assert list(item)[: len(MEDIA_KEYS)] == MEDIA_KEYS
        assert item["Id"].startswith("026") and len(item["Id"]) == 15
        assert item["Type"] == "Image" and item["MimeType"] == "image/png"
        assert item["FolderId"] is None and item["VideoId"] is None
        assert DATE.match(item["Created"])
    item = body["Items"][0]
    served = requests.get(item["Resource"], timeout=10)  # no credentials, like a CDN
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert len(served.content) == item["Size"]
    assert files.inspect(served.content, "png") is None  # a whole, valid PNG


def test_files_answer_head_and_ranges(sandbox: SandboxProcess) -> None:
    item = demo_image(sandbox)
    url = item["Resource"]

    head = requests.head(url, timeout=10)
    part = requests.get(url, headers={"Range": "bytes=0-7"}, timeout=10)
    tail = requests.get(url, headers={"Range": "bytes=-4"}, timeout=10)
    beyond = requests.get(url, headers={"Range": f"bytes={item['Size']}-"}, timeout=10)
    missing = requests.get(f"{sandbox.root_url}/files/026999999999999/x.png", timeout=10)

    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) == item["Size"]
    assert head.headers["Accept-Ranges"] == "bytes"
    assert part.status_code == 206 and part.content == b"\x89PNG\r\n\x1a\n"
    assert part.headers["Content-Range"] == f"bytes 0-7/{item['Size']}"
    assert tail.status_code == 206 and tail.content == PNG[-4:]  # every PNG ends in IEND's CRC
    assert beyond.status_code == 416
    assert missing.status_code == 404


def test_about_a_third_of_demo_messages_carry_an_image(sandbox: SandboxProcess) -> None:
    state = sandbox.control("GET", "state")["counts"]
    ids = [f"005{n:012d}" for n in range(1, min(100, state["messages"]) + 1)]
    items = ok(sandbox, "GET", "/message", params={"ids": ",".join(ids), "_count": 100})["Items"]

    with_media = [m for m in items if m["Media"]]
    assert 0.2 < len(with_media) / len(items) < 0.5
    media = with_media[0]["Media"][0]
    assert "FolderId" not in media  # MessageMedia has no folder
    assert media["Type"] == "Image" and media["Resource"].startswith(sandbox.root_url + "/files/")
    assert all(m["Media"] == [] for m in items if m not in with_media)


def test_media_list_filters_pages_and_refuses_bad_values(sandbox: SandboxProcess) -> None:
    total = ok(sandbox, "GET", "/media")["Total"]
    hero = ok(sandbox, "GET", "/media", params={"q": "HERO"})
    videos = ok(sandbox, "GET", "/media", params={"type": "Video"})
    second = ok(sandbox, "GET", "/media", params={"_count": 25, "_page": 1})
    in_folder = ok(sandbox, "GET", "/media", params={"folderId": "f1"})

    assert [m["Name"] for m in hero["Items"]] == ["launch-hero.png"]
    assert hero["Total"] == 1
    assert videos == {"Result": True, "Items": [], "Total": 0}
    assert second["Total"] == total and second["Items"] == []
    assert in_folder["Total"] == 0
    assert "type" in refused(sandbox, "GET", "/media", params={"type": "Gif"})
    assert "_count" in refused(sandbox, "GET", "/media", params={"_count": 7})


def test_media_get_and_delete(sandbox: SandboxProcess) -> None:
    item = demo_image(sandbox)

    got = ok(sandbox, "GET", f"/media/{item['Id']}")["Media"]
    deleted = ok(sandbox, "DELETE", f"/media/{item['Id']}")

    assert list(got) == MEDIA_KEYS
    assert got["Resource"] == item["Resource"]
    assert deleted == {"Result": True}
    assert refused(sandbox, "GET", f"/media/{item['Id']}", 404) == {"API": "Media not found"}
    assert refused(sandbox, "DELETE", f"/media/{item['Id']}", 404) == {"API": "Media not found"}
    assert requests.get(item["Resource"], timeout=10).status_code == 404


def test_media_create_checks_the_url_answers_an_image(
    sandbox: SandboxProcess, file_source: FileSource
) -> None:
    image = file_source.add("/pics/cat.png?v=2", PNG, "image/png")
    page = file_source.add("/page.html", b"<html></html>", "text/html")

    created = ok(sandbox, "POST", "/media", data={"resource": image})["Media"]
    named = ok(sandbox, "POST", "/media", data={"resource": image, "name": "Cat"})["Media"]

    assert list(created) == MEDIA_KEYS
    assert created["Type"] == "ImageUrl" and created["Resource"] == image
    assert created["Size"] == len(PNG) and created["Name"] == "cat.png"
    assert named["Name"] == "Cat"
    assert ("HEAD", "/pics/cat.png?v=2", "") in file_source.requests
    assert ok(sandbox, "GET", f"/media/{created['Id']}")["Media"] == created
    assert refused(sandbox, "POST", "/media", data={}) == {"resource": "resource is required."}
    assert (
        "not an http(s) URL"
        in refused(sandbox, "POST", "/media", data={"resource": "ftp://x/y.png"})["resource"]
    )
    assert (
        "is not an image: it answers with text/html"
        in refused(sandbox, "POST", "/media", data={"resource": page})["resource"]
    )
    assert (
        "404 Not Found"
        in refused(sandbox, "POST", "/media", data={"resource": file_source.url("/gone.png")})[
            "resource"
        ]
    )


def test_media_create_reports_an_unreachable_url(sandbox: SandboxProcess) -> None:
    closed = f"http://127.0.0.1:{free_closed_port()}/x.png"

    errors = refused(sandbox, "POST", "/media", data={"resource": closed})

    assert "could not be reached" in errors["resource"]


def free_closed_port() -> int:
    from tests.fixtures_sandbox import free_port

    return free_port()  # bound and released: nothing listens there


# ------------------------------------------------------------------- uploads


def test_image_upload_goes_pending_then_complete_with_a_media(
    quick_uploads: SandboxProcess, file_source: FileSource
) -> None:
    sandbox = quick_uploads
    source = file_source.add("/up/banner.png", PNG, "image/png")

    done = upload(sandbox, source, "banner.png", "image/png")

    assert set(done) == UPLOAD_KEYS
    assert done["Id"].startswith("027") and len(done["Id"]) == 15
    assert done["Status"] == "complete" and done["LastError"] is None
    assert done["TotalSize"] == done["Downloaded"] == len(PNG)
    assert done["Source"] == source and done["Attempts"] == 1
    methods = [(m, r) for m, p, r in file_source.requests if p == "/up/banner.png"]
    assert methods == [("HEAD", ""), ("GET", f"bytes=0-{len(PNG) - 1}")]
    media = ok(sandbox, "GET", f"/media/{done['MediaId']}")["Media"]
    assert media["Type"] == "Image" and media["Name"] == "banner.png"
    assert media["Size"] == len(PNG)
    assert media["Resource"].endswith(f"/files/{media['Id']}/banner.png")
    assert requests.get(media["Resource"], timeout=10).content == PNG
    listed = ok(sandbox, "GET", "/upload", params={"status": "complete"})
    assert [u["Id"] for u in listed["Items"]] == [done["Id"]]


def test_large_source_is_read_in_ranged_chunks(
    quick_uploads: SandboxProcess, file_source: FileSource
) -> None:
    big = files.mp4(61.0, payload=b"\x02" * (files.CHUNK + 5000))
    source = file_source.add("/big.mp4", big, "video/mp4")

    done = upload(quick_uploads, source, "big.mp4", "video/mp4")

    ranges = [r for m, p, r in file_source.requests if m == "GET"]
    assert done["Status"] == "complete", done["LastError"]
    assert ranges == [f"bytes=0-{files.CHUNK - 1}", f"bytes={files.CHUNK}-{len(big) - 1}"]


def test_upload_stays_pending_for_the_configured_delay(
    sandbox: SandboxProcess, file_source: FileSource
) -> None:
    sandbox.control("POST", "options", {"upload_delay": 600})
    source = file_source.add("/slow.png", PNG, "image/png")
    created = ok(
        sandbox,
        "POST",
        "/upload",
        data={"source": source, "name": "s.png", "mimeType": "image/png"},
    )["Upload"]

    deadline = time.monotonic() + SETTLE_SECONDS
    while True:  # wait until the whole file was read, then it must still be pending
        current = ok(sandbox, "GET", f"/upload/{created['Id']}")["Upload"]
        if current["Downloaded"] == len(PNG) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert current["Downloaded"] == current["TotalSize"] == len(PNG)
    assert current["Status"] == "pending" and current["MediaId"] is None
    sandbox.control("POST", "options", {"upload_delay": 0})
    assert settled(sandbox, created["Id"])["Status"] == "complete"


def test_video_upload_and_video_validate(
    quick_uploads: SandboxProcess, file_source: FileSource
) -> None:
    sandbox = quick_uploads
    done = upload(sandbox, file_source.add("/clip.mp4", MP4, "video/mp4"), "clip.mp4", "video/mp4")
    media = ok(sandbox, "GET", f"/media/{done['MediaId']}")["Media"]

    check = ok(sandbox, "GET", f"/video-validate/{media['Id']}")

    assert media["Type"] == "Video"
    assert requests.get(media["Resource"], timeout=10).headers["Content-Type"] == "video/mp4"
    # One verdict per network with a valid profile (SDK uploads.validateVideo).
    assert check == {
        "Result": True,
        "Validations": {
            network: {"isValid": True, "errors": []}
            for network in ("Twitter", "LinkedIn", "Facebook", "Instagram", "YouTube")
        },
        "Duration": 12.5,
    }
    image = demo_image(sandbox)
    assert refused(sandbox, "GET", f"/video-validate/{image['Id']}") == {
        "mediaId": f"Media {image['Id']} is a Image, not a video."
    }
    assert refused(sandbox, "GET", "/video-validate/026999999999999", 404) == {
        "API": "Media not found"
    }


@pytest.mark.parametrize(
    ("path", "body", "options", "mime", "reason"),
    [
        ("/missing.png", None, {}, "image/png", "404 Not Found to HEAD"),
        ("/photo.png", PNG, {}, "video/mp4", "not an MP4 video: its content looks like a PNG"),
        ("/text.png", b"hello world", {}, "image/png", "no type Oktopost accepts"),
        ("/cut.png", PNG[:-20], {}, "image/png", "The PNG image is corrupt"),
        ("/cut.mp4", MP4[:-100], {}, "video/mp4", "The MP4 video is corrupt"),
        ("/huge.png", PNG, {"declared_size": 6 * files.MB}, "image/png", "too large: 6.0 MB"),
        ("/norange.png", PNG, {"ranges": False}, "image/png", "ignored the Range header"),
        ("/private.png", PNG, {"status": 403}, "image/png", "refused access (403)"),
    ],
)
def test_failed_uploads_say_why_and_create_no_media(
    quick_uploads: SandboxProcess,
    file_source: FileSource,
    path: str,
    body: bytes | None,
    options: dict[str, Any],
    mime: str,
    reason: str,
) -> None:
    sandbox = quick_uploads
    source = file_source.url(path) if body is None else file_source.add(path, body, mime, **options)
    media_before = ok(sandbox, "GET", "/media")["Total"]

    done = upload(sandbox, source, path.strip("/"), mime)

    assert done["Status"] == "failed"
    assert reason in done["LastError"]
    assert done["MediaId"] is None
    assert ok(sandbox, "GET", "/media")["Total"] == media_before
    assert ok(sandbox, "GET", "/upload", params={"status": "failed"})["Total"] == 1


def test_upload_from_an_unreachable_source_fails(quick_uploads: SandboxProcess) -> None:
    done = upload(
        quick_uploads, f"http://127.0.0.1:{free_closed_port()}/a.png", "a.png", "image/png"
    )

    assert done["Status"] == "failed"
    assert "could not be reached" in done["LastError"]


def test_upload_create_refuses_bad_fields(sandbox: SandboxProcess) -> None:
    errors = refused(sandbox, "POST", "/upload", data={"mimeType": "image/webp"})

    assert errors["source"] == "source is required."
    assert "image/webp is not one Oktopost accepts" in errors["mimeType"]
    assert (
        "not an http(s) URL"
        in refused(
            sandbox,
            "POST",
            "/upload",
            data={"source": "file:///etc/passwd", "mimeType": "image/png"},
        )["source"]
    )
    assert refused(sandbox, "GET", "/upload/027999999999999", 404) == {"API": "Upload not found"}
    assert "status" in refused(sandbox, "GET", "/upload", params={"status": "done"})
    assert ok(sandbox, "GET", "/upload") == {"Result": True, "Items": [], "Total": 0}


# ------------------------------------------------------------ message media


def test_message_create_and_update_carry_media(sandbox: SandboxProcess) -> None:
    images = ok(sandbox, "GET", "/media", params={"type": "Image"})["Items"][:2]
    ids = [m["Id"] for m in images]

    created = message(sandbox, "LinkedIn", media=",".join(ids))
    plain = message(sandbox, "LinkedIn")
    cleared = ok(sandbox, "POST", f"/message/{created['Id']}", data={"media": ""})["Message"]

    assert [m["Id"] for m in created["Media"]] == ids
    assert created["Media"][0]["Resource"] == images[0]["Resource"]
    assert plain["Media"] == []
    assert cleared["Media"] == []
    errors = refused(
        sandbox,
        "POST",
        "/message",
        data={
            "network": "LinkedIn",
            "campaignId": campaign(sandbox),
            "message": "x",
            "media": f"{ids[0]},026999999999999",
        },
    )
    assert errors == {"media": "Media 026999999999999 was not found."}


# ------------------------------------------------------------- first comment


def first_comment_post(sandbox: SandboxProcess, **extra: str) -> dict[str, Any]:
    msg = message(sandbox, "LinkedIn")
    data = {"messageId": msg["Id"], "credentialIds": credential(sandbox, "LinkedIn"), **extra}
    return ok(sandbox, "POST", "/post", data=data)["Post"]


def test_linkedin_post_takes_a_first_comment_with_an_image(sandbox: SandboxProcess) -> None:
    image = demo_image(sandbox)

    post = first_comment_post(
        sandbox, **{"firstComment[text]": "More in the thread", "firstComment[media]": image["Id"]}
    )
    fetched = ok(sandbox, "GET", f"/post/{post['Id']}")["Post"]

    comment = fetched["FirstComment"]
    assert set(comment) == FIRST_COMMENT_KEYS
    assert comment["Id"].startswith("029")
    assert comment["Network"] == "LinkedIn" and comment["Status"] == "pending"
    assert comment["Text"] == "More in the thread"
    assert comment["CampaignId"] == post["CampaignId"]
    assert isinstance(comment["ScheduledAt"], int)
    assert [m["Id"] for m in comment["Media"]] == [image["Id"]]
    plain = first_comment_post(sandbox)
    assert "FirstComment" not in plain


def test_first_comment_update_replaces_then_null_removes(sandbox: SandboxProcess) -> None:
    post = first_comment_post(sandbox, **{"firstComment[text]": "one"})
    path = f"/post/{post['Id']}"

    replaced = ok(sandbox, "POST", path, data={"firstComment[text]": "two"})["Post"]
    kept = ok(sandbox, "POST", path, data={"status": "draft"})["Post"]
    removed = ok(sandbox, "POST", path, data={"firstComment": "null"})["Post"]

    assert replaced["FirstComment"]["Text"] == "two"
    assert replaced["FirstComment"]["Id"] == post["FirstComment"]["Id"]
    assert kept["FirstComment"]["Text"] == "two"
    assert "FirstComment" not in removed
    assert "FirstComment" not in ok(sandbox, "GET", path)["Post"]


def test_first_comment_is_refused_off_linkedin_and_when_invalid(sandbox: SandboxProcess) -> None:
    tweet = message(sandbox, "Twitter")
    twitter = credential(sandbox, "Twitter")
    image = demo_image(sandbox)

    errors = refused(
        sandbox,
        "POST",
        "/post",
        data={"messageId": tweet["Id"], "credentialIds": twitter, "firstComment[text]": "hi"},
    )
    too_long = refused(sandbox, "POST", "/post", data=first_comment_fields(sandbox, "x" * 3001))
    unknown = refused(
        sandbox,
        "POST",
        "/post",
        data=first_comment_fields(sandbox, "ok", media="026999999999999"),
    )
    empty = refused(sandbox, "POST", "/post", data=first_comment_fields(sandbox, " "))

    assert "for LinkedIn posts only" in errors["firstComment"]
    assert "(Twitter)" in errors["firstComment"]
    assert too_long == {
        "firstComment[text]": "The first comment is too long: 3001/3000 characters."
    }
    assert unknown == {"firstComment[media]": "Media 026999999999999 was not found."}
    assert empty == {"firstComment": "A first comment needs text or an image."}
    assert ok(sandbox, "POST", "/post", data=first_comment_fields(sandbox, "x" * 3000))
    assert ok(sandbox, "POST", "/post", data=first_comment_fields(sandbox, "", media=image["Id"]))


def first_comment_fields(sandbox: SandboxProcess, text: str, media: str = "") -> dict[str, str]:
    data = {
        "messageId": message(sandbox, "LinkedIn")["Id"],
        "credentialIds": credential(sandbox, "LinkedIn"),
        "firstComment[text]": text,
    }
    if media:
        data["firstComment[media]"] = media
    return data


def test_first_comment_media_must_be_an_image(
    quick_uploads: SandboxProcess, file_source: FileSource
) -> None:
    sandbox = quick_uploads
    video = upload(sandbox, file_source.add("/v.mp4", MP4, "video/mp4"), "v.mp4", "video/mp4")

    errors = refused(
        sandbox, "POST", "/post", data=first_comment_fields(sandbox, "see", video["MediaId"])
    )

    assert errors == {
        "firstComment[media]": f"A first comment takes one image; media {video['MediaId']} "
        "is a Video."
    }


def test_first_comment_status_follows_the_post_when_sent(sandbox: SandboxProcess) -> None:
    post = first_comment_post(sandbox, **{"firstComment[text]": "sent with it"})

    sent = sandbox.control("POST", f"posts/{post['Id']}/send")

    expected = "complete" if sent["Status"] in ("complete", "incomplete") else "failed"
    assert sent["FirstComment"]["Status"] == expected
    assert refused(sandbox, "POST", f"/post/{post['Id']}", data={"firstComment": "null"}) == {
        "API": "Post has already been sent and can no longer be modified."
    }


def test_unknown_first_comment_shape_is_refused(sandbox: SandboxProcess) -> None:
    post = first_comment_post(sandbox)

    errors = refused(sandbox, "POST", f"/post/{post['Id']}", data={"firstComment": "yes"})

    assert "firstComment=null" in errors["firstComment"]


# ----------------------------------------------------------------- state file


def test_media_uploads_and_comments_survive_the_state_file() -> None:
    world = generate(seed=3, posts=60, account_id="001000000000001", now=time.time())
    media_id = next(iter(world.media))
    message = next(m for m in world.messages.values() if m.media_ids)
    post = next(iter(world.posts.values()))
    post.first_comment = {"Id": "029000000000001", "Text": "hi", "Media": media_id}
    world.uploads["027000000000001"] = {"Id": "027000000000001", "Status": "failed"}

    again = from_state(json.loads(json.dumps(to_state(world))))

    assert again.media == world.media
    assert again.blobs == world.blobs
    assert again.messages[message.id].media_ids == message.media_ids
    assert again.posts[post.id].first_comment == post.first_comment
    assert again.uploads == world.uploads
    assert again.counters["media"] == world.counters["media"] == len(world.media)


def test_a_state_file_from_before_media_gets_the_demo_library() -> None:
    world = generate(seed=3, posts=60, account_id="001000000000001", now=time.time())
    state = json.loads(json.dumps(to_state(world)))
    for key in ("media", "blobs", "uploads"):
        del state[key]
    for row in state["messages"]:
        row.pop()  # media_ids, the last Message field
    for row in state["posts"]:
        row.pop()  # first_comment, the last Post field
    for key in ("media", "upload", "comment"):
        del state["counters"][key]

    again = from_state(state)

    assert again.media.keys() == world.media.keys()
    assert again.blobs == world.blobs
    assert {m.id: m.media_ids for m in again.messages.values()} == {
        m.id: m.media_ids for m in world.messages.values()
    }
    assert all(p.first_comment is None for p in again.posts.values())


def test_upload_delay_comes_from_the_command_line_or_the_environment() -> None:
    from tests.fixtures_sandbox import PROJECT_ROOT, free_port

    server = SandboxProcess(port=free_port(), args=["--posts", "20", "--upload-delay", "0.4"])
    server.start()
    try:
        options = server.control("GET", "options")
    finally:
        server.stop()
    bad = subprocess.run(
        [sys.executable, "-m", "oktopost.sandbox", "--port", "0", "--posts", "10"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "OKTOPOST_SANDBOX_UPLOAD_DELAY": "soon"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert options == {"order": "desc", "upload_delay": 0.4}
    assert bad.returncode != 0
    assert "OKTOPOST_SANDBOX_UPLOAD_DELAY='soon' is not a number of seconds" in bad.stderr
    assert "Traceback" not in bad.stderr
