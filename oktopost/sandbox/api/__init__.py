"""The /v2 endpoints: request parameters in, Oktopost-shaped JSON out.

Shapes follow /work/shared/oktopost-api.md, the Posts API page and the official SDK's
types; choices where the sources are unsure are listed in docs/oktopost.md. Each
resource's handlers live in a module of their own; `Api` routes to them.
"""

from __future__ import annotations

from collections.abc import Callable

from oktopost.sandbox.api.account import AccountHandlers
from oktopost.sandbox.api.analytics import AnalyticsHandlers
from oktopost.sandbox.api.calendar import CalendarHandlers
from oktopost.sandbox.api.common import Params, Payload
from oktopost.sandbox.api.media import MediaHandlers
from oktopost.sandbox.api.messages import MessageHandlers
from oktopost.sandbox.api.posts import PostHandlers
from oktopost.sandbox.api.tags import TagHandlers
from oktopost.sandbox.api.webhooks import WebhookHandlers
from oktopost.sandbox.api.workflows import WorkflowHandlers
from oktopost.sandbox.records import ApiError

# (method, path template, handler name). `{id}` takes any one path segment and is passed
# to the handler; a literal segment wins over `{id}`.
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("GET", "me", "me"),
    ("GET", "post", "post_list"),
    ("POST", "post", "post_create"),
    ("GET", "post/{id}", "post_get"),
    ("POST", "post/{id}", "post_update"),
    ("DELETE", "post/{id}", "post_delete"),
    ("POST", "post/{id}/change-campaign", "post_change_campaign"),
    ("GET", "postlog", "postlog_list"),
    ("GET", "postlog/{id}", "postlog_get"),
    ("GET", "message", "message_list"),
    ("POST", "message", "message_create"),
    ("GET", "message/{id}", "message_get"),
    ("POST", "message/{id}", "message_update"),
    ("DELETE", "message/{id}", "message_delete"),
    ("GET", "campaign", "campaign_list"),
    ("POST", "campaign", "campaign_create"),
    ("GET", "campaign/{id}", "campaign_get"),
    ("POST", "campaign/{id}", "campaign_update"),
    ("GET", "credential", "credential_list"),
    ("GET", "credential/{id}", "credential_get"),
    ("GET", "user", "user_list"),
    ("GET", "user/{id}", "user_get"),
    ("GET", "team", "team_list"),
    ("GET", "team/{id}", "team_get"),
    ("GET", "tag", "tag_list"),
    ("POST", "tag", "tag_create"),
    ("GET", "tag/{id}", "tag_get"),
    ("POST", "tag/{id}", "tag_update"),
    ("DELETE", "tag/{id}", "tag_delete"),
    ("POST", "calendar", "calendar"),
    ("GET", "calendar/custom-events", "events_get"),
    ("POST", "calendar/custom-events", "event_create"),
    ("PUT", "calendar/custom-events", "event_update"),
    ("DELETE", "calendar/custom-events", "event_delete"),
    ("GET", "analytics/{id}", "analytics"),
    ("GET", "followers/{id}", "followers"),
    ("GET", "click", "click_list"),
    ("GET", "media", "media_list"),
    ("GET", "media/{id}", "media_get"),
    ("DELETE", "media/{id}", "media_delete"),
    ("GET", "upload", "upload_list"),
    ("POST", "upload", "upload_create"),
    ("GET", "upload/{id}", "upload_get"),
    ("GET", "video-validate/{id}", "video_validate"),
    ("GET", "webhook", "webhook_list"),
    ("POST", "webhook", "webhook_create"),
    ("GET", "webhook/{id}", "webhook_get"),
    ("POST", "webhook/{id}", "webhook_update"),
    ("DELETE", "webhook/{id}", "webhook_delete"),
    ("GET", "webhook-log/{id}", "webhook_log"),
    *WorkflowHandlers.ROUTES,
)
# POST /media is served by the Sandbox itself (it looks at the URL outside the lock).
SERVED_ELSEWHERE = (("POST", "media"),)


def match(method: str, path: str) -> tuple[str, str, list[str]] | None:
    """(template, handler name, the `{id}` segments) of a /v2 path, or None."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["v2"]:
        parts = parts[1:]
    best: tuple[int, str, str, list[str]] | None = None
    for verb, template, handler in ROUTES + tuple((m, t, "") for m, t in SERVED_ELSEWHERE):
        pieces = template.split("/")
        if verb != method or len(pieces) != len(parts):
            continue
        args = [part for piece, part in zip(pieces, parts, strict=True) if piece == "{id}"]
        if all(piece in ("{id}", part) for piece, part in zip(pieces, parts, strict=True)):
            literal = len(pieces) - len(args)
            if best is None or literal > best[0]:
                best = (literal, template, handler, args)
    return None if best is None else best[1:]


def endpoint_name(method: str, path: str) -> str:
    """ "GET /post/{id}": how the call log and the control API name a request."""
    found = match(method, path)
    if found is not None:
        return f"{method} /{found[0]}"
    parts = [p for p in path.split("/") if p][1:]
    return f"{method} /" + "/".join(parts[:1] + ["{id}"] * len(parts[1:]))


class Api(
    AccountHandlers,
    PostHandlers,
    MessageHandlers,
    MediaHandlers,
    TagHandlers,
    CalendarHandlers,
    AnalyticsHandlers,
    WebhookHandlers,
    WorkflowHandlers,
):
    """Routes one authenticated /v2 request to the world; the caller holds the lock."""

    def handle(self, method: str, path: str, query: Params, form: Params) -> tuple[int, Payload]:
        found = match(method, path)
        handler: Callable[..., Payload] | None = (
            getattr(self, found[1]) if found and found[1] else None
        )
        if found is None or handler is None:
            # An unknown route answers with an empty *array* of errors (PHP's empty map,
            # as OKC api-fallback.md reports for /v2/social-profile) and no text: what
            # tells it from an unknown id, which names the object (docs/oktopost.md).
            return 404, {"Result": False, "Errors": []}
        # GET reads the query string; the other verbs the form body (the SDK sends PUT
        # and DELETE bodies too), with the query string under it.
        params = query if method == "GET" else query | form
        try:
            return 200, handler(*found[2], query=query, params=params)
        except ApiError as error:
            return error.status, {"Result": False, "Errors": error.errors}
