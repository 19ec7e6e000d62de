"""The world as JSON-ready data and back: what `--state` saves and loads."""

from __future__ import annotations

import base64
from typing import Any

from oktopost.sandbox.generate import add_demo_extras, add_demo_media
from oktopost.sandbox.records import (
    MESSAGE_FIELDS,
    POST_FIELDS,
    POSTLOG_FIELDS,
    Message,
    Post,
    Postlog,
)
from oktopost.sandbox.workflows import Approvals, add_demo_workflows
from oktopost.sandbox.world import COUNTERS, World


def to_state(world: World) -> dict[str, Any]:
    return {
        "format": 1,
        "seed": world.seed,
        "account_id": world.account_id,
        "anchor": world.anchor,
        "offset": world.offset,
        "counters": world.counters,
        "users": world.users,
        "campaigns": list(world.campaigns.values()),
        "campaign_tags": world.campaign_tags,
        "credentials": list(world.credentials.values()),
        "invalid_since": world.invalid_since,
        "messages": [[getattr(m, f) for f in MESSAGE_FIELDS] for m in world.messages.values()],
        "posts": [[getattr(p, f) for f in POST_FIELDS] for p in world.posts.values()],
        "postlogs": [[getattr(p, f) for f in POSTLOG_FIELDS] for p in world.postlogs.values()],
        "media": list(world.media.values()),
        "blobs": {k: base64.b64encode(v).decode("ascii") for k, v in world.blobs.items()},
        "uploads": list(world.uploads.values()),
        "tags": list(world.tags.values()),
        "teams": list(world.teams.values()),
        "events": list(world.events.values()),
        "approvals": world.approvals.to_state(),
    }


def from_state(state: dict[str, Any]) -> World:
    if state.get("format") != 1:
        raise ValueError("unknown sandbox state format")
    world = World(seed=state["seed"], account_id=state["account_id"], anchor=state["anchor"])
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
        add_demo_media(world)
    world.tags = {t["Id"]: t for t in state.get("tags", [])}
    world.teams = {t["Id"]: t for t in state.get("teams", [])}
    world.events = {e["Id"]: e for e in state.get("events", [])}
    # Saved before tags had ids, users their roles, or teams and notes existed.
    add_demo_extras(
        world, tags="tags" not in state, teams="teams" not in state, notes="events" not in state
    )
    if "approvals" in state:
        world.approvals = Approvals.from_state(state["approvals"])
    world.rebuild_indexes()
    add_demo_workflows(world)  # a state saved before approvals existed
    return world
