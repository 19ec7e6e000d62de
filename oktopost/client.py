"""HTTP client for the Oktopost REST API v2 (the subset oktodash uses): one method per
endpoint, answers parsed into ``oktopost.types``.

Base URLs, Basic auth, the envelope, error mapping, retries (see the policy there) and the
shared rate budget live in the transport underneath (``oktopost.transport``). It knows
nothing about Django or the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote

from oktopost.transport import Transport, list_member, member
from oktopost.types import (
    MEDIA_TYPES,
    UPLOAD_MIME_TYPES,
    UPLOAD_STATUSES,
    Calendar,
    CalendarEvent,
    Campaign,
    Click,
    Credential,
    FirstCommentInput,
    FollowerPoint,
    Me,
    Media,
    Message,
    Page,
    Post,
    Postlog,
    PostStats,
    Tag,
    Team,
    Upload,
    User,
    VideoCheck,
    format_datetime,
)
from oktopost.types.workflows import ItemNote, Workflow, WorkflowItem, WorkflowStep
from oktopost.webhooks import WebhookCalls

# Oktopost accepts only these page sizes on most lists (API reference §1 "Pagination").
PAGE_SIZES = (25, 50, 100)
POST_ORDERS = ("created", "modified", "startDateTime")
# Lists of ids in one ``GET /message?ids=`` call (API reference §5).
MESSAGE_IDS_PER_CALL = 100

PostOrder = Literal["created", "modified", "startDateTime"]
# `_order` values of the other lists (SDK/MCPREF/DOC-tags/DOC-clicks; docs/oktopost.md).
CampaignOrder = Literal["created", "name"]
UserOrder = Literal["name", "email", "created"]
TagOrder = Literal["tag", "created", "lastUsed"]
ClickOrder = Literal["created", "campaignName", "credentialName"]
Direction = Literal["asc", "desc"]
# /click also takes 200 a page (DOC-clicks, SDK ClickListParams).
CLICK_PAGE_SIZES = (25, 50, 100, 200)
# Campaign statuses to filter on (SDK CampaignStatus) and to set (UpdateCampaignParams).
CAMPAIGN_STATUSES = ("active", "paused", "archived", "complete")
CAMPAIGN_WRITABLE_STATUSES = ("active", "paused", "archived")
# Keys of POST /calendar's `filters` JSON (SDK CalendarFilters).
CALENDAR_FILTERS = (
    "campaigns",
    "credentials",
    "messages",
    "networks",
    "postSources",
    "statuses",
    "users",
)
# /workflow-item pages: bare `page`/`count`, count 1 to 1000 (API reference §1).
WORKFLOW_ITEMS_MAX = 1000
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
        workflow_id: str | None = None,
        targeting_preset_id: str | None = None,
    ) -> Post:
        """Schedule ``message_id`` on the profiles. Raises AmbiguousWriteError if the answer
        was lost: check ``post_list(message_id=...)`` before creating again.

        ``first_comment`` is LinkedIn only: Oktopost refuses it when no profile is LinkedIn.
        ``workflow_id`` (``cwf…``) sends the post into an approval workflow and
        ``targeting_preset_id`` sets LinkedIn audience targeting (SDK-1.1)."""
        data = _drop_none(
            messageId=message_id,
            credentialIds=_join_ids(credential_ids, "credential_ids", required=True),
            startDateTime=None if start_at is None else _epoch(start_at),
            status=status,
            workflowId=workflow_id,
            targetingPresetId=targeting_preset_id,
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
        targeting_preset_id: str | None = None,
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
            targetingPresetId=targeting_preset_id,
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

    def post_change_campaign(self, post_id: str, *, campaign_id: str) -> Post:
        """Move a post to another campaign (``POST /post/{id}/change-campaign``, SDK-1.1);
        Oktopost's fix for a post filed under the wrong campaign."""
        call = "POST /post/{id}/change-campaign"
        body = self._request(
            "POST",
            f"/post/{_seg(post_id)}/change-campaign",
            call=call,
            data={"campaignId": _required(campaign_id, "campaign_id")},
        )
        return Post.from_api(member(body, "Post", call), call=call)

    def post_analytics(self, post_id: str) -> PostStats:
        """A post's stats (``GET /analytics/{postId}``, SDK analytics.posts.get); the same
        six counters as ``post_get(stats=True)``, without the post. -1 becomes None."""
        call = "GET /analytics/{id}"
        body = self._request("GET", f"/analytics/{_seg(post_id)}", call=call)
        return PostStats.from_api(member(body, "Stats", call), call=call)

    # -- messages ------------------------------------------------------------------------

    def message_list(
        self,
        *,
        campaign_id: str | None = None,
        ids: Sequence[str] | None = None,
        network: str | None = None,
        page: int = 0,
        count: int = 100,
        with_tags: bool = False,
    ) -> Page[Message]:
        """Messages of a campaign, or up to 100 messages by id (Oktopost needs one of them).
        ``with_tags`` asks for each message's tag ids (``Message.tags``)."""
        if campaign_id is None and not ids:
            raise ValueError("message_list needs campaign_id or ids")
        if ids is not None and len(ids) > MESSAGE_IDS_PER_CALL:
            raise ValueError(f"at most {MESSAGE_IDS_PER_CALL} ids per call; use messages_by_ids")
        params = _paging(page, count) | _drop_none(
            campaignId=campaign_id,
            ids=None if not ids else _join_ids(ids, "ids"),
            network=network,
            withTags=1 if with_tags else None,
        )
        return self._page(
            "GET /message", "/message", params, Message.from_api, page=page, count=count
        )

    def messages_by_ids(self, ids: Iterable[str], *, with_tags: bool = False) -> list[Message]:
        """The messages among ``ids`` that exist, one call per 100 ids, in API order."""
        unique = list(dict.fromkeys(ids))
        found: list[Message] = []
        for start in range(0, len(unique), MESSAGE_IDS_PER_CALL):
            batch = unique[start : start + MESSAGE_IDS_PER_CALL]
            found.extend(self.message_list(ids=batch, count=100, with_tags=with_tags).items)
        return found

    def message_get(self, message_id: str, *, with_tags: bool = False) -> Message:
        call = "GET /message/{id}"
        body = self._request(
            "GET",
            f"/message/{_seg(message_id)}",
            call=call,
            params={"withTags": 1} if with_tags else None,
        )
        return Message.from_api(member(body, "Message", call), call=call)

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
        tag_ids: Sequence[str] | None = None,
    ) -> Message:
        """Create a message. Raises AmbiguousWriteError if the answer was lost.

        ``media_ids`` are media library items (``026…``) sent as ``media``, comma-joined;
        ``tag_ids`` (``0AF…``) its tags, else it takes its campaign's."""
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
            tagIds=None if tag_ids is None else _join_ids(tag_ids, "tag_ids"),
        )
        call = "POST /message"
        body = self._request("POST", "/message", call=call, data=data)
        return Message.from_api(member(body, "Message", call), call=call)

    def message_update(
        self,
        message_id: str,
        *,
        text: str | None = None,
        link_url: str | None = None,
        link_title: str | None = None,
        description: str | None = None,
        image_url: str | None = None,
        media_ids: Sequence[str] | None = None,
        tag_ids: Sequence[str] | None = None,
    ) -> Message:
        """Change a message; only the arguments given are sent. Each link field may change
        alone (SDK UpdateMessageParams; docs/oktopost.md "Message update"). ``media_ids=[]``
        and ``tag_ids=[]`` remove them all. Raises AmbiguousWriteError if the answer was
        lost."""
        data = _drop_none(
            message=text,
            linkUrl=link_url,
            linkTitle=link_title,
            description=description,
            imageUrl=image_url,
            media=None if media_ids is None else _join_ids(media_ids, "media_ids"),
            tagIds=None if tag_ids is None else _join_ids(tag_ids, "tag_ids"),
        )
        if not data:
            raise ValueError("message_update needs at least one field to change")
        call = "POST /message/{id}"
        body = self._request("POST", f"/message/{_seg(message_id)}", call=call, data=data)
        return Message.from_api(member(body, "Message", call), call=call)

    def message_delete(self, message_id: str) -> None:
        """Delete a message; the posts made from it stay (MCPREF delete_message)."""
        self._request("DELETE", f"/message/{_seg(message_id)}", call="DELETE /message/{id}")

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
        data = _drop_none(
            source=source.strip(), name=None if name is None else name.strip(), mimeType=mime_type
        )
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
        """Whether a video media item can be published, per network
        (``GET /video-validate/{mediaId}``; both answer shapes, see ``VideoCheck``)."""
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
        order: CampaignOrder | None = None,
        direction: Direction | None = None,
        with_tags: bool = False,
    ) -> Page[Campaign]:
        """One page of campaigns: ``q`` matches names, ``status`` is one of
        CAMPAIGN_STATUSES, ``order`` sorts (Oktopost's default: created)."""
        if status is not None and status not in CAMPAIGN_STATUSES:
            raise ValueError(f"status must be one of {CAMPAIGN_STATUSES}, got {status!r}")
        params = _paging(page, count) | _drop_none(
            q=q or None,
            status=status,
            _order=_order(order, direction, ("created", "name")),
            withTags=1 if with_tags else None,
        )
        return self._page(
            "GET /campaign", "/campaign", params, Campaign.from_api, page=page, count=count
        )

    def campaigns_iter(
        self,
        *,
        q: str | None = None,
        status: str | None = None,
        order: CampaignOrder | None = None,
        direction: Direction | None = None,
        with_tags: bool = False,
    ) -> Iterator[Campaign]:
        """Every campaign matching the filters, 100 per call."""
        return _iterate(
            lambda page: self.campaign_list(
                page=page,
                count=100,
                q=q,
                status=status,
                order=order,
                direction=direction,
                with_tags=with_tags,
            )
        )

    def campaign_get(self, campaign_id: str, *, with_tags: bool = False) -> Campaign:
        call = "GET /campaign/{id}"
        body = self._request(
            "GET",
            f"/campaign/{_seg(campaign_id)}",
            call=call,
            params={"withTags": 1} if with_tags else None,
        )
        return Campaign.from_api(member(body, "Campaign", call), call=call)

    def campaign_create(
        self, *, name: str, url: str | None = None, tag_ids: Sequence[str] | None = None
    ) -> Campaign:
        """Create a campaign (``POST /campaign``). Raises AmbiguousWriteError if the answer
        was lost: look for it by name before creating again."""
        data = _drop_none(
            name=_required(name, "name"),
            url=url,
            tagIds=None if tag_ids is None else _join_ids(tag_ids, "tag_ids"),
        )
        call = "POST /campaign"
        body = self._request("POST", "/campaign", call=call, data=data)
        return Campaign.from_api(member(body, "Campaign", call), call=call)

    def campaign_update(
        self,
        campaign_id: str,
        *,
        name: str | None = None,
        url: str | None = None,
        status: str | None = None,
        tag_ids: Sequence[str] | None = None,
    ) -> Campaign:
        """Change a campaign; only the arguments given are sent. ``status`` is one of
        CAMPAIGN_WRITABLE_STATUSES; ``tag_ids=[]`` removes every tag."""
        if status is not None and status not in CAMPAIGN_WRITABLE_STATUSES:
            raise ValueError(f"status must be one of {CAMPAIGN_WRITABLE_STATUSES}, got {status!r}")
        data = _drop_none(
            name=None if name is None else _required(name, "name"),
            url=url,
            status=status,
            tagIds=None if tag_ids is None else _join_ids(tag_ids, "tag_ids"),
        )
        if not data:
            raise ValueError("campaign_update needs at least one field to change")
        call = "POST /campaign/{id}"
        body = self._request("POST", f"/campaign/{_seg(campaign_id)}", call=call, data=data)
        return Campaign.from_api(member(body, "Campaign", call), call=call)

    # -- tags ----------------------------------------------------------------------------

    def tag_list(
        self,
        *,
        page: int = 0,
        count: int = 100,
        order: TagOrder | None = None,
        direction: Direction | None = None,
    ) -> Page[Tag]:
        """One page of the account's tags (``GET /tag``)."""
        params = _paging(page, count) | _drop_none(
            _order=_order(order, direction, ("tag", "created", "lastUsed"))
        )
        return self._page("GET /tag", "/tag", params, Tag.from_api, page=page, count=count)

    def tags_iter(
        self, *, order: TagOrder | None = None, direction: Direction | None = None
    ) -> Iterator[Tag]:
        """Every tag, 100 per call."""
        return _iterate(
            lambda page: self.tag_list(page=page, count=100, order=order, direction=direction)
        )

    def tag_get(self, tag_id: str) -> Tag:
        call = "GET /tag/{id}"
        body = self._request("GET", f"/tag/{_seg(tag_id)}", call=call)
        return Tag.from_api(member(body, "Tag", call), call=call)

    def tag_create(self, *, name: str) -> Tag:
        """Create a tag (``POST /tag`` with ``tag``). Oktopost refuses a name in use."""
        call = "POST /tag"
        body = self._request("POST", "/tag", call=call, data={"tag": _required(name, "name")})
        return Tag.from_api(member(body, "Tag", call), call=call)

    def tag_update(self, tag_id: str, *, name: str) -> Tag:
        call = "POST /tag/{id}"
        body = self._request(
            "POST", f"/tag/{_seg(tag_id)}", call=call, data={"tag": _required(name, "name")}
        )
        return Tag.from_api(member(body, "Tag", call), call=call)

    def tag_delete(self, tag_id: str) -> None:
        self._request("DELETE", f"/tag/{_seg(tag_id)}", call="DELETE /tag/{id}")

    # -- calendar ------------------------------------------------------------------------

    def calendar(
        self,
        *,
        from_date: date,
        to_date: date,
        campaign_ids: Sequence[str] | None = None,
        credential_ids: Sequence[str] | None = None,
        message_ids: Sequence[str] | None = None,
        networks: Sequence[str] | None = None,
        sources: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
    ) -> Calendar:
        """The calendar from ``from_date`` to ``to_date`` (whole UTC days, both included):
        its posts and its notes (``POST /calendar``, SDK-1.1). The filters travel as one
        JSON string, as the SDK sends them; only those given are sent."""
        if to_date < from_date:
            raise ValueError("to_date is before from_date")
        chosen = {
            "campaigns": campaign_ids,
            "credentials": credential_ids,
            "messages": message_ids,
            "networks": networks,
            "postSources": sources,
            "statuses": statuses,
            "users": user_ids,
        }
        filters = {key: list(_ids(value, key)) for key, value in chosen.items() if value}
        data = {"fromDate": from_date.isoformat(), "toDate": to_date.isoformat()}
        if filters:
            data["filters"] = json.dumps(filters, separators=(",", ":"))
        call = "POST /calendar"
        # A read, though it is a POST: safe to repeat, so `_request` may retry it.
        body = self._request("POST", "/calendar", call=call, data=data, idempotent=True)
        return Calendar.from_api(body, call=call)

    def calendar_event_list(
        self,
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        campaign_ids: Sequence[str] | None = None,
        ids: Sequence[str] | None = None,
        page: int = 0,
        count: int = 100,
    ) -> Page[CalendarEvent]:
        """One page of calendar notes (``GET /calendar/custom-events``): those starting
        in ``[after, before)``, of the campaigns, or by id."""
        params: dict[str, Any] = _paging(page, count) | _drop_none(
            after=None if after is None else _epoch(after),
            before=None if before is None else _epoch(before),
        )
        if campaign_ids:
            params["campaignIds[]"] = list(_ids(campaign_ids, "campaign_ids"))
        if ids:
            params["ids[]"] = list(_ids(ids, "ids"))
        return self._page(
            "GET /calendar/custom-events",
            "/calendar/custom-events",
            params,
            CalendarEvent.from_api,
            page=page,
            count=count,
        )

    def calendar_events_iter(
        self,
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        campaign_ids: Sequence[str] | None = None,
    ) -> Iterator[CalendarEvent]:
        """Every calendar note matching the filters, 100 per call."""
        return _iterate(
            lambda page: self.calendar_event_list(
                after=after, before=before, campaign_ids=campaign_ids, page=page, count=100
            )
        )

    def calendar_event_get(self, event_id: str) -> CalendarEvent:
        call = "GET /calendar/custom-events"
        body = self._request(
            "GET",
            "/calendar/custom-events",
            call=call,
            params={"id": _required(event_id, "event_id")},
        )
        return CalendarEvent.from_api(member(body, "Item", call), call=call)

    def calendar_event_create(
        self,
        *,
        title: str,
        start_at: datetime,
        end_at: datetime | None = None,
        description: str | None = None,
        campaign_ids: Sequence[str] | None = None,
    ) -> CalendarEvent:
        """Add a calendar note (``POST /calendar/custom-events``). Raises
        AmbiguousWriteError if the answer was lost."""
        if end_at is not None and end_at < start_at:
            raise ValueError("end_at is before start_at")
        data: dict[str, Any] = _drop_none(
            title=_required(title, "title"),
            description=description,
            startDate=_epoch(start_at),
            endDate=None if end_at is None else _epoch(end_at),
        )
        if campaign_ids:
            data["campaignIds[]"] = list(_ids(campaign_ids, "campaign_ids"))
        call = "POST /calendar/custom-events"
        body = self._request("POST", "/calendar/custom-events", call=call, data=data)
        return CalendarEvent.from_api(member(body, "Item", call), call=call)

    def calendar_event_update(
        self,
        event_id: str,
        *,
        title: str | None = None,
        start_at: datetime | None = None,
        end_at: datetime | None = None,
        description: str | None = None,
        campaign_ids: Sequence[str] | None = None,
    ) -> CalendarEvent:
        """Change a note (``PUT /calendar/custom-events``, the id in the body); only the
        arguments given are sent, ``campaign_ids=[]`` unlinks every campaign."""
        data: dict[str, Any] = _drop_none(
            id=_required(event_id, "event_id"),
            title=None if title is None else _required(title, "title"),
            description=description,
            startDate=None if start_at is None else _epoch(start_at),
            endDate=None if end_at is None else _epoch(end_at),
        )
        if campaign_ids is not None:
            linked = _ids(campaign_ids, "campaign_ids")
            if linked:
                data["campaignIds[]"] = list(linked)
            else:
                # An empty list goes as an empty value, as the SDK's update sends it.
                data["campaignIds"] = ""
        if len(data) == 1:
            raise ValueError("calendar_event_update needs at least one field to change")
        call = "PUT /calendar/custom-events"
        body = self._request("PUT", "/calendar/custom-events", call=call, data=data)
        return CalendarEvent.from_api(member(body, "Item", call), call=call)

    def calendar_event_delete(self, event_id: str) -> None:
        self._request(
            "DELETE",
            "/calendar/custom-events",
            call="DELETE /calendar/custom-events",
            data={"id": _required(event_id, "event_id")},
        )

    # -- analytics -------------------------------------------------------------------------

    def followers(
        self,
        credential_id: str,
        *,
        from_date: date | None = None,
        to_date: date | None = None,
    ) -> list[FollowerPoint]:
        """A profile's followers day by day (``GET /followers/{credentialId}``; the list
        is in ``Data``). Without dates Oktopost picks the range (the sandbox: 30 days)."""
        call = "GET /followers/{id}"
        params = _drop_none(
            fromDate=None if from_date is None else from_date.isoformat(),
            toDate=None if to_date is None else to_date.isoformat(),
        )
        body = self._request(
            "GET", f"/followers/{_seg(credential_id)}", call=call, params=params or None
        )
        return [
            FollowerPoint.from_api(item, call=call, where=f"Data[{i}]")
            for i, item in enumerate(list_member(body, "Data", call))
        ]

    def click_list(
        self,
        *,
        page: int = 0,
        count: int = 200,
        order: ClickOrder | None = None,
        direction: Direction | None = None,
        converts_only: bool = False,
        campaign_id: str | None = None,
        message_id: str | None = None,
        lead_id: str | None = None,
        visitor_id: str | None = None,
        before: datetime | None = None,
        after: datetime | None = None,
    ) -> Page[Click]:
        """One page of link clicks (``GET /click``, up to 200 a page); ``after`` is
        inclusive and ``before`` exclusive on the click's time."""
        params = _paging(page, count, CLICK_PAGE_SIZES) | _drop_none(
            _order=_order(order, direction, ("created", "campaignName", "credentialName")),
            convertsOnly=1 if converts_only else None,
            campaignId=campaign_id,
            messageId=message_id,
            leadId=lead_id,
            visitorId=visitor_id,
            # DOC-clicks writes these as 2019-06-30T00:00:00.
            before=None if before is None else format_datetime(before).replace(" ", "T"),
            after=None if after is None else format_datetime(after).replace(" ", "T"),
        )
        return self._page("GET /click", "/click", params, Click.from_api, page=page, count=count)

    def clicks_iter(self, **filters: Any) -> Iterator[Click]:
        """Every click matching ``click_list``'s filters, 200 per call."""
        return _iterate(lambda page: self.click_list(page=page, count=200, **filters))

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

    def user_list(
        self,
        *,
        page: int = 0,
        count: int = 100,
        q: str | None = None,
        order: UserOrder | None = None,
        direction: Direction | None = None,
    ) -> Page[User]:
        """The account's users (``GET /user``; SDK UserListItem, with ``role`` and
        ``timezone``); ``q`` matches names and e-mail addresses."""
        params = _paging(page, count) | _drop_none(
            q=q or None, _order=_order(order, direction, ("name", "email", "created"))
        )
        return self._page("GET /user", "/user", params, User.from_api, page=page, count=count)

    def users_iter(self, *, q: str | None = None) -> Iterator[User]:
        """Every user of the account, 100 per call."""
        return _iterate(lambda page: self.user_list(page=page, count=100, q=q))

    def user_get(self, user_id: str) -> User:
        """One user in full (SDK User: names, status, dates, time zone; no role)."""
        call = "GET /user/{id}"
        body = self._request("GET", f"/user/{_seg(user_id)}", call=call)
        return User.from_api(member(body, "User", call), call=call)

    def team_list(self, *, page: int = 0, count: int = 100) -> Page[Team]:
        """The account's teams (``GET /team``)."""
        return self._page(
            "GET /team", "/team", _paging(page, count), Team.from_api, page=page, count=count
        )

    def teams_iter(self) -> Iterator[Team]:
        return _iterate(lambda page: self.team_list(page=page, count=100))

    def team_get(self, team_id: str) -> Team:
        call = "GET /team/{id}"
        body = self._request("GET", f"/team/{_seg(team_id)}", call=call)
        return Team.from_api(member(body, "Team", call), call=call)

    # -- approvals (SDK approvals namespace; docs/oktopost.md "Approvals") ---------------

    def workflow_list(
        self, *, page: int = 0, count: int = 100, with_steps: bool = True
    ) -> Page[Workflow]:
        params = _paging(page, count) | ({"withSteps": 1} if with_steps else {})
        return self._page(
            "GET /workflow", "/workflow", params, Workflow.from_api, page=page, count=count
        )

    def workflows_iter(self) -> Iterator[Workflow]:
        return _iterate(lambda page: self.workflow_list(page=page, count=100))

    def workflow_get(self, workflow_id: str) -> Workflow:
        call = "GET /workflow/{id}"
        body = self._request("GET", f"/workflow/{_seg(workflow_id)}", call=call)
        return Workflow.from_api(member(body, "Workflow", call), call=call)

    def workflow_step_list(
        self, *, workflow_id: str | None = None, page: int = 0, count: int = 100
    ) -> Page[WorkflowStep]:
        params = _paging(page, count) | ({"workflowId": workflow_id} if workflow_id else {})
        return self._page(
            "GET /workflow-step",
            "/workflow-step",
            params,
            WorkflowStep.from_api,
            page=page,
            count=count,
        )

    def workflow_item_list(
        self,
        *,
        page: int = 0,
        count: int = WORKFLOW_ITEMS_MAX,
        step_id: str | None = None,
        workflow_id: str | None = None,
        with_history: bool = False,
        with_authors: bool = False,
        with_steps: bool = False,
    ) -> Page[WorkflowItem]:
        """Items with their step and status; ``with_history``/``with_authors`` add what
        happened and who did it, so a sync needs no call per item."""
        if not 1 <= count <= WORKFLOW_ITEMS_MAX or page < 0:
            raise ValueError(f"count must be 1 to {WORKFLOW_ITEMS_MAX} and page >= 0")
        params: dict[str, Any] = {"page": page, "count": count}
        for key, value in (("stepId", step_id), ("workflowId", workflow_id)):
            if value:
                params[key] = value
        for key, wanted in (
            ("withHistory", with_history),
            ("withAuthors", with_authors),
            ("withSteps", with_steps),
        ):
            if wanted:
                params[key] = 1
        return self._page(
            "GET /workflow-item",
            "/workflow-item",
            params,
            WorkflowItem.from_api,
            page=page,
            count=count,
        )

    def workflow_items_iter(self, **filters: Any) -> Iterator[WorkflowItem]:
        return _iterate(lambda page: self.workflow_item_list(page=page, **filters))

    def workflow_item_create(self, *, entity_id: str, workflow_id: str) -> WorkflowItem:
        """Send a post into a workflow (``POST /workflow-item``); the answer is under
        ``Data`` (the SDK's test)."""
        call = "POST /workflow-item"
        data = {
            "entityId": _required(entity_id, "entity_id"),
            "workflowId": _required(workflow_id, "workflow_id"),
        }
        body = self._request("POST", "/workflow-item", call=call, data=data)
        return WorkflowItem.from_api(member(body, "Data", call), call=call)

    def workflow_item_decide(
        self, item_id: str, *, approve: bool, note: str = "", step_id: str = ""
    ) -> WorkflowItem:
        """Approve (``isApprove=1``) or reject (``0``) the item's current step. With
        ``step_id`` Oktopost refuses a decision on a step the item has left, so a
        decision sent twice lands once."""
        call = "POST /workflow-item/{id}"
        data: dict[str, Any] = {"isApprove": 1 if approve else 0}
        if note:
            data["note"] = note
        if step_id:
            data["stepId"] = step_id
        body = self._request("POST", f"/workflow-item/{_seg(item_id)}", call=call, data=data)
        return WorkflowItem.from_api(member(body, "Data", call), call=call)

    def workflow_item_delete(self, item_id: str) -> None:
        self._request(
            "DELETE", f"/workflow-item/{_seg(item_id)}", call="DELETE /workflow-item/{id}"
        )

    def workflow_item_notes(self, item_id: str) -> list[ItemNote]:
        call = "GET /workflow-item-note"
        body = self._request(
            "GET", "/workflow-item-note", call=call, params={"id": _required(item_id, "item_id")}
        )
        return [
            ItemNote.from_api(n, call=call, where=f"Notes[{i}]")
            for i, n in enumerate(list_member(body, "Notes", call))
        ]

    def workflow_item_note_add(self, item_id: str, *, note: str) -> ItemNote:
        """``PUT /workflow-item-note`` with ``id`` and ``note`` in the query string, as
        the SDK sends them."""
        call = "PUT /workflow-item-note"
        params = {"id": _required(item_id, "item_id"), "note": _required(note, "note")}
        body = self._request("PUT", "/workflow-item-note", call=call, params=params)
        return ItemNote.from_api(member(body, "Note", call), call=call)

    # -- postlogs ------------------------------------------------------------------------

    def postlog_list(self, post_id: str) -> list[Postlog]:
        """Delivery attempts of a post; this endpoint has its own envelope (§3)."""
        call = "GET /postlog"
        body = self._request("GET", "/postlog", call=call, params={"postId": post_id})
        return [
            Postlog.from_api(item, call=call, where=f"Postlogs[{i}]")
            for i, item in enumerate(list_member(body, "Postlogs", call))
        ]


def _paging(page: int, count: int, sizes: tuple[int, ...] = PAGE_SIZES) -> dict[str, Any]:
    if count not in sizes:
        raise ValueError(f"count must be one of {sizes}, got {count}")
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


def _order(field: str | None, direction: str | None, allowed: tuple[str, ...]) -> str | None:
    """``_order`` as ``field`` or ``field,1`` (ascending) / ``field,0`` (descending), the
    form the SDK's users test and the dashboards page use."""
    if field is None:
        if direction is not None:
            raise ValueError("direction needs an order")
        return None
    if field not in allowed:
        raise ValueError(f"order must be one of {allowed}, got {field!r}")
    if direction is None:
        return field
    if direction not in ("asc", "desc"):
        raise ValueError(f"direction must be asc or desc, got {direction!r}")
    return f"{field},{1 if direction == 'asc' else 0}"


def _required(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value.strip()


def _ids(ids: Sequence[str] | str, name: str) -> tuple[str, ...]:
    if isinstance(ids, str):
        raise TypeError(f"{name} must be a sequence of ids, not a string")
    return tuple(dict.fromkeys(str(item).strip() for item in ids if str(item).strip()))


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
