"""The measuring tools of `python -m bench.faults`: one product call and what it cost.

`FaultProbe` switches the sandbox's faults, runs one call of the product's own code as a
worker or an editor would, and counts what it cost on both sides (`client.calls` and the
sandbox's `/_sandbox/calls` log); `Step` is one such call. The scenarios are built on it:
the syncs in bench/faults.py, the writes in bench/fault_writes.py. The constants are the
run's settings, which their tables print.
"""

from __future__ import annotations

import argparse
import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.common import SandboxProcess

READ_TIMEOUT = 2  # seconds (OKTOPOST_READ_TIMEOUT)
HANG_MS = READ_TIMEOUT * 1000 + 1000  # slower than the timeout
BLOCK_SECONDS = 4  # how long the sandbox blocks the key in the 429 rows
PAUSE_SECONDS = 5  # how long our limiter pauses every caller after a 429 (no Retry-After)
EDITS = 5  # posts edited in Oktopost before each sync row
# "slow:0" lets one request through untouched, so the fault after it hits the write.
SKIP = "slow:0"


def quiet_after(fault: dict[str, Any] | None) -> float:
    """How long to wait before reading the call log: the sandbox logs a delayed request
    only once it has answered (to nobody, when our client gave up first)."""
    fault = fault or {}
    delayed = (
        fault.get("latency_ms")
        or fault.get("after_write_delay_ms")
        or any(str(k).startswith("slow:") and k != SKIP for k in fault.get("next", []))
    )
    return HANG_MS / 1000 + 0.5 if delayed else 0.0


@dataclass
class Step:
    """What one product call cost: our count, the sandbox's log, what came out."""

    client_calls: int = 0
    sandbox_calls: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    faulted: int = 0
    endpoints: list[str] = field(default_factory=list)
    outcome: str = ""
    error: BaseException | None = None

    @property
    def unanswered(self) -> int:
        """Requests the sandbox saw whose answer our client never received."""
        return self.sandbox_calls - self.client_calls

    def log_text(self) -> str:
        statuses = ", ".join(
            f"{count} x {'dropped' if status == '0' else status}"
            for status, count in sorted(self.by_status.items())
        )
        return f"{self.sandbox_calls} ({statuses})" if statuses else "0"

    def endpoints_text(self) -> str:
        return f"{self.sandbox_calls}: " + ", ".join(self.endpoints) if self.endpoints else "0"


class FaultProbe:
    """The sandbox, our clients and the mirror, as every scenario reads and switches them."""

    used: set[str]  # posts an earlier row touched (set by the run)
    user: Any  # the editor the writes act as (set by the run)

    def __init__(self, args: argparse.Namespace, sandbox: SandboxProcess) -> None:
        self.args = args
        self.sandbox = sandbox

    # -- helpers ------------------------------------------------------------------------

    def faults(self, body: dict[str, Any] | None = None) -> None:
        self.sandbox.control("POST", "faults", body or {})

    def step(self, client: Any, call: Callable[[], str], *, wait: float = 0.0) -> Step:
        """Run `call` (returns words describing the outcome; may raise), counting calls."""
        before = self.sandbox.calls(last=0)
        calls_before = client.calls
        step = Step()
        try:
            step.outcome = call()
        except Exception as exc:
            step.error = exc
            step.outcome = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
        # A hung request is logged by the sandbox only once it has answered (to nobody).
        if wait:
            time.sleep(wait)
        self.faults()
        after = self.sandbox.calls(last=0)
        step.client_calls = client.calls - calls_before
        step.sandbox_calls = after["total"] - before["total"]
        recent = self.sandbox.calls(last=step.sandbox_calls)["recent"] if step.sandbox_calls else []
        step.faulted = sum(1 for entry in recent if entry["fault"])
        step.endpoints = [
            f"{e['endpoint']} {'dropped' if e['status'] == 0 else e['status']}" for e in recent
        ]
        old = before["by_status"]
        step.by_status = {
            k: v - old.get(k, 0) for k, v in after["by_status"].items() if v - old.get(k, 0)
        }
        return step

    def sync_client(self) -> Any:
        from posts import sync
        from posts.connection import get_client

        return get_client(max_wait=sync.SYNC_MAX_WAIT)

    def write_client(self) -> Any:
        from posts.connection import get_client

        return get_client(priority="interactive")

    def sync(self, client: Any, *, full: bool = False) -> str:
        from posts import sync

        result = sync.posts_sync(client=client, full=full)
        return (
            f"{'full' if full else 'incremental'} sync completed: {result.pages} page(s), "
            f"{result.updated} updated, {result.created} created"
        )

    def banner(self) -> str:
        """The status bar's banners, as an editor reads them."""
        from django.template.loader import render_to_string

        from posts.status import sync_status

        page = render_to_string("status_bar.html", {"sync_status": sync_status()})
        banners = re.findall(r'<p class="banner[^"]*"[^>]*>(.*?)</p>', page, flags=re.S)
        # No worker runs here, so the "worker not seen" warning is left out.
        texts = [html.unescape(" ".join(b.split())) for b in banners]
        texts = [t for t in texts if not t.startswith("The background worker")]
        return " ".join(texts) or "no banner"

    def unblock(self) -> None:
        from posts.connection import get_limiter

        self.sandbox.control("POST", "block", {"seconds": 0})
        get_limiter().reset()

    def mirror_check(self) -> dict[str, int]:
        """The mirror against Oktopost (the sandbox's own counts)."""
        from posts.models import Message, Post

        counts = self.sandbox.state()["counts"]
        live = Post.objects.filter(deleted_at__isnull=True).count()
        return {
            "oktopost posts": counts["posts"],
            "mirror posts": live,
            "missing": max(0, counts["posts"] - live),
            "duplicate post ids": Post.objects.count()
            - Post.objects.values("oktopost_id").distinct().count(),
            "duplicate message ids": Message.objects.count()
            - Message.objects.values("oktopost_id").distinct().count(),
        }

    def mirror_text(self) -> str:
        check = self.mirror_check()
        return (
            f"{check['mirror posts']}/{check['oktopost posts']} posts, "
            f"{check['missing']} missing, {check['duplicate post ids']} dup ids"
        )

    def edit_posts(self) -> dict[str, datetime]:
        """Another Oktopost user moves EDITS unsent posts by a day."""
        moved: dict[str, datetime] = {}
        for post in self.candidates(EDITS):
            new_start = post.start_at + timedelta(days=1)
            self.sandbox.control(
                "POST", f"posts/{post.oktopost_id}", {"StartDateTime": int(new_start.timestamp())}
            )
            moved[post.oktopost_id] = new_start
        assert len(moved) == EDITS, "not enough unsent posts to edit"
        # Leave the edits a second of their own: the cursor's second is read inclusively.
        time.sleep(1.1)
        return moved

    def edits_seen(self, moved: dict[str, datetime]) -> int:
        from posts.models import Post

        return sum(
            1
            for oktopost_id, start_at in Post.objects.filter(oktopost_id__in=moved).values_list(
                "oktopost_id", "start_at"
            )
            if start_at == moved[oktopost_id]
        )

    def candidates(self, count: int) -> list[Any]:
        """Unsent posts due in more than a day that no earlier row touched."""
        from django.utils import timezone

        from posts.models import Post

        posts = list(
            Post.objects.filter(
                status__in=("pending", "inqueue", "draft"),
                deleted_at__isnull=True,
                start_at__gt=timezone.now() + timedelta(days=1),
            )
            .exclude(oktopost_id__in=self.used)
            .order_by("oktopost_id")[:count]
        )
        self.used.update(p.oktopost_id for p in posts)
        return posts

    def settle_sync(self, wait_for: Callable[[], bool] | None = None) -> tuple[Step, str]:
        """The next sync, after the sandbox has finished any write still in flight."""
        if wait_for is not None:
            deadline = time.monotonic() + 10
            while not wait_for() and time.monotonic() < deadline:
                time.sleep(0.2)
        client = self.sync_client()
        step = self.step(client, lambda: self.sync(client))
        return step, step.outcome

    def activities_text(self, after_id: int) -> str:
        """The audit records written since `after_id`, as "action outcome"."""
        from posts.models import Activity

        entries = Activity.objects.filter(id__gt=after_id).order_by("id")
        return ", ".join(f"{e.action} {e.outcome}" for e in entries) or "none"

    def last_activity_id(self) -> int:
        from posts.models import Activity

        return Activity.objects.order_by("-id").values_list("id", flat=True).first() or 0
