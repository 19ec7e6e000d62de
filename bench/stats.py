"""`python -m bench.stats`: the stats refresh under Oktopost's real limits, several processes.

What runs (all sharing one SQLite limiter file, as the embedded setup without Redis does):

* `--workers` (default 2) OS processes, each looping `posts.sync.stats_refresh(limit=--batch)`
  at background priority, as Celery workers running `refresh_stats` back to back would;
* one "web" process making an interactive call (`me()` and `post_get()` alternately) every
  `--web-every` seconds, as editors' pages and saves do;
* the sandbox, enforcing 60 calls/min and 120 per 5 s with a 15-minute block.

Before that, one full sync (sandbox limits off, our limiter wide open) fills the mirror, so
every sent post is due (`stats_due_at` = the time it was first synced). The sandbox is then
reset (same seed, same day: the same world) so its rate windows and call log start empty.

Child processes are this module run with `--role worker|web`; each writes what it saw
(every HTTP answer with its time, every batch result) as JSON for the parent to tabulate.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    ResponseLog,
    SandboxProcess,
    cleanup,
    django_start,
    exit_on_sigterm,
    prepare,
)
from bench.stats_report import report

START_DELAY = 8.0  # seconds for the children to start Django before the common start


# --- the child processes ------------------------------------------------------------------


class DeadlineLimiter:
    """Wraps the shared limiter: after `end`, refuses like a spent budget, so stats_refresh
    stops at its documented exit (RateLimited) instead of overrunning the measured window."""

    def __init__(self, inner: Any, end: float) -> None:
        self.inner = inner
        self.end = end

    def acquire(self, *, priority: str = "background", max_wait: float = 30.0) -> None:
        from oktopost.errors import RateLimited

        if time.time() >= self.end:
            raise RateLimited("benchmark window over", retry_at=self.end, call="rate budget")
        self.inner.acquire(priority=priority, max_wait=max_wait)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _answers(log: ResponseLog) -> list[list[Any]]:
    return [[a.at, a.seconds, a.status, a.path] for a in log.answers]


def child_worker(args: argparse.Namespace) -> dict[str, Any]:
    django_start(migrate=False)
    from django.utils import timezone

    from posts import sync
    from posts.connection import get_client

    client = get_client()
    log = ResponseLog()
    client.session.hooks["response"].append(log)
    client.limiter = DeadlineLimiter(client.limiter, args.end)
    time.sleep(max(0.0, args.start - time.time()))
    batches: list[dict[str, Any]] = []
    while time.time() < args.end:
        began = time.time()
        result = sync.stats_refresh(limit=args.batch, client=client)
        idle = not (result.refreshed or result.failed or result.deleted or result.stopped)
        # A batch can also come back empty because the other workers claimed all its posts:
        # only an empty queue means the work ran out.
        dry = idle and not sync.stats_queue(timezone.now(), 1)
        batches.append({**asdict(result), "began": began, "ended": time.time(), "dry": dry})
        if idle:
            time.sleep(1.0)  # nothing done: poll gently
        elif result.stopped and not result.refreshed:
            # The limiter refuses at once when the next free slot is > 30 s away; without a
            # pause this loop would spin on the database (Celery would wait for the next tick).
            time.sleep(1.0)
    return {"name": args.name, "answers": _answers(log), "batches": batches}


def child_web(args: argparse.Namespace) -> dict[str, Any]:
    django_start(migrate=False)
    from oktopost.errors import OktopostError
    from posts.connection import get_client
    from posts.models import SENT_STATUSES, Post

    client = get_client(priority="interactive")
    log = ResponseLog()
    client.session.hooks["response"].append(log)
    client.limiter = DeadlineLimiter(client.limiter, args.end)
    ids = list(
        Post.objects.filter(status__in=SENT_STATUSES)
        .order_by("?")
        .values_list("oktopost_id", flat=True)[:200]
    )
    rng = random.Random(7)
    time.sleep(max(0.0, args.start - time.time()))
    calls: list[dict[str, Any]] = []
    tick = args.start
    number = 0
    while tick < args.end:
        time.sleep(max(0.0, tick - time.time()))
        began = time.time()
        outcome = "ok"
        try:
            # A page load checking the account, and an editor opening a post.
            if number % 2:
                client.me()
            else:
                client.post_get(rng.choice(ids), stats=True)
        except OktopostError as exc:
            outcome = type(exc).__name__
        calls.append({"began": began, "seconds": time.time() - began, "outcome": outcome})
        number += 1
        tick += args.web_every
    return {"name": args.name, "answers": _answers(log), "calls": calls}


# --- the parent ------------------------------------------------------------------------------


def tier_counts(now: datetime) -> Counter[str]:
    """Due posts by stats tier, as stats_refresh would label them right now."""
    from posts import mirror
    from posts.models import SENT_STATUSES, Post

    due = Post.objects.filter(
        deleted_at__isnull=True, status__in=SENT_STATUSES, stats_due_at__lte=now
    ).only("start_at")
    return Counter(mirror.stats_tier(post, now)[1] for post in due.iterator())


def run(args: argparse.Namespace) -> None:
    started_at = datetime.now(UTC)
    sandbox = SandboxProcess(posts=args.posts, seed=args.seed, block_seconds=900)
    sandbox.start()
    scratch = None
    children: list[subprocess.Popen[bytes]] = []
    try:
        # Phase 1: fill the mirror quickly (limits off; this is not what we measure).
        sandbox.control("POST", "limits", {"enabled": False})
        scratch = prepare(
            args.database_url,
            {
                "OKTOPOST_BASE_URL": sandbox.base_url,
                "OKTOPOST_LIMITER_URL": "",  # set below, once VAR_DIR exists
                "OKTOPOST_LIMIT_PER_MINUTE": "1000000",
                "OKTOPOST_LIMIT_PER_5S": "1000000",
                "OKTOPOST_LIMIT_PER_DAY": "10000000",
            },
        )
        os.environ["OKTOPOST_LIMITER_URL"] = str(scratch.var_dir / "sync-limiter.sqlite3")
        django_start(migrate=True)
        from django.utils import timezone

        from posts import sync
        from posts.models import SENT_STATUSES, Post

        t0 = time.perf_counter()
        full = sync.posts_sync(full=True)
        sync_seconds = time.perf_counter() - t0
        before_reset = sandbox.state()["counts"]

        # Phase 2: the same world with empty rate windows and call log, real limits on.
        after_reset = sandbox.control("POST", "reset")["counts"]
        if after_reset["posts"] != before_reset["posts"]:
            raise SystemExit("sandbox reset built a different world (midnight UTC passed?)")
        sandbox.control(
            "POST", "limits", {"enabled": True, "per_minute": 60, "per_5s": 120, "per_day": 20000}
        )
        due_at_start = tier_counts(timezone.now())
        sent = Post.objects.filter(status__in=SENT_STATUSES).count()

        # Children: default limiter caps (54/min, 100/5 s), one shared limiter file.
        env = {k: v for k, v in os.environ.items() if not k.startswith("OKTOPOST_LIMIT_")}
        env["OKTOPOST_LIMITER_URL"] = str(scratch.var_dir / "shared-limiter.sqlite3")
        start = time.time() + START_DELAY
        end = start + args.minutes * 60
        names = [f"worker-{i + 1}" for i in range(args.workers)] + ["web"]
        outputs = {name: scratch.var_dir / f"{name}.json" for name in names}
        for name in names:
            command = [
                sys.executable,
                "-m",
                "bench.stats",
                "--role",
                "web" if name == "web" else "worker",
                "--name",
                name,
                "--start",
                repr(start),
                "--end",
                repr(end),
                "--batch",
                str(args.batch),
                "--web-every",
                str(args.web_every),
                "--out",
                str(outputs[name]),
            ]
            children.append(subprocess.Popen(command, cwd=ROOT, env=env))
        print(
            f"# stats refresh running for {args.minutes:g} min "
            f"({', '.join(names)}; pids {', '.join(str(c.pid) for c in children)})",
            file=sys.stderr,
            flush=True,
        )
        # A worker finishes its current call after `end`; a batch never outlives the window
        # by more than one limiter wait (max 30 s) and one answer.
        for child in children:
            child.wait(timeout=max(60.0, end - time.time() + 120))
        failed = [n for n, c in zip(names, children, strict=True) if c.returncode != 0]
        if failed:
            raise SystemExit(f"child processes failed: {failed}")
        results = {name: json.loads(outputs[name].read_text()) for name in names}
        calls = sandbox.calls(last=2000)
        due_at_end = tier_counts(timezone.now())
        report(
            args=args,
            started_at=started_at,
            scratch_label=scratch.database_label,
            full=full,
            sync_seconds=sync_seconds,
            sent=sent,
            due_at_start=due_at_start,
            due_at_end=due_at_end,
            results=results,
            sandbox_calls=calls,
            start=start,
            end=end,
        )
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()  # ours, by pid
                child.wait(5)
        sandbox.stop()
        if scratch is not None:
            cleanup(scratch)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="measured window (fractional)")
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="scratch PostgreSQL database (name contains bench)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=50, help="stats_refresh(limit=...) per loop")
    parser.add_argument("--web-every", type=float, default=5.0, help="seconds between web calls")
    # Internal: how the parent starts its children.
    parser.add_argument("--role", choices=("main", "worker", "web"), default="main")
    parser.add_argument("--name", default="main")
    parser.add_argument("--start", type=float, default=0.0)
    parser.add_argument("--end", type=float, default=0.0)
    parser.add_argument("--out", type=Path)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    exit_on_sigterm()
    if args.role == "main":
        run(args)
        return
    data = child_worker(args) if args.role == "worker" else child_web(args)
    args.out.write_text(json.dumps(data))


if __name__ == "__main__":
    main()
