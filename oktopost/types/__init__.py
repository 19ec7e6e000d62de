"""Typed, immutable views of Oktopost objects.

Each dataclass keeps the whole decoded object in ``raw`` so fields the client does not model
(or that Oktopost adds later) are never lost, and unknown fields never cause an error.
Field names follow the API reference (Oktopost's PascalCase turned into snake_case), except
where the API name would mislead in Python: ``Message.Message`` is ``text``, a post's
``StartDateTime`` is ``start_at`` and its ``Credentials`` string is ``credential_ids``.
"""

from oktopost.types.analytics import Click, FollowerPoint
from oktopost.types.base import Page, format_datetime, parse_datetime
from oktopost.types.calendar import Calendar, CalendarEvent, CalendarPost
from oktopost.types.catalog import Campaign, Credential, Me, Tag, Team, User
from oktopost.types.media import (
    MEDIA_TYPES,
    UPLOAD_MIME_TYPES,
    UPLOAD_STATUSES,
    Media,
    NetworkVideoCheck,
    Upload,
    VideoCheck,
)
from oktopost.types.messages import FirstComment, FirstCommentInput, Message
from oktopost.types.posts import Post, Postlog, PostStats
from oktopost.types.workflows import (
    ITEM_STATUSES,
    ItemEvent,
    ItemNote,
    Workflow,
    WorkflowItem,
    WorkflowStep,
)

__all__ = [
    "ITEM_STATUSES",
    "MEDIA_TYPES",
    "UPLOAD_MIME_TYPES",
    "UPLOAD_STATUSES",
    "Calendar",
    "CalendarEvent",
    "CalendarPost",
    "Campaign",
    "Click",
    "Credential",
    "FirstComment",
    "FirstCommentInput",
    "FollowerPoint",
    "ItemEvent",
    "ItemNote",
    "Me",
    "Media",
    "Message",
    "NetworkVideoCheck",
    "Page",
    "Post",
    "PostStats",
    "Postlog",
    "Tag",
    "Team",
    "Upload",
    "User",
    "VideoCheck",
    "Workflow",
    "WorkflowItem",
    "WorkflowStep",
    "format_datetime",
    "parse_datetime",
]
