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
import math
import os
import random
import statistics
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
    load_average,
    pct,
    prepare,
    table,
)
from oktopost.limiter import Limits

TIERS = ("48h", "7d", "30d", "older")
# Our limiter's caps (oktopost.limiter.Limits defaults, which settings use unless overridden).
LIMITS = Limits()
CAP_MINUTE = LIMITS.per_minute
CAP_5S = LIMITS.per_5s
# What background calls alone may fill: the cap less the reserve editors have not used.
BACKGROUND_MINUTE = LIMITS.background_cap(CAP_MINUTE)
RESERVE_MINUTE = LIMITS.reserve(CAP_MINUTE)
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


def report(
    *,
    args: argparse.Namespace,
    started_at: datetime,
    scratch_label: str,
    full: Any,
    sync_seconds: float,
    sent: int,
    due_at_start: Counter[str],
    due_at_end: Counter[str],
    results: dict[str, dict[str, Any]],
    sandbox_calls: dict[str, Any],
    start: float,
    end: float,
) -> None:
    window = end - start
    workers = [n for n in results if n != "web"]
    # When did the queue run dry (a batch that found nothing due)? Until then, work remained.
    dry = [b["began"] for n in workers for b in results[n]["batches"] if b["dry"]]
    busy_end = min([end, *dry])
    busy = busy_end - start

    def in_window(name: str, lo: float, hi: float) -> list[list[Any]]:
        return [a for a in results[name]["answers"] if lo <= a[0] < hi]

    print(f"## stats refresh, {started_at:%Y-%m-%d %H:%M} UTC\n")
    print(
        table(
            ["setting", "value"],
            [
                ["posts in the sandbox (seed)", f"{args.posts:,} ({args.seed})"],
                ["database", scratch_label],
                ["load average (1/5/15 min) at the end", load_average()],
                [
                    "initial full sync (not measured below)",
                    f"{full.created:,} posts, {full.calls:,} calls, {sync_seconds:.1f} s",
                ],
                [
                    "sent posts / due when the run started",
                    f"{sent:,} / {sum(due_at_start.values()):,}",
                ],
                ["sandbox limits", "60/min, 120/5 s, 20,000/day, 900 s block"],
                [
                    "shared limiter (SQLite file)",
                    f"{CAP_MINUTE}/min, {CAP_5S}/5 s; interactive reserve "
                    f"{LIMITS.interactive_reserve:.0%} ({RESERVE_MINUTE}/min): background alone "
                    f"may fill {BACKGROUND_MINUTE}/min, beside editors {CAP_MINUTE}/min less "
                    "their calls beyond the reserve",
                ],
                [
                    "workers",
                    f"{len(workers)} OS processes looping stats_refresh(limit={args.batch})",
                ],
                ["web", f"1 OS process, interactive call every {args.web_every:g} s"],
                ["measured window", f"{window / 60:.2f} min"],
            ],
        )
    )

    # Calls per minute per process (our side: every HTTP answer received).
    minutes = math.ceil(window / 60 - 1e-9)
    rows = []
    statuses = Counter()
    for m in range(minutes):
        lo, hi = start + 60 * m, min(end, start + 60 * (m + 1))
        counts = [len(in_window(n, lo, hi)) for n in results]
        limited = sum(1 for n in results for a in in_window(n, lo, hi) if a[2] == 429)
        total = sum(counts)
        label = f"{m + 1}" + ("" if hi - lo >= 59.999 else f" ({hi - lo:.0f} s)")
        rows.append([label, *counts, total, limited, pct(total, CAP_MINUTE * (hi - lo) / 60)])
    for n in results:
        statuses.update(a[2] for a in results[n]["answers"])
    totals = [len(in_window(n, start, end)) for n in results]
    rows.append(
        [
            "per min (avg)",
            *[round(t * 60 / window, 1) for t in totals],
            round(sum(totals) * 60 / window, 1),
            "",
            "",
        ]
    )
    print(f"\nCalls answered per minute, by process (share = total / our {CAP_MINUTE}/min cap):\n")
    print(table(["minute", *results, "total", "429s", f"share of {CAP_MINUTE}/min"], rows))

    busy_calls = sum(len(in_window(n, start, busy_end)) for n in results)
    # The first minute starts with an empty limiter window, so it may burst past 54; from the
    # second minute on the sliding window is in steady state.
    steady_start = start + 60
    steady = busy_end - steady_start
    steady_calls = sum(len(in_window(n, steady_start, busy_end)) for n in results)
    steady_allowed = CAP_MINUTE * steady / 60
    bg_calls = sum(len(in_window(n, start, busy_end)) for n in workers)
    web_busy_calls = len(in_window("web", start, busy_end))
    allowed = CAP_MINUTE * busy / 60
    limited_total = sandbox_calls["rate_limited"]
    refreshed = Counter[str]()
    stopped_by_budget = 0
    stopped_why = Counter[str]()
    for n in workers:
        for b in results[n]["batches"]:
            refreshed.update(b["by_tier"])
            if b["stopped"] and "benchmark window over" not in b["stopped"]:
                stopped_by_budget += 1
                stopped_why[b["stopped"]] += 1
    fetched = [
        a[3] for n in workers for a in results[n]["answers"] if a[2] == 200 and "/post/" in a[3]
    ]
    distinct = len(set(fetched))
    web_calls = results["web"]["calls"]
    web_seconds = sorted(c["seconds"] for c in web_calls)
    web_failed = Counter(c["outcome"] for c in web_calls if c["outcome"] != "ok")

    print("\nTargets:\n")
    print(
        table(
            ["measure", "result", "target", "met"],
            [
                [
                    "429s received (sandbox /_sandbox/calls rate_limited)",
                    limited_total,
                    "0",
                    "yes" if limited_total == 0 else "NO",
                ],
                [
                    f"budget used while work remained ({busy / 60:.2f} min)",
                    f"{busy_calls:,} calls = {pct(busy_calls, allowed)} of {allowed:,.0f} allowed",
                    ">= 90%",
                    "yes" if allowed and busy_calls >= 0.9 * allowed else "NO",
                ],
                [
                    "  the same from minute 2 on (steady state)",
                    f"{steady_calls:,} calls = {pct(steady_calls, steady_allowed)} of "
                    f"{steady_allowed:,.0f} allowed"
                    if steady > 0
                    else "n/a (window under 1 min)",
                    ">= 90%",
                    ("yes" if steady_calls >= 0.9 * steady_allowed else "NO") if steady > 0 else "",
                ],
                [
                    "  of which background (workers)",
                    f"{bg_calls:,} = {pct(bg_calls, BACKGROUND_MINUTE * busy / 60)} of "
                    f"the {BACKGROUND_MINUTE}/min background alone may fill",
                    "",
                    "",
                ],
                [
                    "  of which interactive (web)",
                    f"{web_busy_calls:,} = {web_busy_calls * 60 / busy:.1f}/min "
                    f"(reserve {RESERVE_MINUTE}/min)"
                    if busy > 0
                    else "n/a",
                    "",
                    "",
                ],
            ],
        )
    )

    print("\nPosts refreshed, by tier (posts.mirror.stats_tier at refresh time):\n")
    tier_rows = [
        [t, refreshed.get(t, 0), due_at_start.get(t, 0), due_at_end.get(t, 0)] for t in TIERS
    ]
    tier_rows.append(
        [
            "all",
            sum(refreshed.values()),
            sum(due_at_start.values()),
            sum(due_at_end.values()),
        ]
    )
    print(table(["tier", "refreshed", "due at start", "due at end"], tier_rows))

    print("\nOther observations:\n")
    print(
        table(
            ["measure", "value"],
            [
                [
                    "stats calls by the workers (200s)",
                    f"{len(fetched):,} for {distinct:,} distinct posts "
                    f"({len(fetched) - distinct:,} duplicate fetches)",
                ],
                ["worker batches cut short by a limiter wait > 30 s", stopped_by_budget],
                ["why they stopped", dict(stopped_why.most_common(3))],
                [
                    "web calls: ok / failed",
                    f"{len(web_calls) - sum(web_failed.values())} / "
                    f"{sum(web_failed.values())} {dict(web_failed) or ''}".strip(),
                ],
                [
                    "web call latency p50 / p95 / max",
                    _latencies(web_seconds),
                ],
                ["HTTP statuses seen by our processes", dict(sorted(statuses.items()))],
                ["sandbox calls by status", sandbox_calls["by_status"]],
            ],
        )
    )


def _latencies(values: list[float]) -> str:
    if not values:
        return "n/a"
    p95 = values[min(len(values) - 1, math.ceil(0.95 * len(values)) - 1)]
    return f"{statistics.median(values):.3f} / {p95:.3f} / {values[-1]:.3f} s"


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
