"""Analytics: follower history of a profile and the clicks on short links
(SDK src/types/analytics.ts). Post stats are ``PostStats`` in ``oktopost.types.posts``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from oktopost.types.base import Reader


@dataclass(frozen=True, slots=True)
class FollowerPoint:
    """One day of a profile's followers (SDK ``FollowerDataPoint``)."""

    day: date | None
    followers: int
    added: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str) -> FollowerPoint:
        r = Reader(raw, call=call, where=where)
        when = r.when("HistoryDate")
        return cls(
            day=None if when is None else when.date(),
            followers=r.integer("Followers"),
            added=r.integer("FollowersAdded"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class Click:
    """A click on a short link (``009…``; SDK ``Click``). ``converted`` is None when the
    click did not convert."""

    id: str
    created: datetime | None
    campaign_id: str
    message_id: str
    post_id: str
    postlog_id: str
    credential_id: str
    network: str
    campaign_name: str
    credential_name: str
    link_url: str
    converted: datetime | None
    lead_id: str
    country: str
    city: str
    organization: str
    user_agent: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Click") -> Click:
        r = Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            created=r.when("Created"),
            campaign_id=r.text("CampaignId"),
            message_id=r.text("MessageId"),
            post_id=r.text("PostId"),
            postlog_id=r.text("PostlogId"),
            credential_id=r.text("CredentialId"),
            network=r.text("Network"),
            campaign_name=r.text("CampaignName"),
            credential_name=r.text("CredentialName"),
            link_url=r.text("LinkUrl"),
            converted=r.when("ConvertedDate"),
            lead_id=r.text("LeadId"),
            country=r.text("GeoCountry"),
            city=r.text("GeoCity"),
            organization=r.text("GeoOrganization"),
            user_agent=r.text("UserAgent"),
            raw=r.raw,
        )
