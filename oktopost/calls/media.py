"""The client's media calls: the media library (`/media`), uploads by URL (`/upload`) and
the video check (`/video-validate`)."""

from __future__ import annotations

from oktopost.calls.params import drop_none, paging, segment
from oktopost.transport import Transport, member
from oktopost.types import (
    MEDIA_TYPES,
    UPLOAD_MIME_TYPES,
    UPLOAD_STATUSES,
    Media,
    Page,
    Upload,
    VideoCheck,
)


class MediaCalls(Transport):
    """The media library, uploads and the video check (mixed into `OktopostClient`)."""

    # -- media library -------------------------------------------------------------------

    def media_create(self, *, resource: str, name: str | None = None) -> Media:
        """Add an image by its public URL (``POST /media``); Oktopost checks that it answers.
        Raises AmbiguousWriteError if the answer was lost."""
        if not resource.strip():
            raise ValueError("resource must be an image URL")
        call = "POST /media"
        data = drop_none(resource=resource.strip(), name=name)
        body = self._request("POST", "/media", call=call, data=data)
        return Media.from_api(member(body, "Media", call), call=call)

    def media_list(
        self,
        *,
        q: str | None = None,
        type: str | None = None,
        page: int = 0,
        count: int = 100,
    ) -> Page[Media]:
        """One page of the media library; ``q`` matches names, ``type`` is in MEDIA_TYPES."""
        if type is not None and type not in MEDIA_TYPES:
            raise ValueError(f"type must be one of {MEDIA_TYPES}, got {type!r}")
        params = paging(page, count) | drop_none(q=q or None, type=type)
        return self._page("GET /media", "/media", params, Media.from_api, page=page, count=count)

    def media_get(self, media_id: str) -> Media:
        call = "GET /media/{id}"
        body = self._request("GET", f"/media/{segment(media_id)}", call=call)
        return Media.from_api(member(body, "Media", call), call=call)

    def media_delete(self, media_id: str) -> None:
        self._request("DELETE", f"/media/{segment(media_id)}", call="DELETE /media/{id}")

    # -- uploads ---------------------------------------------------------------------------

    def upload_create(
        self, *, source: str, name: str | None = None, mime_type: str | None = None
    ) -> Upload:
        """Ask Oktopost to fetch a file (``POST /upload``). ``source`` must answer HEAD and
        ranged GETs; the upload starts ``pending``: poll ``upload_get`` until it is
        ``complete`` (then ``media_id`` is set) or ``failed`` (``reason`` says why).

        ``name`` and ``mime_type`` are optional (SDK CreateUploadParams): without a type
        Oktopost takes the source's Content-Type or the name's extension."""
        if mime_type is not None and mime_type not in UPLOAD_MIME_TYPES:
            raise ValueError(f"mime_type must be one of {UPLOAD_MIME_TYPES}, got {mime_type!r}")
        if not source.strip() or (name is not None and not name.strip()):
            raise ValueError("upload_create needs a source URL (and a name, if one is given)")
        call = "POST /upload"
        data = drop_none(
            source=source.strip(), name=None if name is None else name.strip(), mimeType=mime_type
        )
        body = self._request("POST", "/upload", call=call, data=data)
        return Upload.from_api(member(body, "Upload", call), call=call)

    def upload_get(self, upload_id: str) -> Upload:
        call = "GET /upload/{id}"
        body = self._request("GET", f"/upload/{segment(upload_id)}", call=call)
        return Upload.from_api(member(body, "Upload", call), call=call)

    def upload_list(
        self, *, status: str | None = None, page: int = 0, count: int = 100
    ) -> Page[Upload]:
        if status is not None and status not in UPLOAD_STATUSES:
            raise ValueError(f"status must be one of {UPLOAD_STATUSES}, got {status!r}")
        params = paging(page, count) | drop_none(status=status)
        return self._page("GET /upload", "/upload", params, Upload.from_api, page=page, count=count)

    def video_validate(self, media_id: str) -> VideoCheck:
        """Whether a video media item can be published, per network
        (``GET /video-validate/{mediaId}``; both answer shapes, see ``VideoCheck``)."""
        call = "GET /video-validate/{id}"
        body = self._request("GET", f"/video-validate/{segment(media_id)}", call=call)
        return VideoCheck.from_api(body, call=call)
