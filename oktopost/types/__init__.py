"""Typed, immutable views of Oktopost objects.

Each dataclass keeps the whole decoded object in ``raw`` so fields the client does not model
(or that Oktopost adds later) are never lost, and unknown fields never cause an error.
Field names follow the API reference (Oktopost's PascalCase turned into snake_case), except
where the API name would mislead in Python: ``Message.Message`` is ``text``, a post's
``StartDateTime`` is ``start_at`` and its ``Credentials`` string is ``credential_ids``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from oktopost.errors import SchemaError

# Oktopost writes response datetimes as "YYYY-MM-DD HH:MM:SS" (UTC) and unset ones as the
# MySQL zero date (API reference §1 "Timestamps and formats").
_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_ZERO_DATES = frozenset({"", "0000-00-00 00:00:00", "0000-00-00"})
_MISSING = object()


def format_datetime(value: datetime) -> str:
    """Serialise an aware datetime the way Oktopost's list filters expect it, in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} is naive; pass a timezone-aware datetime")
    return value.astimezone(UTC).strftime(_DATETIME_FORMAT)


def parse_datetime(value: str) -> datetime | None:
    """Parse an Oktopost datetime string into an aware UTC datetime; zero dates give None."""
    if value in _ZERO_DATES:
        return None
    return datetime.strptime(value, _DATETIME_FORMAT).replace(tzinfo=UTC)


class _Reader:
    """Reads one decoded object and names the call and field in every error."""

    def __init__(self, raw: Any, *, call: str, where: str) -> None:
        if not isinstance(raw, Mapping):
            raise SchemaError(
                f"{where} is {type(raw).__name__}, expected an object", call=call, field=where
            )
        self.raw: dict[str, Any] = dict(raw)
        self.call = call
        self.where = where

    def _fail(self, key: str, problem: str) -> SchemaError:
        name = f"{self.where}.{key}"
        return SchemaError(f"field {name} {problem}", call=self.call, field=name)

    def _get(self, key: str, required: bool) -> Any:
        value = self.raw.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise self._fail(key, "is missing")
            return _MISSING
        return value

    def text(self, key: str, *, required: bool = False) -> str:
        value = self._get(key, required)
        if value is _MISSING:
            return ""
        # Oktopost sends some ids and counters as numbers in one place and strings in another.
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self._fail(key, f"should be a string, got {value!r}")
        if required and value == "":
            raise self._fail(key, "is empty")
        return str(value)

    def integer(self, key: str, *, required: bool = False, default: int = 0) -> int:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        # Numbers may arrive as strings ("Picture": "1", API reference §1); accept only
        # whole numbers so "abc" or "1.5" fail loudly instead of becoming 0.
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            text = value.strip()
            if text.lstrip("-").isdigit():
                return int(text)
        raise self._fail(key, f"should be an integer, got {value!r}")

    def optional_int(self, key: str) -> int | None:
        """An analytics counter, where -1 means "not available for this network" (§4)."""
        if self._get(key, False) is _MISSING:
            return None
        number = self.integer(key)
        return None if number < 0 else number

    def flag(self, key: str) -> bool:
        number = self.integer(key, default=0)
        if number not in (0, 1):
            raise self._fail(key, f"should be 0 or 1, got {self.raw[key]!r}")
        return number == 1

    def when(self, key: str, *, required: bool = False) -> datetime | None:
        value = self._get(key, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            raise self._fail(key, f"should be a 'YYYY-MM-DD HH:MM:SS' string, got {value!r}")
        try:
            return parse_datetime(value)
        except ValueError:
            raise self._fail(
                key, f"should be a 'YYYY-MM-DD HH:MM:SS' string, got {value!r}"
            ) from None

    def ids(self, key: str) -> tuple[str, ...]:
        """A list of ids sent either as a comma-separated string or as a JSON array."""
        value = self._get(key, False)
        if value is _MISSING:
            return ()
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list) and all(isinstance(item, str | int) for item in value):
            return tuple(str(item) for item in value)
        raise self._fail(key, f"should be a comma-separated string or a list, got {value!r}")

    def child(self, key: str) -> _Reader:
        """A nested object that must be present."""
        return _Reader(self._get(key, True), call=self.call, where=f"{self.where}.{key}")

    def array(self, key: str) -> list[Any]:
        value = self._get(key, False)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            raise self._fail(key, f"should be a list, got {type(value).__name__}")
        return value


@dataclass(frozen=True, slots=True)
class PostStats:
    """Stats sent next to a Post for ``GET /post/{id}?stats=1``; None = not available."""

    link_clicks: int | None
    conversions: int | None
    comments: int | None
    likes: int | None
    shares: int | None
    impressions_added: int | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Stats") -> PostStats:
        r = _Reader(raw, call=call, where=where)
        return cls(
            link_clicks=r.optional_int("LinkClicks"),
            conversions=r.optional_int("Conversions"),
            comments=r.optional_int("Comments"),
            likes=r.optional_int("Likes"),
            shares=r.optional_int("Shares"),
            impressions_added=r.optional_int("ImpressionsAdded"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class Post:
    """One scheduling of a Message to one or more social profiles (API reference §2)."""

    id: str
    status: str
    created: datetime | None
    modified: datetime | None
    account_id: str
    created_by: str
    modified_by: str
    source: str
    content_source: str
    queued: bool
    campaign_id: str
    message_id: str
    message_child_id: str
    message_status: str
    network: str
    start_at: datetime | None
    credential_ids: tuple[str, ...]
    groups_count: int
    total_count: int
    update_status: int
    flag: str
    utm: str
    clicks: int
    converts: int
    comments: int
    new_comments: int
    likes: int
    stats: PostStats | None = None
    # LinkedIn only (SDK-1.1 ``FirstComment``); None when the post has none.
    first_comment: FirstComment | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Post", stats: Any = None) -> Post:
        r = _Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            status=r.text("Status", required=True),
            created=r.when("Created"),
            modified=r.when("Modified"),
            account_id=r.text("AccountId"),
            created_by=r.text("CreatedBy"),
            modified_by=r.text("ModifiedBy"),
            source=r.text("Source"),
            content_source=r.text("ContentSource"),
            queued=r.flag("Queued"),
            campaign_id=r.text("CampaignId"),
            message_id=r.text("MessageId"),
            message_child_id=r.text("MessageChildId"),
            message_status=r.text("MessageStatus"),
            network=r.text("Network"),
            start_at=r.when("StartDateTime"),
            credential_ids=r.ids("Credentials"),
            groups_count=r.integer("GroupsCount"),
            total_count=r.integer("TotalCount"),
            update_status=r.integer("UpdateStatus"),
            flag=r.text("Flag"),
            utm=r.text("Utm"),
            clicks=r.integer("Clicks"),
            converts=r.integer("Converts"),
            comments=r.integer("Comments"),
            new_comments=r.integer("NewComments"),
            likes=r.integer("Likes"),
            stats=None if stats is None else PostStats.from_api(stats, call=call),
            first_comment=FirstComment.from_api(raw, call=call, where=where),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class Message:
    """A reusable content template for one network (API reference §5)."""

    id: str
    network: str
    campaign_id: str
    status: str
    created: datetime | None
    modified: datetime | None
    account_id: str
    created_by: str
    modified_by: str
    subject: str
    text: str
    link_url: str
    link_title: str
    description: str
    image_url: str
    title: str
    url: str
    clicks: int
    converts: int
    children_count: int
    is_board_message: bool
    media_ids: tuple[str, ...]
    tags: tuple[str, ...]
    # The full items of ``Media`` (their ids are ``media_ids``), in the API's order.
    media: tuple[Media, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Message") -> Message:
        r = _Reader(raw, call=call, where=where)
        media = _media_items(r, "Media", call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            network=r.text("Network"),
            campaign_id=r.text("CampaignId"),
            status=r.text("Status"),
            created=r.when("Created"),
            modified=r.when("Modified"),
            account_id=r.text("AccountId"),
            created_by=r.text("CreatedBy"),
            modified_by=r.text("ModifiedBy"),
            subject=r.text("Subject"),
            text=r.text("Message"),
            link_url=r.text("LinkUrl"),
            link_title=r.text("LinkTitle"),
            description=r.text("Description"),
            image_url=r.text("ImageUrl"),
            title=r.text("Title"),
            url=r.text("Url"),
            clicks=r.integer("Clicks"),
            converts=r.integer("Converts"),
            children_count=r.integer("ChildrenCount"),
            is_board_message=r.flag("IsBoardMessage"),
            media_ids=tuple(item.id for item in media),
            tags=r.ids("Tags"),
            media=media,
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class Campaign:
    """A campaign; list items carry only part of the fields, the rest stay empty/0."""

    id: str
    name: str
    status: str
    created: datetime | None
    modified: datetime | None
    url: str
    color: str
    short_url: str
    start_date: datetime | None
    end_date: datetime | None
    clicks: int
    converts: int
    comments: int
    new_comments: int
    likes: int
    total_messages: int
    total_posts: int
    total_pending_posts: int
    total_draft_posts: int
    posts_sent: int
    tags: tuple[str, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Campaign") -> Campaign:
        r = _Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            name=r.text("Name", required=True),
            status=r.text("Status"),
            created=r.when("Created"),
            modified=r.when("Modified"),
            url=r.text("Url"),
            color=r.text("Color"),
            short_url=r.text("ShortUrl"),
            start_date=r.when("StartDate"),
            end_date=r.when("EndDate"),
            clicks=r.integer("Clicks"),
            converts=r.integer("Converts"),
            comments=r.integer("Comments"),
            new_comments=r.integer("NewComments"),
            likes=r.integer("Likes"),
            total_messages=r.integer("TotalMessages"),
            total_posts=r.integer("TotalPosts"),
            total_pending_posts=r.integer("TotalPendingPosts"),
            total_draft_posts=r.integer("TotalDraftPosts"),
            posts_sent=r.integer("PostsSent"),
            tags=r.ids("Tags"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class Credential:
    """A connected social profile (API reference §7)."""

    id: str
    name: str
    display_name: str
    network: str
    status: str
    created: datetime | None
    image_link: str
    network_username: str
    native_posts_enabled: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_valid(self) -> bool:
        return self.status == "valid"

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Credential") -> Credential:
        r = _Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            name=r.text("Name"),
            display_name=r.text("DisplayName"),
            network=r.text("Network", required=True),
            status=r.text("Status"),
            created=r.when("Created"),
            image_link=r.text("ImageLink"),
            network_username=r.text("NetworkUsername"),
            native_posts_enabled=r.flag("NativePostsEnabled"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class Postlog:
    """One delivery of a post to one profile; status "success" or "failed" (§3)."""

    id: str
    post_id: str
    status: str
    campaign_id: str
    message_id: str
    credential_id: str
    network: str
    created: datetime | None
    modified: datetime | None
    remote_id: str
    remote_url: str
    error: str
    link_ids: tuple[str, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Postlog") -> Postlog:
        r = _Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            post_id=r.text("PostId", required=True),
            status=r.text("Status", required=True),
            campaign_id=r.text("CampaignId"),
            message_id=r.text("MessageId"),
            credential_id=r.text("CredentialId"),
            network=r.text("Network"),
            created=r.when("Created"),
            modified=r.when("Modified"),
            remote_id=r.text("RemoteId"),
            remote_url=r.text("RemoteUrl"),
            error=r.text("Error"),
            link_ids=r.ids("LinkIds"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class Me:
    """The API user and account behind the credentials (``GET /me``)."""

    user_id: str
    user_name: str
    user_email: str
    last_login: datetime | None
    account_id: str
    account_name: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str) -> Me:
        r = _Reader(raw, call=call, where="response")
        user = r.child("User")
        account = r.child("Account")
        return cls(
            user_id=user.text("Id", required=True),
            user_name=user.text("Name"),
            user_email=user.text("Email"),
            last_login=user.when("LastLogin"),
            account_id=account.text("Id", required=True),
            account_name=account.text("Name"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class User:
    """A user of the Oktopost account (``00A…``): who created or changed a post.

    ``GET /user`` and ``GET /user/{id}`` (API notes §"Other endpoints", SDK users
    resource): ``Id``, ``Name``, ``Email``, ``LastLogin``; newer answers split the name
    into ``FirstName``/``LastName``, so either is accepted."""

    id: str
    name: str
    email: str
    last_login: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return self.name or self.email or self.id

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "User") -> User:
        r = _Reader(raw, call=call, where=where)
        name = r.text("Name") or " ".join(
            part for part in (r.text("FirstName"), r.text("LastName")) if part
        )
        return cls(
            id=r.text("Id", required=True),
            name=name.strip(),
            email=r.text("Email"),
            last_login=r.when("LastLogin"),
            raw=r.raw,
        )


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
        r = _Reader(raw, call=call, where=where)
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


def _media_items(r: _Reader, key: str, *, call: str, where: str) -> tuple[Media, ...]:
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
        r = _Reader(raw, call=call, where=where)
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
class VideoCheck:
    """The answer of ``GET /video-validate/{mediaId}`` (SDK ``VideoValidation``).

    ``valid`` is the API's ``isValid`` and ``reasons`` its ``errors``. ``duration`` (seconds)
    is None when the answer does not give it (the SDK does not list it; the sandbox adds it).
    """

    valid: bool
    reasons: tuple[str, ...]
    duration: float | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def message(self) -> str:
        return "; ".join(self.reasons)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "response") -> VideoCheck:
        r = _Reader(raw, call=call, where=where)
        value = r.raw.get("isValid", _MISSING)
        if isinstance(value, bool):
            valid = value
        elif value is _MISSING or value is None:
            raise r._fail("isValid", "is missing")
        else:
            valid = r.flag("isValid")
        reasons = []
        for index, item in enumerate(r.array("errors")):
            if not isinstance(item, str | int | float) or isinstance(item, bool):
                raise r._fail(f"errors[{index}]", f"should be a string, got {item!r}")
            reasons.append(str(item))
        duration = r.raw.get("Duration")
        if duration is not None and (
            isinstance(duration, bool) or not isinstance(duration, int | float)
        ):
            raise r._fail("Duration", f"should be a number of seconds, got {duration!r}")
        return cls(
            valid=valid,
            reasons=tuple(reasons),
            duration=None if duration is None else float(duration),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class FirstComment:
    """A LinkedIn post's first comment (SDK-1.1 ``FirstComment``)."""

    id: str
    text: str
    media: tuple[Media, ...]
    status: str
    network: str = ""
    scheduled_at: datetime | None = None
    campaign_id: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def media_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.media)

    @classmethod
    def from_api(cls, post: Any, *, call: str, where: str = "Post") -> FirstComment | None:
        """The ``FirstComment`` of a Post object; None when absent, null or empty."""
        if not isinstance(post, Mapping):
            return None
        value = post.get("FirstComment")
        if value is None or value == [] or value == {}:
            return None
        r = _Reader(value, call=call, where=f"{where}.FirstComment")
        scheduled = r.raw.get("ScheduledAt")
        scheduled_at: datetime | None = None
        if isinstance(scheduled, str) and not scheduled.strip().isdigit():
            scheduled_at = r.when("ScheduledAt")
        elif scheduled not in (None, "", 0, "0"):
            scheduled_at = datetime.fromtimestamp(r.integer("ScheduledAt"), tz=UTC)
        return cls(
            id=r.text("Id"),
            text=r.text("Text"),
            media=_media_items(r, "Media", call=call, where=r.where),
            status=r.text("Status"),
            network=r.text("Network"),
            scheduled_at=scheduled_at,
            campaign_id=r.text("CampaignId"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class FirstCommentInput:
    """What ``post_create``/``post_update`` send as ``firstComment[text]``/``[media]``."""

    text: str
    media_id: str | None = None


@dataclass(frozen=True, slots=True)
class Page[T]:
    """One page of a list endpoint: ``Items`` plus the ``Total`` across all pages."""

    items: tuple[T, ...]
    total: int
    page: int
    count: int

    @property
    def has_next(self) -> bool:
        # Oktopost's documented last-page rule (API reference §1 "Pagination").
        return bool(self.items) and (self.page + 1) * self.count < self.total
