"""The /v2 endpoints: request parameters in, Oktopost-shaped JSON out.

Shapes follow /work/shared/oktopost-api.md and the Posts API page; choices where
the sources are unsure are listed in docs/oktopost.md. Each resource's handlers live in
a module of their own (account, posts, messages, media); `Api` routes to them.
"""

from __future__ import annotations

from collections.abc import Callable

from oktopost.sandbox.api.account import AccountHandlers
from oktopost.sandbox.api.common import Params, Payload
from oktopost.sandbox.api.media import MediaHandlers
from oktopost.sandbox.api.messages import MessageHandlers
from oktopost.sandbox.api.posts import PostHandlers
from oktopost.sandbox.api.webhooks import WebhookHandlers
from oktopost.sandbox.records import ApiError


class Api(AccountHandlers, PostHandlers, MessageHandlers, MediaHandlers, WebhookHandlers):
    """Routes one authenticated /v2 request to the world; the caller holds the lock."""

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
            **self.webhook_routes(),
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
