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


def paging(query: Params, sizes: tuple[int, ...] = PAGE_SIZES) -> tuple[int, int]:
    """`_page` from 0 and `_count` in {25, 50, 100} (Posts API page, "List Posts"), or in
    `sizes` where a list allows others (/click also takes 200)."""
    raw_page = query.get("_page", "0") or "0"
    raw_count = query.get("_count", "25") or "25"
    if not raw_page.isdigit():
        raise ApiError.fields({"_page": f"Page {raw_page} is not valid."})
    if not raw_count.isdigit() or int(raw_count) not in sizes:
        raise ApiError.fields({"_count": f"Page size {raw_count} is not valid."})
    return int(raw_page), int(raw_count)


def flag(value: str | None) -> bool:
    return value not in (None, "", "0", "false")


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def id_list(params: Params, name: str) -> list[str] | None:
    """A list of ids sent comma-separated (`tagIds=a,b`, API reference §1 "Lists of IDs")
    or in PHP bracket notation (`campaignIds[]=a&campaignIds[]=b`, which the server joins
    with commas); None when the parameter is absent, [] when sent empty."""
    for key in (f"{name}[]", name):
        if key in params:
            return list(dict.fromkeys(i.strip() for i in params[key].split(",") if i.strip()))
    return None


def known_ids(
    ids: list[str] | None, known: Any, name: str, label: str, errors: dict[str, str]
) -> None:
    """Report under `name` the ids of `ids` that `known` does not hold."""
    missing = [i for i in ids or [] if i not in known]
    if missing:
        verb = "was" if len(missing) == 1 else "were"
        errors[name] = f"{label} {', '.join(missing)} {verb} not found."


def list_order(
    query: Params, allowed: tuple[str, ...], default: str, *, descending: bool
) -> tuple[str, bool]:
    """`_order=field`, `_order=field,0|1` (1 ascending, as the dashboards page and the SDK's
    users test write it) or `_orderDirection=asc|desc` (MCPREF); 400 under `_order` for
    anything else. Without a direction, `descending` applies."""
    raw = (query.get("_order") or default).strip()
    field, comma, direction = raw.partition(",")
    if field not in allowed or (comma and direction not in ("0", "1")):
        options = ", ".join(allowed)
        raise ApiError.fields({"_order": f"Order {raw} is not valid. Options: {options}."})
    if comma:
        return field, direction == "0"
    spelled = (query.get("_orderDirection") or "").strip().lower()
    if spelled and spelled not in ("asc", "desc"):
        raise ApiError.fields({"_orderDirection": f"Direction {spelled} is not valid."})
    return field, (spelled == "desc") if spelled else descending
