"""/v2/media, /v2/upload and /v2/video-validate: the media library and what fills it."""

from __future__ import annotations

from typing import Any

from oktopost.demo import content
from oktopost.sandbox import media as files
from oktopost.sandbox.api.common import Handlers, Params, Payload, paging
from oktopost.sandbox.records import ApiError, fmt

MEDIA_TYPES = ("Image", "Video", "ImageUrl", "PDF")
# File name extension -> the MIME type POST /upload takes for it.
EXTENSIONS = {
    "mp4": "video/mp4",
    "gif": "image/gif",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "pdf": "application/pdf",
}
# Video length the networks publish for posts made through their APIs, in seconds:
# (shortest, longest). Others publish none that holds for every page or channel.
VIDEO_SECONDS = {"Twitter": (0.5, 140.0), "LinkedIn": (3.0, 30 * 60.0)}
UPLOAD_STATUSES = ("pending", "failed", "complete")


class MediaHandlers(Handlers):
    """The media library, uploads and video checks."""

    def find_media(self, media_id: str) -> dict[str, Any]:
        item = self.world.media.get(media_id)
        if item is None:
            raise ApiError.api(404, "Media not found")
        return item

    def media_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        kind = query.get("type", "").strip()
        if kind and kind not in MEDIA_TYPES:
            options = ", ".join(MEDIA_TYPES)
            raise ApiError.fields({"type": f"Type {kind} is not valid. Options: {options}."})
        needle = query.get("q", "").strip().lower()
        # The sandbox has no folders: every item sits at the root of the library.
        folder = query.get("folderId", "").strip()
        found = [
            m
            for m in self.world.media.values()
            if (not kind or m["Type"] == kind)
            and (not needle or needle in m["Name"].lower())
            and not folder
        ]
        found.sort(key=lambda m: (m["Created"], m["Id"]), reverse=self.descending)
        chosen = found[page * count : (page + 1) * count]
        return {
            "Result": True,
            "Items": [self.render_media(m, listed=True) for m in chosen],
            "Total": len(found),
        }

    def media_get(self, media_id: str, **_: Any) -> Payload:
        return {"Result": True, "Media": self.render_media(self.find_media(media_id))}

    def media_delete(self, media_id: str, **_: Any) -> Payload:
        self.find_media(media_id)
        self.world.delete_media(media_id)
        return {"Result": True}

    def media_check(self, params: Params) -> str:
        """Validate POST /media before the sandbox looks at the URL; returns the URL."""
        resource = params.get("resource", "").strip()
        if not resource:
            raise ApiError.fields({"resource": "resource is required."})
        if not resource.lower().startswith(("http://", "https://")):
            raise ApiError.fields({"resource": f"resource {resource} is not an http(s) URL."})
        return resource

    def media_create(self, params: Params, found: files.Head | str) -> Payload:
        """POST /media once the URL was looked at: `found` is its HEAD or why it failed."""
        resource = self.media_check(params)
        if isinstance(found, str):
            raise ApiError.fields({"resource": f"{resource} cannot be used: {found}"})
        if found.status != 200:
            problem = files.describe_status(found.status, "HEAD")
            raise ApiError.fields({"resource": f"{resource} cannot be used: {problem}"})
        if not found.content_type.startswith("image/"):
            shown = found.content_type or "no Content-Type"
            raise ApiError.fields(
                {"resource": f"{resource} is not an image: it answers with {shown}."}
            )
        name = (
            params.get("name", "").strip() or resource.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        )
        item = self.world.add_media(
            kind="ImageUrl",
            name=name or "image",
            mime_type=found.content_type,
            size=found.size or 0,
            user_id=self.world.api_user_id,
            resource=resource,
        )
        return {"Result": True, "Media": self.render_media(item)}

    # ------------------------------------------------------------- uploads

    def render_upload(self, upload: dict[str, Any]) -> Payload:
        payload = dict(upload)
        payload["Created"] = fmt(upload["Created"])
        payload["Modified"] = fmt(upload["Modified"])
        return payload

    def upload_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        status = query.get("status", "").strip()
        if status and status not in UPLOAD_STATUSES:
            options = ", ".join(UPLOAD_STATUSES)
            raise ApiError.fields({"status": f"Status {status} is not valid. Options: {options}."})
        source = query.get("source", "").strip()
        found = [
            u
            for u in self.world.uploads.values()
            if (not status or u["Status"] == status) and (not source or u["Source"] == source)
        ]
        found.sort(key=lambda u: (u["Created"], u["Id"]), reverse=self.descending)
        chosen = found[page * count : (page + 1) * count]
        return {
            "Result": True,
            "Items": [self.render_upload(u) for u in chosen],
            "Total": len(found),
        }

    def upload_get(self, upload_id: str, **_: Any) -> Payload:
        upload = self.world.uploads.get(upload_id)
        if upload is None:
            raise ApiError.api(404, "Upload not found")
        return {"Result": True, "Upload": self.render_upload(upload)}

    def upload_check(self, params: Params) -> str:
        """Validate POST /upload's source before anything is fetched; returns the URL."""
        source = params.get("source", "").strip()
        if not source:
            raise ApiError.fields({"source": "source is required."})
        if not source.lower().startswith(("http://", "https://")):
            raise ApiError.fields({"source": f"source {source} is not an http(s) URL."})
        return source

    def upload_create(
        self, *, params: Params, found: files.Head | str | None = None, **_: Any
    ) -> Payload:
        """`mimeType` is optional (SDK CreateUploadParams, and its test sends none). When
        it is absent the server HEADs the source first and passes `found` (its answer or
        why it failed): the type is the source's Content-Type if Oktopost accepts it, else
        the one the name's (or the URL's) extension says."""
        errors: dict[str, str] = {}
        source = params.get("source", "").strip()
        if not source:
            errors["source"] = "source is required."
        elif not source.lower().startswith(("http://", "https://")):
            errors["source"] = f"source {source} is not an http(s) URL."
        name = params.get("name", "").strip()
        if not name and source:
            name = source.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        if not name:
            errors["name"] = "name is required."
        options = ", ".join(files.UPLOAD_TYPES)
        mime = params.get("mimeType", "").strip().lower()
        if mime and mime not in files.UPLOAD_TYPES:
            errors["mimeType"] = (
                f"MIME type {mime} is not one Oktopost accepts. Options: {options}."
            )
        elif not mime and "source" not in errors:
            mime, why = infer_mime(found, name, source)
            if not mime:
                errors["mimeType"] = (
                    f"mimeType was not sent and cannot be inferred: {why} Send one of: {options}."
                )
        if errors:
            raise ApiError.fields(errors)
        now = self.world.now()
        upload = {
            "Id": self.world.next_id("upload", "027"),
            "Created": now,
            "Modified": now,
            "CreatedBy": self.world.api_user_id,
            "Status": "pending",
            "Name": name,
            "MimeType": mime,
            "TotalSize": 0,
            "Downloaded": 0,
            "Source": source,
            "LastError": None,
            "Attempts": 1,
            "MediaId": None,
        }
        self.world.uploads[upload["Id"]] = upload
        self.world.version += 1
        if self.start_upload is not None:
            self.start_upload(upload["Id"])
        return {"Result": True, "Upload": self.render_upload(upload)}

    def finish_upload(self, upload_id: str, data: bytes | None, problem: str) -> None:
        """The background fetch is done: create the media, or record why it failed."""
        upload = self.world.uploads.get(upload_id)
        if upload is None or upload["Status"] != "pending":
            return
        upload["Modified"] = self.world.now()
        if data is None:
            upload["Status"] = "failed"
            upload["LastError"] = problem
        else:
            kind = files.UPLOAD_TYPES[upload["MimeType"]][0]
            mime = "image/jpeg" if upload["MimeType"] == "image/jpg" else upload["MimeType"]
            item = self.world.add_media(
                kind=kind,
                name=upload["Name"],
                mime_type=mime,
                size=len(data),
                user_id=upload["CreatedBy"],
                data=data,
            )
            upload["Status"] = "complete"
            upload["MediaId"] = item["Id"]
        self.world.version += 1

    def video_validate(self, media_id: str, **_: Any) -> Payload:
        """`{Validations: {<network>: {isValid, errors}}}`, one entry per network the
        account has a valid profile on (SDK uploads.validateVideo reads `Validations` as
        Record<string, VideoValidation>, its test keys it by network). The sandbox adds
        `Duration` (seconds) beside it."""
        item = self.find_media(media_id)
        if item["Type"] != "Video":
            raise ApiError.fields(
                {"mediaId": f"Media {media_id} is a {item['Type']}, not a video."}
            )
        problems: list[str] = []
        duration: float | None = None
        data = self.world.blobs.get(media_id)
        if data is None:
            problems.append("The video file is missing.")
        else:
            try:
                duration = files.mp4_duration(data)
            except files.FileProblem as problem:
                problems.append(str(problem))
            if duration is not None and duration <= 0:
                problems.append("The video has no length (its duration is 0).")
            limit = files.SIZE_LIMITS["Video"]
            if len(data) > limit:
                problems.append(f"The video is larger than {limit // files.MB} MB.")
        networks = [
            n
            for n in content.NETWORKS
            if any(
                c["Network"] == n and c["Status"] == "valid"
                for c in self.world.credentials.values()
            )
        ]
        validations = {}
        for network in networks:
            errors = list(problems)
            if not problems and duration is not None:
                errors += length_problems(network, duration)
            validations[network] = {"isValid": not errors, "errors": errors}
        payload: Payload = {"Result": True, "Validations": validations}
        if duration is not None:
            payload["Duration"] = round(duration, 3)
        return payload


def infer_mime(found: files.Head | str | None, name: str, source: str) -> tuple[str, str]:
    """The upload's MIME type from the source's Content-Type, else from an extension;
    ("", why not) when neither says one Oktopost accepts."""
    said = ""
    if isinstance(found, files.Head):
        if found.status == 200:
            if found.content_type in files.UPLOAD_TYPES:
                return found.content_type, ""
            said = f"the source answers with {found.content_type or 'no Content-Type'}"
        else:
            said = f"the source answered HEAD with {found.status}"
    elif isinstance(found, str):
        said = f"the source could not be looked at ({found.rstrip('.')})"
    for candidate in (name, source.split("?")[0]):
        tail = candidate.rsplit("/", 1)[-1]
        if "." in tail:
            mime = EXTENSIONS.get(tail.rsplit(".", 1)[-1].lower())
            if mime:
                return mime, ""
    reasons = [said] if said else []
    reasons.append(f"the name {name or source} has no extension Oktopost accepts")
    return "", " and ".join(reasons) + "."


def length_problems(network: str, seconds: float) -> list[str]:
    shortest, longest = VIDEO_SECONDS.get(network, (0.0, float("inf")))
    if seconds > longest:
        return [f"The video lasts {seconds:g} s; {network} takes videos up to {longest:g} s."]
    if seconds < shortest:
        return [f"The video lasts {seconds:g} s; {network} needs at least {shortest:g} s."]
    return []
