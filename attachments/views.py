"""Attaching media in the compose form, thumbnails, and the signed file Oktopost reads.

Everything here needs a login and the editor role, except `thumbnail` (any logged-in
reader: queue rows show them) and `source`, which needs neither but only answers to a
valid, unexpired signature (attachments.links). An upload is its uploader's (and the
admins'): its views answer 404 to anyone else, and name it by its random key."""

from __future__ import annotations

import re
from pathlib import Path

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attachments import links, selectors, services, storage
from attachments.models import LocalFile
from core.roles import editor_required, viewer_required
from core.services import ServiceError


def _file_partial(
    request: HttpRequest, local: LocalFile | None, *, error: str = ""
) -> HttpResponse:
    return render(
        request, "attachments/file.html", {"file": local, "error": error, "can_write": True}
    )


@require_POST
@editor_required
def file_upload(request: HttpRequest) -> HttpResponse:
    """A file from the computer: checked by content, kept here, handed to Oktopost."""
    upload = request.FILES.get("file")
    if upload is None:
        return _file_partial(request, None, error="Choose a file to attach.")
    try:
        local = services.file_store(user=request.user, upload=upload)
    except ServiceError as exc:
        return _file_partial(request, None, error=exc.message)
    try:
        local = services.file_send(user=request.user, local=local)
    except ServiceError as exc:
        local.refresh_from_db()
        return _file_partial(request, local, error=exc.message)
    return _file_partial(request, local)


@require_GET
@editor_required
def file_state(request: HttpRequest, key: str) -> HttpResponse:
    """Oktopost's processing state in words; polled while it is pending. Only the
    uploader (or an admin) may ask."""
    local = selectors.file_for(key, user=request.user)
    if local is None:
        raise Http404("No such file.")
    local = services.file_refresh(local=local)
    return _file_partial(request, local)


@require_POST
@editor_required
def file_retry(request: HttpRequest, key: str) -> HttpResponse:
    local = selectors.file_for(key, user=request.user)
    if local is None:
        raise Http404("No such file.")
    if local.state == LocalFile.State.FAILED:
        LocalFile.objects.filter(id=local.id).update(state=LocalFile.State.STORED)
        local.state = LocalFile.State.STORED
    try:
        local = services.file_send(user=request.user, local=local)
    except ServiceError as exc:
        return _file_partial(request, local, error=exc.message)
    return _file_partial(request, local)


@require_GET
@editor_required
def library(request: HttpRequest) -> HttpResponse:
    """The account's media library, searchable, with thumbnails (checkboxes `media`)."""
    try:
        page = max(int(request.GET.get("page", "0")), 0)
    except ValueError:
        page = 0
    found = services.library_search(
        q=request.GET.get("mq_media", ""), type=request.GET.get("media_type", ""), page=page
    )
    chosen = set(request.GET.getlist("media"))
    shown = {item.oktopost_id for item in found.items}
    # Ticked earlier but not among these results: still attached.
    kept = selectors.preview_media([i for i in chosen if i not in shown])
    return render(
        request,
        "attachments/library.html",
        {"found": found, "chosen": chosen, "kept": kept, "types": services.LIBRARY_TYPES},
    )


@require_POST
@editor_required
def media_by_url(request: HttpRequest) -> HttpResponse:
    url = request.POST.get("media_url", "").strip()
    if not url:
        return render(request, "attachments/added.html", {"error": "Paste an image address."})
    try:
        item = services.media_from_url(user=request.user, url=url[:2000])
    except ServiceError as exc:
        return render(request, "attachments/added.html", {"error": exc.message})
    previews = selectors.preview_media([item.oktopost_id])
    return render(request, "attachments/added.html", {"media": previews[0] if previews else None})


@require_GET
@viewer_required
def thumbnail(request: HttpRequest, media_id: str) -> HttpResponse:
    if not selectors.MEDIA_ID.match(media_id):
        raise Http404("Not a media id.")
    found = services.thumbnail(media_id)
    if found is None:
        raise Http404("No picture for this media.")
    path, content_type = found
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- the signed source Oktopost fetches ------------------------------------------------

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$", re.IGNORECASE)
CHUNK = 256 * 1024


@login_not_required
@csrf_exempt  # it takes no POST at all: a POST gets 405 (Allow: GET, HEAD), not a CSRF 403
@require_http_methods(["GET", "HEAD"])
def source(request: HttpRequest, signed: str, file_name: str) -> HttpResponse:
    """The bytes of one stored file for Oktopost's /upload fetcher: HEAD and Range
    (RFC 9110 §14) supported, as the fetcher reads it. 403 for an expired or altered
    signature, 404 when the file is gone. A Range in another unit than bytes is
    ignored (RFC 9110 §14.2), answering the whole file."""
    try:
        token = links.source_token(signed)
    except links.BadLink as exc:
        words = "This link has expired." if exc.expired else "This link is not valid."
        return HttpResponse(words, status=403, content_type="text/plain")
    local = selectors.file_by_token(token)
    if local is None or file_name != local.disk_name:
        raise Http404("No such file.")
    path = storage.upload_path(local.disk_name)
    if not path.exists():
        raise Http404("No such file.")
    size = path.stat().st_size
    start, end = 0, size - 1
    status = 200
    header = request.headers.get("Range", "")
    if header.strip().lower().startswith("bytes="):
        parsed = _byte_range(header, size)
        if parsed is None:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        start, end = parsed
        status = 206
    length = end - start + 1
    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=local.mime_type)
    else:
        response = StreamingHttpResponse(
            _read(path, start, length), status=status, content_type=local.mime_type
        )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Disposition"] = f'attachment; filename="{local.disk_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """One `bytes=a-b`, `a-` or `-n` range within a file of `size` bytes; None when it
    cannot be satisfied (or is several ranges, which we do not serve)."""
    match = _RANGE.match(header.strip())
    if not match or size == 0:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            return None
        return max(0, size - suffix), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end


def _read(path: Path, start: int, length: int):
    with path.open("rb") as stream:
        stream.seek(start)
        left = length
        while left > 0:
            chunk = stream.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
