"""Posts (one scheduling of a message to profiles), their stats and their deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oktopost.types.base import Reader
from oktopost.types.messages import FirstComment


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
        r = Reader(raw, call=call, where=where)
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
    # The approval workflow (cwf…) and LinkedIn targeting preset the post was created
    # with (SDK-1.1 CreatePostParams); "" when none or when the answer does not say.
    workflow_id: str = ""
    targeting_preset_id: str = ""
    # A post's tags are its message's (SDK Post has no Tags); kept if an answer has them.
    tags: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Post", stats: Any = None) -> Post:
        r = Reader(raw, call=call, where=where)
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
            workflow_id=r.text("WorkflowId"),
            targeting_preset_id=r.text("TargetingPresetId"),
            tags=r.ids("Tags"),
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
        r = Reader(raw, call=call, where=where)
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
