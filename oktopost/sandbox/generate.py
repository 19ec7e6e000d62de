"""A new demo world: people, campaigns, profiles, messages, posts already sent, and a media
library. Same seed, same world; the vocabulary comes from `oktopost.demo.content`."""

from __future__ import annotations

import functools
import itertools
import random
from typing import Any

from oktopost.demo import content
from oktopost.sandbox.records import (
    DAY,
    SCHEDULED,
    SOURCES,
    WRITABLE_STATUSES,
    Message,
    Post,
    fmt,
    make_id,
)
from oktopost.sandbox.workflows import add_demo_workflows
from oktopost.sandbox.world import World

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
# Tag names of the demo account; campaigns draw theirs from these (by name, then turned
# into 0AF… ids by add_demo_extras).
TAG_NAMES = ("launch", "brand", "product", "customers", "events", "careers", "blog")
# Per user, after USERS: role (SDK UserRole) and IANA time zone (SDK User.Timezone).
USER_PROFILES = (
    ("admin", "America/New_York"),
    ("publisher", "Europe/Madrid"),
    ("contributor", "Asia/Kolkata"),
    ("read", "Europe/Warsaw"),
)
DEMO_TEAMS = ("Social Media", "Product Marketing", "Talent Brand")
# Calendar notes: (title, description, days from the anchor, length in days or 0 for a
# moment, hour UTC, campaign number or 0, colour).
DEMO_NOTES = (
    ("Q3 launch day", "Press embargo lifts at 09:00 ET.", 6, 0, 13, 1, "#1f40af"),
    ("Content freeze", "Nothing new goes out during the migration.", 12, 2, 0, 0, "#b91c1c"),
    ("Data Pipelines 101 webinar", "Live, 45 minutes, Q&A at the end.", -9, 0, 16, 4, "#0f766e"),
    ("Trade show: DataWorld", "Booth 42; the team posts from the floor.", 20, 3, 0, 0, "#7e22ce"),
    ("Customer story review", "Legal signs off the Acme quote.", -2, 0, 10, 3, "#b45309"),
    ("Careers page relaunch", "", -30, 0, 9, 5, "#15803d"),
)


def generate(*, seed: int, posts: int, account_id: str, now: float) -> World:
    anchor = int(now) // DAY * DAY
    world = World(seed=seed, account_id=account_id, anchor=anchor)
    # Same seed, same world: a seeded PRNG on purpose, not for secrets.
    rng = random.Random(seed)  # noqa: S311
    _people(world, rng)
    _campaigns(world, rng)
    _credentials(world, rng)
    _messages_and_posts(world, rng, posts)
    add_demo_media(world)
    add_demo_extras(world)
    add_demo_workflows(world)
    world.version = 0
    return world


def _people(world: World, rng: random.Random) -> None:
    for number, (first, last) in enumerate(content.USERS, start=1):
        email_name = (first[0] + last).lower().replace("á", "a").replace("ñ", "n")
        world.users.append(
            {
                "Id": make_id("00A", number),
                "Name": f"{first} {last}",
                "Email": f"{email_name}@northwind.example",
                "LastLogin": fmt(world.anchor - rng.randint(600, 3 * DAY)),
            }
        )


def _campaigns(world: World, rng: random.Random) -> None:
    tag_pool = list(TAG_NAMES)
    for number, (name, status, url, dated) in enumerate(content.CAMPAIGNS, start=1):
        cid = make_id("002", number)
        created = world.anchor - rng.randint(90, 400) * DAY
        start = world.anchor - 70 * DAY if dated else None
        end = (
            (world.anchor - 5 * DAY if status == "complete" else world.anchor + 40 * DAY)
            if dated
            else None
        )
        world.campaigns[cid] = {
            "Id": cid,
            "Created": created,
            "Modified": created + rng.randint(0, 60) * DAY,
            "Name": name,
            "Status": status,
            "CreatedBy": rng.choice(world.users)["Id"],
            "Url": url,
            "Color": f"#{rng.randrange(0x1000000):06x}",
            "ShortUrl": f"https://okt.to/{content.short_code(rng, 6)}",
            "StartDate": start,
            "EndDate": end,
        }
        world.campaign_tags[cid] = rng.sample(tag_pool, rng.randint(0, 2))
        world.messages_by_campaign[cid] = []


def _credentials(world: World, rng: random.Random) -> None:
    for network, display, username, valid in content.CREDENTIALS:
        # Compound credential id: 003-<account id>-<network-side number>.
        cred_id = f"003-{world.account_id}-{rng.randint(10_000_000, 999_999_999)}"
        world.credentials[cred_id] = {
            "Id": cred_id,
            "Created": fmt(world.anchor - rng.randint(200, 900) * DAY),
            "Name": display,
            "DisplayName": display,
            "Status": "valid" if valid else "invalid",
            "Network": network,
            "ImageLink": f"https://cdn.northwind.example/avatars/{username}.png",
            "NetworkUsername": username,
            "NativePostsEnabled": int(network in ("LinkedIn", "Facebook")),
        }
        if not valid:
            world.invalid_since[cred_id] = world.anchor - 10 * DAY


def _messages_and_posts(world: World, rng: random.Random, post_count: int) -> None:
    networks = list(content.NETWORKS)
    net_weights = [30, 35, 20, 10, 5]
    campaign_ids = list(world.campaigns)
    camp_weights = [5 if c["Status"] == "active" else 2 for c in world.campaigns.values()]
    creds_by_net: dict[str, list[str]] = {n: [] for n in networks}
    for cred in world.credentials.values():
        creds_by_net[cred["Network"]].append(cred["Id"])

    drafts: list[dict[str, Any]] = []
    # About two posts per message: messages are reused, but most only a few times.
    for _ in range(max(24, post_count // 2)):
        network = rng.choices(networks, net_weights)[0]
        campaign_id = rng.choices(campaign_ids, camp_weights)[0]
        campaign = world.campaigns[campaign_id]
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
                "author": rng.choice(world.users)["Id"],
                "first_use": None,
            }
        )

    # Cumulative weights: rng.choices skips re-summing them on every one of ~100k calls.
    source_weights = list(itertools.accumulate([55, 15, 10, 8, 7, 5]))
    future_weights = list(itertools.accumulate([45, 33, 13, 9]))
    fanout_weights = list(itertools.accumulate([70, 22, 8]))
    valid_by_net = {
        n: [c for c in ids if c not in world.invalid_since] for n, ids in creds_by_net.items()
    }
    invalid_by_net = {
        n: [c for c in ids if c in world.invalid_since] for n, ids in creds_by_net.items()
    }
    user_ids = [u["Id"] for u in world.users]
    rows: list[tuple[int, int, dict[str, Any]]] = []
    previous_created: int | None = None
    for serial in range(post_count):
        draft = rng.choice(drafts)
        network = draft["network"]
        # Start times sit on 5-minute marks, as schedulers pick them: many ties.
        start = (world.anchor + rng.randint(-60 * DAY, 30 * DAY)) // 300 * 300
        if previous_created is not None and previous_created <= start and rng.random() < 0.3:
            # Bulk scheduling creates several posts in the same second.
            created = previous_created
        else:
            created = start - rng.randint(600, 21 * DAY)
            if created > world.anchor:
                created = world.anchor - rng.randint(60, 3 * DAY)
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
        if start < world.anchor:
            roll = rng.random()
            status = "draft" if roll < 0.04 else "inqueue-draft" if roll < 0.06 else ""
            status = status or rng.choice(("pending", "inqueue"))
        else:
            status = rng.choices(WRITABLE_STATUSES, cum_weights=future_weights)[0]
        source = rng.choices(SOURCES, cum_weights=source_weights)[0]
        author = world.api_user_id if source == "API" else rng.choice(user_ids)
        edited = created
        if status not in SCHEDULED or start >= world.anchor:
            edited = created + rng.randint(0, 5 * DAY)
            if edited > world.anchor:
                edited = max(created, world.anchor - rng.randint(60, 6 * 3600))
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
    drafts.sort(key=lambda d: d["first_use"] if d["first_use"] is not None else world.anchor)
    for d in drafts:
        first = d["first_use"] if d["first_use"] is not None else world.anchor
        created = first - rng.randint(300, 2 * DAY)
        message = Message(
            id=world.next_id("message", "005"),
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
        world.messages[message.id] = message
        world.messages_by_campaign[message.campaign_id].append(message.id)

    rows.sort(key=lambda r: (r[0], r[1]))
    due: list[Post] = []
    for _, _, f in rows:
        draft = f["draft"]
        post = Post(
            id=world.next_id("post", "004"),
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
        world.posts[post.id] = post
        if post.status in SCHEDULED and post.start < world.anchor:
            due.append(post)
    # Postlog ids follow send order, like a real sending queue would give them.
    due.sort(key=lambda p: (p.start, p.id))
    for post in due:
        world.deliver(post, post.start)
    world.rebuild_indexes()


def add_demo_media(world: World) -> None:
    """A small library of real PNG pictures; about a third of messages carry one.

    Picked by hashing ids, not by the generator's random stream, so adding media
    left every other generated value as it was."""
    ids = []
    for number, (name, top, bottom) in enumerate(DEMO_IMAGES, start=1):
        data = _demo_png(top, bottom)
        created = world.anchor - (120 - number * 5) * DAY
        author = world.users[number % len(world.users)]["Id"]
        item = world.add_media(
            kind="Image",
            name=f"{name}.png",
            mime_type="image/png",
            size=len(data),
            user_id=author,
            at=created,
            data=data,
        )
        ids.append(item["Id"])
    for message in world.messages.values():
        digest = world.digest("media", message.id)
        if digest % 3 == 0:
            message.media_ids = [ids[(digest >> 8) % len(ids)]]


def add_demo_extras(
    world: World, *, tags: bool = True, teams: bool = True, notes: bool = True
) -> None:
    """Tags with ids, richer users, teams and calendar notes.

    Like the media library, built from hashes and a generator of its own, not from the
    world's random stream, so every id, text and outcome generated before stayed the same;
    a state file saved before these existed gets them when loaded (`tags`, `teams` and
    `notes` say which parts it lacks: one that was saved, even empty, is left alone)."""
    rng = random.Random(f"{world.seed}-extras")  # noqa: S311 - a repeatable demo world
    if tags and not world.tags:
        by_name: dict[str, str] = {}
        for number, name in enumerate(TAG_NAMES, start=1):
            tag_id = make_id("0AF", number)
            created = world.anchor - (400 - number * 3) * DAY
            world.tags[tag_id] = {"Id": tag_id, "Created": created, "Tag": name, "LastUsed": None}
            by_name[name] = tag_id
        world.counters["tag"] = len(TAG_NAMES)
        for campaign_id, names in world.campaign_tags.items():
            # Saved worlds hold names here; new ones too until this point.
            world.campaign_tags[campaign_id] = [by_name.get(n, n) for n in names]
        for campaign_id, tag_ids in world.campaign_tags.items():
            world.touch_tags(tag_ids, world.campaigns[campaign_id]["Created"])
        tag_ids = list(world.tags)
        for message in world.messages.values():
            if message.tag_ids is not None:
                continue
            chosen = list(world.campaign_tags.get(message.campaign_id, []))
            digest = world.digest("tags", message.id)
            # About a third of the messages carry one tag more than their campaign.
            if digest % 3 == 0:
                extra = tag_ids[(digest >> 8) % len(tag_ids)]
                if extra not in chosen:
                    chosen.append(extra)
            message.tag_ids = chosen
            world.touch_tags(chosen, message.created)
    world.counters["campaign"] = max(world.counters.get("campaign", 0), len(world.campaigns))
    for number, user in enumerate(world.users):
        if "Role" in user:
            continue
        first, _, last = user["Name"].partition(" ")
        role, zone = USER_PROFILES[number % len(USER_PROFILES)]
        created = world.anchor - rng.randint(400, 900) * DAY
        user.update(
            {
                "FirstName": first,
                "LastName": last,
                "Role": role,
                "Timezone": zone,
                "Status": "active",
                "Created": created,
                "Modified": created + rng.randint(1, 300) * DAY,
            }
        )
    if teams and not world.teams:
        for number, name in enumerate(DEMO_TEAMS, start=1):
            team_id = make_id("0TM", number)
            created = world.anchor - (300 - number * 20) * DAY
            world.teams[team_id] = {
                "Id": team_id,
                "Created": created,
                "Modified": created + number * DAY,
                "Name": name,
            }
        world.counters["team"] = len(DEMO_TEAMS)
    if notes and not world.events:
        campaign_ids = list(world.campaigns)
        for number, (title, text, day, length, hour, campaign, colour) in enumerate(
            DEMO_NOTES, start=1
        ):
            event_id = make_id("0CE", number)
            start = world.anchor + day * DAY + hour * 3600
            created = min(start, world.anchor) - rng.randint(2, 20) * DAY
            world.events[event_id] = {
                "Id": event_id,
                "Created": created,
                "Modified": created,
                "Title": title,
                "Description": text,
                "Color": colour,
                "Start": start,
                "End": start + length * DAY if length else None,
                "CampaignIds": [campaign_ids[campaign - 1]] if campaign else [],
            }
        world.counters["event"] = len(DEMO_NOTES)


@functools.cache
def _demo_png(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> bytes:
    """Made once per process: a sandbox reset regenerates the world and should stay quick."""
    from oktopost.sandbox import media as files

    return files.png(*DEMO_IMAGE_SIZE, top, bottom)
