"""/v2/tag: the account's tags (0AF…), which campaigns and messages carry by id.

Shape: SDK src/types/publishing.ts `Tag {Id, Created, Tag, LastUsedDate}`; the list takes
the usual paging and `_order` (tag, created, lastUsed: API reference §8, DOC-tags)."""

from __future__ import annotations

from typing import Any

from oktopost.sandbox.api.common import Handlers, Params, Payload, list_order, paging
from oktopost.sandbox.records import ApiError, fmt

TAG_MAX = 100  # characters; Oktopost publishes no limit, the sandbox needs one


class TagHandlers(Handlers):
    """Tags: list, read, create, rename, delete."""

    def tag_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        field, descending = list_order(
            query, ("tag", "created", "lastUsed"), "created", descending=self.descending
        )
        tags = list(self.world.tags.values())
        if field == "tag":
            tags.sort(key=lambda t: (t["Tag"].lower(), t["Id"]), reverse=descending)
        else:
            attr = "Created" if field == "created" else "LastUsed"
            tags.sort(key=lambda t: (t[attr] or 0, t["Id"]), reverse=descending)
        chosen = tags[page * count : (page + 1) * count]
        return {
            "Result": True,
            "Items": [self.render_tag(t) for t in chosen],
            "Total": len(tags),
        }

    def tag_get(self, tag_id: str, **_: Any) -> Payload:
        return {"Result": True, "Tag": self.render_tag(self.find_tag(tag_id))}

    def tag_create(self, *, params: Params, **_: Any) -> Payload:
        name = self.tag_name(params, None)
        world = self.world
        tag_id = world.next_id("tag", "0AF")
        world.tags[tag_id] = {"Id": tag_id, "Created": world.now(), "Tag": name, "LastUsed": None}
        world.version += 1
        return {"Result": True, "Tag": self.render_tag(world.tags[tag_id])}

    def tag_update(self, tag_id: str, *, params: Params, **_: Any) -> Payload:
        tag = self.find_tag(tag_id)
        tag["Tag"] = self.tag_name(params, tag_id)
        self.world.version += 1
        return {"Result": True, "Tag": self.render_tag(tag)}

    def tag_delete(self, tag_id: str, **_: Any) -> Payload:
        """The tag also leaves every campaign and message that carried it."""
        self.find_tag(tag_id)
        world = self.world
        del world.tags[tag_id]
        for tags in world.campaign_tags.values():
            if tag_id in tags:
                tags.remove(tag_id)
        for message in world.messages.values():
            if message.tag_ids and tag_id in message.tag_ids:
                message.tag_ids.remove(tag_id)
        world.version += 1
        return {"Result": True}

    def tag_name(self, params: Params, tag_id: str | None) -> str:
        name = params.get("tag", "").strip()
        if not name:
            raise ApiError.fields({"tag": "tag is required."})
        if len(name) > TAG_MAX:
            raise ApiError.fields({"tag": f"tag is longer than {TAG_MAX} characters."})
        for other in self.world.tags.values():
            if other["Id"] != tag_id and other["Tag"].lower() == name.lower():
                raise ApiError.fields({"tag": f"Tag {name} already exists ({other['Id']})."})
        return name

    def find_tag(self, tag_id: str) -> dict[str, Any]:
        tag = self.world.tags.get(tag_id)
        if tag is None:
            raise ApiError.api(404, "Tag not found")
        return tag

    @staticmethod
    def render_tag(tag: dict[str, Any]) -> Payload:
        return {
            "Id": tag["Id"],
            "Created": fmt(tag["Created"]),
            "Tag": tag["Tag"],
            "LastUsedDate": fmt(tag["LastUsed"]),
        }
