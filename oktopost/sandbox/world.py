"""The sandbox's data: an Oktopost account with campaigns, profiles, messages, posts, postlogs.

Everything here is plain Python guarded by the server's lock; nothing runs in the
background. Posts are sent lazily: `tick()` runs before every request and sends
the scheduled posts whose StartDateTime has passed, in start order.

The records it holds are in `records`; `generate` builds a new world and `persist` saves
and loads one.
"""

from __future__ import annotations

import hashlib
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable
from typing import Any

from oktopost.demo import content
from oktopost.sandbox.engagement import POSTLOG_EXTRA_STAT_KEYS, STAT_KEYS, ceilings, grown
from oktopost.sandbox.indexes import PostIndexes
from oktopost.sandbox.records import (
    FILTER_FIELDS,
    ORDER_FIELDS,
    SCHEDULED,
    SENT,
    WRITABLE_STATUSES,
    Message,
    Post,
    Postlog,
    make_id,
)
from oktopost.sandbox.workflows import Approvals

COUNTERS = (
    "post",
    "message",
    "postlog",
    "link",
    "media",
    "upload",
    "comment",
    "campaign",
    "tag",
    "team",
    "event",
)


class World(PostIndexes):
    """One Oktopost account and everything in it, with the indexes the post list needs."""

    def __init__(self, *, seed: int, account_id: str, anchor: int) -> None:
        self.seed = seed
        self.account_id = account_id
        # Midnight UTC of the generation day: the world is laid out around it.
        self.anchor = anchor
        self.offset = 0.0
        # Real time stands still while frozen, so tests can compare growing stats.
        self.frozen_at: float | None = None
        self.counters: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        self.account_name = content.ACCOUNT_NAME
        self.users: list[dict[str, Any]] = []
        self.campaigns: dict[str, dict[str, Any]] = {}
        # Campaign id -> its tag ids (0AF…), in order.
        self.campaign_tags: dict[str, list[str]] = {}
        # Tags (0AF…): {"Id", "Created", "Tag", "LastUsed"} (Unix seconds or None).
        self.tags: dict[str, dict[str, Any]] = {}
        # Teams: {"Id", "Created", "Modified", "Name"}.
        self.teams: dict[str, dict[str, Any]] = {}
        # Calendar notes (custom events, 0CE…): {"Id", "Created", "Modified", "Title",
        # "Description", "Color", "Start", "End", "CampaignIds"}; times in Unix seconds.
        self.events: dict[str, dict[str, Any]] = {}
        self.credentials: dict[str, dict[str, Any]] = {}
        # When a now-invalid profile lost its token; sends after that fail.
        self.invalid_since: dict[str, int] = {}
        self.messages: dict[str, Message] = {}
        self.posts: dict[str, Post] = {}
        self.postlogs: dict[str, Postlog] = {}
        self.order_index: dict[str, list[tuple[int, str]]] = {a: [] for a in ORDER_FIELDS.values()}
        self.field_index: dict[str, dict[str, set[str]]] = {a: {} for a in FILTER_FIELDS.values()}
        self.messages_by_campaign: dict[str, list[str]] = {}
        # Media library (026…) as API-shaped dicts minus rendering, their bytes (files
        # the sandbox stores and serves at /files), and uploads (027…).
        self.media: dict[str, dict[str, Any]] = {}
        self.blobs: dict[str, bytes] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        # (StartDateTime, id) of posts that will go out when due, oldest first.
        self.unsent: list[tuple[int, str]] = []
        # Per-postlog stat ceilings; computing them hashes, and campaign totals need many.
        self._stat_caps: dict[str, dict[str, float]] = {}
        self._summaries: dict[str, tuple[tuple[int, int], dict[str, int], dict[str, int]]] = {}
        # Approval workflows; a post an item holds stays out of `unsent`.
        self.approvals = Approvals()
        # Bumped on every change so the state file is rewritten only when needed.
        self.version = 0
        # Webhooks (oktopost/sandbox/webhooks.py): registrations, delivery logs, and the
        # hook each post change is reported to. Not saved in the state file.
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.webhook_logs: dict[str, list[dict[str, Any]]] = {}
        self.on_event: Callable[[str, Post], None] | None = None

    def emit(self, event: str, post: Post) -> None:
        if self.on_event is not None:
            self.on_event(event, post)

    # ----------------------------------------------------------------- clock

    def now(self) -> int:
        if self.frozen_at is not None:
            return int(self.frozen_at + self.offset)
        return int(time.time() + self.offset)

    @property
    def api_user_id(self) -> str:
        return self.users[0]["Id"]

    def next_id(self, kind: str, prefix: str) -> str:
        self.counters[kind] += 1
        return make_id(prefix, self.counters[kind])

    # ---------------------------------------------------------------- media

    def add_media(
        self,
        *,
        kind: str,
        name: str,
        mime_type: str,
        size: int,
        user_id: str,
        at: int | None = None,
        data: bytes | None = None,
        resource: str = "",
    ) -> dict[str, Any]:
        """A new media library item. Stored files keep their bytes in `blobs`; an
        ImageUrl item points at `resource` instead."""
        now = self.now() if at is None else at
        media_id = self.next_id("media", "026")
        item = {
            "Id": media_id,
            "Created": now,
            "Modified": now,
            "CreatedBy": user_id,
            "Type": kind,
            "Size": size,
            "Name": name,
            "Description": "",
            "MimeType": mime_type,
            "Resource": resource,
        }
        self.media[media_id] = item
        if data is not None:
            self.blobs[media_id] = data
        self.version += 1
        return item

    def delete_media(self, media_id: str) -> None:
        self.media.pop(media_id, None)
        self.blobs.pop(media_id, None)
        self.version += 1

    # -------------------------------------------------------------- sending

    def tick(self) -> int:
        """Send every scheduled post whose StartDateTime has passed; returns how many."""
        now = self.now()
        end = bisect_right(self.unsent, (now, "\uffff"))
        if not end:
            return 0
        due = self.unsent[:end]
        del self.unsent[:end]
        moved: list[tuple[int, str]] = []
        for start, post_id in due:
            post = self.posts[post_id]
            moved.append((post.modified, post_id))
            self._set_status_index(post, self.deliver(post, start))
        self._move_modified(moved)
        self.version += 1
        return len(due)

    def send_now(
        self, post: Post, *, status: str | None = None, errors: dict[str, str] | None = None
    ) -> None:
        """Send a post at once (control API), as "Post now" in Oktopost does; `errors`
        makes the named profiles fail with that text and no other fail by chance (a
        disconnected one still fails)."""
        now = self.now()
        self._index_remove(post)
        post.start = now
        self.deliver(post, now, forced=status, errors=errors)
        self._index_add(post)
        self.version += 1

    def deliver(
        self, post: Post, at: int, forced: str | None = None, errors: dict[str, str] | None = None
    ) -> str:
        """Publish to each profile; status and Modified follow the per-profile outcome."""
        message = self.messages.get(post.message_id)
        ok = 0
        for cred_id in post.credentials:
            cred = self.credentials.get(cred_id)
            digest = self.digest("send", post.id, cred_id)
            error = ""
            since = self.invalid_since.get(cred_id)
            if errors and cred_id in errors:
                error = errors[cred_id]
            elif cred is None or (cred["Status"] == "invalid" and (since is None or since <= at)):
                error = content.INVALID_TOKEN_ERRORS[post.network]
            elif errors is None and digest % 1000 < 35:
                errors = content.NETWORK_ERRORS[post.network]
                error = errors[(digest >> 10) % len(errors)]
            remote_id = remote_url = ""
            if not error:
                ok += 1
                username = cred["NetworkUsername"] if cred else ""
                remote_id, remote_url = content.remote_post(post.network, username, digest >> 16)
            link_ids = [self.next_id("link", "008")] if message and message.link_url else []
            log = Postlog(
                id=self.next_id("postlog", "007"),
                post_id=post.id,
                campaign_id=post.campaign_id,
                message_id=post.message_id,
                credential_id=cred_id,
                created=at,
                status="failed" if error else "success",
                network=post.network,
                remote_id=remote_id,
                remote_url=remote_url,
                error=error,
                link_ids=link_ids,
            )
            self.postlogs[log.id] = log
            post.logs.append(log.id)
        old_status = post.status
        if forced is not None:
            post.status = forced
        elif ok == len(post.credentials):
            post.status = "complete"
        else:
            post.status = "error" if ok == 0 else "incomplete"
        post.sent_at = at
        post.modified = at
        self.emit("postSent", post)
        return old_status

    # ---------------------------------------------------------------- stats

    def digest(self, *parts: str) -> int:
        raw = "|".join((str(self.seed), *parts)).encode()
        return int.from_bytes(hashlib.blake2b(raw, digest_size=16).digest(), "big")

    def postlog_stats(self, log: Postlog, now: int, *, extra: bool = False) -> dict[str, int]:
        """Counters that only grow with time since sending; a pure function of the ids."""
        keys = STAT_KEYS + (POSTLOG_EXTRA_STAT_KEYS if extra else ())
        if log.status != "success":
            return dict.fromkeys(keys, 0)
        return grown(self.postlog_caps(log), now - log.created, keys)

    def postlog_caps(self, log: Postlog) -> dict[str, float]:
        """What a delivered postlog's counters tend to (see `engagement.ceilings`)."""
        caps = self._stat_caps.get(log.id)
        if caps is None:
            digest = self.digest("stats", log.post_id, log.credential_id)
            caps = self._stat_caps[log.id] = ceilings(digest, log.network)
        return caps

    def post_stats(self, post: Post, now: int) -> dict[str, int]:
        total = dict.fromkeys(STAT_KEYS, 0)
        for log_id in post.logs:
            for key, value in self.postlog_stats(self.postlogs[log_id], now).items():
                total[key] += value
        return total

    # ---------------------------------------------------------------- posts

    def create_post(
        self,
        *,
        message_id: str,
        credentials: tuple[str, ...],
        start: int,
        status: str,
        user_id: str,
        source: str = "API",
        first_comment: dict[str, Any] | None = None,
    ) -> Post:
        message = self.messages[message_id]
        now = self.now()
        post = Post(
            id=self.next_id("post", "004"),
            created=now,
            modified=now,
            status=status,
            created_by=user_id,
            modified_by=user_id,
            source=source,
            queued=int(status in ("inqueue", "inqueue-draft")),
            campaign_id=message.campaign_id,
            message_id=message.id,
            network=message.network,
            start=start,
            credentials=credentials,
            first_comment=first_comment,
        )
        self.posts[post.id] = post
        self._index_add(post)
        self.version += 1
        self.emit("postCreated", post)
        return post

    def update_post(self, post: Post, *, user_id: str, **changes: Any) -> None:
        if "message_id" in changes:
            message = self.messages[changes["message_id"]]
            changes["campaign_id"] = message.campaign_id
            changes["network"] = message.network
        if "status" in changes and changes["status"] in WRITABLE_STATUSES:
            changes["queued"] = int(changes["status"] in ("inqueue", "inqueue-draft"))
        self._change(post, modified=self.now(), modified_by=user_id, **changes)
        self.emit("postModified", post)

    def crowd(self, *, attr: str, count: int, at: int) -> list[str]:
        """Give the `count` posts newest by `attr` the same second `at`, as a bulk import
        or bulk edit does (Oktopost's times have a resolution of one second)."""
        chosen = [pid for _, pid in self.order_index[attr][-count:]] if count else []
        for pid in chosen:
            post = self.posts[pid]
            changes = {attr: at}
            # Created never follows Modified.
            if attr == "created" and post.modified < at:
                changes["modified"] = at
            if attr == "modified" and post.created > at:
                changes["created"] = at
            self._change(post, **changes)
        return chosen

    def delete_post(self, post: Post) -> None:
        self._index_remove(post)
        del self.posts[post.id]
        for log_id in post.logs:
            self.postlogs.pop(log_id, None)
        self.version += 1
        self.emit("postDeleted", post)

    # ------------------------------------------------------------- messages

    def create_message(self, *, user_id: str, **values: Any) -> Message:
        now = self.now()
        message = Message(
            id=self.next_id("message", "005"),
            created=now,
            modified=now,
            created_by=user_id,
            modified_by=user_id,
            **values,
        )
        self.messages[message.id] = message
        self.messages_by_campaign.setdefault(message.campaign_id, []).append(message.id)
        self.version += 1
        return message

    def update_message(self, message: Message, *, user_id: str, **values: Any) -> None:
        if "campaign_id" in values and values["campaign_id"] != message.campaign_id:
            self.messages_by_campaign[message.campaign_id].remove(message.id)
            self.messages_by_campaign.setdefault(values["campaign_id"], []).append(message.id)
        for name, value in values.items():
            setattr(message, name, value)
        message.modified = self.now()
        message.modified_by = user_id
        self.version += 1

    def delete_message(self, message: Message) -> None:
        """Oktopost keeps the posts made from a deleted message (MCPREF delete_message)."""
        del self.messages[message.id]
        pool = self.messages_by_campaign.get(message.campaign_id, [])
        if message.id in pool:
            pool.remove(message.id)
        self.version += 1

    def message_tags(self, message: Message) -> list[str]:
        """A message's tag ids; one saved before messages had their own inherits its
        campaign's (API reference §5: without tagIds a message takes the campaign's)."""
        if message.tag_ids is None:
            return list(self.campaign_tags.get(message.campaign_id, []))
        return list(message.tag_ids)

    def touch_tags(self, tag_ids: Iterable[str], at: int) -> None:
        """Tags just attached to something: their LastUsedDate moves to `at`."""
        for tag_id in tag_ids:
            tag = self.tags.get(tag_id)
            if tag is not None and (tag["LastUsed"] is None or tag["LastUsed"] < at):
                tag["LastUsed"] = at

    def change_campaign(self, post: Post, campaign_id: str, *, user_id: str) -> None:
        self._change(post, campaign_id=campaign_id, modified=self.now(), modified_by=user_id)

    def message_posts(self, message_id: str) -> Iterable[Post]:
        return (self.posts[p] for p in self.field_index["message_id"].get(message_id, ()))

    def campaign_summary(self, campaign_id: str) -> tuple[dict[str, int], dict[str, int]]:
        """Post counts by kind and summed stats of a campaign, memoised per second.

        Summing tens of thousands of posts costs a noticeable fraction of a second,
        and a campaign list asks for every campaign at once.
        """
        now = self.now()
        cached = self._summaries.get(campaign_id)
        if cached and cached[0] == (self.version, now):
            return cached[1], cached[2]
        counts = {"posts": 0, "pending": 0, "drafts": 0, "sent": 0}
        totals = dict.fromkeys(STAT_KEYS, 0)
        for post_id in self.field_index["campaign_id"].get(campaign_id, ()):
            post = self.posts[post_id]
            counts["posts"] += 1
            if post.status in SCHEDULED:
                counts["pending"] += 1
            elif post.status in SENT:
                counts["sent"] += 1
            else:
                counts["drafts"] += 1
            for log_id in post.logs:
                for key, value in self.postlog_stats(self.postlogs[log_id], now).items():
                    totals[key] += value
        self._summaries[campaign_id] = ((self.version, now), counts, totals)
        return counts, totals
