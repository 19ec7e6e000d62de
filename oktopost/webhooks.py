"""Oktopost webhooks: the `/webhook` and `/webhook-log` calls (a mixin of the client), their
types, and the signature a delivery carries.

Sources (docs/oktopost.md, "Webhooks"): fields `event, name, url, description, isEnabled,
isHidden` and `/webhook-log/{id}` (API reference §8, DOC-wh); update is
`POST /webhook/{id}` (SDK 1.0.2 `resources/events/webhooks.ts`); a delivery's body is
`{event, timestamp, webhookId, data}`, signed with HMAC-SHA1 of the raw body keyed with the
webhook's secret, hex, in `X-Oktopost-Signature` (SDK `src/webhooks/index.ts`); an older
help article names the header `X-Oktopost-Secret` (KB-wh).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oktopost.transport import Transport, list_member, member
from oktopost.types.base import Reader

SIGNATURE_HEADERS = ("X-Oktopost-Signature", "X-Oktopost-Secret")
# The events oktodash applies to its mirror.
POST_EVENTS = ("postCreated", "postModified", "postDeleted", "postSent")
WEBHOOK_PAGE_SIZE = 100


def signature(body: bytes, secret: str) -> str:
    """HMAC-SHA1 of the raw body keyed with the secret, lowercase hex."""
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def signature_valid(body: bytes, given: str, secrets: list[str]) -> bool:
    """True when `given` is the body's signature under one of `secrets` (the current one
    and, during a rotation, the previous one), compared in constant time. The SDK
    lowercases both sides; so do we. Every secret is tried, so the time does not tell
    which matched."""
    given_bytes = given.strip().lower().encode()
    matched = False
    for secret in secrets:
        expected = signature(body, secret).encode()
        matched |= hmac.compare_digest(expected, given_bytes)
    return matched


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    event: str
    name: str
    url: str
    description: str
    enabled: bool
    hidden: bool
    created: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Webhook") -> Webhook:
        r = Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            event=r.text("Event"),
            name=r.text("Name"),
            url=r.text("Url"),
            description=r.text("Description"),
            enabled=r.flag("IsEnabled"),
            hidden=r.flag("IsHidden"),
            created=r.when("Created"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One entry of `/webhook-log/{id}`; `raw` keeps whatever else Oktopost says."""

    id: str
    event: str
    created: datetime | None
    status: str
    response_code: int | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Items") -> WebhookDelivery:
        r = Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id"),
            event=r.text("Event"),
            created=r.when("Created"),
            status=r.text("Status"),
            # null until a delivery got an answer
            response_code=r.integer("ResponseCode") if r.raw.get("ResponseCode") else None,
            raw=r.raw,
        )


class WebhookCalls(Transport):
    """The client's webhook calls (mixed into `OktopostClient`)."""

    def webhook_list(self) -> list[Webhook]:
        call = "GET /webhook"
        found: list[Webhook] = []
        page = 0
        while True:
            params = {"_page": page, "_count": WEBHOOK_PAGE_SIZE}
            body = self._request("GET", "/webhook", call=call, params=params)
            items = list_member(body, "Items", call)
            found += [Webhook.from_api(item, call=call, where="Items") for item in items]
            if len(items) < WEBHOOK_PAGE_SIZE:
                return found
            page += 1

    def webhook_create(
        self, *, event: str, url: str, name: str, secret: str, description: str = ""
    ) -> Webhook:
        """`secret` is sent as a field: the sources do not say how a webhook's secret is
        chosen (docs/oktopost.md); the answer's `Secret`, if any, is the one to use."""
        call = "POST /webhook"
        data = {
            "event": event,
            "url": url,
            "name": name,
            "description": description,
            "isEnabled": 1,
            "secret": secret,
        }
        body = self._request("POST", "/webhook", call=call, data=data)
        return Webhook.from_api(member(body, "Webhook", call), call=call)

    def webhook_update(self, webhook_id: str, **fields: Any) -> Webhook:
        """Fields by their API names (`url`, `isEnabled`, `secret`, ...)."""
        call = "POST /webhook/{id}"
        body = self._request("POST", f"/webhook/{webhook_id}", call=call, data=fields)
        return Webhook.from_api(member(body, "Webhook", call), call=call)

    def webhook_delete(self, webhook_id: str) -> None:
        self._request("DELETE", f"/webhook/{webhook_id}", call="DELETE /webhook/{id}")

    def webhook_log(self, webhook_id: str) -> list[WebhookDelivery]:
        call = "GET /webhook-log/{id}"
        body = self._request("GET", f"/webhook-log/{webhook_id}", call=call)
        return [WebhookDelivery.from_api(i, call=call) for i in list_member(body, "Items", call)]
