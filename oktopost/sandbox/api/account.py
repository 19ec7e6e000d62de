"""/v2/me, /v2/user, /v2/campaign and /v2/credential: the account and what it holds."""

from __future__ import annotations

from typing import Any

from oktopost.sandbox.api.common import NETWORK_ALIASES, Handlers, Params, Payload, flag, paging
from oktopost.sandbox.records import ApiError, fmt


class AccountHandlers(Handlers):
    """The account, its users, campaigns and social profiles."""

    def me(self, **_: Any) -> Payload:
        user = self.world.users[0]
        return {
            "Result": True,
            "User": dict(user),
            "Account": {"Id": self.world.account_id, "Name": self.world.account_name},
        }

    def user_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        users = self.world.users[page * count : (page + 1) * count]
        return {"Result": True, "Items": [dict(u) for u in users], "Total": len(self.world.users)}

    def user_get(self, user_id: str, **_: Any) -> Payload:
        for user in self.world.users:
            if user["Id"] == user_id:
                return {"Result": True, "User": dict(user)}
        raise ApiError.api(404, "User not found")

    # ----------------------------------------------------------- campaigns

    def campaign_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        campaigns = sorted(
            self.world.campaigns.values(),
            key=lambda c: (c["Created"], c["Id"]),
            reverse=self.descending,
        )
        chosen = campaigns[page * count : (page + 1) * count]
        with_tags = flag(query.get("withTags"))
        items = []
        for campaign in chosen:
            full = self.render_campaign(campaign, with_tags)
            keys = ["Id", "Name", "TotalPosts", "TotalPendingPosts", "TotalDraftPosts"]
            keys += ["Clicks", "Converts", "Created", "Status", "Comments", "PostsSent"]
            item = {k: full[k] for k in keys}
            if with_tags:
                item["Tags"] = full["Tags"]
            items.append(item)
        return {"Result": True, "Items": items, "Total": len(campaigns)}

    def campaign_get(self, campaign_id: str, *, query: Params, **_: Any) -> Payload:
        campaign = self.world.campaigns.get(campaign_id)
        if campaign is None:
            raise ApiError.api(404, "Campaign not found")
        full = self.render_campaign(campaign, flag(query.get("withTags")))
        full.pop("PostsSent")
        return {"Result": True, "Campaign": full}

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
            "SendSummary": 0,
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
