"""What the /v2 handlers of every resource share: the world, list order, media rendering
(posts, messages and the library all show media) and the parameter helpers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from oktopost.demo import content
from oktopost.sandbox.records import ApiError, fmt
from oktopost.sandbox.world import World

Params = dict[str, str]
Payload = dict[str, Any]
PAGE_SIZES = (25, 50, 100)
NETWORK_ALIASES = {n.lower(): n for n in content.NETWORKS}


class Handlers:
    """What every resource's handlers read: the world, the list order and where files are
    served. `Api` combines the handlers of all resources."""

    def __init__(
        self,
        world: World,
        *,
        descending: bool,
        files_root: str = "",
        start_upload: Callable[[str], None] | None = None,
    ) -> None:
        self.world = world
        self.descending = descending
        # Where /files/... is served (the sandbox's own root URL), for media Resource.
        self.files_root = files_root
        # Starts the background fetch of a new upload (the server's thread).
        self.start_upload = start_upload

    def render_media(
        self, item: dict[str, Any], *, short: bool = False, listed: bool = False
    ) -> Payload:
        """SDK MediaItem; `short` is a message's MessageMedia (no FolderId), `listed` a
        MediaListItem (adds MimeType, VideoId, VideoPreview)."""
        resource = item["Resource"] or self.file_url(item)
        payload: Payload = {
            "Id": item["Id"],
            "Created": fmt(item["Created"]),
            "Modified": fmt(item["Modified"]),
            "AccountId": self.world.account_id,
            "Status": "active",
            "FolderId": None,
            "CreatedBy": item["CreatedBy"],
            "ModifiedBy": item["CreatedBy"],
            "Type": item["Type"],
            "Size": item["Size"],
            "Resource": resource,
            "Name": item["Name"],
            "Description": item["Description"],
        }
        if short:
            del payload["FolderId"]
        if listed:
            payload |= {"MimeType": item["MimeType"], "VideoId": None, "VideoPreview": None}
        return payload

    def file_url(self, item: dict[str, Any]) -> str:
        return f"{self.files_root}/files/{item['Id']}/{quote(item['Name'], safe='')}"


def paging(query: Params) -> tuple[int, int]:
    """`_page` from 0 and `_count` in {25, 50, 100} (Posts API page, "List Posts")."""
    raw_page = query.get("_page", "0") or "0"
    raw_count = query.get("_count", "25") or "25"
    if not raw_page.isdigit():
        raise ApiError.fields({"_page": f"Page {raw_page} is not valid."})
    if not raw_count.isdigit() or int(raw_count) not in PAGE_SIZES:
        raise ApiError.fields({"_count": f"Page size {raw_count} is not valid."})
    return int(raw_page), int(raw_count)


def flag(value: str | None) -> bool:
    return value not in (None, "", "0", "false")


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
