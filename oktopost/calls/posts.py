"""The client's post calls: `/post` and a post's delivery attempts, `/postlog`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from oktopost.calls.params import drop_none, epoch, join_ids, paging, required, segment
from oktopost.transport import Transport, list_member, member
from oktopost.types import FirstCommentInput, Page, Post, Postlog, format_datetime

POST_ORDERS = ("created", "modified", "startDateTime")
PostOrder = Literal["created", "modified", "startDateTime"]
# A LinkedIn first comment's text limit (API reference §2 "Create params").
FIRST_COMMENT_MAX = 3000


class PostCalls(Transport):
    """Posts and postlogs (mixed into `OktopostClient`)."""

    def post_get(self, post_id: str, *, stats: bool = False) -> Post:
        call = "GET /post/{id}"
        body = self._request(
            "GET", f"/post/{segment(post_id)}", call=call, params={"stats": 1} if stats else None
        )
        # Stats is a sibling of Post in the envelope, not nested in it (API reference §2).
        return Post.from_api(
            member(body, "Post", call), call=call, stats=body.get("Stats") if stats else None
        )

    def post_list(
        self,
        *,
        page: int = 0,
        count: int = 100,
        order: PostOrder = "created",
        message_id: str | None = None,
        campaign_id: str | None = None,
        status: str | None = None,
        created_by: str | None = None,
        source: str | None = None,
        before: datetime | None = None,
        after: datetime | None = None,
    ) -> Page[Post]:
        """One page of posts; ``after`` is inclusive and ``before`` exclusive on ``order``."""
        if order not in POST_ORDERS:
            raise ValueError(f"order must be one of {POST_ORDERS}, got {order!r}")
        params = paging(page, count) | {"_order": order}
        params |= drop_none(
            messageId=message_id,
            campaignId=campaign_id,
            status=status,
            createdBy=created_by,
            source=source,
            before=None if before is None else format_datetime(before),
            after=None if after is None else format_datetime(after),
        )
        return self._page("GET /post", "/post", params, Post.from_api, page=page, count=count)

    def post_create(
        self,
        *,
        message_id: str,
        credential_ids: Sequence[str],
        start_at: datetime | None = None,
        status: str | None = None,
        first_comment: FirstCommentInput | None = None,
        workflow_id: str | None = None,
        targeting_preset_id: str | None = None,
    ) -> Post:
        """Schedule ``message_id`` on the profiles. Raises AmbiguousWriteError if the answer
        was lost: check ``post_list(message_id=...)`` before creating again.

        ``first_comment`` is LinkedIn only: Oktopost refuses it when no profile is LinkedIn.
        ``workflow_id`` (``cwf…``) sends the post into an approval workflow and
        ``targeting_preset_id`` sets LinkedIn audience targeting (SDK-1.1)."""
        data = drop_none(
            messageId=message_id,
            credentialIds=join_ids(credential_ids, "credential_ids", required=True),
            startDateTime=None if start_at is None else epoch(start_at),
            status=status,
            workflowId=workflow_id,
            targetingPresetId=targeting_preset_id,
        )
        data |= _first_comment_fields(first_comment)
        call = "POST /post"
        return Post.from_api(
            member(self._request("POST", "/post", call=call, data=data), "Post", call), call=call
        )

    def post_update(
        self,
        post_id: str,
        *,
        start_at: datetime | None = None,
        credential_ids: Sequence[str] | None = None,
        message_id: str | None = None,
        status: str | None = None,
        first_comment: FirstCommentInput | None = None,
        remove_first_comment: bool = False,
        targeting_preset_id: str | None = None,
    ) -> Post:
        """Change an unsent post; only the arguments given are sent.

        ``first_comment`` sets (replaces) the LinkedIn first comment; ``remove_first_comment``
        sends ``firstComment=null``, which removes it. The two cannot go together."""
        if first_comment is not None and remove_first_comment:
            raise ValueError("give first_comment or remove_first_comment, not both")
        data = drop_none(
            startDateTime=None if start_at is None else epoch(start_at),
            credentialIds=None
            if credential_ids is None
            else join_ids(credential_ids, "credential_ids", required=True),
            messageId=message_id,
            status=status,
            targetingPresetId=targeting_preset_id,
        )
        data |= _first_comment_fields(first_comment)
        if remove_first_comment:
            data["firstComment"] = "null"
        if not data:
            raise ValueError("post_update needs at least one field to change")
        call = "POST /post/{id}"
        body = self._request("POST", f"/post/{segment(post_id)}", call=call, data=data)
        return Post.from_api(member(body, "Post", call), call=call)

    def post_delete(self, post_id: str) -> None:
        self._request("DELETE", f"/post/{segment(post_id)}", call="DELETE /post/{id}")

    def post_change_campaign(self, post_id: str, *, campaign_id: str) -> Post:
        """Move a post to another campaign (``POST /post/{id}/change-campaign``, SDK-1.1);
        Oktopost's fix for a post filed under the wrong campaign."""
        call = "POST /post/{id}/change-campaign"
        body = self._request(
            "POST",
            f"/post/{segment(post_id)}/change-campaign",
            call=call,
            data={"campaignId": required(campaign_id, "campaign_id")},
        )
        return Post.from_api(member(body, "Post", call), call=call)

    # -- postlogs ------------------------------------------------------------------------

    def postlog_list(self, post_id: str) -> list[Postlog]:
        """Delivery attempts of a post; this endpoint has its own envelope (§3)."""
        call = "GET /postlog"
        body = self._request("GET", "/postlog", call=call, params={"postId": post_id})
        return [
            Postlog.from_api(item, call=call, where=f"Postlogs[{i}]")
            for i, item in enumerate(list_member(body, "Postlogs", call))
        ]


def _first_comment_fields(first_comment: FirstCommentInput | None) -> dict[str, str]:
    """PHP bracket notation, as the SDK sends objects (API reference §1 "Arrays/objects")."""
    if first_comment is None:
        return {}
    text = first_comment.text or ""
    if not text.strip() and not first_comment.media_id:
        raise ValueError("a first comment needs text or an image")
    if len(text) > FIRST_COMMENT_MAX:
        raise ValueError(
            f"a first comment has at most {FIRST_COMMENT_MAX} characters, got {len(text)}"
        )
    fields = {"firstComment[text]": text}
    if first_comment.media_id:
        fields["firstComment[media]"] = first_comment.media_id
    return fields
