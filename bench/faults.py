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
import os
import secrets
import time
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
from bench.fault_probe import (
    BLOCK_SECONDS,
    EDITS,
    HANG_MS,
    PAUSE_SECONDS,
    READ_TIMEOUT,
    quiet_after,
)
from bench.fault_writes import WriteFaults

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


class Bench(WriteFaults):
    """The run: (a) and (c), the syncs, here; (b), the writes, from WriteFaults."""

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
