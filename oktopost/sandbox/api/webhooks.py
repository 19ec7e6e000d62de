"""/v2/webhook and /v2/webhook-log: webhook registrations and their deliveries.

Fields `event, name, url, description, isEnabled, isHidden` (API reference §8, DOC-wh);
update is `POST /webhook/{id}` (SDK 1.0.2 `resources/events/webhooks.ts`); the list
pages by 20/25/50/100 (SDK `types/events.ts` as quoted in the reference). One event per
webhook. The secret is the sandbox's choice (docs/oktopost.md): `secret` may be sent on
create or update, otherwise one is made, and the Webhook object shows it as `Secret`.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from oktopost.sandbox.api.common import Handlers, Params, Payload, flag
from oktopost.sandbox.records import ApiError, fmt
from oktopost.sandbox.webhooks import new_id

# SDK `src/webhooks/index.ts`, WebhookEventType.
EVENTS = (
    "newAdvocacyMessage",
    "newAdvocacyStory",
    "newAdvocacyTopic",
    "postCreated",
    "postModified",
    "postDeleted",
    "postSent",
    "newInboxItem",
    "newCommentOnInboxItem",
    "newDirectMessageOnInboxItem",
    "inboxItemReplied",
    "newNoteOnInboxItem",
    "newInboxItemAssignment",
    "inboxItemStatusChange",
    "inboxItemTagChange",
    "newConversation",
    "conversationUpdated",
    "conversationStatusUpdated",
    "newNoteOnConversation",
    "newAssignment",
    "newLead",
    "newLeadActivity",
    "newConversion",
    "newApprovalItem",
    "approvalItemApproved",
    "approvalItemRejected",
    "newCampaign",
)
WEBHOOK_PAGE_SIZES = (20, 25, 50, 100)
SECRET_MIN = 16


class WebhookHandlers(Handlers):
    def webhook_list(self, *, query: Params, **_: Any) -> Payload:
        raw_page, raw_count = query.get("_page") or "0", query.get("_count") or "20"
        if not raw_page.isdigit():
            raise ApiError.fields({"_page": f"Page {raw_page} is not valid."})
        if not raw_count.isdigit() or int(raw_count) not in WEBHOOK_PAGE_SIZES:
            raise ApiError.fields({"_count": f"Page size {raw_count} is not valid."})
        page, count = int(raw_page), int(raw_count)
        items = sorted(self.world.webhooks.values(), key=lambda w: w["Id"])
        chosen = items[page * count : (page + 1) * count]
        return {
            "Result": True,
            "Items": [self.render_webhook(w) for w in chosen],
            "Total": len(items),
        }

    def webhook_get(self, webhook_id: str, **_: Any) -> Payload:
        return {"Result": True, "Webhook": self.render_webhook(self.find_webhook(webhook_id))}

    def webhook_create(self, *, params: Params, **_: Any) -> Payload:
        missing = {
            n: f"{n} is required." for n in ("event", "url") if not params.get(n, "").strip()
        }
        if missing:
            raise ApiError.fields(missing)
        values = self.webhook_values(params)
        now = self.world.now()
        webhook = {
            "Id": new_id(self.world, "webhook", "0WH"),
            "Created": now,
            "Modified": now,
            "CreatedBy": self.world.api_user_id,
            "Event": "",
            "Name": "",
            "Url": "",
            "Description": "",
            "IsEnabled": 1,
            "IsHidden": 0,
            "Secret": secrets.token_hex(20),
        } | values
        self.world.webhooks[webhook["Id"]] = webhook
        return {"Result": True, "Webhook": self.render_webhook(webhook)}

    def webhook_update(self, webhook_id: str, *, params: Params, **_: Any) -> Payload:
        webhook = self.find_webhook(webhook_id)
        webhook.update(self.webhook_values(params), Modified=self.world.now())
        return {"Result": True, "Webhook": self.render_webhook(webhook)}

    def webhook_delete(self, webhook_id: str, **_: Any) -> Payload:
        self.find_webhook(webhook_id)
        del self.world.webhooks[webhook_id]
        return {"Result": True}

    def webhook_log(self, webhook_id: str, *, query: Params, **_: Any) -> Payload:
        self.find_webhook(webhook_id)
        entries = list(reversed(self.world.webhook_logs.get(webhook_id, [])))
        return {"Result": True, "Items": entries, "Total": len(entries)}

    def webhook_values(self, params: Params) -> dict[str, Any]:
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        if "event" in params:
            if params["event"] in EVENTS:
                values["Event"] = params["event"]
            else:
                errors["event"] = f"Event {params['event']} is not valid."
        if "url" in params:
            url = params["url"].strip()
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                errors["url"] = "url must be an http(s) address."
            values["Url"] = url
        for name, key in (("name", "Name"), ("description", "Description")):
            if name in params:
                values[key] = params[name]
        for name, key in (("isEnabled", "IsEnabled"), ("isHidden", "IsHidden")):
            if name in params:
                values[key] = int(flag(params[name]))
        if "secret" in params:
            if len(params["secret"]) < SECRET_MIN:
                errors["secret"] = f"secret must have at least {SECRET_MIN} characters."
            values["Secret"] = params["secret"]
        if errors:
            raise ApiError.fields(errors)
        return values

    def find_webhook(self, webhook_id: str) -> dict[str, Any]:
        webhook = self.world.webhooks.get(webhook_id)
        if webhook is None:
            raise ApiError.api(404, "Webhook not found")
        return webhook

    def render_webhook(self, webhook: dict[str, Any]) -> Payload:
        return webhook | {"Created": fmt(webhook["Created"]), "Modified": fmt(webhook["Modified"])}
