"""A running sandbox: its world and settings, the call log, uploads, the state file and the
/v2 requests. Everything goes through `Sandbox.lock`; the HTTP front is `server.py`, the
/_sandbox control API `control.py`."""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import tempfile
import threading
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oktopost.demo import DEMO_ACCOUNT_ID, DEMO_API_KEY
from oktopost.sandbox import media as files
from oktopost.sandbox.api import Api, endpoint_name
from oktopost.sandbox.faults import Faults
from oktopost.sandbox.generate import generate
from oktopost.sandbox.limits import LimitSettings, RateLimiter
from oktopost.sandbox.persist import from_state, to_state
from oktopost.sandbox.records import ApiError
from oktopost.sandbox.webhooks import WebhookHub
from oktopost.sandbox.world import World

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
        # Ids collapse to {id} so the counts read per endpoint, e.g. "GET /post/{id}".
        endpoint = endpoint_name(method, path)
        self.total += 1
        self.by_endpoint[endpoint] += 1
        self.by_status[status] += 1
        self.recent.append(
            {
                "time": time.time(),
                "method": method,
                "path": path,
                "query": query,
                "endpoint": endpoint,
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
        # Endpoints this key may not use ("GET /user": 403 or 404), set by the control API
        # to play an account whose key lacks a permission or a plan without the endpoint.
        self.denied: dict[str, int] = {}
        self.webhooks = WebhookHub(self.lock, lambda: self.world, self._render_post)
        self.api = self._make_api()
        self.saved_version = -1 if config.state_path else self.world.version

    def _render_post(self, post: Any) -> dict[str, Any]:
        return self.api.render_post(post, self.world.now())

    def _make_api(self) -> Api:
        self.world.on_event = self.webhooks.emit
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
            self.denied = {}
            self.webhooks.reset()
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
            denied = self.denied.get(endpoint_name(method, path))
            if denied == 403:
                message = "You do not have permission to use this endpoint."
                return 403, {"Result": False, "Errors": {"API": {"Error": message}}}
            if denied:
                return denied, {"Result": False, "Errors": []}
            path = path.removeprefix("/v2")
            where = path.strip("/")
            looks = method == "POST" and (
                where == "media" or (where == "upload" and not form.get("mimeType", "").strip())
            )
            if not looks:
                return self.api.handle(method, path, query, form)
            try:
                check = self.api.media_check if where == "media" else self.api.upload_check
                url = check(form)
            except ApiError as error:
                return error.status, {"Result": False, "Errors": error.errors}
        # POST /media (and POST /upload without a mimeType) look at the URL with HEAD
        # outside the lock: the URL may be this sandbox's own /files, and a slow host must
        # not stall every other call.
        found: files.Head | str
        try:
            found = files.head(url)
        except files.FileProblem as problem:
            found = str(problem)
        with self.lock:
            try:
                if where == "media":
                    return 200, self.api.media_create(form, found)
                return 200, self.api.upload_create(params=query | form, found=found)
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
