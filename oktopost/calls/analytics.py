"""The client's analytics calls: a post's stats (`/analytics`), followers and link clicks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Literal

from oktopost.calls.params import Direction, drop_none, iterate, order_param, paging, segment
from oktopost.transport import Transport, list_member, member
from oktopost.types import Click, FollowerPoint, Page, PostStats, format_datetime

# `_order` values of /click (DOC-clicks; docs/oktopost.md).
ClickOrder = Literal["created", "campaignName", "credentialName"]
# /click also takes 200 a page (DOC-clicks, SDK ClickListParams).
CLICK_PAGE_SIZES = (25, 50, 100, 200)


class AnalyticsCalls(Transport):
    """Stats, followers and clicks (mixed into `OktopostClient`)."""

    def post_analytics(self, post_id: str) -> PostStats:
        """A post's stats (``GET /analytics/{postId}``, SDK analytics.posts.get); the same
        six counters as ``post_get(stats=True)``, without the post. -1 becomes None."""
        call = "GET /analytics/{id}"
        body = self._request("GET", f"/analytics/{segment(post_id)}", call=call)
        return PostStats.from_api(member(body, "Stats", call), call=call)

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
        params = drop_none(
            fromDate=None if from_date is None else from_date.isoformat(),
            toDate=None if to_date is None else to_date.isoformat(),
        )
        body = self._request(
            "GET", f"/followers/{segment(credential_id)}", call=call, params=params or None
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
        params = paging(page, count, CLICK_PAGE_SIZES) | drop_none(
            _order=order_param(order, direction, ("created", "campaignName", "credentialName")),
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
        return iterate(lambda page: self.click_list(page=page, count=200, **filters))
