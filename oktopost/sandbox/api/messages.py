"""/v2/message: reusable content for one network."""

from __future__ import annotations

from typing import Any

from oktopost.demo import content
from oktopost.sandbox.api.common import (
    NETWORK_ALIASES,
    Handlers,
    Params,
    Payload,
    flag,
    id_list,
    known_ids,
    md5,
    paging,
)
from oktopost.sandbox.records import ApiError, Message, fmt

MAX_MESSAGE_IDS = 100


class MessageHandlers(Handlers):
    """Messages: list, read, create, update, delete."""

    def message_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        ids = [i.strip() for i in query.get("ids", "").split(",") if i.strip()]
        campaign_id = query.get("campaignId", "").strip()
        if not ids and not campaign_id:
            raise ApiError.fields({"campaignId": "Either campaignId or ids is required."})
        if len(ids) > MAX_MESSAGE_IDS:
            raise ApiError.fields({"ids": f"At most {MAX_MESSAGE_IDS} ids are allowed."})
        if ids:
            found = [self.world.messages[i] for i in dict.fromkeys(ids) if i in self.world.messages]
            if campaign_id:
                found = [m for m in found if m.campaign_id == campaign_id]
        else:
            pool = self.world.messages_by_campaign.get(campaign_id, [])
            found = [self.world.messages[i] for i in pool]
        network = query.get("network", "").strip()
        if network:
            found = [m for m in found if m.network == NETWORK_ALIASES.get(network.lower())]
        found.sort(key=lambda m: (m.created, m.id), reverse=self.descending)
        chosen = found[page * count : (page + 1) * count]
        with_tags = flag(query.get("withTags"))
        return {
            "Result": True,
            "Items": [self.render_message(m, with_tags) for m in chosen],
            "Total": len(found),
        }

    def message_get(self, message_id: str, *, query: Params, **_: Any) -> Payload:
        message = self.find_message(message_id)
        return {
            "Result": True,
            "Message": self.render_message(message, flag(query.get("withTags"))),
        }

    def message_create(self, *, params: Params, **_: Any) -> Payload:
        errors = {
            name: f"{name} is required."
            for name in ("network", "campaignId", "message")
            if not params.get(name, "").strip()
        }
        if errors:
            raise ApiError.fields(errors)
        values = self.message_values(params, None)
        if "tag_ids" not in values:
            # Without tagIds a message takes its campaign's tags (API reference §5, MCPREF).
            values["tag_ids"] = list(self.world.campaign_tags.get(values["campaign_id"], []))
        message = self.world.create_message(user_id=self.world.api_user_id, **values)
        self.world.touch_tags(message.tag_ids or [], message.created)
        return {"Result": True, "Message": self.render_message(message, False)}

    def message_update(self, message_id: str, *, params: Params, **_: Any) -> Payload:
        message = self.find_message(message_id)
        values = self.message_values(params, message)
        self.world.update_message(message, user_id=self.world.api_user_id, **values)
        if "tag_ids" in values:
            self.world.touch_tags(values["tag_ids"], message.modified)
        return {"Result": True, "Message": self.render_message(message, False)}

    def message_delete(self, message_id: str, **_: Any) -> Payload:
        """Posts made from the message stay (SDK messages.delete; MCPREF delete_message)."""
        self.world.delete_message(self.find_message(message_id))
        return {"Result": True}

    def message_values(self, params: Params, message: Message | None) -> dict[str, Any]:
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        network = message.network if message else ""
        if "network" in params:
            network = NETWORK_ALIASES.get(params["network"].strip().lower(), "")
            if not network:
                errors["network"] = f"Network {params['network']} is not valid."
            elif (
                message is not None
                and network != message.network
                and any(True for _ in self.world.message_posts(message.id))
            ):
                errors["network"] = "The network of a message with posts cannot change."
            values["network"] = network
        if "campaignId" in params:
            if params["campaignId"] not in self.world.campaigns:
                errors["campaignId"] = f"Campaign {params['campaignId']} was not found."
            values["campaign_id"] = params["campaignId"]
        text = params.get("message", message.text if message else "")
        if "message" in params:
            if not text.strip():
                errors["message"] = "message is required."
            values["text"] = text
        limit = content.TEXT_LIMITS.get(network)
        if limit and len(text) > limit and "network" not in errors:
            errors["message"] = (
                f"Message is too long for {network}: {len(text)}/{limit} characters."
            )
        link_fields = {
            "linkTitle": "link_title",
            "description": "description",
            "imageUrl": "image_url",
        }
        link_url = params.get("linkUrl", message.link_url if message else "").strip()
        sent = [k for k in link_fields if params.get(k, "").strip()]
        if sent and not link_url:
            # The SDK's UpdateMessageParams lets each link field change alone, so a new
            # linkTitle alone is accepted; a preview with no link at all is not (see
            # docs/oktopost.md "Message update").
            errors["linkUrl"] = (
                f"{', '.join(sent)} describe{'s' if len(sent) == 1 else ''} a link preview; "
                "the message has no link: send linkUrl too."
            )
        if "linkUrl" in params:
            values["link_url"] = params["linkUrl"].strip()
        for key, attr in link_fields.items():
            if key in params:
                values[attr] = params[key]
        if "title" in params:
            values["subject"] = params["title"]
        tags = id_list(params, "tagIds")
        if tags is not None:
            known_ids(tags, self.world.tags, "tagIds", "Tag", errors)
            values["tag_ids"] = tags
        if "media" in params:
            ids = list(dict.fromkeys(i.strip() for i in params["media"].split(",") if i.strip()))
            missing = [i for i in ids if i not in self.world.media]
            if missing:
                errors["media"] = f"Media {', '.join(missing)} was not found."
            values["media_ids"] = ids
        if errors:
            raise ApiError.fields(errors)
        return values

    def find_message(self, message_id: str) -> Message:
        message = self.world.messages.get(message_id)
        if message is None:
            raise ApiError.api(404, "Message not found")
        return message

    def render_message(self, message: Message, with_tags: bool) -> Payload:
        now = self.world.now()
        clicks = converts = 0
        for post in self.world.message_posts(message.id):
            stats = self.world.post_stats(post, now)
            clicks += stats["LinkClicks"]
            converts += stats["Conversions"]
        payload: Payload = {
            "Id": message.id,
            "Created": fmt(message.created),
            "Modified": fmt(message.modified),
            "Status": "default",
            "AccountId": self.world.account_id,
            "CreatedBy": message.created_by,
            "ModifiedBy": message.modified_by,
            "CampaignId": message.campaign_id,
            "Network": message.network,
            "Subject": message.subject,
            "Message": message.text,
            "Md5": md5(message.text),
            "ImageUrl": message.image_url,
            "Description": message.description,
            "LinkTitle": message.link_title,
            "LinkUrl": message.link_url,
            "Url": message.url,
            "Clicks": clicks,
            "ChildClicks": 0,
            "BoardClicks": 0,
            "Converts": converts,
            "ChildConverts": 0,
            "BoardConverts": 0,
            "ChildrenCount": 0,
            # A numeric string, as the Messages page example shows it.
            "Picture": "1" if message.image_url else "0",
            "IsBoardMessage": 0,
            "Media": [
                self.render_media(self.world.media[i], short=True)
                for i in message.media_ids
                if i in self.world.media
            ],
        }
        if with_tags:
            # Tag ids (0AF…): the SDK sends ids in tagIds and its tests show ids in Tags.
            payload["Tags"] = self.world.message_tags(message)
        return payload
