"""Realistic mirror rows for `manage.py seed_mirror --posts N`, generated in bulk.

For benchmarks and demos at sizes no sandbox run reaches (a million posts). Each object is
generated as the payload Oktopost would send, parsed by `oktopost.types` as the client
parses it, and turned into columns by `posts.mirror`, so seeded rows have the shape the
sync writes (delivery outcomes only for failed posts, counters only for sent ones). The
vocabulary is the sandbox's (`oktopost.demo.content`). Oktopost is never called.

Seeded rows carry Oktopost-shaped ids whose first digit after the type prefix is 9
(`004900000000001`, campaigns `0029…`, messages `0059…`, postlogs `0079…`, users `00A9…`)
and profiles of a made-up account (`003-001900000000001-…`). Neither Oktopost's nor the
sandbox's counters get there, so `--clear` removes exactly the seeded rows.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.terms import COUNTERS, STATS_COUNTERS, STUCK_AFTER
from oktopost import types as ok
from oktopost.demo import content
from posts import mirror
from posts.models import (
    NETWORKS,
    SENT_STATUSES,
    Source,
    Status,
)

DAY = 86_400
PAST_DAYS = 60
FUTURE_DAYS = 30
# Posts per transaction; memory stays around 100 MB whatever --posts is.
CHUNK = 20_000
CALL = "seed_mirror"  # names the generator in a SchemaError, where the client names a call

SEED_ACCOUNT_ID = "001900000000001"
PROFILE_PREFIX = f"003-{SEED_ACCOUNT_ID}-"

# (lowest seeded id, first id above the range) as strings: `--clear` is one indexed range
# condition per table.
CAMPAIGN_RANGE = ("0029", "002:")
MESSAGE_RANGE = ("0059", "005:")
POST_RANGE = ("0049", "004:")


def seeded_id(prefix: str, number: int) -> str:
    # Oktopost ids: 3-character type prefix + 12 digits (docs/oktopost.md "IDs").
    return f"{prefix}9{number:011d}"


EXTRA_CAMPAIGNS: tuple[tuple[str, str, str, bool], ...] = (
    ("Partner Week", "active", "https://northwind.example/partners", True),
    ("Product Tips Tuesday", "active", "https://northwind.example/tips", False),
    ("Year in Review", "paused", "https://northwind.example/review", True),
)
USERS = tuple(seeded_id("00A", n) for n in range(1, 6))
API_USER = USERS[0]

NETWORK_WEIGHTS = list(itertools.accumulate([30, 35, 20, 10, 5]))
STATUSES = [s.value for s in Status]
SOURCES = [s.value for s in Source]
SOURCE_WEIGHTS = list(itertools.accumulate([55, 15, 10, 8, 7, 5]))
FANOUT_WEIGHTS = list(itertools.accumulate([70, 22, 8]))
# Past posts: mostly sent; a few never sent (drafts) or stuck (scheduled, time passed).
PAST = ("complete", "incomplete", "error", "draft", "inqueue-draft", "stuck")
PAST_WEIGHTS = list(itertools.accumulate([88, 3, 1.5, 4, 2, 1.5]))
FUTURE = ("pending", "inqueue", "draft", "inqueue-draft")
FUTURE_WEIGHTS = list(itertools.accumulate([45, 33, 13, 9]))
IMPRESSION_FACTOR = {"Twitter": 2.0, "LinkedIn": 3.0, "Facebook": 1.5, "Instagram": 2.0}


def fmt(value: datetime) -> str:
    # Oktopost's date format in payloads (docs/oktopost.md "Formats").
    return value.strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Target:
    profile: ok.Credential
    outcome: str  # "", "success", "failed"
    error: str = ""


@dataclass
class Plan:
    """One generated post before it has a database id: the row, its targets, samples."""

    post: dict[str, Any]  # Post field name -> value, from posts.mirror
    targets: list[Target]
    samples: list[tuple[float, float]]  # (seconds after start, share of the final counters)


class Generator:
    """Deterministic for a given seed and start time; all randomness from one PRNG."""

    def __init__(self, *, seed: int, posts: int, now: datetime) -> None:
        # A seeded PRNG for reproducible data, not for secrets.
        self.rng = random.Random(seed)  # noqa: S311
        self.now = now
        self.now_ts = now.timestamp()
        self.total = posts
        self.messages_total = max(1, posts // 4)
        # Start times sit on 5-minute marks, as schedulers pick them.
        self.lo = int(self.now_ts - PAST_DAYS * DAY) // 300 * 300
        self.slots = (PAST_DAYS + FUTURE_DAYS) * DAY // 300
        self.span = self.slots * 300
        # Messages whose time slot lies in the past (well before the stuck threshold).
        self.past_slots = int(self.messages_total * (PAST_DAYS - 1) / (PAST_DAYS + FUTURE_DAYS))
        self.full_run = now - timedelta(hours=3)
        self.postlog_serial = 0
        self.campaigns: list[ok.Campaign] = []
        self.profiles: list[ok.Credential] = []
        self.valid: dict[str, list[ok.Credential]] = {}
        self.invalid: dict[str, list[ok.Credential]] = {}
        # Per message index: (oktopost id, network, campaign id); filled by messages().
        self.message_keys: list[tuple[str, str, str]] = []
        self.by_network: dict[str, list[int]] = {n: [] for n in NETWORKS}

    def at(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, tz=UTC)

    # --- catalog ------------------------------------------------------------------------

    def catalog(self) -> tuple[list[ok.Campaign], list[ok.Credential]]:
        rng = self.rng
        for number, (name, status, url, _) in enumerate(
            (*content.CAMPAIGNS, *EXTRA_CAMPAIGNS), start=1
        ):
            created = self.at(self.now_ts - rng.randint(90, 400) * DAY)
            modified = created + timedelta(days=rng.randint(0, 60))
            cid = seeded_id("002", number)
            raw = {
                "Id": cid,
                "Name": name,
                "Status": status,
                "Url": url,
                "Created": fmt(created),
                "Modified": fmt(modified),
            }
            self.campaigns.append(ok.Campaign.from_api(raw, call=CALL))
        for number, (network, display, username, valid) in enumerate(content.CREDENTIALS):
            pid = f"{PROFILE_PREFIX}{9_000_000_000 + number * 7_919}"
            status = "valid" if valid else "invalid"
            image = f"https://cdn.northwind.example/avatars/{username}.png"
            raw = {
                "Id": pid,
                "Name": display,
                "DisplayName": display,
                "Status": status,
                "Network": network,
                "ImageLink": image,
                "NetworkUsername": username,
            }
            profile = ok.Credential.from_api(raw, call=CALL)
            self.profiles.append(profile)
            (self.valid if valid else self.invalid).setdefault(network, []).append(profile)
        return self.campaigns, self.profiles

    # --- messages -----------------------------------------------------------------------

    def messages(self, start: int, stop: int) -> list[dict[str, Any]]:
        """Messages `start`..`stop`; message k is first used around time slot k/M of the
        window, so the posts reusing one message sit a few days apart, like real reposts."""
        rng = self.rng
        campaign_weights = list(
            itertools.accumulate(5 if c.status == "active" else 2 for c in self.campaigns)
        )
        rows: list[dict[str, Any]] = []
        for k in range(start, stop):
            network = rng.choices(NETWORKS, cum_weights=NETWORK_WEIGHTS)[0]
            campaign = rng.choices(self.campaigns, cum_weights=campaign_weights)[0]
            base = self.lo + self.span * k / self.messages_total
            # Before the earliest post that can pick it: posts are created up to 21 days
            # ahead of their start, and pick a message up to 2 slots from their own.
            slot = self.span / self.messages_total
            created_ts = base - 21 * DAY - 3 * slot - rng.randint(0, 2 * DAY)
            # Posts of the coming weeks are created at most 3 days before now.
            created = self.at(min(created_ts, self.now_ts - 3 * DAY - rng.randint(60, DAY)))
            # Instagram captions cannot carry links.
            linked = network != "Instagram" and rng.random() < 0.6
            url = campaign.url
            link = f"{url}/{content.short_code(rng, 8).lower()}" if linked else ""
            short = f"https://okt.to/{content.short_code(rng, 6)}" if linked else ""
            text = content.message_text(rng, network, long=rng.random() < 0.08, link=short)
            subject = content.youtube_title(rng) if network == "YouTube" else ""
            link_title = rng.choice(content.TOPICS).capitalize() if linked else ""
            description = "A short read from the Northwind team." if linked else ""
            image = (
                f"https://cdn.northwind.example/img/{content.short_code(rng, 10)}.jpg"
                if network == "Instagram" or rng.random() < 0.4
                else ""
            )
            mid = seeded_id("005", k + 1)
            author = rng.choice(USERS)
            raw = {
                "Id": mid,
                "Created": fmt(created),
                "Modified": fmt(created),
                "Status": "default",
                "AccountId": SEED_ACCOUNT_ID,
                "CreatedBy": author,
                "ModifiedBy": author,
                "CampaignId": campaign.id,
                "Network": network,
                "Subject": subject,
                "Message": text,
                "ImageUrl": image,
                "Description": description,
                "LinkTitle": link_title,
                "LinkUrl": link,
                "Url": short,
            }
            message = ok.Message.from_api(raw, call=CALL)
            rows.append(mirror.message_values(message, now=self.now))
            self.message_keys.append((mid, network, campaign.id))
            self.by_network[network].append(k)
        return rows

    # --- posts --------------------------------------------------------------------------

    def posts(self, start: int, stop: int) -> list[Plan]:
        return [self.post(n) for n in range(start, stop)]

    def post(self, n: int) -> Plan:
        rng = self.rng
        now_ts = self.now_ts
        start = self.lo + rng.randrange(self.slots) * 300
        stuck_before = now_ts - STUCK_AFTER.total_seconds()
        # The first posts cover every status and source, so even a tiny seed has them all.
        forced = STATUSES[n] if n < len(STATUSES) else ""
        if forced:
            status = forced
            if status in SENT_STATUSES or status in ("draft", "inqueue-draft"):
                start = self.lo + rng.randrange(self.slots * 2 // 3 - 1) * 300
            else:
                start = int(now_ts) // 300 * 300 + rng.randint(1, FUTURE_DAYS * 288) * 300
        elif start < stuck_before:
            status = rng.choices(PAST, cum_weights=PAST_WEIGHTS)[0]
        elif start < now_ts:
            status = "complete"  # went out in the last few minutes
        else:
            status = rng.choices(FUTURE, cum_weights=FUTURE_WEIGHTS)[0]
        if status == "stuck":
            # Scheduled, its time passed a little while ago, and it never went out.
            status = rng.choice(("pending", "inqueue"))
            start = stuck_before - rng.randint(60, 6 * 3600)

        # Message k is used around time slot k/M of the window (see messages()).
        linkedin = [j for j in self.by_network["LinkedIn"][:50] if j <= self.past_slots]
        if forced == "incomplete" and linkedin:
            # Partial failure needs two profiles: LinkedIn has three. Sent at the message's
            # own time slot, so the message still predates the post.
            k = rng.choice(linkedin)
            start = self.lo + int(self.span * k / self.messages_total) // 300 * 300
        else:
            k = int((start - self.lo) / self.span * self.messages_total) + rng.randint(-2, 2)
            k = min(max(k, 0), self.messages_total - 1)
        message_id, network, campaign_id = self.message_keys[k]

        targets = self.targets(network, status)
        if status == "incomplete" and len(targets) < 2:
            status = "error"
            for target in targets:
                target.outcome = "failed"
                target.error = target.error or self.network_error(network)
        sent = status in SENT_STATUSES

        created = start - rng.randint(600, 21 * DAY)
        if created > now_ts:
            created = now_ts - rng.randint(60, 3 * DAY)
        if sent:
            modified = start  # Oktopost moves Modified when it sends
        else:
            modified = created + rng.randint(0, 5 * DAY)
            if modified > now_ts:
                modified = max(created, now_ts - rng.randint(60, 6 * 3600))
        source = forced_source(n) or rng.choices(SOURCES, cum_weights=SOURCE_WEIGHTS)[0]
        author = API_USER if source == Source.API else rng.choice(USERS)
        editor = author if modified == created else rng.choice(USERS)

        counters = dict.fromkeys(COUNTERS, 0)
        if sent:
            for target in targets:
                if target.outcome == "success":
                    self.grow(counters, network, now_ts - start)
        synced = self.at(now_ts - rng.randint(0, 120))
        counters_at = synced - timedelta(seconds=rng.randint(0, 6 * 3600))
        stats_at = stats_due = None
        if sent:
            age = now_ts - start
            interval = next(i for limit, i, _ in mirror.STATS_TIERS if age < limit.total_seconds())
            if age < 600 or rng.random() < 0.03:
                # Not fetched yet: due now; shares and impressions unknown until then.
                counters.update(dict.fromkeys(STATS_COUNTERS, 0))
                stats_due = counters_at
            else:
                stats_at = self.at(now_ts - rng.uniform(0, interval.total_seconds()))
                stats_due = stats_at + interval
        if not stats_at:
            counters.update(dict.fromkeys(STATS_COUNTERS, 0))

        oktopost_id = seeded_id("004", n + 1)
        credential_ids = tuple(t.profile.id for t in targets)
        # Oktopost's times are whole seconds.
        start_at, created_at, modified_at = (self.at(int(t)) for t in (start, created, modified))
        queued = status in ("inqueue", "inqueue-draft")
        # Built directly rather than parsed from `raw`: parsing costs ~30 µs a post, a
        # fifth of a large seed. tests/test_seed_mirror.py parses `raw` back and checks
        # that it gives the same row.
        item = ok.Post(
            id=oktopost_id,
            status=status,
            created=created_at,
            modified=modified_at,
            account_id=SEED_ACCOUNT_ID,
            created_by=author,
            modified_by=editor,
            source=source,
            content_source="User",
            queued=queued,
            campaign_id=campaign_id,
            message_id=message_id,
            message_child_id="",
            message_status="default",
            network=network,
            start_at=start_at,
            credential_ids=credential_ids,
            groups_count=0,
            total_count=len(targets),
            update_status=1,
            flag="discussion",
            utm="",
            clicks=counters["clicks"],
            converts=counters["conversions"],
            comments=counters["comments"],
            new_comments=0,
            likes=counters["likes"],
            raw={
                "Id": oktopost_id,
                "Created": fmt(created_at),
                "Modified": fmt(modified_at),
                "Status": status,
                "AccountId": SEED_ACCOUNT_ID,
                "CreatedBy": author,
                "ModifiedBy": editor,
                "Source": source,
                "ContentSource": "User",
                "Queued": int(queued),
                "CampaignId": campaign_id,
                "MessageId": message_id,
                "MessageChildId": "",
                "MessageStatus": "default",
                "Network": network,
                "StartDateTime": fmt(start_at),
                "Groups": "",
                "GroupsCount": 0,
                "TotalCount": len(targets),
                "TargetGeo": "",
                "UpdateStatus": 1,
                "Flag": "discussion",
                "Clicks": counters["clicks"],
                "Converts": counters["conversions"],
                "Comments": counters["comments"],
                "NewComments": 0,
                "Likes": counters["likes"],
                "Utm": "",
                "Credentials": ",".join(credential_ids),
            },
        )
        post = {
            "oktopost_id": item.id,
            **mirror.post_values(item),
            # What the sync's own bookkeeping and a ?stats=1 read would have left.
            "counters_at": counters_at,
            "stats_at": stats_at,
            "stats_due_at": stats_due,
            "synced_at": synced,
            "seen_in_full_sync": self.full_run,
            **{c: counters[c] for c in STATS_COUNTERS},
        }
        samples: list[tuple[float, float]] = []
        if sent and counters["clicks"] and rng.random() < 0.02:
            # A short history: most engagement lands within the first day.
            samples = [(h * 3600.0, share) for h, share in ((1, 0.3), (6, 0.7), (24, 1.0))]
            samples = [s for s in samples if start + s[0] < now_ts]
        return Plan(post=post, targets=targets, samples=samples)

    def targets(self, network: str, status: str) -> list[Target]:
        rng = self.rng
        pool = self.valid.get(network, [])
        invalid = self.invalid.get(network, [])
        count = min(len(pool), rng.choices((1, 2, 3), cum_weights=FANOUT_WEIGHTS)[0])
        if status == "incomplete":
            count = min(len(pool), max(count, 2))
        chosen = [Target(p, "") for p in rng.sample(pool, count)]
        failing = status in ("incomplete", "error")
        # A disconnected profile fails every publish; unsent posts can still target it.
        odds = 0.5 if failing else 0.0 if status in SENT_STATUSES else 0.05
        if invalid and rng.random() < odds:
            chosen.append(Target(invalid[0], "", content.INVALID_TOKEN_ERRORS[network]))
        if status == "complete":
            for target in chosen:
                target.outcome = "success"
        elif status == "error":
            for target in chosen:
                target.outcome = "failed"
                target.error = target.error or self.network_error(network)
        elif status == "incomplete":
            broken = [t for t in chosen if t.error] or [rng.choice(chosen)]
            for target in chosen:
                if target in broken:
                    target.outcome = "failed"
                    target.error = target.error or self.network_error(network)
                else:
                    target.outcome = "success"
        return chosen

    def network_error(self, network: str) -> str:
        return self.rng.choice(content.NETWORK_ERRORS[network])

    def grow(self, counters: dict[str, int], network: str, age: float) -> None:
        """One successful delivery's counters, grown towards their ceiling since sending
        (the sandbox's model: engagement saturates within hours to days)."""
        rng = self.rng
        impressions = (150 + rng.randrange(4000)) * IMPRESSION_FACTOR.get(network, 1.0)
        clicks = impressions * (5 + rng.randrange(40)) / 1000
        likes = impressions * (5 + rng.randrange(45)) / 1000
        tau = 3 * 3600 + rng.randrange(3 * DAY)
        grown = 1.0 - math.exp(-max(0.0, age) / tau)
        counters["impressions"] += int(impressions * grown)
        counters["clicks"] += int(clicks * grown)
        counters["likes"] += int(likes * grown)
        counters["conversions"] += int(clicks * rng.randrange(12) / 100 * grown)
        counters["comments"] += int(likes * rng.randrange(25) / 100 * grown)
        counters["shares"] += int(likes * rng.randrange(30) / 100 * grown)

    def deliveries(self, plan: Plan, post_id: int) -> list[dict[str, Any]]:
        """As the sync leaves them: outcomes (postlogs) are read only for failed posts;
        a fully sent post's deliveries just say success."""
        post = plan.post
        detailed = post["status"] in (Status.INCOMPLETE, Status.ERROR)
        rows = []
        for target in plan.targets:
            row: dict[str, Any] = {"post_id": post_id, "profile_id": target.profile.id}
            if not detailed:
                rows.append({**row, "status": mirror.delivery_status(post["status"])})
                continue
            self.postlog_serial += 1
            remote_url = ""
            if target.outcome == "success":
                key = f"{post['oktopost_id']}|{target.profile.id}".encode()
                digest = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest())
                remote_url = content.remote_post(
                    post["network"], target.profile.network_username, digest
                )[1]
            log = ok.Postlog.from_api(
                {
                    "Id": seeded_id("007", self.postlog_serial),
                    "PostId": post["oktopost_id"],
                    "Status": target.outcome,
                    "CredentialId": target.profile.id,
                    "Network": post["network"],
                    "Created": fmt(post["start_at"]),
                    "RemoteUrl": remote_url,
                    "Error": target.error,
                },
                call=CALL,
            )
            rows.append({**row, **mirror.postlog_values(log)})
        return rows

    def samples(self, plan: Plan, post_id: int) -> list[dict[str, Any]]:
        post = plan.post
        return [
            {
                "post_id": post_id,
                "at": post["start_at"] + timedelta(seconds=offset),
                **{c: int(post[c] * share) for c in COUNTERS},
            }
            for offset, share in plan.samples
        ]


def forced_source(n: int) -> str:
    return SOURCES[n] if n < len(SOURCES) else ""
