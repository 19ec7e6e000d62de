"""The /_sandbox control API: state, the call log, reset, limits and blocks, the clock,
faults, options, and changes to posts as another Oktopost user would make them."""

from __future__ import annotations

import time
from typing import Any

from oktopost.sandbox.app import Sandbox
from oktopost.sandbox.faults import Faults
from oktopost.sandbox.records import (
    ORDER_FIELDS,
    SENT,
    SOURCES,
    STATUSES,
    ApiError,
    Post,
    fmt,
    parse_datetime,
)
from oktopost.sandbox.workflows import demo_item


class ControlError(Exception):
    """A refused control request: its HTTP status and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def handle(
    sandbox: Sandbox, method: str, path: str, query: dict[str, str], body: Any
) -> tuple[int, Any]:
    """Answer one /_sandbox request: (status, JSON-ready body)."""
    parts = [p for p in path.split("/") if p][1:]
    with sandbox.lock:
        sandbox.world.tick()
        try:
            return 200, _dispatch(sandbox, method, parts, query, body)
        except ControlError as error:
            return error.status, {"error": str(error)}
        except ApiError as error:
            return error.status, {"error": error.errors}


def _dispatch(
    sandbox: Sandbox, method: str, parts: list[str], query: dict[str, str], body: Any
) -> Any:
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    key = (method, *parts[:1])
    if key == ("GET", "state"):
        return state(sandbox)
    if key == ("GET", "calls"):
        last = int(query.get("last", "100") or 100)
        recent = list(sandbox.calls.recent)[-last:] if last > 0 else []
        return {
            "total": sandbox.calls.total,
            "by_endpoint": dict(sandbox.calls.by_endpoint),
            "by_status": {str(k): v for k, v in sandbox.calls.by_status.items()},
            "rate_limited": sandbox.calls.by_status[sandbox.limiter.settings.status],
            "recent": recent,
        }
    if key == ("POST", "reset"):
        now = body.get("now") if isinstance(body, dict) else None
        if now is not None and not isinstance(now, int | float):
            raise ControlError(400, "now must be a Unix time in seconds")
        sandbox.reset(now)
        return state(sandbox)
    if key == ("GET", "limits"):
        return sandbox.limiter.snapshot(sandbox.world.now())
    if key == ("POST", "limits"):
        return _set_limits(sandbox, body)
    if key == ("POST", "block"):
        seconds = float(body.get("seconds", sandbox.limiter.settings.block_seconds))
        if seconds <= 0:
            sandbox.limiter.blocked_until = None
        else:
            sandbox.limiter.block(sandbox.world.now(), seconds, "Manual block (sandbox)")
        return sandbox.limiter.snapshot(sandbox.world.now())
    if key == ("GET", "clock"):
        return _clock(sandbox)
    if key == ("POST", "clock"):
        return _set_clock(sandbox, body)
    if key == ("GET", "faults"):
        return sandbox.faults.to_json()
    if key == ("POST", "faults"):
        try:
            sandbox.faults = Faults.from_json(body)
        except (ValueError, TypeError) as error:
            raise ControlError(400, str(error)) from None
        return sandbox.faults.to_json()
    if key == ("GET", "options"):
        return _options(sandbox)
    if key == ("POST", "options"):
        unknown = set(body) - {"order", "upload_delay"}
        if unknown:
            raise ControlError(400, f"unknown options: {sorted(unknown)}")
        order = body.get("order", "desc" if sandbox.config.descending else "asc")
        if order not in ("asc", "desc"):
            raise ControlError(400, "order must be asc or desc")
        delay = body.get("upload_delay", sandbox.config.upload_delay)
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
            raise ControlError(400, "upload_delay must be a number of seconds >= 0")
        sandbox.config.descending = sandbox.api.descending = order == "desc"
        sandbox.config.upload_delay = float(delay)
        return _options(sandbox)
    if key == ("GET", "deny"):
        return {"endpoints": dict(sandbox.denied)}
    if key == ("POST", "deny"):
        return _set_denied(sandbox, body)
    if key == ("POST", "crowd"):
        return _crowd(sandbox, body)
    if key in (("GET", "webhooks"), ("POST", "webhooks")):
        try:
            return sandbox.webhooks.set_switches(body if method == "POST" else {})
        except (ValueError, TypeError) as error:
            raise ControlError(400, str(error)) from None
    if key == ("POST", "workflow-items"):
        return demo_item(sandbox.world, body)
    if parts[:1] == ["posts"] and len(parts) in (2, 3):
        return _control_post(sandbox, method, parts[1:], body)
    if parts[:1] == ["credentials"] and len(parts) == 2 and method == "POST":
        return _set_credential(sandbox, parts[1], body)
    raise ControlError(404, f"no control endpoint {method} /_sandbox/{'/'.join(parts)}")


def state(sandbox: Sandbox) -> dict[str, Any]:
    world = sandbox.world
    statuses = {s: len(world.field_index["status"].get(s, ())) for s in STATUSES}
    return {
        "account_id": world.account_id,
        "seed": world.seed,
        "version": world.version,  # 0 until something changes the world after a reset
        "counts": {
            "posts": len(world.posts),
            "posts_by_status": statuses,
            "messages": len(world.messages),
            "campaigns": len(world.campaigns),
            "credentials": len(world.credentials),
            "postlogs": len(world.postlogs),
            "users": len(world.users),
            "unsent_scheduled": len(world.unsent),
            "media": len(world.media),
            "uploads": len(world.uploads),
            "tags": len(world.tags),
            "teams": len(world.teams),
            "calendar_notes": len(world.events),
            "workflow_items_waiting": len(world.approvals.waiting),
        },
        "clock": _clock(sandbox),
        "limits": sandbox.limiter.snapshot(world.now()),
        "blocked_until": sandbox.limiter.snapshot(world.now())["blocked_until"],
        "faults": sandbox.faults.to_json(),
        "denied": dict(sandbox.denied),
        "options": _options(sandbox),
        "state_file": sandbox.config.state_path,
    }


def _options(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "order": "desc" if sandbox.config.descending else "asc",
        "upload_delay": sandbox.config.upload_delay,
    }


def _clock(sandbox: Sandbox) -> dict[str, Any]:
    now = sandbox.world.now()
    return {
        "now": fmt(now),
        "now_ts": now,
        "offset_seconds": sandbox.world.offset,
        # The day (Unix time of its midnight, UTC) the world is laid out from.
        "anchor": sandbox.world.anchor,
        "frozen": sandbox.world.frozen_at is not None,
    }


def _set_clock(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    world = sandbox.world
    if not {"advance_seconds", "offset_seconds", "freeze"} & set(body):
        raise ControlError(400, "send advance_seconds, offset_seconds and/or freeze")
    if "freeze" in body:
        world.frozen_at = time.time() if body["freeze"] else None
    if "advance_seconds" in body:
        world.offset += float(body["advance_seconds"])
    elif "offset_seconds" in body:
        world.offset = float(body["offset_seconds"])
    world.version += 1
    world.tick()
    return _clock(sandbox)


def _set_limits(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    settings = sandbox.limiter.settings
    numbers = ("per_minute", "per_5s", "per_day", "block_seconds", "status")
    unknown = set(body) - {*numbers, "enabled"}
    if unknown:
        raise ControlError(400, f"unknown limit keys: {sorted(unknown)}")
    for name in numbers:
        if name in body:
            value = int(body[name])
            if value < 0 or (name == "status" and not 400 <= value <= 599):
                raise ControlError(400, f"{name} is out of range")
            setattr(settings, name, value)
    if "enabled" in body:
        settings.enabled = bool(body["enabled"])
    return sandbox.limiter.snapshot(sandbox.world.now())


def _set_denied(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    """Replace the refused endpoints: {"endpoints": {"GET /user": 403, "GET /user/{id}":
    404}}; 403 answers with a permission error, 404 as for a route this account lacks."""
    endpoints = body.get("endpoints")
    if set(body) != {"endpoints"} or not isinstance(endpoints, dict):
        raise ControlError(400, 'send {"endpoints": {"GET /user": 403, ...}}')
    denied: dict[str, int] = {}
    for name, status in endpoints.items():
        method, _, path = str(name).partition(" ")
        if method not in ("GET", "POST", "PUT", "DELETE") or not path.startswith("/"):
            raise ControlError(400, f"{name!r} is not an endpoint like 'GET /user/{{id}}'")
        if status not in (403, 404):
            raise ControlError(400, f"{name}: the status must be 403 or 404")
        denied[f"{method} {path}"] = status
    sandbox.denied = denied
    return {"endpoints": dict(denied)}


def _crowd(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    world = sandbox.world
    order = body.get("field", "modified")
    if order not in ("created", "modified"):
        raise ControlError(400, "field must be created or modified")
    count = int(body.get("count", 0))
    if not 0 <= count <= len(world.posts):
        raise ControlError(400, f"count must be between 0 and {len(world.posts)}")
    at = body.get("at", world.now())
    at = at if isinstance(at, int) else parse_datetime(str(at))
    ids = world.crowd(attr=ORDER_FIELDS[order], count=count, at=at)
    return {"field": order, "at": fmt(at), "ids": ids}


def _control_post(sandbox: Sandbox, method: str, rest: list[str], body: dict[str, Any]) -> Any:
    world = sandbox.world
    post = world.posts.get(rest[0])
    if post is None:
        raise ControlError(404, f"post {rest[0]} not found")
    if method == "POST" and rest[1:] == ["send"]:
        if post.status in SENT:
            raise ControlError(409, f"post {post.id} was already sent")
        errors = body.get("errors")
        if errors is not None and (
            not isinstance(errors, dict) or set(errors) - set(post.credentials)
        ):
            raise ControlError(400, "errors must map some of the post's profiles to a text")
        chosen = None if errors is None else {str(k): str(v) for k, v in errors.items()}
        world.send_now(post, errors=chosen)
        return sandbox.api.render_post(post, world.now())
    if method == "DELETE" and len(rest) == 1:
        world.delete_post(post)
        return {"deleted": post.id}
    if method == "POST" and len(rest) == 1:
        _modify_post(sandbox, post, body)
        return sandbox.api.render_post(post, world.now())
    raise ControlError(404, "use POST/DELETE /_sandbox/posts/{id} or POST .../send")


def _set_credential(sandbox: Sandbox, cred_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Disconnect a profile from now on ({"Status": "invalid"}: sends fail with the
    network's expired-token text, creates are refused) or reconnect it ("valid"), as
    its token expiring and an admin reconnecting it in Oktopost would."""
    world = sandbox.world
    cred = world.credentials.get(cred_id)
    if cred is None:
        raise ControlError(404, f"credential {cred_id} not found")
    status = body.get("Status")
    if set(body) != {"Status"} or status not in ("valid", "invalid"):
        raise ControlError(400, 'send {"Status": "valid"} or {"Status": "invalid"}')
    cred["Status"] = status
    if status == "invalid":
        world.invalid_since[cred_id] = world.now()
    else:
        world.invalid_since.pop(cred_id, None)
    world.version += 1
    return dict(cred)


def _modify_post(sandbox: Sandbox, post: Post, body: dict[str, Any]) -> None:
    """Change a post as another Oktopost user would, without the API's rules."""
    world = sandbox.world
    others = [u["Id"] for u in world.users if u["Id"] != world.api_user_id]
    user = str(body.get("ModifiedBy") or others[0])
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key == "ModifiedBy":
            continue
        if key == "Status":
            if value not in STATUSES:
                raise ControlError(400, f"Status {value} is not valid")
            changes["status"] = value
        elif key == "StartDateTime":
            changes["start"] = value if isinstance(value, int) else parse_datetime(str(value))
        elif key == "MessageId":
            if value not in world.messages:
                raise ControlError(400, f"message {value} not found")
            changes["message_id"] = value
        elif key == "Credentials":
            ids = value.split(",") if isinstance(value, str) else list(value)
            changes["credentials"] = tuple(i.strip() for i in ids if i.strip())
        elif key == "Source":
            if value not in SOURCES:
                raise ControlError(400, f"Source {value} is not valid")
            changes["source"] = value
        elif key in ("CreatedBy", "CampaignId", "Flag", "Utm"):
            attr = {"CreatedBy": "created_by", "CampaignId": "campaign_id"}.get(key)
            changes[attr or key.lower()] = str(value)
        elif key == "Queued":
            changes["queued"] = int(value)
        elif key == "Stuck":
            changes["stuck"] = bool(value)
        else:
            raise ControlError(400, f"field {key} cannot be set")
    send_as = None
    if changes.get("status") in SENT and post.status not in SENT:
        # A sent status needs postlogs; deliver now and keep the requested status.
        send_as = changes.pop("status")
    world.update_post(post, user_id=user, **changes)
    if send_as:
        world.send_now(post, status=send_as)
