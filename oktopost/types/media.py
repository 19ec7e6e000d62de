"""The media library: items, uploads Oktopost fetches from a URL, and video checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oktopost.types.base import MISSING, Reader

# Media types of the library (SDK ``MediaType``) and upload states (SDK ``UploadStatus``).
MEDIA_TYPES: tuple[str, ...] = ("Image", "Video", "ImageUrl", "PDF")
UPLOAD_STATUSES: tuple[str, ...] = ("pending", "failed", "complete")
# MIME types ``POST /upload`` accepts (API reference §8 "Uploads").
UPLOAD_MIME_TYPES: tuple[str, ...] = (
    "video/mp4",
    "image/gif",
    "image/png",
    "image/jpg",
    "image/jpeg",
    "application/pdf",
)


@dataclass(frozen=True, slots=True)
class Media:
    """An item of the account's media library (``026…``; SDK ``MediaItem``/``MessageMedia``).

    ``type`` is one of MEDIA_TYPES: ``ImageUrl`` for an image linked by URL (``POST /media``),
    ``Image``/``Video``/``PDF`` for a file Oktopost stored (``POST /upload``). ``resource`` is
    the URL the file is served at. List items also carry ``MimeType`` (empty otherwise).
    """

    id: str
    type: str
    name: str
    resource: str
    size: int
    status: str
    created: datetime | None
    modified: datetime | None = None
    description: str = ""
    mime_type: str = ""
    folder_id: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_image(self) -> bool:
        return self.type in ("Image", "ImageUrl")

    @property
    def is_video(self) -> bool:
        return self.type == "Video"

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Media") -> Media:
        r = Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            type=r.text("Type"),
            name=r.text("Name"),
            resource=r.text("Resource"),
            size=r.integer("Size"),
            status=r.text("Status"),
            created=r.when("Created"),
            modified=r.when("Modified"),
            description=r.text("Description"),
            mime_type=r.text("MimeType"),
            folder_id=r.text("FolderId"),
            raw=r.raw,
        )


def media_items(r: Reader, key: str, *, call: str, where: str) -> tuple[Media, ...]:
    """Full media objects; a bare id (the SDK types FirstComment.Media as unknown[]) is
    kept as an item that has only its id."""
    items = []
    for index, item in enumerate(r.array(key)):
        if isinstance(item, str | int) and not isinstance(item, bool) and str(item):
            items.append(
                Media(id=str(item), type="", name="", resource="", size=0, status="", created=None)
            )
        else:
            items.append(Media.from_api(item, call=call, where=f"{where}.{key}[{index}]"))
    return tuple(items)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file Oktopost fetches from a URL (``POST /upload``; SDK ``Upload``).

    ``status`` goes from ``pending`` to ``complete`` (``media_id`` is then set) or ``failed``
    (``reason`` says why, from the API's ``LastError``).
    """

    id: str
    status: str
    media_id: str | None
    name: str
    mime_type: str
    reason: str
    source: str = ""
    total_size: int = 0
    downloaded: int = 0
    attempts: int = 0
    created: datetime | None = None
    modified: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Upload") -> Upload:
        r = Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            status=r.text("Status", required=True),
            media_id=r.text("MediaId") or None,
            name=r.text("Name"),
            mime_type=r.text("MimeType"),
            reason=r.text("LastError"),
            source=r.text("Source"),
            total_size=r.integer("TotalSize"),
            downloaded=r.integer("Downloaded"),
            attempts=r.integer("Attempts"),
            created=r.when("Created"),
            modified=r.when("Modified"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class NetworkVideoCheck:
    """One network's verdict on a video (SDK ``VideoValidation {isValid, errors}``)."""

    valid: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VideoCheck:
    """The answer of ``GET /video-validate/{mediaId}``.

    The SDK reads ``{Validations: {<network>: {isValid, errors}}}`` (src/resources/
    publishing/uploads.ts ``validateVideo``, keyed by network in its test); an older,
    flat ``{isValid, errors}`` is read too, as one verdict for every network.
    ``networks`` holds the per-network verdicts ({} for the flat shape). ``valid`` is true
    when the video can go out at all: at least one network takes it (``valid_for`` says
    which). ``reasons`` are the refusals, each prefixed with its network. ``duration``
    (seconds) is None unless the answer gives ``Duration`` (the sandbox does; the SDK
    lists no such field)."""

    valid: bool
    reasons: tuple[str, ...]
    duration: float | None = None
    networks: dict[str, NetworkVideoCheck] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def message(self) -> str:
        return "; ".join(self.reasons)

    def valid_for(self, network: str) -> bool:
        """Whether ``network`` takes the video; with the flat shape, the one verdict."""
        if not self.networks:
            return self.valid
        found = self.networks.get(network)
        return found is not None and found.valid

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "response") -> VideoCheck:
        r = Reader(raw, call=call, where=where)
        duration = r.raw.get("Duration")
        if duration is not None and (
            isinstance(duration, bool) or not isinstance(duration, int | float)
        ):
            raise r.fail("Duration", f"should be a number of seconds, got {duration!r}")
        seconds = None if duration is None else float(duration)
        validations = r.raw.get("Validations", MISSING)
        if validations is MISSING or validations is None:
            verdict = _verdict(r)
            return cls(verdict.valid, verdict.reasons, seconds, {}, r.raw)
        if validations == []:
            validations = {}  # PHP's empty map
        if not isinstance(validations, dict):
            raise r.fail("Validations", f"should be an object, got {validations!r}")
        networks = {
            str(name): _verdict(Reader(value, call=call, where=f"{where}.Validations.{name}"))
            for name, value in validations.items()
        }
        reasons = tuple(
            f"{name}: {reason}" for name, check in networks.items() for reason in check.reasons
        )
        valid = any(check.valid for check in networks.values())
        if not networks:
            reasons = ("Oktopost gave no verdict for any network.",)
        return cls(valid, reasons, seconds, networks, r.raw)


def _verdict(r: Reader) -> NetworkVideoCheck:
    value = r.raw.get("isValid", MISSING)
    if isinstance(value, bool):
        valid = value
    elif value is MISSING or value is None:
        raise r.fail("isValid", "is missing")
    else:
        valid = r.flag("isValid")
    reasons = []
    for index, item in enumerate(r.array("errors")):
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise r.fail(f"errors[{index}]", f"should be a string, got {item!r}")
        reasons.append(str(item))
    return NetworkVideoCheck(valid, tuple(reasons))
