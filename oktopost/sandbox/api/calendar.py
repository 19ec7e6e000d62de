"""/v2/calendar and /v2/calendar/custom-events: the publishing calendar and its notes.

Shapes: SDK-1.1 src/types/publishing.ts (`CalendarParams`, `CalendarResponse` with its
`Calendar*` maps keyed by id, `CustomCalendarEvent` with `ID`/`AccountID` spelled so) and
src/resources/publishing/calendar.ts: `POST /calendar` with `filters` as a JSON string;
custom events listed and read with GET (`id=` reads one, answered as `Item`), created
with POST, changed with PUT and deleted with DELETE, the id in the body."""

from __future__ import annotations

import calendar as cal
import json
import time
from typing import Any

from oktopost.demo import content
from oktopost.sandbox.api.common import (
    Handlers,
    Params,
    Payload,
    id_list,
    known_ids,
    paging,
)
from oktopost.sandbox.records import DAY, ApiError, Message, Post, fmt

# The longest span one POST /calendar answers (sources give none; a quarter covers the
# month and week views).
MAX_DAYS = 92
FILTER_KEYS = (
    "campaigns",
    "credentials",
    "messages",
    "networks",
    "postSources",
    "statuses",
    "users",
)
TITLE_MAX = 255
NOTE_COLOURS = ("#1f40af", "#0f766e", "#b45309", "#7e22ce", "#be123c", "#15803d")


class CalendarHandlers(Handlers):
    """The calendar view and its custom events (calendar notes)."""

    def calendar(self, *, params: Params, **_: Any) -> Payload:
        errors: dict[str, str] = {}
        start = day_start(params, "fromDate", errors)
        end = day_start(params, "toDate", errors)
        filters = calendar_filters(params.get("filters", ""), errors)
        if start is not None and end is not None:
            if end < start:
                errors["toDate"] = "toDate is before fromDate."
            elif (end - start) // DAY + 1 > MAX_DAYS:
                errors["toDate"] = f"The calendar shows at most {MAX_DAYS} days at a time."
        if errors or start is None or end is None:
            raise ApiError.fields(errors)
        world = self.world
        posts, _ = world.list_posts(
            order="startDateTime",
            descending=False,
            after=start,
            before=end + DAY,
            equals={},
            page=0,
            count=len(world.posts) or 1,
        )
        posts = [p for p in posts if self.calendar_match(p, filters)]
        messages = {m.id: m for p in posts if (m := world.messages.get(p.message_id))}
        media_ids = dict.fromkeys(i for m in messages.values() for i in m.media_ids)
        campaign_ids = dict.fromkeys(p.campaign_id for p in posts)
        credential_ids = dict.fromkeys(c for p in posts for c in p.credentials)
        now = world.now()
        return {
            "Result": True,
            "Campaigns": {
                cid: {
                    "Color": world.campaigns[cid]["Color"],
                    "Id": cid,
                    "Name": world.campaigns[cid]["Name"],
                    "Status": world.campaigns[cid]["Status"],
                }
                for cid in campaign_ids
                if cid in world.campaigns
            },
            "Credentials": {
                cid: self.calendar_credential(world.credentials[cid])
                for cid in credential_ids
                if cid in world.credentials
            },
            "Media": [
                self.render_media(world.media[i], short=True) for i in media_ids if i in world.media
            ],
            "Messages": {m.id: self.calendar_message(m) for m in messages.values()},
            "Posts": {p.id: self.calendar_post(p, now) for p in posts},
            "CustomEvents": [
                self.render_event(e)
                for e in self.sorted_events()
                if e["Start"] < end + DAY
                and (e["End"] or e["Start"]) >= start
                and (
                    not e["CampaignIds"]
                    or not filters.get("campaigns")
                    or set(e["CampaignIds"]) & set(filters["campaigns"])
                )
            ],
        }

    def calendar_match(self, post: Post, filters: dict[str, list[str]]) -> bool:
        checks = {
            "campaigns": [post.campaign_id],
            "credentials": list(post.credentials),
            "messages": [post.message_id],
            "networks": [post.network],
            "postSources": [post.source],
            "statuses": [post.status],
            "users": [post.created_by],
        }
        return all(
            not filters.get(key) or set(values) & set(filters[key])
            for key, values in checks.items()
        )

    def calendar_post(self, post: Post, now: int) -> Payload:
        stats = self.world.post_stats(post, now)
        return {
            "CampaignId": post.campaign_id,
            "Clicks": stats["LinkClicks"],
            "ContentSource": "User",
            "Converts": stats["Conversions"],
            "CredentialIds": list(post.credentials),
            "Id": post.id,
            "MessageId": post.message_id,
            "Network": post.network,
            "Source": post.source,
            "StartDateTime": fmt(post.start),
            "Status": post.status,
            # Undocumented values: "" outside any workflow, else the latest item's Status.
            "ApproveStatus": self.world.approvals.approve_status(post.id),
            "TotalCount": len(post.credentials),
        }

    def calendar_message(self, message: Message) -> Payload:
        kinds = {self.world.media[i]["Type"] for i in message.media_ids if i in self.world.media}
        kind = (
            "video"
            if "Video" in kinds
            else "image"
            if kinds
            else "link"
            if message.link_url
            else "text"
        )
        return {
            "CampaignId": message.campaign_id,
            "Clicks": 0,
            "Converts": 0,
            "Description": message.description,
            "Id": message.id,
            "ImageUrl": message.image_url,
            "IsBoardMessage": 0,
            "LinkTitle": message.link_title,
            "LinkUrl": message.link_url,
            "MediaIds": list(message.media_ids),
            "Message": message.text,
            "MessageLength": len(message.text),
            "Network": message.network,
            "Status": "default",
            "Subject": message.subject,
            # Undocumented; the sandbox says what the message carries.
            "Type": kind,
            "Url": message.url,
        }

    @staticmethod
    def calendar_credential(cred: dict[str, Any]) -> Payload:
        return {
            "BoardOnly": 0,
            "DisplayName": cred["DisplayName"],
            "ExpiresOn": fmt(None),
            "Id": cred["Id"],
            "ImageLink": cred["ImageLink"],
            "IsHidden": 0,
            "Name": cred["Name"],
            "Network": cred["Network"],
            "NetworkAccountId": cred["Id"].rsplit("-", 1)[-1],
            "NetworkUsername": cred["NetworkUsername"],
            "ParentCredentialId": "",
            "Status": cred["Status"],
        }

    # ------------------------------------------------------- custom events

    def events_get(self, *, query: Params, **_: Any) -> Payload:
        """GET /calendar/custom-events: one note with `id`, else the list."""
        if "id" in query:
            return {"Result": True, "Item": self.render_event(self.find_event(query["id"]))}
        page, count = paging(query)
        errors: dict[str, str] = {}
        after = unix_param(query, "after", errors)
        before = unix_param(query, "before", errors)
        ids = id_list(query, "ids")
        campaigns = id_list(query, "campaignIds")
        if errors:
            raise ApiError.fields(errors)
        found = [
            e
            for e in self.sorted_events()
            if (ids is None or e["Id"] in ids)
            and (not campaigns or set(e["CampaignIds"]) & set(campaigns))
            and (after is None or e["Start"] >= after)
            and (before is None or e["Start"] < before)
        ]
        chosen = found[page * count : (page + 1) * count]
        return {
            "Result": True,
            "Items": [self.render_event(e) for e in chosen],
            "Total": len(found),
        }

    def event_create(self, *, params: Params, **_: Any) -> Payload:
        errors: dict[str, str] = {}
        for name in ("title", "startDate"):
            if not params.get(name, "").strip():
                errors[name] = f"{name} is required."
        values = self.event_values(params, None, errors)
        if errors:
            raise ApiError.fields(errors)
        world = self.world
        now = world.now()
        event_id = world.next_id("event", "0CE")
        world.events[event_id] = {
            "Id": event_id,
            "Created": now,
            "Modified": now,
            "Title": values["Title"],
            "Description": values.get("Description", ""),
            "Color": NOTE_COLOURS[world.digest("note", event_id) % len(NOTE_COLOURS)],
            "Start": values["Start"],
            "End": values.get("End"),
            "CampaignIds": values.get("CampaignIds", []),
        }
        world.version += 1
        return {"Result": True, "Item": self.render_event(world.events[event_id])}

    def event_update(self, *, params: Params, **_: Any) -> Payload:
        event_id = params.get("id", "").strip()
        if not event_id:
            raise ApiError.fields({"id": "id is required."})
        event = self.find_event(event_id)
        errors: dict[str, str] = {}
        values = self.event_values(params, event, errors)
        if errors:
            raise ApiError.fields(errors)
        event.update(values)
        event["Modified"] = self.world.now()
        self.world.version += 1
        return {"Result": True, "Item": self.render_event(event)}

    def event_delete(self, *, params: Params, **_: Any) -> Payload:
        event_id = params.get("id", "").strip()
        if not event_id:
            raise ApiError.fields({"id": "id is required."})
        self.find_event(event_id)
        del self.world.events[event_id]
        self.world.version += 1
        return {"Result": True}

    def event_values(
        self, params: Params, event: dict[str, Any] | None, errors: dict[str, str]
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "title" in params:
            title = params["title"].strip()
            if not title:
                errors["title"] = "title must not be empty."
            elif len(title) > TITLE_MAX:
                errors["title"] = f"title is longer than {TITLE_MAX} characters."
            values["Title"] = title
        if "description" in params:
            values["Description"] = params["description"].strip()
        if params.get("startDate", "").strip():
            values["Start"] = unix_param(params, "startDate", errors)
        if "endDate" in params:
            raw = params["endDate"].strip()
            values["End"] = None if raw in ("", "0") else unix_param(params, "endDate", errors)
        start = values.get("Start", event["Start"] if event else None)
        end = values.get("End", event["End"] if event else None)
        if start is not None and end is not None and end < start and "endDate" not in errors:
            errors["endDate"] = "endDate is before startDate."
        campaigns = id_list(params, "campaignIds")
        if campaigns is not None:
            known_ids(campaigns, self.world.campaigns, "campaignIds", "Campaign", errors)
            values["CampaignIds"] = campaigns
        return values

    def find_event(self, event_id: str) -> dict[str, Any]:
        event = self.world.events.get(event_id)
        if event is None:
            raise ApiError.api(404, "Custom event not found")
        return event

    def sorted_events(self) -> list[dict[str, Any]]:
        # Calendar order (earliest first) whatever the list order option says.
        return sorted(self.world.events.values(), key=lambda e: (e["Start"], e["Id"]))

    def render_event(self, event: dict[str, Any]) -> Payload:
        campaigns = self.world.campaigns
        return {
            "ID": event["Id"],
            "Created": fmt(event["Created"]),
            "Modified": fmt(event["Modified"]),
            "AccountID": self.world.account_id,
            "Title": event["Title"],
            "Description": event["Description"],
            "Color": event["Color"],
            "StartDateTime": fmt(event["Start"]),
            "EndDateTime": fmt(event["End"]),
            "Campaigns": [
                {"Id": cid, "Name": campaigns[cid]["Name"]}
                for cid in event["CampaignIds"]
                if cid in campaigns
            ],
        }


def day_start(params: Params, name: str, errors: dict[str, str]) -> int | None:
    """`YYYY-MM-DD` (API reference §1, calendar) as the Unix time of that midnight UTC."""
    raw = params.get(name, "").strip()
    if not raw:
        errors[name] = f"{name} is required."
        return None
    try:
        return cal.timegm(time.strptime(raw, "%Y-%m-%d"))
    except ValueError:
        errors[name] = f"Invalid date {raw}, expected YYYY-MM-DD."
        return None


def calendar_filters(raw: str, errors: dict[str, str]) -> dict[str, list[str]]:
    """`filters`: a JSON object of string arrays (SDK CalendarFilters, JSON-stringified by
    the SDK's calendar.get)."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        errors["filters"] = "filters must be a JSON object."
        return {}
    if not isinstance(value, dict):
        errors["filters"] = "filters must be a JSON object."
        return {}
    filters: dict[str, list[str]] = {}
    for key, items in value.items():
        if key not in FILTER_KEYS:
            errors["filters"] = f"Unknown filter {key}. Options: {', '.join(FILTER_KEYS)}."
        elif not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            errors["filters"] = f"filters.{key} must be a list of strings."
        else:
            aliases = {n.lower(): n for n in content.NETWORKS}
            filters[key] = (
                [aliases.get(i.lower(), i) for i in items] if key == "networks" else items
            )
    return filters


def unix_param(params: Params, name: str, errors: dict[str, str]) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    if not raw.lstrip("-").isdigit():
        errors[name] = f"{name} {raw} is not a valid Unix timestamp."
        return None
    return int(raw)
