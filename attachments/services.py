"""Attaching media: files from a computer (stored here, then Oktopost's /upload), images
by address (Oktopost's POST /media), the account's library, and cached thumbnails.

Every Oktopost call here is an editor's, at interactive priority, through the shared
rate budget (posts.services.common.interactive_client). Oktopost's media records are
written to the mirror through posts.mirror (posts.MediaItem), which is where thumbnails
are fetched from.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from attachments import fetch, links, sniff, storage
from attachments.models import LocalFile
from core.services import ServiceError
from oktopost.client import OktopostClient
from oktopost.errors import AmbiguousWriteError, NotFound, OktopostError
from oktopost.types import Upload, VideoCheck
from posts import mirror
from posts.models import Activity, MediaItem
from posts.services.common import interactive_client, record, words

log = logging.getLogger(__name__)

# A pasted image, or a thumbnail, is read at most this far.
IMAGE_FETCH_LIMIT = 20_000_000
THUMB_LIMIT = 10_000_000
NAME_LIMIT = 120


def max_bytes() -> int:
    return settings.ATTACHMENTS_MAX_MB * 1_000_000


def _clean_name(name: str) -> str:
    base = Path(name or "file").name.replace("\x00", "").strip() or "file"
    return base[:NAME_LIMIT]


# --- files from the computer ---------------------------------------------------------


def file_store(*, user: User, upload: UploadedFile) -> LocalFile:
    """Keep an uploaded file under VAR_DIR/media/ once its content is one Oktopost takes.

    Refused (ServiceError, nothing kept): too big, empty, not a PNG/JPEG/GIF/MP4/PDF by
    its bytes, or damaged/cut short."""
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ServiceError(
            f"{_clean_name(upload.name)} is {upload.size / 1_000_000:.1f} MB; files up to "
            f"{settings.ATTACHMENTS_MAX_MB} MB can be attached.",
            field="file",
        )
    try:
        temp, size, digest = storage.write_temp(
            upload.chunks(), limit=limit, where=storage.uploads_dir()
        )
    except storage.TooBig:
        raise ServiceError(
            f"{_clean_name(upload.name)} is larger than {settings.ATTACHMENTS_MAX_MB} MB.",
            field="file",
        ) from None
    try:
        with temp.open("rb") as stream:
            found = sniff.sniff(stream, size=size)
    except sniff.Refused as exc:
        temp.unlink(missing_ok=True)
        raise ServiceError(f"{_clean_name(upload.name)}: {exc}", field="file") from None
    local = LocalFile(
        owner=user,
        name=_clean_name(upload.name),
        kind=found.kind,
        mime_type=found.mime_type,
        size=size,
        sha256=digest,
        width=found.width,
        height=found.height,
        duration=found.duration,
    )
    temp.replace(storage.upload_path(local.disk_name))
    local.save()
    return local


def file_send(*, user: User, local: LocalFile, client: OktopostClient | None = None) -> LocalFile:
    """Hand a stored file to Oktopost's POST /upload with a signed, expiring source URL.
    A failed upload may be sent again (the file is kept)."""
    if local.state in (LocalFile.State.PENDING, LocalFile.State.COMPLETE):
        return local
    if not storage.upload_path(local.disk_name).exists():
        raise ServiceError(f"{local.name} is no longer stored here; attach it again.")
    client = client or interactive_client()
    source = links.source_url(str(local.token), file_name=local.disk_name)
    after = {"file": local.name, "size": local.size, "type": local.mime_type}
    try:
        upload = client.upload_create(source=source, name=local.name, mime_type=local.mime_type)
    except AmbiguousWriteError:
        # Nothing to settle: at worst Oktopost has one more copy in its library.
        LocalFile.objects.filter(id=local.id).update(
            reason="Oktopost did not confirm the upload; try again."
        )
        raise ServiceError(
            f"Oktopost did not confirm the upload of {local.name}; try again."
        ) from None
    except OktopostError as exc:
        record(
            user=user,
            action=Activity.Action.MEDIA_UPLOAD,
            outcome=Activity.Outcome.FAILED,
            after=after,
            answer=str(exc),
            summary=local.name,
        )
        raise ServiceError(words(exc), field="file") from exc
    with transaction.atomic():
        local.upload_id = upload.id
        local.state = LocalFile.State.PENDING
        local.reason = ""
        local.video_ok = None
        local.save(update_fields=["upload_id", "state", "reason", "video_ok"])
        record(
            user=user,
            action=Activity.Action.MEDIA_UPLOAD,
            outcome=Activity.Outcome.OK,
            after={**after, "upload": upload.id},
            answer=f"Upload {upload.id} accepted, {upload.status}",
            summary=local.name,
        )
    return _apply(local, upload, client)


def file_refresh(*, local: LocalFile, client: OktopostClient | None = None) -> LocalFile:
    """Ask Oktopost how a pending upload is doing (GET /upload/{id}); a complete video
    is then checked (GET /video-validate/{mediaId})."""
    if local.state != LocalFile.State.PENDING or not local.upload_id:
        if (
            local.state == LocalFile.State.COMPLETE
            and local.kind == "mp4"
            and local.video_ok is None
        ):
            return _video_check(local, client or interactive_client())
        return local
    client = client or interactive_client()
    try:
        upload = client.upload_get(local.upload_id)
    except NotFound:
        return _fail(local, "Oktopost no longer knows this upload; send the file again.")
    except OktopostError as exc:
        # Not an answer about the upload: keep waiting, say why.
        LocalFile.objects.filter(id=local.id).update(reason=words(exc))
        local.reason = words(exc)
        return local
    return _apply(local, upload, client)


def _apply(local: LocalFile, upload: Upload, client: OktopostClient) -> LocalFile:
    local.checked_at = timezone.now()
    if upload.failed:
        return _fail(local, upload.reason or "Oktopost could not process the file.")
    if upload.complete and upload.media_id:
        try:
            media = client.media_get(upload.media_id)
        except OktopostError:
            media = None
        if media is not None:
            mirror.media_upsert_raw([media.raw], now=timezone.now())
        local.state = LocalFile.State.COMPLETE
        local.media_id = upload.media_id
        local.reason = ""
        local.save(update_fields=["state", "media_id", "reason", "checked_at"])
        if local.kind == "mp4":
            return _video_check(local, client)
        return local
    local.save(update_fields=["checked_at"])
    return local


def _fail(local: LocalFile, reason: str) -> LocalFile:
    local.state = LocalFile.State.FAILED
    local.reason = reason[:2000]
    local.save(update_fields=["state", "reason", "checked_at"])
    return local


def _video_check(local: LocalFile, client: OktopostClient) -> LocalFile:
    try:
        check = client.video_validate(local.media_id)
    except OktopostError as exc:
        local.reason = f"Oktopost's video check did not answer: {words(exc)}"
        local.save(update_fields=["reason"])
        return local
    ok, reason = video_verdict(check)
    local.video_ok = ok
    local.reason = "" if ok else (reason or "Oktopost's video check refused this video.")
    local.save(update_fields=["video_ok", "reason"])
    return local


def video_verdict(check: VideoCheck) -> tuple[bool, str]:
    """(valid, Oktopost's reasons in words) from GET /video-validate/{mediaId}."""
    return bool(check.valid), check.message


def uploads_resolve(*, keys: list[str], user: User) -> list[LocalFile]:
    """The form's files that are still being processed, asked about once more. Raises
    ServiceError (naming each file and why) unless every one is ready: a post is never
    created with media Oktopost has not finished or has refused, nor with a file another
    editor uploaded."""
    files = LocalFile.objects.filter(key__in=keys)
    if not user.is_superuser:
        files = files.filter(owner=user)
    files = list(files)
    if len(files) != len(set(keys)):
        raise ServiceError("One of the attached files is no longer here; attach it again.")
    problems = []
    client = None
    for local in files:
        if local.state == LocalFile.State.STORED:
            problems.append(
                f"{local.name} was not sent to Oktopost yet: {local.reason or 'send it again.'}"
            )
            continue
        client = client or interactive_client()
        local = file_refresh(local=local, client=client)
        if local.state == LocalFile.State.PENDING:
            problems.append(f"{local.name} is still being processed by Oktopost; wait a moment.")
        elif local.state == LocalFile.State.FAILED:
            problems.append(f"Oktopost could not take {local.name}: {local.reason}")
        elif local.kind == "mp4" and local.video_ok is not True:
            problems.append(
                f"Oktopost's video check refused {local.name}: {local.reason or 'no reason given'}"
            )
    if problems:
        raise ServiceError(" ".join(["Nothing was created.", *problems]), field="media")
    return files


# --- images by address and the library -----------------------------------------------


def media_from_url(*, user: User, url: str, client: OktopostClient | None = None) -> MediaItem:
    """Check that `url` answers with an image (attachments.fetch's rules), then add it
    to the account's library with POST /media."""
    url = url.strip()
    try:
        body, content_type = fetch.fetch(url, limit=IMAGE_FETCH_LIMIT)
    except fetch.FetchRefused as exc:
        raise ServiceError(str(exc), field="media_url") from None
    kind = sniff.kind_of(body[:64])
    if kind not in sniff.IMAGE_KINDS:
        raise ServiceError(
            "That address does not answer with an image (PNG, JPEG or GIF); "
            f"it sent {content_type.split(';')[0] or 'something else'}.",
            field="media_url",
        )
    try:
        sniff.sniff(BytesIO(body), size=len(body))
    except sniff.Refused as exc:
        raise ServiceError(f"That image: {exc}", field="media_url") from None
    client = client or interactive_client()
    name = _clean_name(url.rsplit("/", 1)[-1].split("?")[0] or "image")
    try:
        media = client.media_create(resource=url, name=name)
    except OktopostError as exc:
        record(
            user=user,
            action=Activity.Action.MEDIA_ADD,
            outcome=Activity.Outcome.FAILED,
            after={"resource": url[:500]},
            answer=str(exc),
        )
        raise ServiceError(words(exc), field="media_url") from exc
    with transaction.atomic():
        mirror.media_upsert_raw([media.raw], now=timezone.now())
        record(
            user=user,
            action=Activity.Action.MEDIA_ADD,
            outcome=Activity.Outcome.OK,
            after={"resource": url[:500], "id": media.id},
            answer=f"Media {media.id} added",
            summary=name,
        )
    return MediaItem.objects.get(oktopost_id=media.id)


@dataclass(frozen=True)
class LibraryPage:
    items: list[MediaItem]
    total: int
    page: int
    error: str = ""


LIBRARY_TYPES = {"": "All", "Image": "Images", "Video": "Videos", "PDF": "PDF"}
LIBRARY_PAGE_SIZE = 25


def library_search(*, q: str, type: str, page: int = 0) -> LibraryPage:
    """One page of the account's media library (GET /media), newest Oktopost's way.
    Records seen are kept in the mirror so their thumbnails can be shown."""
    client = interactive_client()
    try:
        found = client.media_list(
            q=q.strip()[:100] or None,
            type=type if type in LIBRARY_TYPES and type else None,
            page=max(page, 0),
            count=LIBRARY_PAGE_SIZE,
        )
    except OktopostError as exc:
        return LibraryPage(items=[], total=0, page=page, error=words(exc))
    mirror.media_upsert_raw([m.raw for m in found.items], now=timezone.now())
    ids = [m.id for m in found.items]
    rows = {m.oktopost_id: m for m in MediaItem.objects.filter(oktopost_id__in=ids)}
    return LibraryPage(items=[rows[i] for i in ids if i in rows], total=found.total, page=page)


# --- thumbnails ----------------------------------------------------------------------


def thumbnail(media_id: str) -> tuple[Path, str] | None:
    """A cached copy of a media record's image: (path, content type), or None when there
    is no image to show. Read from our own stored file when it is one of ours, else from
    the record's resource (never from an address in the request)."""
    local = (
        LocalFile.objects.filter(media_id=media_id, kind__in=sniff.IMAGE_KINDS)
        .order_by("-id")
        .first()
    )
    if local is not None:
        path = storage.upload_path(local.disk_name)
        if path.exists():
            return path, local.mime_type
    item = MediaItem.objects.filter(oktopost_id=media_id).first()
    if item is None or item.kind != "image" or not item.resource:
        return None
    for kind in sniff.IMAGE_KINDS:
        cached = storage.cache_path(f"{item.oktopost_id}.{sniff.EXTENSIONS[kind]}")
        if cached.exists():
            return cached, sniff.KINDS[kind][0]
    try:
        body, _ = fetch.fetch(item.resource, limit=THUMB_LIMIT, trust_oktopost=True)
        kind = sniff.kind_of(body[:64])
        if kind not in sniff.IMAGE_KINDS:
            raise fetch.FetchRefused("not an image")
        sniff.sniff(BytesIO(body), size=len(body))
    except (fetch.FetchRefused, sniff.Refused) as exc:
        log.info("thumbnail of %s not fetched: %s", media_id, exc)
        return None
    cached = storage.cache_path(f"{item.oktopost_id}.{sniff.EXTENSIONS[kind]}")
    # A name of its own per request: two readers filling the cache never mix their bytes.
    partial = cached.with_name(f".{cached.name}.{uuid.uuid4().hex}.part")
    partial.write_bytes(body)
    partial.replace(cached)
    return cached, sniff.KINDS[kind][0]


# --- housekeeping ------------------------------------------------------------------------

# A complete upload's bytes are Oktopost's now (thumbnails fall back to its copy, see
# `thumbnail`); a file Oktopost never took is kept a month for "Send again".
KEEP_COMPLETE = timedelta(days=7)
KEEP_UNSENT = timedelta(days=30)
KEEP_CACHE = timedelta(days=30)  # a thumbnail not written for this long is fetched again
KEEP_PARTIAL = timedelta(days=1)  # an interrupted upload's or fetch's leftovers


@dataclass(frozen=True)
class Pruned:
    files: int
    cached: int
    partial: int
    bytes: int


def files_prune(*, now: datetime | None = None) -> Pruned:
    """Delete stored bytes nobody needs any more; the rows stay (the form and the audit
    name them). Safe to run at any time: each rule is about files days old."""
    now = now or timezone.now()
    freed = files = cached = partial = 0
    old = LocalFile.objects.filter(
        Q(state=LocalFile.State.COMPLETE, created__lt=now - KEEP_COMPLETE)
        | Q(created__lt=now - KEEP_UNSENT)
    )
    for local in old.only("token", "kind").iterator():
        path = storage.upload_path(local.disk_name)
        if path.exists():
            freed += path.stat().st_size
            path.unlink(missing_ok=True)
            files += 1
    for folder, keep in ((storage.cache_dir(), KEEP_CACHE), (storage.uploads_dir(), None)):
        for path in folder.iterdir():
            leftover = path.name.startswith(".")
            limit = KEEP_PARTIAL if leftover else keep
            if limit is None or not path.is_file():
                continue
            stat = path.stat()
            if datetime.fromtimestamp(stat.st_mtime, tz=UTC) < now - limit:
                freed += stat.st_size
                path.unlink(missing_ok=True)
                if leftover:
                    partial += 1
                else:
                    cached += 1
    if files or cached or partial:
        log.info(
            "attachments pruned: %d stored files, %d cached thumbnails, %d leftovers (%d bytes)",
            files, cached, partial, freed,
        )  # fmt: skip
    return Pruned(files, cached, partial, freed)
