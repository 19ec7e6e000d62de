"""Webhook deliveries: every post change the world reports becomes a signed POST to each
enabled webhook registered for its event, sent by one background thread and retried with
backoff when the receiver fails.

What is documented (API reference §8; the SDK's `src/webhooks/index.ts`): the body is
`{event, timestamp, webhookId, data}`, signed with HMAC-SHA1 of the raw body keyed with
the webhook's secret, hex, in `X-Oktopost-Signature`. What the sandbox chose where the
sources are silent (the payload of `data`, retries, ids) is listed in docs/oktopost.md.

Switches (`/_sandbox/webhooks`) make deliveries misbehave the way a real network or a
real sender can: twice, out of order, late, with a bad signature, not at all, with a slim
payload, or held back until released.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from oktopost.sandbox.records import Post, fmt

SIGNATURE_HEADER = "X-Oktopost-Signature"
# The older help-centre article's name for it (KB-wh); `header` switches to it.
LEGACY_HEADER = "X-Oktopost-Secret"
TIMEOUT = 5.0
LOG_KEEP = 200  # deliveries kept per webhook in /webhook-log


@dataclass
class Switches:
    """How deliveries misbehave; POST /_sandbox/webhooks changes any subset."""

    duplicate: bool = False  # every delivery is sent twice
    shuffle: bool = False  # deliveries released together go out in random order
    hold: bool = False  # keep deliveries queued until hold is switched off
    delay_ms: int = 0  # each delivery leaves this late
    bad_signature: bool = False  # the signature is computed with a wrong key
    drop: bool = False  # nothing is sent (the log says so)
    slim: bool = False  # `data` carries only the post's Id (the receiver must fetch)
    header: str = SIGNATURE_HEADER  # or LEGACY_HEADER
    retry_base: float = 1.0  # seconds before the first retry; doubles each time
    max_attempts: int = 6  # 1 + 5 retries (1, 2, 4, 8, 16 s with the default base)
    seed: int = 0

    @classmethod
    def update(cls, current: Switches, body: dict[str, Any]) -> Switches:
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(body) - set(known)
        if unknown:
            raise ValueError(f"unknown webhook switches: {sorted(unknown)}")
        values = asdict(current) | body
        if values["header"] not in (SIGNATURE_HEADER, LEGACY_HEADER):
            raise ValueError(f"header must be {SIGNATURE_HEADER} or {LEGACY_HEADER}")
        for name in ("delay_ms", "max_attempts", "seed"):
            values[name] = int(values[name])
        values["retry_base"] = float(values["retry_base"])
        if values["max_attempts"] < 1 or values["delay_ms"] < 0 or values["retry_base"] < 0:
            raise ValueError("max_attempts >= 1, delay_ms >= 0 and retry_base >= 0")
        return cls(**values)


@dataclass
class Delivery:
    webhook_id: str
    url: str
    secret: str
    event: str
    body: bytes
    attempt: int = 1
    log: dict[str, Any] | None = None


def new_id(world: Any, kind: str, prefix: str) -> str:
    """An id from the world's counters; webhooks keep theirs beside the generated ones."""
    world.counters.setdefault(kind, 0)
    return str(world.next_id(kind, prefix))


def sign(body: bytes, secret: str) -> str:
    """HMAC-SHA1 of the raw body keyed with the secret, lowercase hex (SDK webhooks)."""
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


class WebhookHub:
    """The queue of deliveries and the thread that sends them. The world reports changes
    under the sandbox's lock (`emit`); sending happens outside it."""

    def __init__(self, lock: threading.RLock, world: Callable[[], Any], render: Callable) -> None:
        self.lock = lock
        self.world = world  # the current world (it changes on reset)
        self.render = render  # Post -> Oktopost-shaped dict, at the world's now
        self.switches = Switches()
        self.held: list[Delivery] = []
        self.queue: list[tuple[float, int, Delivery]] = []
        self.counter = itertools.count()
        self.sent = 0
        self.wake = threading.Condition(lock)
        self.thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self.thread.start()

    def reset(self) -> None:
        with self.lock:
            self.switches = Switches()
            self.held.clear()
            self.queue.clear()
            self.sent = 0

    # -------------------------------------------------------------- producing

    def emit(self, event: str, post: Post) -> None:
        """One post change: a delivery per enabled webhook of that event. Called with the
        lock held, while the world's state is the state the event describes."""
        world = self.world()
        targets = [w for w in world.webhooks.values() if w["Event"] == event and w["IsEnabled"]]
        if not targets:
            return
        if event == "postDeleted" or self.switches.slim:
            data: dict[str, Any] = {"Id": post.id}
        else:
            data = self.render(post)
        now = world.now()
        for webhook in targets:
            payload = {
                "event": event,
                "timestamp": now,
                "webhookId": webhook["Id"],
                "data": data,
            }
            body = json.dumps(payload, separators=(",", ":")).encode()
            copies = 2 if self.switches.duplicate else 1
            for _ in range(copies):
                delivery = Delivery(webhook["Id"], webhook["Url"], webhook["Secret"], event, body)
                self._log(world, delivery, now)
                self._queue(delivery)

    def _log(self, world: Any, delivery: Delivery, now: int) -> None:
        entries = world.webhook_logs.setdefault(delivery.webhook_id, [])
        delivery.log = {
            "Id": new_id(world, "webhook_log", "0WL"),
            "WebhookId": delivery.webhook_id,
            "Event": delivery.event,
            "Created": fmt(now),
            "Status": "pending",
            "Attempts": 0,
            "ResponseCode": None,
            "Error": "",
        }
        entries.append(delivery.log)
        del entries[:-LOG_KEEP]

    def _queue(self, delivery: Delivery, due: float | None = None) -> None:
        if self.switches.hold and due is None:
            self.held.append(delivery)
            return
        when = time.monotonic() + self.switches.delay_ms / 1000 if due is None else due
        heapq.heappush(self.queue, (when, next(self.counter), delivery))
        self.wake.notify()

    def set_switches(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.switches = Switches.update(self.switches, body)
            if not self.switches.hold and self.held:
                released, self.held = self.held, []
                if self.switches.shuffle:
                    random.Random(self.switches.seed).shuffle(released)  # noqa: S311 (a test order)
                for delivery in released:
                    self._queue(delivery)
            return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        return asdict(self.switches) | {
            "held": len(self.held),
            "queued": len(self.queue),
            "sent": self.sent,
        }

    # -------------------------------------------------------------- sending

    def _run(self) -> None:
        while True:
            with self.lock:
                while not self.queue or self.queue[0][0] > time.monotonic():
                    timeout = self.queue[0][0] - time.monotonic() if self.queue else None
                    self.wake.wait(timeout)
                _, _, delivery = heapq.heappop(self.queue)
                switches = self.switches
            self._send(delivery, switches)

    def _send(self, delivery: Delivery, switches: Switches) -> None:
        code: int | None = None
        error = ""
        if switches.drop:
            error = "dropped (sandbox switch)"
        else:
            key = "not-the-secret" if switches.bad_signature else delivery.secret
            # Only http(s): the url was checked when the webhook was saved.
            request = urllib.request.Request(  # noqa: S310
                delivery.url,
                data=delivery.body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "OktopostSandbox-Webhooks/1.0",
                    switches.header: sign(delivery.body, key),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
                    code = answer.status
            except urllib.error.HTTPError as failed:
                code = failed.code
            except (OSError, ValueError) as failed:
                error = f"{type(failed).__name__}: {failed}"
        ok = code is not None and 200 <= code < 300
        with self.lock:
            self.sent += 1
            log = delivery.log or {}
            log.update(
                Attempts=delivery.attempt,
                ResponseCode=code,
                Error=error if not ok else "",
                Status="success" if ok else "failed",
            )
            # A refusal (4xx) is as final as success: the receiver said no.
            retry = not ok and not switches.drop and (code is None or code >= 500)
            if retry and delivery.attempt < switches.max_attempts:
                log["Status"] = "retrying"
                wait = switches.retry_base * 2 ** (delivery.attempt - 1)
                delivery.attempt += 1
                self._queue(delivery, due=time.monotonic() + wait)
