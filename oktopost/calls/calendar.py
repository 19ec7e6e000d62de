"""The client's calendar calls: `POST /calendar` and its notes, `/calendar/custom-events`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from oktopost.calls.params import drop_none, epoch, id_list, iterate, paging, required
from oktopost.transport import Transport, member
from oktopost.types import Calendar, CalendarEvent, Page

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


class CalendarCalls(Transport):
    """The calendar and its notes (mixed into `OktopostClient`)."""

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
        filters = {key: list(id_list(value, key)) for key, value in chosen.items() if value}
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
        params: dict[str, Any] = paging(page, count) | drop_none(
            after=None if after is None else epoch(after),
            before=None if before is None else epoch(before),
        )
        if campaign_ids:
            params["campaignIds[]"] = list(id_list(campaign_ids, "campaign_ids"))
        if ids:
            params["ids[]"] = list(id_list(ids, "ids"))
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
        return iterate(
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
            params={"id": required(event_id, "event_id")},
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
        data: dict[str, Any] = drop_none(
            title=required(title, "title"),
            description=description,
            startDate=epoch(start_at),
            endDate=None if end_at is None else epoch(end_at),
        )
        if campaign_ids:
            data["campaignIds[]"] = list(id_list(campaign_ids, "campaign_ids"))
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
        data: dict[str, Any] = drop_none(
            id=required(event_id, "event_id"),
            title=None if title is None else required(title, "title"),
            description=description,
            startDate=None if start_at is None else epoch(start_at),
            endDate=None if end_at is None else epoch(end_at),
        )
        if campaign_ids is not None:
            linked = id_list(campaign_ids, "campaign_ids")
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
            data={"id": required(event_id, "event_id")},
        )
