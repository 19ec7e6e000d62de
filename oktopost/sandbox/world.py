"""The sandbox's data: an Oktopost account with campaigns, profiles, messages, posts, postlogs.

Everything here is plain Python guarded by the server's lock; nothing runs in the
background. Posts are sent lazily: `tick()` runs before every request and sends
the scheduled posts whose StartDateTime has passed, in start order.
"""

from __future__ import annotations

import base64
import calendar
import functools
import hashlib
import itertools
import math
import random
import time
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from oktopost.demo import content

DAY = 86_400

STATUSES: tuple[str, ...] = (
    "pending",
    "inqueue",
    "inqueue-draft",
    "draft",
    "complete",
    "incomplete",
    "error",
)
# Statuses a client may set through POST /post (the Posts API page "Create Post").
WRITABLE_STATUSES: tuple[str, ...] = ("pending", "inqueue", "draft", "inqueue-draft")
# Only these go out when their time comes; drafts wait for a human.
SCHEDULED = frozenset({"pending", "inqueue"})
SENT = frozenset({"complete", "incomplete", "error"})
SOURCES: tuple[str, ...] = ("UI", "API", "Autoposter", "Bookmarklet", "Board", "Embedded")

# _order value -> Post attribute holding the timestamp it sorts on.
ORDER_FIELDS: dict[str, str] = {
    "created": "created",
    "modified": "modified",
    "startDateTime": "start",
}
# Post list filter -> Post attribute; each has a value -> ids index.
FILTER_FIELDS: dict[str, str] = {
    "messageId": "message_id",
    "campaignId": "campaign_id",
    "status": "status",
    "createdBy": "created_by",
    "source": "source",
}

ZERO_DATE = "0000-00-00 00:00:00"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
# Above this many changed rows a full re-sort beats one insort per row.
BULK_REINDEX = 256
COUNTERS = ("post", "message", "postlog", "link", "media", "upload", "comment")
# Demo media library: (name, top colour, bottom colour) of generated PNG pictures.
DEMO_IMAGES: tuple[tuple[str, tuple[int, int, int], tuple[int, int, int]], ...] = (
    ("launch-hero", (31, 64, 175), (96, 165, 250)),
    ("team-offsite", (180, 83, 9), (251, 191, 36)),
    ("dashboard-screenshot", (15, 118, 110), (94, 234, 212)),
    ("customer-quote", (126, 34, 206), (216, 180, 254)),
    ("webinar-card", (190, 18, 60), (253, 164, 175)),
    ("hiring-banner", (21, 128, 61), (134, 239, 172)),
    ("product-detail", (30, 41, 59), (148, 163, 184)),
    ("event-photo", (194, 65, 12), (253, 186, 116)),
    ("chart-q3", (3, 105, 161), (125, 211, 252)),
    ("office-view", (77, 124, 15), (190, 242, 100)),
    ("blog-cover", (159, 18, 57), (251, 113, 133)),
    ("case-study", (67, 56, 202), (165, 180, 252)),
)
DEMO_IMAGE_SIZE = (320, 180)


class ApiError(Exception):
    """An Oktopost error answer: HTTP status plus the `Errors` value of the envelope."""

    def __init__(self, status: int, errors: dict[str, Any] | list[Any]) -> None:
        super().__init__(status, errors)
        self.status = status
        self.errors = errors

    @classmethod
    def api(cls, status: int, message: str) -> ApiError:
        return cls(status, {"API": {"Error": message}})

    @classmethod
    def fields(cls, errors: dict[str, str]) -> ApiError:
        return cls(400, {key: {"Error": text} for key, text in errors.items()})


def fmt(ts: int | None) -> str:
    if ts is None:
        return ZERO_DATE
    return time.strftime(DATE_FORMAT, time.gmtime(ts))


def parse_datetime(value: str) -> int:
    """`YYYY-MM-DD HH:MM:SS` (UTC) to Unix seconds; ValueError otherwise."""
    return calendar.timegm(time.strptime(value, DATE_FORMAT))


def make_id(prefix: str, number: int) -> str:
    # Oktopost ids: 3-character type prefix + 12 digits (docs/oktopost.md "IDs").
    return f"{prefix}{number:012d}"


@dataclass(slots=True)
class Post:
    id: str
    created: int
    modified: int
    status: str
    created_by: str
    modified_by: str
    source: str
    queued: int
    campaign_id: str
    message_id: str
    network: str
    start: int
    credentials: tuple[str, ...]
    sent_at: int | None = None
    logs: list[str] = field(default_factory=list)
    # Set only through the control API: a scheduled post that never goes out.
    stuck: bool = False
    flag: str = "discussion"
    utm: str = ""
    # LinkedIn first comment: {"Id", "Text", "Media"} (a media id or ""), or None.
    first_comment: dict[str, Any] | None = None


@dataclass(slots=True)
class Postlog:
    id: str
    post_id: str
    campaign_id: str
    message_id: str
    credential_id: str
    created: int
    status: str
    network: str
    remote_id: str
    remote_url: str
    error: str
    link_ids: list[str]


@dataclass(slots=True)
class Message:
    id: str
    created: int
    modified: int
    created_by: str
    modified_by: str
    campaign_id: str
    network: str
    text: str
    subject: str = ""
    link_url: str = ""
    link_title: str = ""
    description: str = ""
    image_url: str = ""
    url: str = ""
    # Media library ids (026…) attached to the message, in order.
    media_ids: list[str] = field(default_factory=list)


POST_FIELDS = tuple(f.name for f in fields(Post))
POSTLOG_FIELDS = tuple(f.name for f in fields(Postlog))
MESSAGE_FIELDS = tuple(f.name for f in fields(Message))

STAT_KEYS = ("LinkClicks", "Conversions", "Comments", "Likes", "Shares", "ImpressionsAdded")
POSTLOG_EXTRA_STAT_KEYS = ("MediaClicksAdded", "DetailExpandsAdded", "UserFollowsAdded")
IMPRESSION_FACTOR = {"Twitter": 2.0, "LinkedIn": 3.0, "Facebook": 1.5, "Instagram": 2.0}


class World:
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
        self.campaign_tags: dict[str, list[str]] = {}
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
        # Bumped on every change so the state file is rewritten only when needed.
        self.version = 0

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

    # ----------------------------------------------------------- generation

    @classmethod
    def generate(cls, *, seed: int, posts: int, account_id: str, now: float) -> World:
        anchor = int(now) // DAY * DAY
        world = cls(seed=seed, account_id=account_id, anchor=anchor)
        # Same seed, same world: a seeded PRNG on purpose, not for secrets.
        rng = random.Random(seed)  # noqa: S311
        world._generate_people(rng)
        world._generate_campaigns(rng)
        world._generate_credentials(rng)
        world._generate_content(rng, posts)
        world._generate_media()
        world.version = 0
        return world

    def _generate_people(self, rng: random.Random) -> None:
        for number, (first, last) in enumerate(content.USERS, start=1):
            email_name = (first[0] + last).lower().replace("á", "a").replace("ñ", "n")
            self.users.append(
                {
                    "Id": make_id("00A", number),
                    "Name": f"{first} {last}",
                    "Email": f"{email_name}@northwind.example",
                    "LastLogin": fmt(self.anchor - rng.randint(600, 3 * DAY)),
                }
            )

    def _generate_campaigns(self, rng: random.Random) -> None:
        tag_pool = ["launch", "brand", "product", "customers", "events", "careers", "blog"]
        for number, (name, status, url, dated) in enumerate(content.CAMPAIGNS, start=1):
            cid = make_id("002", number)
            created = self.anchor - rng.randint(90, 400) * DAY
            start = self.anchor - 70 * DAY if dated else None
            end = (
                (self.anchor - 5 * DAY if status == "complete" else self.anchor + 40 * DAY)
                if dated
                else None
            )
            self.campaigns[cid] = {
                "Id": cid,
                "Created": created,
                "Modified": created + rng.randint(0, 60) * DAY,
                "Name": name,
                "Status": status,
                "CreatedBy": rng.choice(self.users)["Id"],
                "Url": url,
                "Color": f"#{rng.randrange(0x1000000):06x}",
                "ShortUrl": f"https://okt.to/{content.short_code(rng, 6)}",
                "StartDate": start,
                "EndDate": end,
            }
            self.campaign_tags[cid] = rng.sample(tag_pool, rng.randint(0, 2))
            self.messages_by_campaign[cid] = []

    def _generate_credentials(self, rng: random.Random) -> None:
        for network, display, username, valid in content.CREDENTIALS:
            # Compound credential id: 003-<account id>-<network-side number>.
            cred_id = f"003-{self.account_id}-{rng.randint(10_000_000, 999_999_999)}"
            self.credentials[cred_id] = {
                "Id": cred_id,
                "Created": fmt(self.anchor - rng.randint(200, 900) * DAY),
                "Name": display,
                "DisplayName": display,
                "Status": "valid" if valid else "invalid",
                "Network": network,
                "ImageLink": f"https://cdn.northwind.example/avatars/{username}.png",
                "NetworkUsername": username,
                "NativePostsEnabled": int(network in ("LinkedIn", "Facebook")),
            }
            if not valid:
                self.invalid_since[cred_id] = self.anchor - 10 * DAY

    def _generate_content(self, rng: random.Random, post_count: int) -> None:
        networks = list(content.NETWORKS)
        net_weights = [30, 35, 20, 10, 5]
        campaign_ids = list(self.campaigns)
        camp_weights = [5 if c["Status"] == "active" else 2 for c in self.campaigns.values()]
        creds_by_net: dict[str, list[str]] = {n: [] for n in networks}
        for cred in self.credentials.values():
            creds_by_net[cred["Network"]].append(cred["Id"])

        drafts: list[dict[str, Any]] = []
        # About two posts per message: messages are reused, but most only a few times.
        for _ in range(max(24, post_count // 2)):
            network = rng.choices(networks, net_weights)[0]
            campaign_id = rng.choices(campaign_ids, camp_weights)[0]
            campaign = self.campaigns[campaign_id]
            # Instagram captions cannot carry links, so none of those get one.
            linked = network != "Instagram" and rng.random() < 0.6
            link = f"{campaign['Url']}/{content.short_code(rng, 8).lower()}" if linked else ""
            short = f"https://okt.to/{content.short_code(rng, 6)}" if linked else ""
            text = content.message_text(rng, network, long=rng.random() < 0.08, link=short)
            drafts.append(
                {
                    "network": network,
                    "campaign_id": campaign_id,
                    "subject": content.youtube_title(rng) if network == "YouTube" else "",
                    "text": text,
                    "link_url": link,
                    "link_title": rng.choice(content.TOPICS).capitalize() if linked else "",
                    "description": "A short read from the Northwind team." if linked else "",
                    "image_url": (
                        f"https://cdn.northwind.example/img/{content.short_code(rng, 10)}.jpg"
                        if network == "Instagram" or rng.random() < 0.4
                        else ""
                    ),
                    "url": short,
                    "author": rng.choice(self.users)["Id"],
                    "first_use": None,
                }
            )

        # Cumulative weights: rng.choices skips re-summing them on every one of ~100k calls.
        source_weights = list(itertools.accumulate([55, 15, 10, 8, 7, 5]))
        future_weights = list(itertools.accumulate([45, 33, 13, 9]))
        fanout_weights = list(itertools.accumulate([70, 22, 8]))
        valid_by_net = {
            n: [c for c in ids if c not in self.invalid_since] for n, ids in creds_by_net.items()
        }
        invalid_by_net = {
            n: [c for c in ids if c in self.invalid_since] for n, ids in creds_by_net.items()
        }
        user_ids = [u["Id"] for u in self.users]
        rows: list[tuple[int, int, dict[str, Any]]] = []
        previous_created: int | None = None
        for serial in range(post_count):
            draft = rng.choice(drafts)
            network = draft["network"]
            # Start times sit on 5-minute marks, as schedulers pick them: many ties.
            start = (self.anchor + rng.randint(-60 * DAY, 30 * DAY)) // 300 * 300
            if previous_created is not None and previous_created <= start and rng.random() < 0.3:
                # Bulk scheduling creates several posts in the same second.
                created = previous_created
            else:
                created = start - rng.randint(600, 21 * DAY)
                if created > self.anchor:
                    created = self.anchor - rng.randint(60, 3 * DAY)
            previous_created = created
            pool = valid_by_net[network]
            invalid = invalid_by_net[network]
            if invalid and rng.random() < 0.08:
                chosen = tuple((invalid + pool)[: rng.choice((1, 2))])
            elif len(pool) == 1:
                chosen = (pool[0],)
            else:
                count = min(len(pool), rng.choices((1, 2, 3), cum_weights=fanout_weights)[0])
                chosen = tuple(rng.sample(pool, count))
            if start < self.anchor:
                roll = rng.random()
                status = "draft" if roll < 0.04 else "inqueue-draft" if roll < 0.06 else ""
                status = status or rng.choice(("pending", "inqueue"))
            else:
                status = rng.choices(WRITABLE_STATUSES, cum_weights=future_weights)[0]
            source = rng.choices(SOURCES, cum_weights=source_weights)[0]
            author = self.api_user_id if source == "API" else rng.choice(user_ids)
            edited = created
            if status not in SCHEDULED or start >= self.anchor:
                edited = created + rng.randint(0, 5 * DAY)
                if edited > self.anchor:
                    edited = max(created, self.anchor - rng.randint(60, 6 * 3600))
            fields_ = {
                "status": status,
                "start": start,
                "created": created,
                "modified": edited,
                "created_by": author,
                "modified_by": author if edited == created else rng.choice(user_ids),
                "source": source,
                "credentials": chosen,
                "draft": draft,
            }
            if draft["first_use"] is None or created < draft["first_use"]:
                draft["first_use"] = created
            rows.append((created, serial, fields_))

        # Messages exist before their first post; ids follow creation order.
        drafts.sort(key=lambda d: d["first_use"] if d["first_use"] is not None else self.anchor)
        for d in drafts:
            first = d["first_use"] if d["first_use"] is not None else self.anchor
            created = first - rng.randint(300, 2 * DAY)
            message = Message(
                id=self.next_id("message", "005"),
                created=created,
                modified=created,
                created_by=d["author"],
                modified_by=d["author"],
                campaign_id=d["campaign_id"],
                network=d["network"],
                text=d["text"],
                subject=d["subject"],
                link_url=d["link_url"],
                link_title=d["link_title"],
                description=d["description"],
                image_url=d["image_url"],
                url=d["url"],
            )
            d["id"] = message.id
            self.messages[message.id] = message
            self.messages_by_campaign[message.campaign_id].append(message.id)

        rows.sort(key=lambda r: (r[0], r[1]))
        due: list[Post] = []
        for _, _, f in rows:
            draft = f["draft"]
            post = Post(
                id=self.next_id("post", "004"),
                created=f["created"],
                modified=f["modified"],
                status=f["status"],
                created_by=f["created_by"],
                modified_by=f["modified_by"],
                source=f["source"],
                queued=int(f["status"] in ("inqueue", "inqueue-draft")),
                campaign_id=draft["campaign_id"],
                message_id=draft["id"],
                network=draft["network"],
                start=f["start"],
                credentials=f["credentials"],
            )
            self.posts[post.id] = post
            if post.status in SCHEDULED and post.start < self.anchor:
                due.append(post)
        # Postlog ids follow send order, like a real sending queue would give them.
        due.sort(key=lambda p: (p.start, p.id))
        for post in due:
            self._deliver(post, post.start)
        self.rebuild_indexes()

    def _generate_media(self) -> None:
        """A small library of real PNG pictures; about a third of messages carry one.

        Picked by hashing ids, not by the generator's random stream, so adding media
        left every other generated value as it was."""
        ids = []
        for number, (name, top, bottom) in enumerate(DEMO_IMAGES, start=1):
            data = _demo_png(top, bottom)
            created = self.anchor - (120 - number * 5) * DAY
            author = self.users[number % len(self.users)]["Id"]
            item = self.add_media(
                kind="Image",
                name=f"{name}.png",
                mime_type="image/png",
                size=len(data),
                user_id=author,
                at=created,
                data=data,
            )
            ids.append(item["Id"])
        for message in self.messages.values():
            digest = self.digest("media", message.id)
            if digest % 3 == 0:
                message.media_ids = [ids[(digest >> 8) % len(ids)]]

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

    # -------------------------------------------------------------- indexes

    def rebuild_indexes(self) -> None:
        for attr in self.order_index:
            self.order_index[attr] = sorted((getattr(p, attr), p.id) for p in self.posts.values())
        for attr in self.field_index:
            index: dict[str, set[str]] = {}
            for post in self.posts.values():
                index.setdefault(getattr(post, attr), set()).add(post.id)
            self.field_index[attr] = index
        self.unsent = sorted(
            (p.start, p.id) for p in self.posts.values() if p.status in SCHEDULED and not p.stuck
        )

    def _index_add(self, post: Post) -> None:
        for attr, index in self.order_index.items():
            insort(index, (getattr(post, attr), post.id))
        for attr, index in self.field_index.items():
            index.setdefault(getattr(post, attr), set()).add(post.id)
        if post.status in SCHEDULED and not post.stuck:
            insort(self.unsent, (post.start, post.id))

    def _index_remove(self, post: Post) -> None:
        for attr, index in self.order_index.items():
            _sorted_remove(index, (getattr(post, attr), post.id))
        for attr, index in self.field_index.items():
            index.get(getattr(post, attr), set()).discard(post.id)
        _sorted_remove(self.unsent, (post.start, post.id))

    def _change(self, post: Post, **changes: Any) -> None:
        """Apply attribute changes to a post, keeping every index in step."""
        self._index_remove(post)
        for name, value in changes.items():
            setattr(post, name, value)
        self._index_add(post)
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
            self._set_status_index(post, self._deliver(post, start))
        self._move_modified(moved)
        self.version += 1
        return len(due)

    def send_now(self, post: Post, *, status: str | None = None) -> None:
        """Send a post at once (control API), as "Post now" in Oktopost does."""
        now = self.now()
        self._index_remove(post)
        post.start = now
        self._deliver(post, now, forced=status)
        self._index_add(post)
        self.version += 1

    def _deliver(self, post: Post, at: int, forced: str | None = None) -> str:
        """Publish to each profile; status and Modified follow the per-profile outcome."""
        message = self.messages.get(post.message_id)
        ok = 0
        for cred_id in post.credentials:
            cred = self.credentials.get(cred_id)
            digest = self.digest("send", post.id, cred_id)
            error = ""
            since = self.invalid_since.get(cred_id)
            if cred is None or (cred["Status"] == "invalid" and (since is None or since <= at)):
                error = content.INVALID_TOKEN_ERRORS[post.network]
            elif digest % 1000 < 35:
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
        return old_status

    def _set_status_index(self, post: Post, old_status: str) -> None:
        index = self.field_index["status"]
        index.get(old_status, set()).discard(post.id)
        index.setdefault(post.status, set()).add(post.id)

    def _move_modified(self, moved: list[tuple[int, str]]) -> None:
        index = self.order_index["modified"]
        if len(moved) > BULK_REINDEX:
            self.order_index["modified"] = sorted((p.modified, p.id) for p in self.posts.values())
            return
        for key in moved:
            _sorted_remove(index, key)
            insort(index, (self.posts[key[1]].modified, key[1]))

    # ---------------------------------------------------------------- stats

    def digest(self, *parts: str) -> int:
        raw = "|".join((str(self.seed), *parts)).encode()
        return int.from_bytes(hashlib.blake2b(raw, digest_size=16).digest(), "big")

    def postlog_stats(self, log: Postlog, now: int, *, extra: bool = False) -> dict[str, int]:
        """Counters that only grow with time since sending; a pure function of the ids."""
        keys = STAT_KEYS + (POSTLOG_EXTRA_STAT_KEYS if extra else ())
        if log.status != "success":
            return dict.fromkeys(keys, 0)
        caps = self._stat_caps.get(log.id)
        if caps is None:
            caps = self._stat_caps[log.id] = self._caps(log)
        grown = 1.0 - math.exp(-max(0, now - log.created) / caps["tau"])
        return {key: int(caps[key] * grown) for key in keys}

    def _caps(self, log: Postlog) -> dict[str, float]:
        """What each counter tends to; derived from the ids so every run agrees."""
        d = self.digest("stats", log.post_id, log.credential_id)
        impressions = (150 + d % 4000) * IMPRESSION_FACTOR.get(log.network, 1.0)
        clicks = impressions * (5 + (d >> 12) % 40) / 1000
        likes = impressions * (5 + (d >> 20) % 45) / 1000
        caps = {
            "LinkClicks": clicks,
            "Conversions": clicks * ((d >> 28) % 12) / 100,
            "Comments": likes * ((d >> 34) % 25) / 100,
            "Likes": likes,
            "Shares": likes * ((d >> 40) % 30) / 100,
            "ImpressionsAdded": impressions,
            "MediaClicksAdded": impressions * ((d >> 46) % 20) / 1000,
            "DetailExpandsAdded": impressions * ((d >> 52) % 30) / 1000,
            "UserFollowsAdded": impressions * ((d >> 58) % 5) / 1000,
        }
        # Time constant of the growth: most engagement lands within hours to days.
        caps["tau"] = 3 * 3600 + (d >> 64) % (3 * DAY)
        return caps

    def post_stats(self, post: Post, now: int) -> dict[str, int]:
        total = dict.fromkeys(STAT_KEYS, 0)
        for log_id in post.logs:
            for key, value in self.postlog_stats(self.postlogs[log_id], now).items():
                total[key] += value
        return total

    # ------------------------------------------------------------- listing

    def list_posts(
        self,
        *,
        order: str,
        descending: bool,
        after: int | None,
        before: int | None,
        equals: dict[str, str],
        page: int,
        count: int,
    ) -> tuple[list[Post], int]:
        attr = ORDER_FIELDS[order]
        index = self.order_index[attr]
        lo = bisect_left(index, (after, "")) if after is not None else 0
        hi = bisect_left(index, (before, "")) if before is not None else len(index)
        hi = max(lo, hi)
        if equals:
            sets = sorted(
                (self.field_index[FILTER_FIELDS[k]].get(v, set()) for k, v in equals.items()),
                key=len,
            )
            smallest, rest = sets[0], sets[1:]
            if len(smallest) * 8 < hi - lo:
                low = after if after is not None else -(2**62)
                high = before if before is not None else 2**62
                keys = [
                    (getattr(self.posts[pid], attr), pid)
                    for pid in smallest
                    if all(pid in s for s in rest)
                ]
                matched = sorted(k for k in keys if low <= k[0] < high)
            else:
                matched = [
                    k for k in index[lo:hi] if k[1] in smallest and all(k[1] in s for s in rest)
                ]
            return self.posts_page(matched, 0, len(matched), descending, page, count)
        return self.posts_page(index, lo, hi, descending, page, count)

    def posts_page(
        self,
        keys: list[tuple[int, str]],
        lo: int,
        hi: int,
        descending: bool,
        page: int,
        count: int,
    ) -> tuple[list[Post], int]:
        skip = page * count
        if descending:
            end = hi - skip
            chosen = keys[max(lo, end - count) : end][::-1] if end > lo else []
        else:
            chosen = keys[lo + skip : min(hi, lo + skip + count)]
        return [self.posts[pid] for _, pid in chosen], hi - lo

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
        return post

    def update_post(self, post: Post, *, user_id: str, **changes: Any) -> None:
        if "message_id" in changes:
            message = self.messages[changes["message_id"]]
            changes["campaign_id"] = message.campaign_id
            changes["network"] = message.network
        if "status" in changes and changes["status"] in WRITABLE_STATUSES:
            changes["queued"] = int(changes["status"] in ("inqueue", "inqueue-draft"))
        self._change(post, modified=self.now(), modified_by=user_id, **changes)

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

    # ---------------------------------------------------------- persistence

    def to_state(self) -> dict[str, Any]:
        return {
            "format": 1,
            "seed": self.seed,
            "account_id": self.account_id,
            "anchor": self.anchor,
            "offset": self.offset,
            "counters": self.counters,
            "users": self.users,
            "campaigns": list(self.campaigns.values()),
            "campaign_tags": self.campaign_tags,
            "credentials": list(self.credentials.values()),
            "invalid_since": self.invalid_since,
            "messages": [[getattr(m, f) for f in MESSAGE_FIELDS] for m in self.messages.values()],
            "posts": [[getattr(p, f) for f in POST_FIELDS] for p in self.posts.values()],
            "postlogs": [[getattr(p, f) for f in POSTLOG_FIELDS] for p in self.postlogs.values()],
            "media": list(self.media.values()),
            "blobs": {k: base64.b64encode(v).decode("ascii") for k, v in self.blobs.items()},
            "uploads": list(self.uploads.values()),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> World:
        if state.get("format") != 1:
            raise ValueError("unknown sandbox state format")
        world = cls(seed=state["seed"], account_id=state["account_id"], anchor=state["anchor"])
        world.offset = state["offset"]
        world.counters = dict.fromkeys(COUNTERS, 0) | state["counters"]
        world.users = state["users"]
        world.campaigns = {c["Id"]: c for c in state["campaigns"]}
        world.campaign_tags = state["campaign_tags"]
        world.credentials = {c["Id"]: c for c in state["credentials"]}
        world.invalid_since = state["invalid_since"]
        world.messages_by_campaign = {cid: [] for cid in world.campaigns}
        for row in state["messages"]:
            message = Message(*row)
            world.messages[message.id] = message
            world.messages_by_campaign.setdefault(message.campaign_id, []).append(message.id)
        for row in state["posts"]:
            post = Post(*row)
            post.credentials = tuple(post.credentials)
            world.posts[post.id] = post
        for row in state["postlogs"]:
            log = Postlog(*row)
            world.postlogs[log.id] = log
        world.media = {m["Id"]: m for m in state.get("media", [])}
        world.blobs = {k: base64.b64decode(v) for k, v in state.get("blobs", {}).items()}
        world.uploads = {u["Id"]: u for u in state.get("uploads", [])}
        if "media" not in state:
            # Saved before the sandbox knew media: give it the demo library, so a `make run`
            # with an old state file shows pictures too.
            world._generate_media()
        world.rebuild_indexes()
        return world


@functools.cache
def _demo_png(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> bytes:
    """Made once per process: a sandbox reset regenerates the world and should stay quick."""
    from oktopost.sandbox import media as files

    return files.png(*DEMO_IMAGE_SIZE, top, bottom)


def _sorted_remove(index: list[tuple[int, str]], key: tuple[int, str]) -> None:
    at = bisect_left(index, key)
    if at < len(index) and index[at] == key:
        del index[at]
