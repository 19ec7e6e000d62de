"""The client's message calls: `/message`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from oktopost.calls.params import drop_none, join_ids, paging, segment
from oktopost.transport import Transport, member
from oktopost.types import Message, Page

# Lists of ids in one ``GET /message?ids=`` call (API reference §5).
MESSAGE_IDS_PER_CALL = 100


class MessageCalls(Transport):
    """Messages (mixed into `OktopostClient`)."""

    def message_list(
        self,
        *,
        campaign_id: str | None = None,
        ids: Sequence[str] | None = None,
        network: str | None = None,
        page: int = 0,
        count: int = 100,
        with_tags: bool = False,
    ) -> Page[Message]:
        """Messages of a campaign, or up to 100 messages by id (Oktopost needs one of them).
        ``with_tags`` asks for each message's tag ids (``Message.tags``)."""
        if campaign_id is None and not ids:
            raise ValueError("message_list needs campaign_id or ids")
        if ids is not None and len(ids) > MESSAGE_IDS_PER_CALL:
            raise ValueError(f"at most {MESSAGE_IDS_PER_CALL} ids per call; use messages_by_ids")
        params = paging(page, count) | drop_none(
            campaignId=campaign_id,
            ids=None if not ids else join_ids(ids, "ids"),
            network=network,
            withTags=1 if with_tags else None,
        )
        return self._page(
            "GET /message", "/message", params, Message.from_api, page=page, count=count
        )

    def messages_by_ids(self, ids: Iterable[str], *, with_tags: bool = False) -> list[Message]:
        """The messages among ``ids`` that exist, one call per 100 ids, in API order."""
        unique = list(dict.fromkeys(ids))
        found: list[Message] = []
        for start in range(0, len(unique), MESSAGE_IDS_PER_CALL):
            batch = unique[start : start + MESSAGE_IDS_PER_CALL]
            found.extend(self.message_list(ids=batch, count=100, with_tags=with_tags).items)
        return found

    def message_get(self, message_id: str, *, with_tags: bool = False) -> Message:
        call = "GET /message/{id}"
        body = self._request(
            "GET",
            f"/message/{segment(message_id)}",
            call=call,
            params={"withTags": 1} if with_tags else None,
        )
        return Message.from_api(member(body, "Message", call), call=call)

    def message_create(
        self,
        *,
        network: str,
        campaign_id: str,
        text: str,
        link_url: str | None = None,
        link_title: str | None = None,
        description: str | None = None,
        image_url: str | None = None,
        title: str | None = None,
        media_ids: Sequence[str] | None = None,
        tag_ids: Sequence[str] | None = None,
    ) -> Message:
        """Create a message. Raises AmbiguousWriteError if the answer was lost.

        ``media_ids`` are media library items (``026…``) sent as ``media``, comma-joined;
        ``tag_ids`` (``0AF…``) its tags, else it takes its campaign's."""
        data = drop_none(
            network=network,
            campaignId=campaign_id,
            message=text,
            linkUrl=link_url,
            linkTitle=link_title,
            description=description,
            imageUrl=image_url,
            title=title,
            media=None if not media_ids else join_ids(media_ids, "media_ids"),
            tagIds=None if tag_ids is None else join_ids(tag_ids, "tag_ids"),
        )
        call = "POST /message"
        body = self._request("POST", "/message", call=call, data=data)
        return Message.from_api(member(body, "Message", call), call=call)

    def message_update(
        self,
        message_id: str,
        *,
        text: str | None = None,
        link_url: str | None = None,
        link_title: str | None = None,
        description: str | None = None,
        image_url: str | None = None,
        media_ids: Sequence[str] | None = None,
        tag_ids: Sequence[str] | None = None,
    ) -> Message:
        """Change a message; only the arguments given are sent. Each link field may change
        alone (SDK UpdateMessageParams; docs/oktopost.md "Message update"). ``media_ids=[]``
        and ``tag_ids=[]`` remove them all. Raises AmbiguousWriteError if the answer was
        lost."""
        data = drop_none(
            message=text,
            linkUrl=link_url,
            linkTitle=link_title,
            description=description,
            imageUrl=image_url,
            media=None if media_ids is None else join_ids(media_ids, "media_ids"),
            tagIds=None if tag_ids is None else join_ids(tag_ids, "tag_ids"),
        )
        if not data:
            raise ValueError("message_update needs at least one field to change")
        call = "POST /message/{id}"
        body = self._request("POST", f"/message/{segment(message_id)}", call=call, data=data)
        return Message.from_api(member(body, "Message", call), call=call)

    def message_delete(self, message_id: str) -> None:
        """Delete a message; the posts made from it stay (MCPREF delete_message)."""
        self._request("DELETE", f"/message/{segment(message_id)}", call="DELETE /message/{id}")
