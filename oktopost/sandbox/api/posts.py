"""/v2/post and /v2/postlog: posts, their first comments and their deliveries."""

from __future__ import annotations

from typing import Any

from oktopost.sandbox.api.common import Handlers, Params, Payload, flag, paging
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

DEFAULT_DELAY = 60  # startDateTime default: "+1 minute" (Posts API page)
FIRST_COMMENT_MAX = 3000  # characters (SDK-1.1 FirstCommentInput)


class PostHandlers(Handlers):
    """Posts, with their LinkedIn first comments, and their postlogs."""

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
        if "workflow_id" in values or "targeting_preset_id" in values:
            post.workflow_id = values.get("workflow_id", "")
            post.targeting_preset_id = values.get("targeting_preset_id", "")
        if post.workflow_id:  # waits for approval (oktopost/sandbox/workflows.py)
            self.world.approvals.submit(self.world, post, post.workflow_id, user_id=post.created_by)
        return {"Result": True, "Post": self.render_post(post, self.world.now())}

    def post_update(self, post_id: str, *, params: Params, **_: Any) -> Payload:
        post = self.find_post(post_id)
        if post.status in SENT:
            raise ApiError.api(400, "Post has already been sent and can no longer be modified.")
        values = self.post_values(params, post)
        self.world.update_post(post, user_id=self.world.api_user_id, **values)
        return {"Result": True, "Post": self.render_post(post, self.world.now())}

    def post_change_campaign(self, post_id: str, *, params: Params, **_: Any) -> Payload:
        """Move a post to another campaign (SDK-1.1 posts.changeCampaign). MCPREF: "not
        allowed while the post is running"; the sandbox reads that as "being sent", which
        never lasts past one request here, so every post may move, sent ones included
        (fixing attribution is what the call is for)."""
        post = self.find_post(post_id)
        campaign_id = params.get("campaignId", "").strip()
        if not campaign_id:
            raise ApiError.fields({"campaignId": "campaignId is required."})
        if campaign_id not in self.world.campaigns:
            raise ApiError.fields({"campaignId": f"Campaign {campaign_id} was not found."})
        if campaign_id != post.campaign_id:
            self.world.change_campaign(post, campaign_id, user_id=self.world.api_user_id)
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
        if "workflowId" in params and post is None:
            # SDK-1.1 CreatePostParams only (UpdatePostParams has no workflowId): on an
            # update it is ignored, like any parameter the call does not take.
            workflow = params["workflowId"].strip()
            if workflow and workflow not in self.world.approvals.workflows:
                errors["workflowId"] = f"Workflow {workflow} was not found."
            values["workflow_id"] = workflow
        if "targetingPresetId" in params:
            values["targeting_preset_id"] = params["targetingPresetId"].strip()
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
        } | self.render_extras(post)

    def render_extras(self, post: Post) -> Payload:
        """Optional members, present only when set: `FirstComment` (SDK-1.1 marks it
        optional) and the sandbox's `WorkflowId`/`TargetingPresetId` (the SDK's Post type
        has neither; kept so the approvals work can read them back)."""
        extras: Payload = {}
        if post.first_comment:
            extras["FirstComment"] = self.render_first_comment(post)
        if post.workflow_id:
            extras["WorkflowId"] = post.workflow_id
        if post.targeting_preset_id:
            extras["TargetingPresetId"] = post.targeting_preset_id
        return extras

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
