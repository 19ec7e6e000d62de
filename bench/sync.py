"""`python -m bench.sync`: what a full and an incremental posts sync cost in calls and time.

(a) A full sync of a fresh mirror: calls per endpoint next to the least any sync could
    make (one list page per 100 posts, one message batch per 100 messages, the campaign
    pages, one credential list, one postlog call per failed post), and the wall time.
(b) An incremental sync right after, with nothing changed: calls (target <= 2).
(c) An incremental sync after `--changes` posts were edited in Oktopost: calls, and
    whether every edit reached the mirror.

By default the sandbox's limits are off and our limiter is wide open, so the wall time is
our code (and the sandbox); `--real-limits` keeps Oktopost's limits and our default budget
(54 calls/min), which then dominates the time.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import (
    ResponseLog,
    SandboxProcess,
    calls_delta,
    cleanup,
    django_start,
    exit_on_sigterm,
    load_average,
    pct,
    prepare,
    table,
)

PAGE = 100  # Oktopost's largest page, and the message batch size


def run(args: argparse.Namespace) -> None:
    started_at = datetime.now(UTC)
    sandbox = SandboxProcess(posts=args.posts, seed=args.seed, block_seconds=900)
    sandbox.start()
    scratch = None
    try:
        env = {"OKTOPOST_BASE_URL": sandbox.base_url}
        if not args.real_limits:
            # Measure our code, not the budget: nothing on either side may make us wait.
            sandbox.control("POST", "limits", {"enabled": False})
            env |= {
                "OKTOPOST_LIMIT_PER_MINUTE": "1000000",
                "OKTOPOST_LIMIT_PER_5S": "1000000",
                "OKTOPOST_LIMIT_PER_DAY": "10000000",
            }
        scratch = prepare(args.database_url, env)
        os.environ["OKTOPOST_LIMITER_URL"] = str(scratch.var_dir / "limiter.sqlite3")
        django_start(migrate=True)
        measure(args, sandbox, scratch.database_label, started_at)
    finally:
        sandbox.stop()
        if scratch is not None:
            cleanup(scratch)


def measure(
    args: argparse.Namespace, sandbox: SandboxProcess, database: str, started_at: datetime
) -> None:
    from posts import sync
    from posts.connection import get_client
    from posts.models import Message, Post

    # The sync's own wait for the budget (posts_sync builds its client the same way).
    client = get_client(max_wait=sync.SYNC_MAX_WAIT)
    answers = ResponseLog()
    client.session.hooks["response"].append(answers)

    # (a) full sync ----------------------------------------------------------------------
    load = load_average()
    before = sandbox.calls()
    t0 = time.perf_counter()
    full, runs = full_sync(client)
    full_seconds = time.perf_counter() - t0
    after = sandbox.calls()
    used = calls_delta(before, after)
    limited = after["rate_limited"] - before["rate_limited"]
    http_seconds = answers.http_seconds
    state = sandbox.state()["counts"]
    by_status = state["posts_by_status"]
    failed = by_status.get("incomplete", 0) + by_status.get("error", 0)
    referenced = Post.objects.exclude(message=None).values("message_id").distinct().count()
    backlog = postlog_backlog()
    minimum = {
        "GET /post": math.ceil(state["posts"] / PAGE),
        # Only messages some post references need fetching (the world has unused ones).
        "GET /message": math.ceil(referenced / PAGE),
        "GET /campaign": max(1, math.ceil(state["campaigns"] / PAGE)),
        "GET /credential": 1,
        "GET /postlog": failed,
    }
    per_page = state["posts"] / max(1, used.get("GET /post", 1))
    notes = {
        "GET /post": f"{state['posts']:,} posts; {per_page:.1f} per page read",
        "GET /message": f"{referenced:,} referenced by posts ({state['messages']:,} exist)",
        "GET /campaign": f"{state['campaigns']} campaigns",
        "GET /credential": f"{state['credentials']} profiles, one unpaged list",
        "GET /postlog": f"{failed:,} posts incomplete or error; {backlog:,} still unread after",
    }
    rows: list[list[Any]] = []
    for endpoint in sorted(set(minimum) | set(used)):
        got, least = used.get(endpoint, 0), minimum.get(endpoint, 0)
        rows.append([endpoint, got, least, got - least, notes.get(endpoint, "")])
    total_used, total_min = sum(used.values()), sum(minimum.values())
    list_used = total_used - used.get("GET /postlog", 0)
    list_min = total_min - minimum["GET /postlog"]
    rows.append(
        [
            "total without postlogs",
            list_used,
            list_min,
            list_used - list_min,
            pct(list_used, list_min) + " of minimum",
        ]
    )
    rows.append(
        [
            "total",
            total_used,
            total_min,
            total_used - total_min,
            pct(total_used, total_min) + " of minimum",
        ]
    )
    mirrored = Post.objects.count()

    print(f"## posts sync, {started_at:%Y-%m-%d %H:%M} UTC\n")
    print(
        table(
            ["setting", "value"],
            [
                ["posts in the sandbox (seed)", f"{args.posts:,} ({args.seed})"],
                ["database", database],
                ["load average (1/5/15 min) before the full sync", load],
                [
                    "limits",
                    "real: sandbox 60/min + 120/5 s, our limiter 54/min + 100/5 s"
                    if args.real_limits
                    else "off (sandbox limits disabled, our limiter 1,000,000/min)",
                ],
            ],
        )
    )
    print("\n(a) Full sync of an empty mirror: calls by endpoint (from /_sandbox/calls)\n")
    print(table(["endpoint", "calls", "minimum", "extra", "note"], rows))
    print()
    print(
        table(
            ["full sync", "value"],
            [
                ["wall time", f"{full_seconds:.1f} s"],
                [
                    "  waiting for HTTP answers (sum of requests' elapsed)",
                    f"{http_seconds:.1f} s ({pct(http_seconds, full_seconds)})",
                ],
                [
                    "  the rest (our Python, the database, the limiter)",
                    f"{full_seconds - http_seconds:.1f} s",
                ],
                ["posts per second", f"{mirrored / full_seconds:,.0f}"],
                ["429s received", limited],
                [
                    "mirror: posts / messages",
                    f"{mirrored:,} of {state['posts']:,} / {Message.objects.count():,}",
                ],
                [
                    "SyncResult" + (f" (last of {runs} runs)" if runs > 1 else ""),
                    f"created {full.created:,}, pages {full.pages:,}, messages {full.messages:,}, "
                    f"postlogs {full.postlogs:,}, calls {full.calls:,}",
                ],
            ],
        )
    )

    # (b) incremental, nothing changed -----------------------------------------------------
    quiet_backlog = postlog_backlog()
    unsent_before = sandbox.state()["counts"]["unsent_scheduled"]
    before = sandbox.calls()
    t0 = time.perf_counter()
    quiet = sync.posts_sync(client=client)
    quiet_seconds = time.perf_counter() - t0
    quiet_used = calls_delta(before, sandbox.calls())
    sent_meanwhile = unsent_before - sandbox.state()["counts"]["unsent_scheduled"]

    # (c) incremental after edits in Oktopost ------------------------------------------------
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    candidates = list(
        Post.objects.filter(
            status__in=["pending", "inqueue", "draft"], start_at__gt=now + timedelta(hours=1)
        )
        .order_by("oktopost_id")
        .values_list("oktopost_id", "start_at")
    )
    edits = rng.sample(candidates, min(args.changes, len(candidates)))
    moved: dict[str, datetime] = {}
    for oktopost_id, start_at in edits:
        # Another Oktopost user reschedules the post by a day: Modified becomes now.
        new_start = start_at + timedelta(days=1)
        sandbox.control(
            "POST", f"posts/{oktopost_id}", {"StartDateTime": int(new_start.timestamp())}
        )
        moved[oktopost_id] = new_start
    edited_backlog = postlog_backlog()
    before = sandbox.calls()
    t0 = time.perf_counter()
    edited = sync.posts_sync(client=client)
    edited_seconds = time.perf_counter() - t0
    edited_used = calls_delta(before, sandbox.calls())
    seen = sum(
        1
        for oktopost_id, start_at in Post.objects.filter(oktopost_id__in=moved).values_list(
            "oktopost_id", "start_at"
        )
        if start_at == moved[oktopost_id]
    )

    def calls_text(used_calls: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in used_calls.items()) or "none"

    edited_min = math.ceil(len(moved) / PAGE)
    rows = []
    for label, used_calls, backlog_before, result, seconds, target, extra in (
        (
            "(b) nothing changed"
            + (f" ({sent_meanwhile} posts went out meanwhile)" if sent_meanwhile else ""),
            quiet_used,
            quiet_backlog,
            quiet,
            quiet_seconds,
            2,
            "",
        ),
        (
            f"(c) {len(moved)} posts rescheduled in Oktopost",
            edited_used,
            edited_backlog,
            edited,
            edited_seconds,
            edited_min + 1,
            f"; {seen}/{len(moved)} edits in the mirror",
        ),
    ):
        total = sum(used_calls.values())
        # Postlog calls work off the full sync's backlog of unread outcomes, not this change.
        own = total - used_calls.get("GET /postlog", 0)
        rows.append(
            [
                label,
                total,
                own,
                f"<= {target}",
                ("yes" if total <= target else "NO") + (" / yes" if own <= target else " / NO"),
                calls_text(used_calls),
                f"{backlog_before:,}",
                f"updated {result.updated}, created {result.created}{extra}",
                f"{seconds:.2f} s",
            ]
        )
    print("\n(b) and (c) Incremental syncs\n")
    print(
        table(
            [
                "run",
                "calls",
                "without postlogs",
                "target",
                "met (all / w/o postlogs)",
                "by endpoint",
                "unread postlogs before",
                "result",
                "time",
            ],
            rows,
        )
    )


def full_sync(client: Any) -> tuple[Any, int]:
    """Run full syncs until one completes. Under real limits a run stops when the budget
    would make it wait longer than its max_wait; the beat would start the next run, which
    resumes from the committed window, so the benchmark does the same at once."""
    from oktopost.errors import RateLimited
    from posts import sync

    runs = 0
    while True:
        runs += 1
        try:
            return sync.posts_sync(full=True, client=client), runs
        except RateLimited as exc:
            if exc.status == 429:
                # Oktopost blocked us (15 minutes): that is the result, not something to wait out.
                raise SystemExit(f"the full sync got a 429 in run {runs}: {exc}") from exc
            time.sleep(max(0.0, exc.retry_at - time.time()))


def postlog_backlog() -> int:
    """Failed posts whose per-profile outcomes the mirror has not read yet."""
    from posts.models import Post

    return (
        Post.objects.filter(status__in=["incomplete", "error"], deliveries__postlog_id="")
        .distinct()
        .count()
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="scratch PostgreSQL database (name contains bench)")
    parser.add_argument(
        "--real-limits", action="store_true", help="keep Oktopost's limits and our 54/min budget"
    )
    parser.add_argument("--changes", type=int, default=50, help="posts edited before (c)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    exit_on_sigterm()
    run(parse_args(argv))


if __name__ == "__main__":
    main()
