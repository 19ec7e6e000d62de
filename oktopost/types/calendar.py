"""The publishing calendar (``POST /calendar``) and its notes, Oktopost's "custom events"
(``/calendar/custom-events``); SDK-1.1 src/types/publishing.ts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oktopost.types.base import Reader


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """A calendar note (``0CE…``; SDK ``CustomCalendarEvent``, whose id is spelled
    ``ID``). ``end_at`` is None for a note at one moment; ``campaigns`` are
    ``(id, name)`` pairs."""

    id: str
    title: str
    description: str
    color: str
    start_at: datetime | None
    end_at: datetime | None
    created: datetime | None
    modified: datetime | None
    campaigns: tuple[tuple[str, str], ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def campaign_ids(self) -> tuple[str, ...]:
        return tuple(campaign_id for campaign_id, _ in self.campaigns)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Item") -> CalendarEvent:
        r = Reader(raw, call=call, where=where)
        campaigns = []
        for index, item in enumerate(r.array("Campaigns")):
            c = Reader(item, call=call, where=f"{where}.Campaigns[{index}]")
            campaigns.append((c.text("Id", required=True), c.text("Name")))
        return cls(
            # ``ID`` in the SDK; ``Id`` as everywhere else is read too.
            id=r.text("ID") or r.text("Id", required=True),
            title=r.text("Title"),
            description=r.text("Description"),
            color=r.text("Color"),
            start_at=r.when("StartDateTime"),
            end_at=r.when("EndDateTime"),
            created=r.when("Created"),
            modified=r.when("Modified"),
            campaigns=tuple(campaigns),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class CalendarPost:
    """A post as the calendar shows it (SDK ``CalendarPost``)."""

    id: str
    status: str
    start_at: datetime | None
    network: str
    campaign_id: str
    message_id: str
    credential_ids: tuple[str, ...]
    source: str
    approve_status: str
    clicks: int
    converts: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str) -> CalendarPost:
        r = Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            status=r.text("Status"),
            start_at=r.when("StartDateTime"),
            network=r.text("Network"),
            campaign_id=r.text("CampaignId"),
            message_id=r.text("MessageId"),
            credential_ids=r.ids("CredentialIds"),
            source=r.text("Source"),
            approve_status=r.text("ApproveStatus"),
            clicks=r.integer("Clicks"),
            converts=r.integer("Converts"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class Calendar:
    """``POST /calendar``: the posts in the range and the notes, with the campaigns,
    messages and profiles they refer to kept as the API's objects (maps by id)."""

    posts: tuple[CalendarPost, ...]
    notes: tuple[CalendarEvent, ...]
    campaigns: dict[str, dict[str, Any]]
    messages: dict[str, dict[str, Any]]
    credentials: dict[str, dict[str, Any]]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str) -> Calendar:
        r = Reader(raw, call=call, where="response")
        return cls(
            posts=tuple(
                CalendarPost.from_api(item, call=call, where=f"Posts.{key}")
                for key, item in _by_id(r, "Posts").items()
            ),
            notes=tuple(
                CalendarEvent.from_api(item, call=call, where=f"CustomEvents[{index}]")
                for index, item in enumerate(r.array("CustomEvents"))
            ),
            campaigns=_by_id(r, "Campaigns"),
            messages=_by_id(r, "Messages"),
            credentials=_by_id(r, "Credentials"),
            raw=r.raw,
        )


def _by_id(r: Reader, key: str) -> dict[str, dict[str, Any]]:
    """A map keyed by id; PHP sends an empty one as ``[]``."""
    value = r.raw.get(key)
    if value in (None, []):
        return {}
    if not isinstance(value, Mapping):
        raise r.fail(key, f"should be an object keyed by id, got {type(value).__name__}")
    return {str(k): dict(v) if isinstance(v, Mapping) else {} for k, v in value.items()}
