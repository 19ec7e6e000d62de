"""The /v2 endpoints: request parameters in, Oktopost-shaped JSON out.

Shapes follow /work/shared/oktopost-api.md and the Posts API page; choices where
the sources are unsure are listed in docs/oktopost.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from oktopost.demo import content
from oktopost.sandbox import media as files
from oktopost.sandbox.records import (
    FILTER_FIELDS,
    ORDER_FIELDS,
    SENT,
    SOURCES,
    STATUSES,
    WRITABLE_STATUSES,
    ApiError,
    Message,
    Post,
    Postlog,
    fmt,
    parse_datetime,
)
from oktopost.sandbox.world import World

Params = dict[str, str]
Payload = dict[str, Any]
PAGE_SIZES = (25, 50, 100)
MAX_MESSAGE_IDS = 100
DEFAULT_DELAY = 60  # startDateTime default: "+1 minute" (Posts API page)
NETWORK_ALIASES = {n.lower(): n for n in content.NETWORKS}
MEDIA_TYPES = ("Image", "Video", "ImageUrl", "PDF")
UPLOAD_STATUSES = ("pending", "failed", "complete")
FIRST_COMMENT_MAX = 3000  # characters (SDK-1.1 FirstCommentInput)


class Api:
    """Routes one authenticated /v2 request to the world; the caller holds the lock."""

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

    def handle(self, method: str, path: str, query: Params, form: Params) -> tuple[int, Payload]:
        parts = [p for p in path.split("/") if p]
        routes: dict[tuple[str, str, int], Callable[..., Payload]] = {
            ("GET", "me", 1): self.me,
            ("GET", "post", 1): self.post_list,
            ("POST", "post", 1): self.post_create,
            ("GET", "post", 2): self.post_get,
            ("POST", "post", 2): self.post_update,
            ("DELETE", "post", 2): self.post_delete,
            ("GET", "message", 1): self.message_list,
            ("POST", "message", 1): self.message_create,
            ("GET", "message", 2): self.message_get,
            ("POST", "message", 2): self.message_update,
            ("GET", "campaign", 1): self.campaign_list,
            ("GET", "campaign", 2): self.campaign_get,
            ("GET", "credential", 1): self.credential_list,
            ("GET", "credential", 2): self.credential_get,
            ("GET", "postlog", 1): self.postlog_list,
            ("GET", "postlog", 2): self.postlog_get,
            ("GET", "user", 1): self.user_list,
            ("GET", "user", 2): self.user_get,
            ("GET", "media", 1): self.media_list,
            ("GET", "media", 2): self.media_get,
            ("DELETE", "media", 2): self.media_delete,
            ("GET", "upload", 1): self.upload_list,
            ("POST", "upload", 1): self.upload_create,
            ("GET", "upload", 2): self.upload_get,
            ("GET", "video-validate", 2): self.video_validate,
        }
        handler = routes.get((method, parts[0], len(parts))) if parts else None
        if handler is None:
            # An unknown path answers with an empty *array* of errors (PHP's empty map).
            return 404, {"Result": False, "Errors": []}
        args = parts[1:]
        params = form if method == "POST" else query
        try:
            return 200, handler(*args, query=query, params=params)
        except ApiError as error:
            return error.status, {"Result": False, "Errors": error.errors}

    # ------------------------------------------------------------- account

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

    # --------------------------------------------------------------- posts

    def post_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        order = query.get("_order") or "created"
        if order not in ORDER_FIELDS:
            raise ApiError.fields({"_order": f"Order {order} is not valid."})
        equals = {k: query[k] for k in FILTER_FIELDS if query.get(k)}
        if "status" in equals and equals["status"] not in STATUSES:
            raise ApiError.fields({"status": f"Status {equals['status']} is not valid."})
        if "source" in equals and equals["source"] not in SOURCES:
            raise ApiError.fields({"source": f"Source {equals['source']} is not valid."})
        bounds: dict[str, int | None] = {}
        for name in ("after", "before"):
            raw = query.get(name)
            try:
                bounds[name] = parse_datetime(raw) if raw else None
            except ValueError:
                raise ApiError.fields(
                    {name: f"Invalid date {raw}, expected YYYY-MM-DD HH:MM:SS."}
                ) from None
        posts, total = self.world.list_posts(
            order=order,
            descending=self.descending,
            after=bounds["after"],
            before=bounds["before"],
            equals=equals,
            page=page,
            count=count,
        )
        now = self.world.now()
        return {"Result": True, "Items": [self.render_post(p, now) for p in posts], "Total": total}

    def post_get(self, post_id: str, *, query: Params, **_: Any) -> Payload:
        post = self.find_post(post_id)
        now = self.world.now()
        payload: Payload = {"Result": True, "Post": self.render_post(post, now)}
        if flag(query.get("stats")):
            payload["Stats"] = self.world.post_stats(post, now)
        return payload

    def post_create(self, *, params: Params, **_: Any) -> Payload:
        missing = {
            name: f"{name} is required."
            for name in ("messageId", "credentialIds")
            if not params.get(name, "").strip()
        }
        if missing:
            raise ApiError.fields(missing)
        values = self.post_values(params, None)
        post = self.world.create_post(
            message_id=values["message_id"],
            credentials=values["credentials"],
            start=values.get("start", self.world.now() + DEFAULT_DELAY),
            status=values.get("status", "pending"),
            user_id=self.world.api_user_id,
            first_comment=values.get("first_comment"),
        )
        return {"Result": True, "Post": self.render_post(post, self.world.now())}

    def post_update(self, post_id: str, *, params: Params, **_: Any) -> Payload:
        post = self.find_post(post_id)
        if post.status in SENT:
            raise ApiError.api(400, "Post has already been sent and can no longer be modified.")
        values = self.post_values(params, post)
        self.world.update_post(post, user_id=self.world.api_user_id, **values)
        return {"Result": True, "Post": self.render_post(post, self.world.now())}

    def post_delete(self, post_id: str, **_: Any) -> Payload:
        post = self.find_post(post_id)
        if post.status in SENT:
            raise ApiError.api(400, "Post has already been sent and can no longer be deleted.")
        self.world.delete_post(post)
        return {"Result": True}

    def post_values(self, params: Params, post: Post | None) -> dict[str, Any]:
        """Validate create/update fields; every bad field is reported at once, keyed by name."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        message: Message | None = self.world.messages.get(post.message_id) if post else None
        if "messageId" in params:
            message = self.world.messages.get(params["messageId"].strip())
            if message is None:
                errors["messageId"] = f"Message {params['messageId']} was not found."
            else:
                values["message_id"] = message.id
        credentials: tuple[str, ...] | None = None
        if "credentialIds" in params:
            ids = [c.strip() for c in params["credentialIds"].split(",") if c.strip()]
            credentials = tuple(dict.fromkeys(ids))
            if not credentials:
                errors["credentialIds"] = "credentialIds is required."
            else:
                values["credentials"] = credentials
        elif post is not None and "message_id" in values:
            credentials = post.credentials
        if credentials and "credentialIds" not in errors:
            problem = self.credential_problem(credentials, message)
            if problem:
                errors["credentialIds"] = problem
        if "startDateTime" in params:
            raw = params["startDateTime"].strip()
            if raw.lstrip("-").isdigit():
                values["start"] = int(raw)
            else:
                errors["startDateTime"] = f"startDateTime {raw} is not a valid Unix timestamp."
        if "status" in params:
            if params["status"] in WRITABLE_STATUSES:
                values["status"] = params["status"]
            else:
                options = ", ".join(WRITABLE_STATUSES)
                errors["status"] = f"Status {params['status']} is not valid. Options: {options}."
        self.first_comment_values(params, post, values, errors)
        if errors:
            raise ApiError.fields(errors)
        return values

    def first_comment_values(
        self, params: Params, post: Post | None, values: dict[str, Any], errors: dict[str, str]
    ) -> None:
        """`firstComment[text]`/`firstComment[media]` set it, `firstComment=null` removes it;
        LinkedIn only (SDK-1.1 CreatePostParams, MCPREF)."""
        keys = [k for k in params if k == "firstComment" or k.startswith("firstComment[")]
        if not keys:
            comment = post.first_comment if post else None
        elif params.get("firstComment") == "null" and keys == ["firstComment"]:
            values["first_comment"] = comment = None
        elif set(keys) - {"firstComment[text]", "firstComment[media]"}:
            errors["firstComment"] = (
                "Send firstComment[text] and/or firstComment[media], "
                "or firstComment=null to remove the first comment."
            )
            return
        else:
            text = params.get("firstComment[text]", "")
            media_id = params.get("firstComment[media]", "").strip()
            if not text.strip() and not media_id:
                errors["firstComment"] = "A first comment needs text or an image."
            if len(text) > FIRST_COMMENT_MAX:
                errors["firstComment[text]"] = (
                    f"The first comment is too long: {len(text)}/{FIRST_COMMENT_MAX} characters."
                )
            if media_id:
                item = self.world.media.get(media_id)
                if item is None:
                    errors["firstComment[media]"] = f"Media {media_id} was not found."
                elif item["Type"] not in ("Image", "ImageUrl"):
                    errors["firstComment[media]"] = (
                        f"A first comment takes one image; media {media_id} is a {item['Type']}."
                    )
            old = post.first_comment if post else None
            comment = {
                "Id": old["Id"] if old else self.world.next_id("comment", "029"),
                "Text": text,
                "Media": media_id,
            }
            values["first_comment"] = comment
        if comment is None:
            return
        credentials = values.get("credentials") or (post.credentials if post else ())
        networks = sorted(
            {
                self.world.credentials[c]["Network"]
                for c in credentials
                if c in self.world.credentials
            }
        )
        if credentials and "LinkedIn" not in networks:
            where = ", ".join(networks) or "unknown"
            errors["firstComment"] = (
                "A first comment is for LinkedIn posts only; none of the post's profiles is "
                f"LinkedIn ({where})."
                + (" Remove it with firstComment=null first." if keys == [] else "")
            )

    def credential_problem(self, ids: tuple[str, ...], message: Message | None) -> str:
        for cred_id in ids:
            cred = self.world.credentials.get(cred_id)
            if cred is None:
                return f"Social profile {cred_id} was not found."
            if cred["Status"] != "valid":
                return f"Social profile {cred_id} is invalid. Reconnect it in Oktopost."
            if message is not None and cred["Network"] != message.network:
                return (
                    f"Social profile {cred_id} is a {cred['Network']} profile but the "
                    f"message is for {message.network}."
                )
        return ""

    def find_post(self, post_id: str) -> Post:
        post = self.world.posts.get(post_id)
        if post is None:
            raise ApiError.api(404, "Post not found")
        return post

    def render_post(self, post: Post, now: int) -> Payload:
        stats = self.world.post_stats(post, now)
        earlier = self.world.post_stats(post, now - 86_400) if post.logs else stats
        return {
            "Id": post.id,
            "Created": fmt(post.created),
            "Modified": fmt(post.modified),
            "Status": post.status,
            "AccountId": self.world.account_id,
            "CreatedBy": post.created_by,
            "ModifiedBy": post.modified_by,
            "Source": post.source,
            "ContentSource": "User",
            "Queued": post.queued,
            "CampaignId": post.campaign_id,
            "MessageId": post.message_id,
            "MessageChildId": "",
            "MessageStatus": "default",
            "Network": post.network,
            "StartDateTime": fmt(post.start),
            "Groups": "",
            "GroupsCount": 0,
            "TotalCount": len(post.credentials),
            "TargetGeo": "",
            "UpdateStatus": 1,
            "Flag": post.flag,
            "Clicks": stats["LinkClicks"],
            "Converts": stats["Conversions"],
            "Comments": stats["Comments"],
            # Comments that arrived in the last 24 h: the ones nobody has read yet.
            "NewComments": stats["Comments"] - earlier["Comments"],
            "Likes": stats["Likes"],
            "Utm": post.utm,
            "Credentials": ",".join(post.credentials),
        } | ({"FirstComment": self.render_first_comment(post)} if post.first_comment else {})

    def render_first_comment(self, post: Post) -> Payload:
        comment = post.first_comment or {}
        if post.status not in SENT:
            status = "pending"
        else:
            logs = [self.world.postlogs[i] for i in post.logs if i in self.world.postlogs]
            sent = any(log.status == "success" and log.network == "LinkedIn" for log in logs)
            status = "complete" if sent else "failed"
        media_id = comment.get("Media") or ""
        return {
            "Id": comment.get("Id", ""),
            "Network": "LinkedIn",
            "Status": status,
            "ScheduledAt": post.start,
            "Text": comment.get("Text", ""),
            "CampaignId": post.campaign_id,
            "Media": [
                self.render_media(self.world.media[media_id], short=True)
                for media_id in [media_id]
                if media_id in self.world.media
            ],
        }

    # ------------------------------------------------------------ messages

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
        message = self.world.create_message(user_id=self.world.api_user_id, **values)
        return {"Result": True, "Message": self.render_message(message, False)}

    def message_update(self, message_id: str, *, params: Params, **_: Any) -> Payload:
        message = self.find_message(message_id)
        values = self.message_values(params, message)
        self.world.update_message(message, user_id=self.world.api_user_id, **values)
        return {"Result": True, "Message": self.render_message(message, False)}

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
        if any(k in params for k in link_fields) and "linkUrl" not in params and message:
            # Oktopost updates the link preview as a whole (SDK UpdateMessageParams).
            errors["linkUrl"] = "Link fields must be sent together with linkUrl."
        if "linkUrl" in params:
            values["link_url"] = params["linkUrl"].strip()
        for key, attr in link_fields.items():
            if key in params:
                values[attr] = params[key]
        if "title" in params:
            values["subject"] = params["title"]
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
            payload["Tags"] = list(self.world.campaign_tags.get(message.campaign_id, []))
        return payload

    # --------------------------------------------------------------- media

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

    def find_media(self, media_id: str) -> dict[str, Any]:
        item = self.world.media.get(media_id)
        if item is None:
            raise ApiError.api(404, "Media not found")
        return item

    def media_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        kind = query.get("type", "").strip()
        if kind and kind not in MEDIA_TYPES:
            options = ", ".join(MEDIA_TYPES)
            raise ApiError.fields({"type": f"Type {kind} is not valid. Options: {options}."})
        needle = query.get("q", "").strip().lower()
        # The sandbox has no folders: every item sits at the root of the library.
        folder = query.get("folderId", "").strip()
        found = [
            m
            for m in self.world.media.values()
            if (not kind or m["Type"] == kind)
            and (not needle or needle in m["Name"].lower())
            and not folder
        ]
        found.sort(key=lambda m: (m["Created"], m["Id"]), reverse=self.descending)
        chosen = found[page * count : (page + 1) * count]
        return {
            "Result": True,
            "Items": [self.render_media(m, listed=True) for m in chosen],
            "Total": len(found),
        }

    def media_get(self, media_id: str, **_: Any) -> Payload:
        return {"Result": True, "Media": self.render_media(self.find_media(media_id))}

    def media_delete(self, media_id: str, **_: Any) -> Payload:
        self.find_media(media_id)
        self.world.delete_media(media_id)
        return {"Result": True}

    def media_check(self, params: Params) -> str:
        """Validate POST /media before the sandbox looks at the URL; returns the URL."""
        resource = params.get("resource", "").strip()
        if not resource:
            raise ApiError.fields({"resource": "resource is required."})
        if not resource.lower().startswith(("http://", "https://")):
            raise ApiError.fields({"resource": f"resource {resource} is not an http(s) URL."})
        return resource

    def media_create(self, params: Params, found: files.Head | str) -> Payload:
        """POST /media once the URL was looked at: `found` is its HEAD or why it failed."""
        resource = self.media_check(params)
        if isinstance(found, str):
            raise ApiError.fields({"resource": f"{resource} cannot be used: {found}"})
        if found.status != 200:
            problem = files.describe_status(found.status, "HEAD")
            raise ApiError.fields({"resource": f"{resource} cannot be used: {problem}"})
        if not found.content_type.startswith("image/"):
            shown = found.content_type or "no Content-Type"
            raise ApiError.fields(
                {"resource": f"{resource} is not an image: it answers with {shown}."}
            )
        name = (
            params.get("name", "").strip() or resource.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        )
        item = self.world.add_media(
            kind="ImageUrl",
            name=name or "image",
            mime_type=found.content_type,
            size=found.size or 0,
            user_id=self.world.api_user_id,
            resource=resource,
        )
        return {"Result": True, "Media": self.render_media(item)}

    # ------------------------------------------------------------- uploads

    def render_upload(self, upload: dict[str, Any]) -> Payload:
        payload = dict(upload)
        payload["Created"] = fmt(upload["Created"])
        payload["Modified"] = fmt(upload["Modified"])
        return payload

    def upload_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        status = query.get("status", "").strip()
        if status and status not in UPLOAD_STATUSES:
            options = ", ".join(UPLOAD_STATUSES)
            raise ApiError.fields({"status": f"Status {status} is not valid. Options: {options}."})
        source = query.get("source", "").strip()
        found = [
            u
            for u in self.world.uploads.values()
            if (not status or u["Status"] == status) and (not source or u["Source"] == source)
        ]
        found.sort(key=lambda u: (u["Created"], u["Id"]), reverse=self.descending)
        chosen = found[page * count : (page + 1) * count]
        return {
            "Result": True,
            "Items": [self.render_upload(u) for u in chosen],
            "Total": len(found),
        }

    def upload_get(self, upload_id: str, **_: Any) -> Payload:
        upload = self.world.uploads.get(upload_id)
        if upload is None:
            raise ApiError.api(404, "Upload not found")
        return {"Result": True, "Upload": self.render_upload(upload)}

    def upload_create(self, *, params: Params, **_: Any) -> Payload:
        errors: dict[str, str] = {}
        source = params.get("source", "").strip()
        if not source:
            errors["source"] = "source is required."
        elif not source.lower().startswith(("http://", "https://")):
            errors["source"] = f"source {source} is not an http(s) URL."
        name = params.get("name", "").strip()
        if not name and source:
            name = source.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        if not name:
            errors["name"] = "name is required."
        mime = params.get("mimeType", "").strip().lower()
        if mime not in files.UPLOAD_TYPES:
            options = ", ".join(files.UPLOAD_TYPES)
            shown = f"MIME type {mime}" if mime else "mimeType is required and"
            errors["mimeType"] = f"{shown} is not one Oktopost accepts. Options: {options}."
        if errors:
            raise ApiError.fields(errors)
        now = self.world.now()
        upload = {
            "Id": self.world.next_id("upload", "027"),
            "Created": now,
            "Modified": now,
            "CreatedBy": self.world.api_user_id,
            "Status": "pending",
            "Name": name,
            "MimeType": mime,
            "TotalSize": 0,
            "Downloaded": 0,
            "Source": source,
            "LastError": None,
            "Attempts": 1,
            "MediaId": None,
        }
        self.world.uploads[upload["Id"]] = upload
        self.world.version += 1
        if self.start_upload is not None:
            self.start_upload(upload["Id"])
        return {"Result": True, "Upload": self.render_upload(upload)}

    def finish_upload(self, upload_id: str, data: bytes | None, problem: str) -> None:
        """The background fetch is done: create the media, or record why it failed."""
        upload = self.world.uploads.get(upload_id)
        if upload is None or upload["Status"] != "pending":
            return
        upload["Modified"] = self.world.now()
        if data is None:
            upload["Status"] = "failed"
            upload["LastError"] = problem
        else:
            kind = files.UPLOAD_TYPES[upload["MimeType"]][0]
            mime = "image/jpeg" if upload["MimeType"] == "image/jpg" else upload["MimeType"]
            item = self.world.add_media(
                kind=kind,
                name=upload["Name"],
                mime_type=mime,
                size=len(data),
                user_id=upload["CreatedBy"],
                data=data,
            )
            upload["Status"] = "complete"
            upload["MediaId"] = item["Id"]
        self.world.version += 1

    def video_validate(self, media_id: str, **_: Any) -> Payload:
        """SDK VideoValidation `{isValid, errors}`; the sandbox adds `Duration` (seconds)."""
        item = self.find_media(media_id)
        if item["Type"] != "Video":
            raise ApiError.fields(
                {"mediaId": f"Media {media_id} is a {item['Type']}, not a video."}
            )
        problems: list[str] = []
        duration: float | None = None
        data = self.world.blobs.get(media_id)
        if data is None:
            problems.append("The video file is missing.")
        else:
            try:
                duration = files.mp4_duration(data)
            except files.FileProblem as problem:
                problems.append(str(problem))
            if duration is not None and duration <= 0:
                problems.append("The video has no length (its duration is 0).")
            limit = files.SIZE_LIMITS["Video"]
            if len(data) > limit:
                problems.append(f"The video is larger than {limit // files.MB} MB.")
        payload: Payload = {"Result": True, "isValid": not problems, "errors": problems}
        if duration is not None:
            payload["Duration"] = round(duration, 3)
        return payload

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

    # ------------------------------------------------------------ postlogs

    def postlog_list(self, *, query: Params, **_: Any) -> Payload:
        post_id = query.get("postId", "").strip()
        if not post_id:
            raise ApiError.fields({"postId": "postId is required."})
        post = self.find_post(post_id)
        logs = [self.render_postlog(self.world.postlogs[i]) for i in post.logs]
        return {"Result": True, "Postlogs": logs}

    def postlog_get(self, postlog_id: str, *, query: Params, **_: Any) -> Payload:
        log = self.world.postlogs.get(postlog_id)
        if log is None:
            raise ApiError.api(404, "Postlog not found")
        payload: Payload = {"Result": True, "Postlog": self.render_postlog(log)}
        if flag(query.get("stats")):
            payload["Stats"] = self.world.postlog_stats(log, self.world.now(), extra=True)
        return payload

    def render_postlog(self, log: Postlog) -> Payload:
        return {
            "Id": log.id,
            "PostId": log.post_id,
            "CampaignId": log.campaign_id,
            "MessageId": log.message_id,
            "CredentialId": log.credential_id,
            "LinkId": log.link_ids[0] if log.link_ids else "",
            "LinkIds": list(log.link_ids),
            "Created": fmt(log.created),
            "Modified": fmt(log.created),
            "Status": log.status,
            "Network": log.network,
            "RemoteId": log.remote_id,
            "RemoteUrl": log.remote_url,
            "Error": log.error,
        }


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
