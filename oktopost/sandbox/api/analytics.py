"""/v2/analytics/{postId}, /v2/followers/{credentialId} and /v2/click.

Shapes: SDK src/types/analytics.ts (`PostAnalyticsStats`, `FollowerDataPoint` in `Data`,
`Click` in `Items`) and src/resources/analytics/*.ts; /click takes `_count` up to 200
(DOC-clicks, SDK ClickListParams) and `before`/`after` like `2019-06-30T00:00:00`.

Nothing here is stored. A follower history is a pure function of the profile and the day.
Clicks are the ones LinkClicks counts: click n of a social post happens when its
LinkClicks counter reaches n (`engagement.nth_at`), so /click and the stats always agree.
"""

from __future__ import annotations

import calendar as cal
import heapq
import itertools
import time
from collections.abc import Iterator
from typing import Any

from oktopost.sandbox.api.common import Handlers, Params, Payload, flag, list_order, paging
from oktopost.sandbox.engagement import count_at, nth_at
from oktopost.sandbox.records import DAY, ApiError, Postlog, fmt

CLICK_PAGE_SIZES = (25, 50, 100, 200)
CLICK_ORDERS = ("created", "campaignName", "credentialName")
FOLLOWER_MAX_DAYS = 366
# Where the demo audience clicks from: (country, city, organisation, longitude, latitude).
PLACES = (
    ("United States", "New York", "Verizon Fios", -74.006, 40.7128),
    ("United States", "Austin", "AT&T Internet", -97.7431, 30.2672),
    ("United Kingdom", "London", "BT", -0.1276, 51.5072),
    ("Germany", "Berlin", "Deutsche Telekom", 13.405, 52.52),
    ("Spain", "Madrid", "Telefonica", -3.7038, 40.4168),
    ("India", "Bengaluru", "Airtel", 77.5946, 12.9716),
    ("Israel", "Tel Aviv", "Bezeq", 34.7818, 32.0853),
    ("Canada", "Toronto", "Rogers", -79.3832, 43.6532),
)
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 LinkedInApp",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36",
)

# One click: (time, id, postlog, its number among the postlog's clicks).
Click = tuple[int, str, Postlog, int]


class AnalyticsHandlers(Handlers):
    """Post analytics, follower history and clicks."""

    def analytics(self, post_id: str, **_: Any) -> Payload:
        post = self.world.posts.get(post_id)
        if post is None:
            raise ApiError.api(404, "Post not found")
        return {"Result": True, "Stats": self.world.post_stats(post, self.world.now())}

    # ------------------------------------------------------------ followers

    def followers(self, credential_id: str, *, query: Params, **_: Any) -> Payload:
        cred = self.world.credentials.get(credential_id)
        if cred is None:
            raise ApiError.api(404, "Credential not found")
        errors: dict[str, str] = {}
        today = self.world.now() // DAY * DAY
        last = day_param(query, "toDate", errors)
        first = day_param(query, "fromDate", errors)
        last = today if last is None else min(last, today)
        first = last - 29 * DAY if first is None else first
        if not errors and first > last:
            errors["fromDate"] = "fromDate is after toDate."
        elif not errors and (last - first) // DAY + 1 > FOLLOWER_MAX_DAYS:
            errors["fromDate"] = f"At most {FOLLOWER_MAX_DAYS} days at a time."
        if errors:
            raise ApiError.fields(errors)
        created = cal.timegm(time.strptime(cred["Created"], "%Y-%m-%d %H:%M:%S")) // DAY * DAY
        data = []
        for day in range(max(first, created), last + 1, DAY):
            number = (day - created) // DAY
            followers = self.followers_on(credential_id, number)
            before = self.followers_on(credential_id, number - 1) if number else followers
            data.append(
                {
                    "Followers": followers,
                    "FollowersAdded": followers - before,
                    "HistoryDate": fmt(day),
                }
            )
        return {"Result": True, "Data": data}

    def followers_on(self, credential_id: str, number: int) -> int:
        """Followers `number` days after the profile was connected: steady growth plus a
        little daily noise, so some days lose followers."""
        digest = self.world.digest("followers", credential_id)
        base = 300 + digest % 20_000
        rate = 1 + (digest >> 20) % 25
        noise = self.world.digest("followers", credential_id, str(number)) % (rate * 3 + 1)
        return base + rate * number + noise

    # --------------------------------------------------------------- clicks

    def click_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query, CLICK_PAGE_SIZES)
        field, descending = list_order(query, CLICK_ORDERS, "created", descending=self.descending)
        explicit = "," in query.get("_order", "") or bool(query.get("_orderDirection"))
        if field != "created" and not explicit:
            descending = False  # names read A to Z unless asked otherwise
        errors: dict[str, str] = {}
        after = click_time(query, "after", errors)
        before = click_time(query, "before", errors)
        if errors:
            raise ApiError.fields(errors)
        world = self.world
        now = world.now()
        upper = now if before is None else min(now, before - 1)
        converts_only = flag(query.get("convertsOnly"))
        campaign_id = query.get("campaignId", "").strip()
        message_id = query.get("messageId", "").strip()
        # The sandbox models no leads or visitors: those filters match no click.
        nobody = bool(query.get("leadId", "").strip() or query.get("visitorId", "").strip())
        spans: list[tuple[Postlog, int, int]] = []
        total = 0
        for log in world.postlogs.values():
            if nobody or log.status != "success":
                continue
            if (campaign_id and log.campaign_id != campaign_id) or (
                message_id and log.message_id != message_id
            ):
                continue
            caps = world.postlog_caps(log)
            hi = count_at(caps, "LinkClicks", upper - log.created) if upper >= log.created else 0
            lo = 0
            if after is not None and after > log.created:
                lo = min(hi, count_at(caps, "LinkClicks", after - 1 - log.created))
            if hi <= lo:
                continue
            spans.append((log, lo, hi))
            if converts_only:
                rate = conversion_rate(caps)
                total += int(hi * rate) - int(lo * rate)
            else:
                total += hi - lo
        chosen = itertools.islice(
            self.clicks_in_order(spans, field, descending, converts_only),
            page * count,
            (page + 1) * count,
        )
        return {
            "Result": True,
            "Items": [self.render_click(click, now) for click in chosen],
            "Total": total,
        }

    def clicks_in_order(
        self,
        spans: list[tuple[Postlog, int, int]],
        field: str,
        descending: bool,
        converts_only: bool,
    ) -> Iterator[Click]:
        """Every click of `spans`, merged lazily: a page costs what it skips and shows."""
        if field == "created":
            groups = [spans]
        else:
            names: dict[str, list[tuple[Postlog, int, int]]] = {}
            for span in spans:
                names.setdefault(self.click_name(span[0], field), []).append(span)
            groups = [names[n] for n in sorted(names, key=str.lower, reverse=descending)]
        for group in groups:
            yield from heapq.merge(
                *(self.postlog_clicks(*span, descending, converts_only) for span in group),
                key=lambda click: (click[0], click[1]),
                reverse=descending,
            )

    def postlog_clicks(
        self, log: Postlog, lo: int, hi: int, descending: bool, converts_only: bool
    ) -> Iterator[Click]:
        caps = self.world.postlog_caps(log)
        rate = conversion_rate(caps)
        serial = int(log.id[3:])
        numbers = range(hi - 1, lo - 1, -1) if descending else range(lo, hi)
        for number in numbers:
            if converts_only and not converted(number, rate):
                continue
            at = log.created + nth_at(caps, "LinkClicks", number + 1)
            yield at, f"009{serial:07d}{number:05d}", log, number

    def click_name(self, log: Postlog, field: str) -> str:
        if field == "campaignName":
            campaign = self.world.campaigns.get(log.campaign_id)
            return campaign["Name"] if campaign else ""
        cred = self.world.credentials.get(log.credential_id)
        return cred["Name"] if cred else ""

    def render_click(self, click: Click, now: int) -> Payload:
        at, click_id, log, number = click
        world = self.world
        digest = world.digest("click", click_id)
        country, city, org, longitude, latitude = PLACES[digest % len(PLACES)]
        message = world.messages.get(log.message_id)
        rate = conversion_rate(world.postlog_caps(log))
        converted_at = min(now, at + 60 + (digest >> 8) % 3600) if converted(number, rate) else None
        return {
            "Id": click_id,
            "Created": fmt(at),
            "CampaignId": log.campaign_id,
            "MessageId": log.message_id,
            "PostId": log.post_id,
            "PostlogId": log.id,
            "LeadId": "",
            "ConversionTagId": None,
            "CredentialId": log.credential_id,
            "CampaignName": self.click_name(log, "campaignName"),
            "CredentialName": self.click_name(log, "credentialName"),
            "Message": message.text if message else "",
            "LinkUrl": message.link_url if message else "",
            "LinkTitle": message.link_title if message else "",
            "ImageUrl": message.image_url if message else "",
            "Picture": 1 if message and message.image_url else 0,
            "RemoteUrl": log.remote_url,
            "ConvertedDate": fmt(converted_at),
            "Network": log.network,
            "UserAgent": USER_AGENTS[(digest >> 16) % len(USER_AGENTS)],
            "GeoCountry": country,
            "GeoCity": city,
            "GeoOrganization": org,
            "GeoLongitude": longitude,
            "GeoLatitude": latitude,
        }


def conversion_rate(caps: dict[str, float]) -> float:
    return caps["Conversions"] / caps["LinkClicks"] if caps["LinkClicks"] else 0.0


def converted(number: int, rate: float) -> bool:
    """Whether click `number` converted: spread evenly, so the first n clicks hold
    int(n * rate) conversions, about what the Conversions counter shows."""
    return int((number + 1) * rate) > int(number * rate)


def click_time(query: Params, name: str, errors: dict[str, str]) -> int | None:
    """`2019-06-30T00:00:00` (DOC-clicks); the space form the other lists use is taken too."""
    raw = query.get(name, "").strip()
    if not raw:
        return None
    for layout in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return cal.timegm(time.strptime(raw, layout))
        except ValueError:
            continue
    errors[name] = f"Invalid date {raw}, expected YYYY-MM-DDTHH:MM:SS."
    return None


def day_param(query: Params, name: str, errors: dict[str, str]) -> int | None:
    raw = query.get(name, "").strip()
    if not raw:
        return None
    try:
        return cal.timegm(time.strptime(raw[:10], "%Y-%m-%d"))
    except ValueError:
        errors[name] = f"Invalid date {raw}, expected YYYY-MM-DD."
        return None
