"""The sandbox's records (posts, postlogs, messages) and the API's vocabulary around them:
statuses, sources, list orders and filters, dates, ids and error answers."""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass, field, fields
from typing import Any

DAY = 86_400

STATUSES: tuple[str, ...] = (
    "pending",
    "inqueue",
    "inqueue-draft",
    "draft",
    "complete",
    "incomplete",
    "error",
)
# Statuses a client may set through POST /post (the Posts API page "Create Post").
WRITABLE_STATUSES: tuple[str, ...] = ("pending", "inqueue", "draft", "inqueue-draft")
# Only these go out when their time comes; drafts wait for a human.
SCHEDULED = frozenset({"pending", "inqueue"})
SENT = frozenset({"complete", "incomplete", "error"})
SOURCES: tuple[str, ...] = ("UI", "API", "Autoposter", "Bookmarklet", "Board", "Embedded")

# _order value -> Post attribute holding the timestamp it sorts on.
ORDER_FIELDS: dict[str, str] = {
    "created": "created",
    "modified": "modified",
    "startDateTime": "start",
}
# Post list filter -> Post attribute; each has a value -> ids index.
FILTER_FIELDS: dict[str, str] = {
    "messageId": "message_id",
    "campaignId": "campaign_id",
    "status": "status",
    "createdBy": "created_by",
    "source": "source",
}

ZERO_DATE = "0000-00-00 00:00:00"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class ApiError(Exception):
    """An Oktopost error answer: HTTP status plus the `Errors` value of the envelope."""

    def __init__(self, status: int, errors: dict[str, Any] | list[Any]) -> None:
        super().__init__(status, errors)
        self.status = status
        self.errors = errors

    @classmethod
    def api(cls, status: int, message: str) -> ApiError:
        return cls(status, {"API": {"Error": message}})

    @classmethod
    def fields(cls, errors: dict[str, str]) -> ApiError:
        """A validation error: one entry per bad parameter, plus `API` with all of them in
        one text, since the SDK shows only `Errors.API.Error` (src/http/errors.ts
        `fromResponse`, "Unknown API error" without it)."""
        summary = " ".join(text if text.endswith(".") else f"{text}." for text in errors.values())
        payload: dict[str, Any] = {"API": {"Error": summary}}
        payload |= {key: {"Error": text} for key, text in errors.items() if key != "API"}
        return cls(400, payload)


def fmt(ts: int | None) -> str:
    if ts is None:
        return ZERO_DATE
    return time.strftime(DATE_FORMAT, time.gmtime(ts))


def parse_datetime(value: str) -> int:
    """`YYYY-MM-DD HH:MM:SS` (UTC) to Unix seconds; ValueError otherwise."""
    return calendar.timegm(time.strptime(value, DATE_FORMAT))


def make_id(prefix: str, number: int) -> str:
    # Oktopost ids: 3-character type prefix + 12 digits (docs/oktopost.md "IDs").
    return f"{prefix}{number:012d}"


@dataclass(slots=True)
class Post:
    id: str
    created: int
    modified: int
    status: str
    created_by: str
    modified_by: str
    source: str
    queued: int
    campaign_id: str
    message_id: str
    network: str
    start: int
    credentials: tuple[str, ...]
    sent_at: int | None = None
    logs: list[str] = field(default_factory=list)
    # Set only through the control API: a scheduled post that never goes out.
    stuck: bool = False
    flag: str = "discussion"
    utm: str = ""
    # LinkedIn first comment: {"Id", "Text", "Media"} (a media id or ""), or None.
    first_comment: dict[str, Any] | None = None
    # SDK-1.1 CreatePostParams: an approval workflow (cwf…) and LinkedIn targeting preset,
    # kept and shown on the post; "" when none. Last, so older state rows still load.
    workflow_id: str = ""
    targeting_preset_id: str = ""


@dataclass(slots=True)
class Postlog:
    id: str
    post_id: str
    campaign_id: str
    message_id: str
    credential_id: str
    created: int
    status: str
    network: str
    remote_id: str
    remote_url: str
    error: str
    link_ids: list[str]


@dataclass(slots=True)
class Message:
    id: str
    created: int
    modified: int
    created_by: str
    modified_by: str
    campaign_id: str
    network: str
    text: str
    subject: str = ""
    link_url: str = ""
    link_title: str = ""
    description: str = ""
    image_url: str = ""
    url: str = ""
    # Media library ids (026…) attached to the message, in order.
    media_ids: list[str] = field(default_factory=list)
    # Tag ids (0AF…), in order; None only in state files saved before tags had ids.
    tag_ids: list[str] | None = None


POST_FIELDS = tuple(f.name for f in fields(Post))
POSTLOG_FIELDS = tuple(f.name for f in fields(Postlog))
MESSAGE_FIELDS = tuple(f.name for f in fields(Message))
