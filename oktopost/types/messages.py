"""Messages (reusable content for one network) and a LinkedIn post's first comment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from oktopost.types.base import Reader
from oktopost.types.media import Media, media_items


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
    # Tag ids (0AF…), present with ``withTags=1`` (SDK Message.Tags; ids, as ``tagIds``
    # are sent); () otherwise.
    tags: tuple[str, ...]
    # The full items of ``Media`` (their ids are ``media_ids``), in the API's order.
    media: tuple[Media, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def tag_ids(self) -> tuple[str, ...]:
        return self.tags

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Message") -> Message:
        r = Reader(raw, call=call, where=where)
        media = media_items(r, "Media", call=call, where=where)
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
        r = Reader(value, call=call, where=f"{where}.FirstComment")
        scheduled = r.raw.get("ScheduledAt")
        scheduled_at: datetime | None = None
        if isinstance(scheduled, str) and not scheduled.strip().isdigit():
            scheduled_at = r.when("ScheduledAt")
        elif scheduled not in (None, "", 0, "0"):
            scheduled_at = datetime.fromtimestamp(r.integer("ScheduledAt"), tz=UTC)
        return cls(
            id=r.text("Id"),
            text=r.text("Text"),
            media=media_items(r, "Media", call=call, where=r.where),
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
