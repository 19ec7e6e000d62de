"""`python -m bench.faults`: what each Oktopost fault costs in calls, and what it loses.

For every fault the sandbox can inject (a 500, an nginx-style HTML 502 page, a dropped
connection, a truncated JSON body, a hang longer than our read timeout, a 429 with a
block, a write whose answer is lost after Oktopost acted), run the product's own code
path with the fault switched on, as a worker or an editor would:

(a) Sync: five posts are edited in Oktopost (another user reschedules them), then an
    incremental `posts.sync.posts_sync` runs with the fault once (the next request) and
    with the fault on every request. A failed run is followed by a run without faults,
    as the next beat tick would. Counted: `client.calls` (HTTP answers our client got),
    the sandbox's own log (`/_sandbox/calls`: every request it saw, answered or not),
    the banner the status bar shows afterwards, whether the five edits reached the
    mirror, and the mirror against Oktopost (posts missing, duplicated, wrongly deleted).
    Last, a full sync with random faults on a quarter of all requests, repeated until a
    run completes (each run resumes from the window the last one committed).
(b) Writes: a reschedule through `posts.services.post_reschedule` (with the version the
    page showed, so it first reads the post) and a create through
    `posts.services.post_compose` (a new message, then the post: what the create form
    does), with the fault on the write itself (or on the read before it). Counted: the
    words the editor is given, both call counts, posts and messages in Oktopost
    afterwards (duplicates), and what the next sync decides for a lost answer.

The sandbox's limits are off and our limiter is wide open (so only the injected faults
act), except that the 429 rows block the account through `/_sandbox/block`. The read
timeout is 2 s (`OKTOPOST_READ_TIMEOUT`, default 15 s) so the hang rows take seconds, and
a 429 without Retry-After pauses every caller for 5 s (`OKTOPOST_BLOCK_SECONDS`, default
900 s). Lost answers are settled by the next sync at once instead of a minute later
(`posts.sync.settle.SETTLE_AFTER` = 0, as tests/test_services.py does). The database is a
scratch SQLite file in a temporary folder under /tmp, migrated first, removed at the end.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import (
    SandboxProcess,
    cleanup,
    django_start,
    exit_on_sigterm,
    load_average,
    prepare,
    table,
)

READ_TIMEOUT = 2  # seconds (OKTOPOST_READ_TIMEOUT)
HANG_MS = READ_TIMEOUT * 1000 + 1000  # slower than the timeout
BLOCK_SECONDS = 4  # how long the sandbox blocks the key in the 429 rows
PAUSE_SECONDS = 5  # how long our limiter pauses every caller after a 429 (no Retry-After)
EDITS = 5  # posts edited in Oktopost before each sync row

# The faults of /_sandbox/faults, by the name the report uses.
ONCE = {
    "500": {"next": ["500"]},
    "HTML 502 page": {"next": ["html"]},
    "dropped connection": {"next": ["drop"]},
    "truncated JSON": {"next": ["truncate"]},
    f"hang ({HANG_MS / 1000:.0f} s > {READ_TIMEOUT} s timeout)": {"next": [f"slow:{HANG_MS}"]},
}
ALWAYS = {
    "500": {"error_rate": 1.0},
    "HTML 502 page": {"html_error_rate": 1.0},
    "dropped connection": {"drop_rate": 1.0},
    "truncated JSON": {"truncate_rate": 1.0},
    f"hang ({HANG_MS / 1000:.0f} s > {READ_TIMEOUT} s timeout)": {"latency_ms": HANG_MS},
}
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


def run(args: argparse.Namespace) -> None:
    started_at = datetime.now(UTC)
    sandbox = SandboxProcess(posts=args.posts, seed=args.seed, block_seconds=900)
    sandbox.start()
    scratch = None
    try:
        sandbox.control("POST", "limits", {"enabled": False})
        env = {
            "OKTOPOST_BASE_URL": sandbox.base_url,
            "OKTOPOST_READ_TIMEOUT": str(READ_TIMEOUT),
            "OKTOPOST_BLOCK_SECONDS": str(PAUSE_SECONDS),
            "OKTOPOST_LIMIT_PER_MINUTE": "1000000",
            "OKTOPOST_LIMIT_PER_5S": "1000000",
            "OKTOPOST_LIMIT_PER_DAY": "10000000",
        }
        scratch = prepare(None, env)
        os.environ["OKTOPOST_LIMITER_URL"] = str(scratch.var_dir / "limiter.sqlite3")
        django_start(migrate=True)
        Bench(args, sandbox).measure(started_at, scratch.database_url)
    finally:
        sandbox.stop()
        if scratch is not None:
            cleanup(scratch)


# --- measuring one step ----------------------------------------------------------------


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


class Bench:
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

    # -- the run ------------------------------------------------------------------------

    def measure(self, started_at: datetime, database_url: str) -> None:
        from django.contrib.auth.models import Group

        from accounts.models import EDITOR, User
        from posts.sync import settle

        self.used: set[str] = set()
        settle.SETTLE_AFTER = timedelta(0)
        self.user = User.objects.create_user("bench-editor", password=secrets.token_hex(8))
        self.user.groups.add(Group.objects.get_or_create(name=EDITOR)[0])

        load = load_average()
        client = self.sync_client()
        first = self.step(client, lambda: self.sync(client, full=True))
        print(f"## Faults, {started_at:%Y-%m-%d %H:%M} UTC\n")
        print(
            table(
                ["setting", "value"],
                [
                    ["posts in the sandbox (seed)", f"{self.args.posts:,} ({self.args.seed})"],
                    ["database", f"SQLite, scratch file ({database_url})"],
                    ["load average (1/5/15 min) at the start", load],
                    ["read timeout / pause after a 429", f"{READ_TIMEOUT} s / {PAUSE_SECONDS} s"],
                    [
                        "first full sync (no fault)",
                        f"{first.client_calls} calls; {self.mirror_text()}",
                    ],
                ],
            )
        )
        self.sync_rows()
        self.write_rows()
        self.full_sync_under_faults()

    # -- (a) sync ---------------------------------------------------------------------

    def sync_row(self, label: str, when: str, fault: dict[str, Any] | None) -> list[Any]:
        moved = self.edit_posts()
        client = self.sync_client()
        self.faults(fault)
        if "block" in label:
            self.sandbox.control("POST", "block", {"seconds": BLOCK_SECONDS})
        step = self.step(client, lambda: self.sync(client), wait=quiet_after(fault))
        seen = self.edits_seen(moved)
        banner = self.banner() if step.error else "nothing (no banner)"
        recovery = "—"
        if step.error:
            if "block" in label:
                # The next tick, at once: our limiter holds it until the pause has passed.
                started = time.monotonic()
                again = self.step(client, lambda: self.sync(client))
                waited = time.monotonic() - started
                recovery = (
                    f"next run at once: waited {waited:.0f} s for the pause, then "
                    f"{again.client_calls} calls, log {again.log_text()}"
                )
            else:
                again = self.step(client, lambda: self.sync(client))
                recovery = f"next run: {again.client_calls} calls, log {again.log_text()}"
            if again.error:
                recovery += f" FAILED {again.outcome}"
            seen = self.edits_seen(moved)
        self.unblock()
        return [
            label,
            when,
            "completed" if not step.error else step.outcome[:90],
            step.client_calls,
            step.log_text(),
            step.faulted,
            banner,
            recovery,
            f"{seen}/{EDITS}",
            self.mirror_text(),
        ]

    def sync_rows(self) -> None:
        rows = [self.sync_row("none (baseline)", "—", None)]
        for name, body in ONCE.items():
            rows.append(self.sync_row(name, "next request", body))
        for name, body in ALWAYS.items():
            rows.append(self.sync_row(name, "every request", body))
        rows.append(
            self.sync_row(f"429 + block ({BLOCK_SECONDS} s)", "every request while blocked", None)
        )
        print(
            f"\n(a) Incremental sync (`posts.sync.posts_sync`) after {EDITS} posts were "
            "edited in Oktopost\n"
        )
        print(
            table(
                [
                    "fault",
                    "on",
                    "run outcome",
                    "client.calls",
                    "sandbox log (status)",
                    "faulted",
                    "status bar shows",
                    "recovery",
                    "edits in mirror",
                    "mirror vs Oktopost",
                ],
                rows,
            )
        )

    def full_sync_under_faults(self) -> None:
        """(c) The mirror emptied, then full syncs with a share of all requests faulted, run
        after run until one completes, as beat would start them (each resumes from the
        window the last one committed). Then a clean full sync must change nothing."""
        from posts import sync
        from posts.models import Message, Post, SyncState

        rows = []
        for share in (0.25, 0.6):
            Post.objects.all().delete()
            Message.objects.all().delete()
            SyncState.objects.filter(name__in=("posts", "posts-full")).delete()
            each = share / 4
            self.faults(
                {
                    "error_rate": each,
                    "html_error_rate": each,
                    "drop_rate": each,
                    "truncate_rate": each,
                    "seed": self.args.seed,
                }
            )
            before = self.sandbox.calls(last=0)
            client = self.sync_client()
            runs, failures = 0, []
            while runs < 50:
                runs += 1
                try:
                    self.sync(client, full=True)
                    break
                except Exception as exc:
                    failures.append(type(exc).__name__)
            self.faults()
            after = self.sandbox.calls(last=0)
            total = after["total"] - before["total"]
            recent = self.sandbox.calls(last=total)["recent"]
            faulted = sum(1 for e in recent if e["fault"])
            check = self.mirror_check()
            clean = self.sync_client()
            again = sync.posts_sync(client=clean, full=True)
            counts = self.sandbox.state()["counts"]
            referenced = (
                Post.objects.exclude(message_id=None).values("message_id").distinct().count()
            )
            rows.append(
                [
                    f"{share:.0%} (500, HTML, drop, truncate: {each:.0%} each)",
                    f"{runs} ({len(failures)} failed: "
                    + (", ".join(sorted(set(failures))) or "none")
                    + ")",
                    client.calls,
                    f"{total} / {faulted}",
                    f"{check['mirror posts']} / {counts['posts']}",
                    check["missing"],
                    f"{Message.objects.count()} / {referenced}",
                    f"{check['duplicate post ids']} / {check['duplicate message ids']}",
                    f"{again.created} created, {again.updated} updated, {again.deleted} deleted",
                ]
            )
        print(
            "\n(c) Full sync of an emptied mirror with random faults, run after run until one "
            "completes\n"
        )
        print(
            table(
                [
                    "faulted share",
                    "runs",
                    "client.calls",
                    "sandbox log: requests / faulted",
                    "mirror / Oktopost posts",
                    "missing",
                    "messages mirrored / referenced",
                    "duplicate post / message ids",
                    "a clean full sync after it",
                ],
                rows,
            )
        )

    # -- (b) writes ---------------------------------------------------------------------

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

    def reschedule_row(
        self, label: str, fault: dict[str, Any] | None, *, block: bool = False
    ) -> list[Any]:
        from posts import services
        from posts.models import Post

        post = self.candidates(1)[0]
        wanted = post.start_at + timedelta(hours=1)
        old_start = post.start_at
        client = self.write_client()
        last_id = self.last_activity_id()
        posts_before = self.sandbox.state()["counts"]["posts"]
        self.faults(fault)
        if block:
            self.sandbox.control("POST", "block", {"seconds": BLOCK_SECONDS})

        def reschedule() -> str:
            services.post_reschedule(
                user=self.user,
                post=post,
                start_at=wanted,
                expected_modified=post.modified,
                client=client,
            )
            return "Rescheduled."

        step = self.step(client, reschedule, wait=quiet_after(fault))
        words = step.outcome.split(": ", 1)[1] if step.error else step.outcome
        if block:
            self.unblock()
        first_outcome = self.activities_text(last_id)
        settle_step, _ = self.settle_sync()
        decided = self.activities_text(last_id)
        final = Post.objects.get(id=post.id).start_at
        oktopost_has = (
            "new time" if final == wanted else ("old time" if final == old_start else str(final))
        )
        return [
            "reschedule",
            label,
            words,
            step.client_calls,
            step.endpoints_text(),
            first_outcome + (f" → {decided}" if decided != first_outcome else ""),
            settle_step.client_calls,
            f"Oktopost has the {oktopost_has}; audit {decided}",
            f"{self.sandbox.state()['counts']['posts'] - posts_before} posts",
        ]

    def create_row(
        self,
        label: str,
        fault: dict[str, Any] | None,
        *,
        block: bool = False,
        resubmit: bool = False,
    ) -> list[Any]:
        from django.utils import timezone

        from posts import services
        from posts.models import Message, Post, Profile
        from posts.services import create as service_create

        profiles = [
            p.oktopost_id for p in Profile.objects.filter(network="LinkedIn", status="valid")[:2]
        ]
        campaign = (
            Post.objects.exclude(campaign_id=None).values_list("campaign_id", flat=True).first()
        )
        text = f"Fault bench: {label} {secrets.token_hex(3)}"
        key = secrets.token_urlsafe(12)
        client = self.write_client()
        # The compose builds its own interactive client; hand it this one to count.
        saved = service_create.interactive_client
        service_create.interactive_client = lambda: client
        state_before = self.sandbox.state()["counts"]
        last_id = self.last_activity_id()
        self.faults(fault)
        if block:
            self.sandbox.control("POST", "block", {"seconds": BLOCK_SECONDS})

        def compose() -> str:
            post, created = services.post_compose(
                user=self.user,
                submit_key=key,
                message=None,
                profile_ids=profiles,
                start_at=timezone.now() + timedelta(days=6, minutes=len(self.used)),
                network="LinkedIn",
                campaign_id=campaign,
                text=text,
            )
            already = "" if created else "This form was already submitted: "
            return f"{already}Scheduled: LinkedIn post {post.oktopost_id} (…)"

        try:
            step = self.step(client, compose, wait=quiet_after(fault))
        finally:
            service_create.interactive_client = saved
        words = step.outcome.split(": ", 1)[1] if step.error else step.outcome
        if block:
            self.unblock()
        first = self.activities_text(last_id)
        settle_step, _ = self.settle_sync()
        state_after = self.sandbox.state()["counts"]
        made_posts = state_after["posts"] - state_before["posts"]
        made_messages = state_after["messages"] - state_before["messages"]
        message_ids = list(Message.objects.filter(text=text).values_list("oktopost_id", flat=True))
        mirrored = Post.objects.filter(message_id__in=message_ids).count()
        decided = self.activities_text(last_id)
        again = ""
        if resubmit:
            # The same form sent again (reload, back + submit): the same one-time key.
            again_client = self.write_client()
            saved = service_create.interactive_client
            service_create.interactive_client = lambda: again_client
            try:
                second = self.step(again_client, compose)
            finally:
                service_create.interactive_client = saved
            again_words = second.outcome.split(": ", 1)[1] if second.error else second.outcome
            again = f"; resubmit with the same key: {second.client_calls} calls, “{again_words}”"
        dup = max(0, made_posts - 1) + max(0, made_messages - 1)
        return [
            "create",
            label,
            words + again,
            step.client_calls,
            step.endpoints_text(),
            first + (f" → {decided}" if decided and decided != first else ""),
            settle_step.client_calls,
            f"Oktopost: +{made_posts} post, +{made_messages} message; mirror {mirrored} post",
            f"{dup}",
        ]

    def write_rows(self) -> None:
        hang = f"slow:{HANG_MS}"
        rows = [
            self.reschedule_row("none (baseline)", None),
            self.reschedule_row("500 on the read before the write", {"next": ["500"]}),
            self.reschedule_row("hang on the read before the write", {"next": [hang]}),
            self.reschedule_row("500 on the write", {"next": [SKIP, "500"]}),
            self.reschedule_row("HTML 502 page on the write", {"next": [SKIP, "html"]}),
            self.reschedule_row("dropped connection on the write", {"next": [SKIP, "drop"]}),
            self.reschedule_row("truncated JSON answer to the write", {"next": [SKIP, "truncate"]}),
            self.reschedule_row("hang on the write (acts late)", {"next": [SKIP, hang]}),
            self.reschedule_row(
                "answer lost after acting (after_write_delay)",
                {"after_write_delay_ms": HANG_MS},
            ),
            self.reschedule_row(f"429 + block ({BLOCK_SECONDS} s)", None, block=True),
            self.create_row("none (baseline)", None, resubmit=True),
            self.create_row("500 on POST /post", {"next": [SKIP, "500"]}, resubmit=True),
            self.create_row("HTML 502 page on POST /post", {"next": [SKIP, "html"]}),
            self.create_row("dropped connection on POST /post", {"next": [SKIP, "drop"]}),
            self.create_row("truncated JSON answer to POST /post", {"next": [SKIP, "truncate"]}),
            self.create_row(
                "answer to POST /post lost after acting (hang)",
                {"next": [SKIP, hang]},
                resubmit=True,
            ),
            self.create_row(
                "answer to POST /message lost after acting (after_write_delay)",
                {"after_write_delay_ms": HANG_MS},
                resubmit=True,
            ),
            self.create_row(f"429 + block ({BLOCK_SECONDS} s)", None, block=True, resubmit=True),
        ]
        print(
            "\n(b) Writes: `posts.services.post_reschedule` (reads the post, then writes) and "
            "`posts.services.post_compose` (POST /message, then POST /post)\n"
        )
        print(
            table(
                [
                    "write",
                    "fault",
                    "the editor is told",
                    "client.calls",
                    "sandbox log (status)",
                    "audit → after the next sync",
                    "settling sync's calls",
                    "afterwards",
                    "duplicates in Oktopost",
                ],
                rows,
            )
        )
        print(f"\nFinal check: {self.mirror_text()}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    exit_on_sigterm()
    run(parse_args(argv))


if __name__ == "__main__":
    main()
