"""HTTP client for the Oktopost REST API v2 (the subset oktodash uses): one method per
endpoint, answers parsed into ``oktopost.types``.

Base URLs, Basic auth, the envelope, error mapping, retries (see the policy there) and the
shared rate budget live in the transport underneath (``oktopost.transport``). It knows
nothing about Django or the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from oktopost.transport import Transport, list_member, member
from oktopost.types import (
    MEDIA_TYPES,
    UPLOAD_MIME_TYPES,
    UPLOAD_STATUSES,
    Campaign,
    Credential,
    FirstCommentInput,
    Me,
    Media,
    Message,
    Page,
    Post,
    Postlog,
    Upload,
    User,
    VideoCheck,
    format_datetime,
)
from oktopost.webhooks import WebhookCalls

# Oktopost accepts only these page sizes on most lists (API reference §1 "Pagination").
PAGE_SIZES = (25, 50, 100)
POST_ORDERS = ("created", "modified", "startDateTime")
# Lists of ids in one ``GET /message?ids=`` call (API reference §5).
MESSAGE_IDS_PER_CALL = 100

PostOrder = Literal["created", "modified", "startDateTime"]
# A LinkedIn first comment's text limit (API reference §2 "Create params").
FIRST_COMMENT_MAX = 3000


class OktopostClient(WebhookCalls, Transport):
    """The endpoints oktodash uses, over the transport (auth, retries, the rate budget)."""

    # -- account -------------------------------------------------------------------------

    def me(self) -> Me:
        call = "GET /me"
        return Me.from_api(self._request("GET", "/me", call=call), call=call)

    # -- posts ---------------------------------------------------------------------------

    def post_get(self, post_id: str, *, stats: bool = False) -> Post:
        call = "GET /post/{id}"
        body = self._request(
            "GET", f"/post/{_seg(post_id)}", call=call, params={"stats": 1} if stats else None
        )
        # Stats is a sibling of Post in the envelope, not nested in it (API reference §2).
        return Post.from_api(
            member(body, "Post", call), call=call, stats=body.get("Stats") if stats else None
        )

    def post_list(
        self,
        *,
        page: int = 0,
        count: int = 100,
        order: PostOrder = "created",
        message_id: str | None = None,
        campaign_id: str | None = None,
        status: str | None = None,
        created_by: str | None = None,
        source: str | None = None,
        before: datetime | None = None,
        after: datetime | None = None,
    ) -> Page[Post]:
        """One page of posts; ``after`` is inclusive and ``before`` exclusive on ``order``."""
        if order not in POST_ORDERS:
            raise ValueError(f"order must be one of {POST_ORDERS}, got {order!r}")
        params = _paging(page, count) | {"_order": order}
        params |= _drop_none(
            messageId=message_id,
            campaignId=campaign_id,
            status=status,
            createdBy=created_by,
            source=source,
            before=None if before is None else format_datetime(before),
            after=None if after is None else format_datetime(after),
        )
        return self._page("GET /post", "/post", params, Post.from_api, page=page, count=count)

    def post_create(
        self,
        *,
        message_id: str,
        credential_ids: Sequence[str],
        start_at: datetime | None = None,
        status: str | None = None,
        first_comment: FirstCommentInput | None = None,
    ) -> Post:
        """Schedule ``message_id`` on the profiles. Raises AmbiguousWriteError if the answer
        was lost: check ``post_list(message_id=...)`` before creating again.

        ``first_comment`` is LinkedIn only: Oktopost refuses it when no profile is LinkedIn."""
        data = _drop_none(
            messageId=message_id,
            credentialIds=_join_ids(credential_ids, "credential_ids", required=True),
            startDateTime=None if start_at is None else _epoch(start_at),
            status=status,
        )
        data |= _first_comment_fields(first_comment)
        call = "POST /post"
        return Post.from_api(
            member(self._request("POST", "/post", call=call, data=data), "Post", call), call=call
        )

    def post_update(
        self,
        post_id: str,
        *,
        start_at: datetime | None = None,
        credential_ids: Sequence[str] | None = None,
        message_id: str | None = None,
        status: str | None = None,
        first_comment: FirstCommentInput | None = None,
        remove_first_comment: bool = False,
    ) -> Post:
        """Change an unsent post; only the arguments given are sent.

        ``first_comment`` sets (replaces) the LinkedIn first comment; ``remove_first_comment``
        sends ``firstComment=null``, which removes it. The two cannot go together."""
        if first_comment is not None and remove_first_comment:
            raise ValueError("give first_comment or remove_first_comment, not both")
        data = _drop_none(
            startDateTime=None if start_at is None else _epoch(start_at),
            credentialIds=None
            if credential_ids is None
            else _join_ids(credential_ids, "credential_ids", required=True),
            messageId=message_id,
            status=status,
        )
        data |= _first_comment_fields(first_comment)
        if remove_first_comment:
            data["firstComment"] = "null"
        if not data:
            raise ValueError("post_update needs at least one field to change")
        call = "POST /post/{id}"
        body = self._request("POST", f"/post/{_seg(post_id)}", call=call, data=data)
        return Post.from_api(member(body, "Post", call), call=call)

    def post_delete(self, post_id: str) -> None:
        self._request("DELETE", f"/post/{_seg(post_id)}", call="DELETE /post/{id}")

    # -- messages ------------------------------------------------------------------------

    def message_list(
        self,
        *,
        campaign_id: str | None = None,
        ids: Sequence[str] | None = None,
        network: str | None = None,
        page: int = 0,
        count: int = 100,
    ) -> Page[Message]:
        """Messages of a campaign, or up to 100 messages by id (Oktopost needs one of them)."""
        if campaign_id is None and not ids:
            raise ValueError("message_list needs campaign_id or ids")
        if ids is not None and len(ids) > MESSAGE_IDS_PER_CALL:
            raise ValueError(f"at most {MESSAGE_IDS_PER_CALL} ids per call; use messages_by_ids")
        params = _paging(page, count) | _drop_none(
            campaignId=campaign_id,
            ids=None if not ids else _join_ids(ids, "ids"),
            network=network,
        )
        return self._page(
            "GET /message", "/message", params, Message.from_api, page=page, count=count
        )

    def messages_by_ids(self, ids: Iterable[str]) -> list[Message]:
        """The messages among ``ids`` that exist, one call per 100 ids, in API order."""
        unique = list(dict.fromkeys(ids))
        found: list[Message] = []
        for start in range(0, len(unique), MESSAGE_IDS_PER_CALL):
            batch = unique[start : start + MESSAGE_IDS_PER_CALL]
            found.extend(self.message_list(ids=batch, count=100).items)
        return found

    def message_create(
        self,
        *,
        network: str,
        campaign_id: str,
        text: str,
        link_url: str | None = None,
        link_title: str | None = None,
        description: str | None = None,
        image_url: str | None = None,
        title: str | None = None,
        media_ids: Sequence[str] | None = None,
    ) -> Message:
        """Create a message. Raises AmbiguousWriteError if the answer was lost.

        ``media_ids`` are media library items (``026…``) sent as ``media``, comma-joined."""
        data = _drop_none(
            network=network,
            campaignId=campaign_id,
            message=text,
            linkUrl=link_url,
            linkTitle=link_title,
            description=description,
            imageUrl=image_url,
            title=title,
            media=None if not media_ids else _join_ids(media_ids, "media_ids"),
        )
        call = "POST /message"
        body = self._request("POST", "/message", call=call, data=data)
        return Message.from_api(member(body, "Message", call), call=call)

    # -- media library -------------------------------------------------------------------

    def media_create(self, *, resource: str, name: str | None = None) -> Media:
        """Add an image by its public URL (``POST /media``); Oktopost checks that it answers.
        Raises AmbiguousWriteError if the answer was lost."""
        if not resource.strip():
            raise ValueError("resource must be an image URL")
        call = "POST /media"
        data = _drop_none(resource=resource.strip(), name=name)
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
        params = _paging(page, count) | _drop_none(q=q or None, type=type)
        return self._page("GET /media", "/media", params, Media.from_api, page=page, count=count)

    def media_get(self, media_id: str) -> Media:
        call = "GET /media/{id}"
        body = self._request("GET", f"/media/{_seg(media_id)}", call=call)
        return Media.from_api(member(body, "Media", call), call=call)

    def media_delete(self, media_id: str) -> None:
        self._request("DELETE", f"/media/{_seg(media_id)}", call="DELETE /media/{id}")

    # -- uploads ---------------------------------------------------------------------------

    def upload_create(self, *, source: str, name: str, mime_type: str) -> Upload:
        """Ask Oktopost to fetch a file (``POST /upload``). ``source`` must answer HEAD and
        ranged GETs; the upload starts ``pending``: poll ``upload_get`` until it is
        ``complete`` (then ``media_id`` is set) or ``failed`` (``reason`` says why)."""
        if mime_type not in UPLOAD_MIME_TYPES:
            raise ValueError(f"mime_type must be one of {UPLOAD_MIME_TYPES}, got {mime_type!r}")
        if not source.strip() or not name.strip():
            raise ValueError("upload_create needs a source URL and a name")
        call = "POST /upload"
        data = {"source": source.strip(), "name": name.strip(), "mimeType": mime_type}
        body = self._request("POST", "/upload", call=call, data=data)
        return Upload.from_api(member(body, "Upload", call), call=call)

    def upload_get(self, upload_id: str) -> Upload:
        call = "GET /upload/{id}"
        body = self._request("GET", f"/upload/{_seg(upload_id)}", call=call)
        return Upload.from_api(member(body, "Upload", call), call=call)

    def upload_list(
        self, *, status: str | None = None, page: int = 0, count: int = 100
    ) -> Page[Upload]:
        if status is not None and status not in UPLOAD_STATUSES:
            raise ValueError(f"status must be one of {UPLOAD_STATUSES}, got {status!r}")
        params = _paging(page, count) | _drop_none(status=status)
        return self._page("GET /upload", "/upload", params, Upload.from_api, page=page, count=count)

    def video_validate(self, media_id: str) -> VideoCheck:
        """Whether a video media item can be published (``GET /video-validate/{mediaId}``)."""
        call = "GET /video-validate/{id}"
        body = self._request("GET", f"/video-validate/{_seg(media_id)}", call=call)
        return VideoCheck.from_api(body, call=call)

    # -- campaigns -----------------------------------------------------------------------

    def campaign_list(
        self,
        *,
        page: int = 0,
        count: int = 100,
        q: str | None = None,
        status: str | None = None,
    ) -> Page[Campaign]:
        params = _paging(page, count) | _drop_none(q=q, status=status)
        return self._page(
            "GET /campaign", "/campaign", params, Campaign.from_api, page=page, count=count
        )

    def campaigns_iter(
        self, *, q: str | None = None, status: str | None = None
    ) -> Iterator[Campaign]:
        """Every campaign matching the filters, 100 per call."""
        return _iterate(lambda page: self.campaign_list(page=page, count=100, q=q, status=status))

    # -- social profiles -----------------------------------------------------------------

    def credential_list(
        self, *, network: str | None = None, include_invalid: bool = False
    ) -> list[Credential]:
        """All social profiles; Oktopost documents no paging for this list (§7)."""
        call = "GET /credential"
        params = _drop_none(network=network) | {"includeInvalid": int(include_invalid)}
        body = self._request("GET", "/credential", call=call, params=params)
        return [
            Credential.from_api(item, call=call, where=f"Items[{i}]")
            for i, item in enumerate(list_member(body, "Items", call))
        ]

    # -- users ---------------------------------------------------------------------------

    def user_list(self, *, page: int = 0, count: int = 100) -> Page[User]:
        """The account's users (``GET /user``, API notes "Other endpoints")."""
        return self._page(
            "GET /user", "/user", _paging(page, count), User.from_api, page=page, count=count
        )

    def users_iter(self) -> Iterator[User]:
        """Every user of the account, 100 per call."""
        return _iterate(lambda page: self.user_list(page=page, count=100))

    def user_get(self, user_id: str) -> User:
        call = "GET /user/{id}"
        body = self._request("GET", f"/user/{_seg(user_id)}", call=call)
        return User.from_api(member(body, "User", call), call=call)

    # -- postlogs ------------------------------------------------------------------------

    def postlog_list(self, post_id: str) -> list[Postlog]:
        """Delivery attempts of a post; this endpoint has its own envelope (§3)."""
        call = "GET /postlog"
        body = self._request("GET", "/postlog", call=call, params={"postId": post_id})
        return [
            Postlog.from_api(item, call=call, where=f"Postlogs[{i}]")
            for i, item in enumerate(list_member(body, "Postlogs", call))
        ]


def _paging(page: int, count: int) -> dict[str, Any]:
    if count not in PAGE_SIZES:
        raise ValueError(f"count must be one of {PAGE_SIZES}, got {count}")
    if page < 0:
        raise ValueError(f"page must be >= 0, got {page}")
    return {"_page": page, "_count": count}


def _iterate[T](fetch: Callable[[int], Page[T]]) -> Iterator[T]:
    page_number = 0
    while True:
        page = fetch(page_number)
        yield from page.items
        if not page.has_next:
            return
        page_number += 1


def _drop_none(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _join_ids(ids: Sequence[str] | str, name: str, *, required: bool = False) -> str:
    if isinstance(ids, str):
        # A bare string would be joined letter by letter.
        raise TypeError(f"{name} must be a sequence of ids, not a string")
    joined = ",".join(str(item).strip() for item in ids)
    if required and not joined:
        raise ValueError(f"{name} must not be empty")
    return joined


def _first_comment_fields(first_comment: FirstCommentInput | None) -> dict[str, str]:
    """PHP bracket notation, as the SDK sends objects (API reference §1 "Arrays/objects")."""
    if first_comment is None:
        return {}
    text = first_comment.text or ""
    if not text.strip() and not first_comment.media_id:
        raise ValueError("a first comment needs text or an image")
    if len(text) > FIRST_COMMENT_MAX:
        raise ValueError(
            f"a first comment has at most {FIRST_COMMENT_MAX} characters, got {len(text)}"
        )
    fields = {"firstComment[text]": text}
    if first_comment.media_id:
        fields["firstComment[media]"] = first_comment.media_id
    return fields


def _epoch(value: datetime) -> int:
    # Oktopost takes startDateTime as Unix seconds (API reference §2 "Create params").
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} is naive; pass a timezone-aware datetime")
    return int(value.timestamp())


def _seg(value: str) -> str:
    if not value:
        raise ValueError("an id is required")
    return quote(str(value), safe="")
