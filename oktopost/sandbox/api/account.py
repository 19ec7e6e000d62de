"""/v2/me, /v2/user, /v2/team, /v2/campaign and /v2/credential: the account and what it
holds. Shapes follow the SDK's types (src/types/account.ts `User`, `UserListItem`, `Team`;
src/types/publishing.ts `Campaign`, `CampaignListItem`)."""

from __future__ import annotations

from typing import Any

from oktopost.sandbox.api.common import (
    NETWORK_ALIASES,
    Handlers,
    Params,
    Payload,
    flag,
    id_list,
    known_ids,
    list_order,
    md5,
    paging,
)
from oktopost.sandbox.records import ApiError, fmt

CAMPAIGN_STATUSES = ("active", "paused", "archived", "complete")
# What an update may set (SDK UpdateCampaignParams): "complete" is Oktopost's own doing.
CAMPAIGN_WRITABLE_STATUSES = ("active", "paused", "archived")
CAMPAIGN_LIST_KEYS = (
    "Id",
    "Name",
    "TotalPosts",
    "TotalPendingPosts",
    "TotalDraftPosts",
    "Clicks",
    "Converts",
    "Created",
    "Status",
    "Comments",
    "PostsSent",
)
NAME_MAX = 255


class AccountHandlers(Handlers):
    """The account, its users and teams, campaigns and social profiles."""

    def me(self, **_: Any) -> Payload:
        user = self.world.users[0]
        return {
            "Result": True,
            "User": {k: user[k] for k in ("Id", "Name", "Email", "LastLogin")},
            "Account": {"Id": self.world.account_id, "Name": self.world.account_name},
        }

    # ----------------------------------------------------------------- users

    def user_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        field, descending = list_order(
            query, ("name", "email", "created"), "created", descending=False
        )
        needle = query.get("q", "").strip().lower()
        users = [
            u
            for u in self.world.users
            if not needle or needle in u["Name"].lower() or needle in u["Email"].lower()
        ]
        if field == "created":
            users.sort(key=lambda u: (u.get("Created") or 0, u["Id"]), reverse=descending)
        else:
            key = field.capitalize()
            users.sort(key=lambda u: (u[key].lower(), u["Id"]), reverse=descending)
        chosen = users[page * count : (page + 1) * count]
        return {
            "Result": True,
            "Items": [self.render_user_item(u) for u in chosen],
            "Total": len(users),
        }

    def user_get(self, user_id: str, **_: Any) -> Payload:
        for user in self.world.users:
            if user["Id"] == user_id:
                return {"Result": True, "User": self.render_user(user)}
        raise ApiError.api(404, "User not found")

    @staticmethod
    def render_user_item(user: dict[str, Any]) -> Payload:
        """SDK UserListItem."""
        return {
            "Id": user["Id"],
            "Name": user["Name"],
            "Email": user["Email"],
            "LastLogin": user["LastLogin"],
            "Role": user.get("Role", "read"),
            "Timezone": user.get("Timezone", "UTC"),
        }

    @staticmethod
    def render_user(user: dict[str, Any]) -> Payload:
        """SDK User (GET /user/{id}); the social logins are empty: nobody linked one."""
        first, _, last = user["Name"].partition(" ")
        return {
            "Id": user["Id"],
            "Created": fmt(user.get("Created")),
            "Modified": fmt(user.get("Modified")),
            "Status": user.get("Status", "active"),
            "Name": user["Name"],
            "FirstName": user.get("FirstName", first),
            "LastName": user.get("LastName", last),
            "Email": user["Email"],
            "LastLogin": user["LastLogin"],
            "LastBoardLogin": fmt(None),
            "HasBrowserExtension": 0,
            "LinkedInId": "",
            "LinkedInName": "",
            "LinkedInImageUrl": "",
            "TwitterId": "",
            "TwitterName": "",
            "TwitterImageUrl": "",
            "FacebookId": "",
            "FacebookName": "",
            "FacebookImageUrl": "",
            "Timezone": user.get("Timezone", "UTC"),
        }

    # ----------------------------------------------------------------- teams

    def team_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        teams = sorted(self.world.teams.values(), key=lambda t: (t["Name"].lower(), t["Id"]))
        chosen = teams[page * count : (page + 1) * count]
        return {
            "Result": True,
            "Items": [self.render_team(t) for t in chosen],
            "Total": len(teams),
        }

    def team_get(self, team_id: str, **_: Any) -> Payload:
        team = self.world.teams.get(team_id)
        if team is None:
            raise ApiError.api(404, "Team not found")
        return {"Result": True, "Team": self.render_team(team)}

    @staticmethod
    def render_team(team: dict[str, Any]) -> Payload:
        return {
            "Id": team["Id"],
            "Created": fmt(team["Created"]),
            "Modified": fmt(team["Modified"]),
            "Name": team["Name"],
        }

    # ----------------------------------------------------------- campaigns

    def campaign_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        field, descending = list_order(
            query, ("created", "name"), "created", descending=self.descending
        )
        status = query.get("status", "").strip()
        if status and status not in CAMPAIGN_STATUSES:
            options = ", ".join(CAMPAIGN_STATUSES)
            raise ApiError.fields({"status": f"Status {status} is not valid. Options: {options}."})
        needle = query.get("q", "").strip().lower()
        found = [
            c
            for c in self.world.campaigns.values()
            if (not status or c["Status"] == status) and (not needle or needle in c["Name"].lower())
        ]
        if field == "name":
            found.sort(key=lambda c: (c["Name"].lower(), c["Id"]), reverse=descending)
        else:
            found.sort(key=lambda c: (c["Created"], c["Id"]), reverse=descending)
        chosen = found[page * count : (page + 1) * count]
        with_tags = flag(query.get("withTags"))
        items = []
        for campaign in chosen:
            full = self.render_campaign(campaign, with_tags)
            item = {k: full[k] for k in CAMPAIGN_LIST_KEYS}
            if with_tags:
                item["Tags"] = full["Tags"]
            items.append(item)
        return {"Result": True, "Items": items, "Total": len(found)}

    def campaign_get(self, campaign_id: str, *, query: Params, **_: Any) -> Payload:
        campaign = self.find_campaign(campaign_id)
        return {"Result": True, "Campaign": self.full_campaign(campaign, query)}

    def campaign_create(self, *, params: Params, **_: Any) -> Payload:
        errors: dict[str, str] = {}
        name = params.get("name", "").strip()
        if not name:
            errors["name"] = "name is required."
        values = self.campaign_values(params, errors)
        if errors:
            raise ApiError.fields(errors)
        world = self.world
        now = world.now()
        campaign_id = world.next_id("campaign", "002")
        digest = world.digest("campaign", campaign_id)
        world.campaigns[campaign_id] = {
            "Id": campaign_id,
            "Created": now,
            "Modified": now,
            "Name": name,
            "Status": "active",
            "CreatedBy": world.api_user_id,
            "Url": values.get("Url", ""),
            "Color": f"#{digest % 0x1000000:06x}",
            "ShortUrl": f"https://okt.to/{md5(campaign_id)[:6]}",
            "StartDate": None,
            "EndDate": None,
        }
        world.campaign_tags[campaign_id] = values.get("tags", [])
        world.messages_by_campaign[campaign_id] = []
        world.touch_tags(world.campaign_tags[campaign_id], now)
        world.version += 1
        return {"Result": True, "Campaign": self.full_campaign(world.campaigns[campaign_id])}

    def campaign_update(self, campaign_id: str, *, params: Params, **_: Any) -> Payload:
        campaign = self.find_campaign(campaign_id)
        errors: dict[str, str] = {}
        if "name" in params and not params["name"].strip():
            errors["name"] = "name must not be empty."
        values = self.campaign_values(params, errors)
        if "status" in params:
            status = params["status"].strip()
            if status not in CAMPAIGN_WRITABLE_STATUSES:
                options = ", ".join(CAMPAIGN_WRITABLE_STATUSES)
                errors["status"] = f"Status {status} is not valid. Options: {options}."
            values["Status"] = status
        if errors:
            raise ApiError.fields(errors)
        world = self.world
        now = world.now()
        if "name" in params:
            campaign["Name"] = params["name"].strip()
        for key in ("Url", "Status"):
            if key in values:
                campaign[key] = values[key]
        if "tags" in values:
            world.campaign_tags[campaign_id] = values["tags"]
            world.touch_tags(values["tags"], now)
        campaign["Modified"] = now
        world.version += 1
        return {"Result": True, "Campaign": self.full_campaign(campaign)}

    def campaign_values(self, params: Params, errors: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if len(params.get("name", "").strip()) > NAME_MAX:
            errors["name"] = f"name is longer than {NAME_MAX} characters."
        if "url" in params:
            url = params["url"].strip()
            if url and not url.lower().startswith(("http://", "https://")):
                errors["url"] = f"url {url} is not an http(s) URL."
            values["Url"] = url
        tags = id_list(params, "tagIds")
        if tags is not None:
            known_ids(tags, self.world.tags, "tagIds", "Tag", errors)
            values["tags"] = tags
        return values

    def find_campaign(self, campaign_id: str) -> dict[str, Any]:
        campaign = self.world.campaigns.get(campaign_id)
        if campaign is None:
            raise ApiError.api(404, "Campaign not found")
        return campaign

    def full_campaign(self, campaign: dict[str, Any], query: Params | None = None) -> Payload:
        full = self.render_campaign(campaign, flag((query or {}).get("withTags")))
        full.pop("PostsSent")
        return full

    def render_campaign(self, campaign: dict[str, Any], with_tags: bool) -> Payload:
        counts, totals = self.world.campaign_summary(campaign["Id"])
        payload: Payload = {
            "Id": campaign["Id"],
            "Created": fmt(campaign["Created"]),
            "Modified": fmt(campaign["Modified"]),
            "Name": campaign["Name"],
            "Status": campaign["Status"],
            "AccountId": self.world.account_id,
            "CreatedBy": campaign["CreatedBy"],
            "ModifiedBy": campaign["CreatedBy"],
            "Url": campaign["Url"],
            "Color": campaign["Color"],
            "ShortUrl": campaign["ShortUrl"],
            "StartDate": fmt(campaign["StartDate"]),
            "EndDate": fmt(campaign["EndDate"]),
            "LastConversionDate": fmt(None),
            "LastCommentFound": fmt(None),
            # A string, as the SDK types it (src/types/publishing.ts Campaign.SendSummary);
            # its meaning is undocumented, "0" is the sandbox's value.
            "SendSummary": "0",
            "Clicks": totals["LinkClicks"],
            "ChildClicks": 0,
            "BoardClicks": 0,
            "Converts": totals["Conversions"],
            "ChildConverts": 0,
            "BoardConverts": 0,
            "Comments": totals["Comments"],
            "NewComments": 0,
            "Likes": totals["Likes"],
            "TotalMessages": len(self.world.messages_by_campaign.get(campaign["Id"], [])),
            "TotalPosts": counts["posts"],
            "TotalPendingPosts": counts["pending"],
            "TotalDraftPosts": counts["drafts"],
            "PostsSent": counts["sent"],
            "SFDCCampaignId": "",
            "SFDCCampaignName": "",
            "SFDCCampaignOption": "",
            "Utm": "",
        }
        if with_tags:
            # Tag ids, as the SDK's campaign test shows them (`Tags: ['tag1']`).
            payload["Tags"] = list(self.world.campaign_tags.get(campaign["Id"], []))
        return payload

    # --------------------------------------------------------- credentials

    def credential_list(self, *, query: Params, **_: Any) -> Payload:
        network = query.get("network", "").strip()
        wanted = NETWORK_ALIASES.get(network.lower()) if network else None
        include_invalid = flag(query.get("includeInvalid"))
        items = [
            dict(c)
            for c in self.world.credentials.values()
            if (include_invalid or c["Status"] == "valid")
            and (wanted is None or c["Network"] == wanted)
        ]
        return {"Result": True, "Items": items, "Total": len(items)}

    def credential_get(self, credential_id: str, **_: Any) -> Payload:
        cred = self.world.credentials.get(credential_id)
        if cred is None:
            raise ApiError.api(404, "Credential not found")
        return {"Result": True, "Credential": dict(cred)}
