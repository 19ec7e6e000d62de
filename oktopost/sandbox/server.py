"""HTTP front of the sandbox: /v2 (the Oktopost API) and /_sandbox (the control API)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import secrets
import socket
import tempfile
import threading
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from oktopost.demo import DEMO_ACCOUNT_ID, DEMO_API_KEY, SANDBOX_PORT
from oktopost.sandbox import media as files
from oktopost.sandbox.api import Api
from oktopost.sandbox.faults import AFTER, GARBAGE, HTML_502, Faults
from oktopost.sandbox.generate import generate
from oktopost.sandbox.limits import LimitSettings, RateLimiter
from oktopost.sandbox.persist import from_state, to_state
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
from oktopost.sandbox.world import World

JSON_TYPE = "application/json; charset=utf-8"
RECENT_CALLS = 2000
# Seconds an upload stays pending at least (pending -> complete/failed); the env var
# sets the default, `--upload-delay` and POST /_sandbox/options change it.
UPLOAD_DELAY_ENV = "OKTOPOST_SANDBOX_UPLOAD_DELAY"
DEFAULT_UPLOAD_DELAY = 3.0


def default_upload_delay() -> float:
    raw = os.environ.get(UPLOAD_DELAY_ENV, "").strip()
    if not raw:
        return DEFAULT_UPLOAD_DELAY
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{UPLOAD_DELAY_ENV}={raw!r} is not a number of seconds") from None
    if value < 0:
        raise ValueError(f"{UPLOAD_DELAY_ENV} must not be negative")
    return value


@dataclass
class SandboxConfig:
    posts: int = 2000
    seed: int = 1
    account_id: str = DEMO_ACCOUNT_ID
    api_key: str = DEMO_API_KEY
    block_seconds: int = 900
    limit_status: int = 429
    descending: bool = True
    state_path: str | None = None
    save_interval: float = 10.0
    upload_delay: float = field(default_factory=default_upload_delay)


@dataclass
class CallLog:
    total: int = 0
    by_endpoint: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RECENT_CALLS))

    def record(self, method: str, path: str, query: str, status: int, fault: str | None) -> None:
        parts = [p for p in path.split("/") if p][1:]
        # Ids collapse to {id} so the counts read per endpoint, e.g. "GET /post/{id}".
        endpoint = "/" + "/".join(parts[:1] + ["{id}"] * len(parts[1:]))
        self.total += 1
        self.by_endpoint[f"{method} {endpoint}"] += 1
        self.by_status[status] += 1
        self.recent.append(
            {
                "time": time.time(),
                "method": method,
                "path": path,
                "query": query,
                "endpoint": f"{method} {endpoint}",
                "status": status,
                "fault": fault,
            }
        )


class Sandbox:
    """Everything the server keeps between requests; all access goes through `lock`."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.default_descending = config.descending
        self.default_upload_delay = config.upload_delay
        self.lock = threading.RLock()
        # Set by `serve` once bound: the base of media Resource URLs (/files/...).
        self.root_url = ""
        self.world = self._load_or_generate()
        self.limiter = RateLimiter(self._default_limits())
        self.faults = Faults()
        self.calls = CallLog()
        self.api = self._make_api()
        self.saved_version = -1 if config.state_path else self.world.version

    def _make_api(self) -> Api:
        return Api(
            self.world,
            descending=self.config.descending,
            files_root=self.root_url,
            start_upload=self._start_upload,
        )

    def resume_uploads(self) -> None:
        """Fetch again the uploads a saved world left pending."""
        with self.lock:
            pending = [u["Id"] for u in self.world.uploads.values() if u["Status"] == "pending"]
        for upload_id in pending:
            self._start_upload(upload_id)

    def set_root_url(self, root: str) -> None:
        with self.lock:
            self.root_url = root
            self.api.files_root = root

    # ------------------------------------------------------------- uploads

    def _start_upload(self, upload_id: str) -> None:
        world = self.world
        upload = world.uploads[upload_id]
        worker = threading.Thread(
            target=self._run_upload,
            args=(world, upload_id, upload["Source"], upload["MimeType"], time.monotonic()),
            name=f"sandbox-upload-{upload_id}",
            daemon=True,
        )
        worker.start()

    def _run_upload(
        self, world: World, upload_id: str, source: str, mime: str, started: float
    ) -> None:
        """Fetch and check an upload's source off the lock, then settle it after the delay."""
        kind, expected = files.UPLOAD_TYPES[mime]

        def progress(total: int, done: int) -> None:
            with self.lock:
                upload = world.uploads.get(upload_id)
                if upload is not None:
                    upload["TotalSize"] = total
                    upload["Downloaded"] = done

        data: bytes | None = None
        problem = ""
        try:
            data = files.fetch(source, limit=files.SIZE_LIMITS[kind], progress=progress)
            files.inspect(data, expected)
        except files.FileProblem as error:
            data, problem = None, str(error)
        except Exception as error:  # a sandbox bug: fail the upload loudly, not silently
            traceback.print_exc()
            data, problem = None, f"Sandbox internal error: {type(error).__name__}"
        while True:
            # Re-read each turn: POST /_sandbox/options may shorten or lengthen the wait.
            with self.lock:
                remaining = started + self.config.upload_delay - time.monotonic()
            if remaining <= 0:
                break
            time.sleep(min(remaining, 0.05))
        with self.lock:
            if world is not self.world:
                return  # the world was reset meanwhile
            self.api.finish_upload(upload_id, data, problem)

    def _default_limits(self) -> LimitSettings:
        return LimitSettings(
            block_seconds=self.config.block_seconds, status=self.config.limit_status
        )

    def _load_or_generate(self) -> World:
        path = self.config.state_path
        if path and Path(path).exists():
            with open(path, encoding="utf-8") as handle:
                return from_state(json.load(handle))
        return self._generate()

    def _generate(self, now: float | None = None) -> World:
        """A new world; at `now` (a Unix time) when given, its clock running from there."""
        world = generate(
            seed=self.config.seed,
            posts=self.config.posts,
            account_id=self.config.account_id,
            now=time.time() if now is None else now,
        )
        if now is not None:
            world.offset = now - time.time()
        return world

    def reset(self, now: float | None = None) -> None:
        with self.lock:
            self.config.descending = self.default_descending
            self.config.upload_delay = self.default_upload_delay
            self.world = self._generate(now)
            self.api = self._make_api()
            self.limiter = RateLimiter(self._default_limits())
            self.faults = Faults()
            self.calls = CallLog()
            self.saved_version = -1

    def save(self) -> bool:
        """Write the world atomically if it changed since the last save."""
        path = self.config.state_path
        if not path:
            return False
        with self.lock:
            if self.world.version == self.saved_version:
                return False
            version = self.world.version
            data = json.dumps(to_state(self.world), separators=(",", ":"))
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        with self.lock:
            self.saved_version = version
        return True

    # ------------------------------------------------------------------- /v2

    def v2(
        self, method: str, path: str, query: dict[str, str], form: dict[str, str], auth: str
    ) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.world.tick()
            if not self._authorised(auth):
                return 401, {"Result": False, "Errors": {"API": {"Error": "Invalid credentials"}}}
            refused = self.limiter.check(self.world.now())
            if refused:
                status = self.limiter.settings.status
                return status, {"Result": False, "Errors": {"API": {"Error": refused}}}
            path = path.removeprefix("/v2")
            if method != "POST" or path.strip("/") != "media":
                return self.api.handle(method, path, query, form)
            try:
                resource = self.api.media_check(form)
            except ApiError as error:
                return error.status, {"Result": False, "Errors": error.errors}
        # POST /media looks at the URL with HEAD outside the lock: the URL may be this
        # sandbox's own /files, and a slow host must not stall every other call.
        found: files.Head | str
        try:
            found = files.head(resource)
        except files.FileProblem as problem:
            found = str(problem)
        with self.lock:
            try:
                return 200, self.api.media_create(form, found)
            except ApiError as error:
                return error.status, {"Result": False, "Errors": error.errors}

    def file(self, media_id: str) -> tuple[bytes, str] | None:
        """The bytes and Content-Type of a stored media file, for /files."""
        with self.lock:
            data = self.world.blobs.get(media_id)
            item = self.world.media.get(media_id)
            if data is None or item is None:
                return None
            return data, item["MimeType"] or "application/octet-stream"

    def _authorised(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, key = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(user, self.config.account_id) and secrets.compare_digest(
            key, self.config.api_key
        )

    # ------------------------------------------------------------- /_sandbox

    def control(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p][1:]
        with self.lock:
            self.world.tick()
            try:
                return 200, self._control(method, parts, query, body)
            except ControlError as error:
                return error.status, {"error": str(error)}
            except ApiError as error:
                return error.status, {"error": error.errors}

    def _control(self, method: str, parts: list[str], query: dict[str, str], body: Any) -> Any:
        if not isinstance(body, dict):
            raise ControlError(400, "the body must be a JSON object")
        key = (method, *parts[:1])
        if key == ("GET", "state"):
            return self.state()
        if key == ("GET", "calls"):
            last = int(query.get("last", "100") or 100)
            recent = list(self.calls.recent)[-last:] if last > 0 else []
            return {
                "total": self.calls.total,
                "by_endpoint": dict(self.calls.by_endpoint),
                "by_status": {str(k): v for k, v in self.calls.by_status.items()},
                "rate_limited": self.calls.by_status[self.limiter.settings.status],
                "recent": recent,
            }
        if key == ("POST", "reset"):
            now = body.get("now") if isinstance(body, dict) else None
            if now is not None and not isinstance(now, int | float):
                raise ControlError(400, "now must be a Unix time in seconds")
            self.reset(now)
            return self.state()
        if key == ("GET", "limits"):
            return self.limiter.snapshot(self.world.now())
        if key == ("POST", "limits"):
            return self._set_limits(body)
        if key == ("POST", "block"):
            seconds = float(body.get("seconds", self.limiter.settings.block_seconds))
            if seconds <= 0:
                self.limiter.blocked_until = None
            else:
                self.limiter.block(self.world.now(), seconds, "Manual block (sandbox)")
            return self.limiter.snapshot(self.world.now())
        if key == ("GET", "clock"):
            return self._clock()
        if key == ("POST", "clock"):
            return self._set_clock(body)
        if key == ("GET", "faults"):
            return self.faults.to_json()
        if key == ("POST", "faults"):
            try:
                self.faults = Faults.from_json(body)
            except (ValueError, TypeError) as error:
                raise ControlError(400, str(error)) from None
            return self.faults.to_json()
        if key == ("GET", "options"):
            return self._options()
        if key == ("POST", "options"):
            unknown = set(body) - {"order", "upload_delay"}
            if unknown:
                raise ControlError(400, f"unknown options: {sorted(unknown)}")
            order = body.get("order", "desc" if self.config.descending else "asc")
            if order not in ("asc", "desc"):
                raise ControlError(400, "order must be asc or desc")
            delay = body.get("upload_delay", self.config.upload_delay)
            if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
                raise ControlError(400, "upload_delay must be a number of seconds >= 0")
            self.config.descending = self.api.descending = order == "desc"
            self.config.upload_delay = float(delay)
            return self._options()
        if key == ("POST", "crowd"):
            return self._crowd(body)
        if parts[:1] == ["posts"] and len(parts) in (2, 3):
            return self._control_post(method, parts[1:], body)
        raise ControlError(404, f"no control endpoint {method} /_sandbox/{'/'.join(parts)}")

    def state(self) -> dict[str, Any]:
        world = self.world
        statuses = {s: len(world.field_index["status"].get(s, ())) for s in STATUSES}
        return {
            "account_id": world.account_id,
            "seed": world.seed,
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
            },
            "clock": self._clock(),
            "limits": self.limiter.snapshot(world.now()),
            "blocked_until": self.limiter.snapshot(world.now())["blocked_until"],
            "faults": self.faults.to_json(),
            "options": self._options(),
            "state_file": self.config.state_path,
        }

    def _options(self) -> dict[str, Any]:
        return {
            "order": "desc" if self.config.descending else "asc",
            "upload_delay": self.config.upload_delay,
        }

    def _clock(self) -> dict[str, Any]:
        now = self.world.now()
        return {
            "now": fmt(now),
            "now_ts": now,
            "offset_seconds": self.world.offset,
            "frozen": self.world.frozen_at is not None,
        }

    def _set_clock(self, body: dict[str, Any]) -> dict[str, Any]:
        world = self.world
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
        return self._clock()

    def _set_limits(self, body: dict[str, Any]) -> dict[str, Any]:
        settings = self.limiter.settings
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
        return self.limiter.snapshot(self.world.now())

    def _crowd(self, body: dict[str, Any]) -> dict[str, Any]:
        world = self.world
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

    def _control_post(self, method: str, rest: list[str], body: dict[str, Any]) -> Any:
        world = self.world
        post = world.posts.get(rest[0])
        if post is None:
            raise ControlError(404, f"post {rest[0]} not found")
        if method == "POST" and rest[1:] == ["send"]:
            if post.status in SENT:
                raise ControlError(409, f"post {post.id} was already sent")
            world.send_now(post)
            return self.api.render_post(post, world.now())
        if method == "DELETE" and len(rest) == 1:
            world.delete_post(post)
            return {"deleted": post.id}
        if method == "POST" and len(rest) == 1:
            self._modify_post(post, body)
            return self.api.render_post(post, world.now())
        raise ControlError(404, "use POST/DELETE /_sandbox/posts/{id} or POST .../send")

    def _modify_post(self, post: Post, body: dict[str, Any]) -> None:
        """Change a post as another Oktopost user would, without the API's rules."""
        world = self.world
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


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Benchmarks open many connections at once; the default backlog of 5 drops them.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        super().__init__(address, Handler)
        self.sandbox = sandbox


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, as clients using a requests.Session expect.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, keep-alive clients wait
    # ~40 ms for a delayed ACK on every call.
    disable_nagle_algorithm = True
    server_version = "OktopostSandbox/1.0"
    server: SandboxHTTPServer

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def do_DELETE(self) -> None:
        self.dispatch("DELETE")

    def do_PUT(self) -> None:
        self.dispatch("PUT")

    def do_PATCH(self) -> None:
        self.dispatch("PATCH")

    def do_HEAD(self) -> None:
        self.dispatch("HEAD")

    def log_message(self, format: str, *args: Any) -> None:
        # The call log (/_sandbox/calls) replaces per-request stderr noise.
        return

    def dispatch(self, method: str) -> None:
        try:
            self.route(method)
        except Exception:
            # A sandbox bug must surface as a loud 500 with a traceback, never as a
            # dropped connection that looks like an injected fault.
            traceback.print_exc()
            error = {"Result": False, "Errors": {"API": {"Error": "Sandbox internal error"}}}
            self.send_json(500, error)

    def route(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        sandbox = self.server.sandbox
        if url.path.startswith("/files/"):
            self.serve_file(method, url.path)
        elif method == "HEAD":
            self.send_bytes(405, b"", "text/plain", {"Allow": "GET, POST, DELETE, PUT, PATCH"})
        elif url.path == "/_sandbox" or url.path.startswith("/_sandbox/"):
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                self.send_json(400, {"error": "the body must be JSON"})
                return
            status, payload = sandbox.control(method, url.path, single(url.query), body)
            self.send_json(status, payload)
        elif url.path == "/v2" or url.path.startswith("/v2/"):
            self.serve_v2(method, url.path, url.query, raw)
        else:
            self.send_json(404, {"Result": False, "Errors": []})

    def serve_v2(self, method: str, path: str, query: str, raw: bytes) -> None:
        sandbox = self.server.sandbox
        with sandbox.lock:
            fault = sandbox.faults.take()
            delay_ms = sandbox.faults.latency_ms
            after_write_ms = sandbox.faults.after_write_delay_ms
            # A request belongs to the call log of the moment it arrived: one still being
            # answered (slow, after-write delay) when the sandbox is reset must not show up
            # in the fresh log.
            calls = sandbox.calls
        if fault and fault.startswith("slow:"):
            delay_ms += int(fault[5:])
            fault = None
        if delay_ms:
            time.sleep(delay_ms / 1000)

        def record(status: int) -> None:
            with sandbox.lock:
                calls.record(method, path, query, status, fault)

        if fault == "drop":
            record(0)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "500":
            record(500)
            error = {"Result": False, "Errors": {"API": {"Error": "Internal Server Error"}}}
            self.send_json(500, error)
            return
        if fault == "html":
            record(502)
            self.send_bytes(502, HTML_502, "text/html")
            return
        form = single(raw.decode("utf-8", "replace")) if method != "GET" else {}
        auth = self.headers.get("Authorization", "")
        status, payload = sandbox.v2(method, path, single(query), form, auth)
        body = json.dumps(payload).encode()
        if after_write_ms and method in ("POST", "DELETE", "PUT"):
            time.sleep(after_write_ms / 1000)
        if fault in AFTER:
            body = body[: max(1, len(body) // 2)] if fault == "truncate" else GARBAGE
        record(status)
        extra = {"WWW-Authenticate": 'Basic realm="Oktopost API"'} if status == 401 else {}
        self.send_bytes(status, body, JSON_TYPE, extra)

    def serve_file(self, method: str, path: str) -> None:
        """/files/<mediaId>/<name>: a stored media file, like a CDN (no auth, Range ok)."""
        parts = [p for p in path.split("/") if p]
        found = self.server.sandbox.file(parts[1]) if len(parts) >= 2 else None
        if method not in ("GET", "HEAD"):
            self.send_bytes(405, b"Use GET or HEAD.\n", "text/plain", {"Allow": "GET, HEAD"})
            return
        if found is None:
            self.send_bytes(404, b"No such file.\n", "text/plain", head=method == "HEAD")
            return
        data, content_type = found
        headers = {
            "Accept-Ranges": "bytes",
            "Cache-Control": "public, max-age=3600",
            "X-Content-Type-Options": "nosniff",
        }
        wanted = self.headers.get("Range")
        if wanted:
            span = byte_range(wanted, len(data))
            if span is None:
                headers["Content-Range"] = f"bytes */{len(data)}"
                self.send_bytes(416, b"", "text/plain", headers, head=method == "HEAD")
                return
            start, end = span
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            self.send_bytes(206, data[start : end + 1], content_type, headers, method == "HEAD")
            return
        self.send_bytes(200, data, content_type, headers, head=method == "HEAD")

    def send_json(self, status: int, payload: Any) -> None:
        self.send_bytes(status, json.dumps(payload).encode(), JSON_TYPE)

    def send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        head: bool = False,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """One `bytes=a-b` / `bytes=a-` / `bytes=-n` range as inclusive (start, end); None if
    it cannot be satisfied (several ranges are not supported)."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec or size == 0:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or last.isdigit()):
        return None
    if not first:
        count = int(last)
        return (max(0, size - count), size - 1) if count else None
    start = int(first)
    end = min(int(last), size - 1) if last.isdigit() else size - 1
    if start >= size or end < start:
        return None
    return start, end


def single(query: str) -> dict[str, str]:
    # Repeated keys keep the last value, as PHP's $_GET/$_POST do.
    return {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}


@dataclass
class SandboxHandle:
    """A running sandbox: base `url` ends in /v2; `root_url` hosts /_sandbox."""

    url: str
    root_url: str
    sandbox: Sandbox
    server: SandboxHTTPServer
    thread: threading.Thread
    saver: threading.Thread | None
    stopping: threading.Event

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        if self.saver is not None:
            self.saver.join(timeout=5)
        self.sandbox.save()


def serve(
    config: SandboxConfig, *, host: str = "127.0.0.1", port: int = SANDBOX_PORT
) -> SandboxHandle:
    """Bind and serve on background threads; the caller decides how to wait and stop."""
    sandbox = Sandbox(config)
    server = SandboxHTTPServer((host, port), sandbox)
    bound_host, bound_port = server.server_address[:2]
    root = f"http://{bound_host}:{bound_port}"
    sandbox.set_root_url(root)
    sandbox.resume_uploads()
    # A short poll so that stop() returns at once (serve_forever looks every 0.5 s).
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="oktopost-sandbox",
        daemon=True,
    )
    thread.start()
    stopping = threading.Event()
    saver = None
    if config.state_path:

        def save_periodically() -> None:
            while not stopping.wait(config.save_interval):
                sandbox.save()

        saver = threading.Thread(target=save_periodically, name="sandbox-saver", daemon=True)
        saver.start()
    return SandboxHandle(f"{root}/v2", root, sandbox, server, thread, saver, stopping)


def start_in_thread(*, port: int = 0, host: str = "127.0.0.1", **config: Any) -> SandboxHandle:
    """Start a sandbox in this process; `config` takes the SandboxConfig fields."""
    return serve(SandboxConfig(**config), host=host, port=port)
