"""`python -m bench.calendar`: the calendar's week and month beside the queue's first page.

One size per run: a scratch database (a SQLite file in a temporary VAR_DIR, or a scratch
PostgreSQL database with --database-url) is migrated and filled by `seed_mirror`
(90 days of posts around now: at 1M posts that is about 11,000 posts a day, so every day
of a week or a month overflows its chips and its capped count). Then, in-process through
django.test.Client as a logged-in editor:

* the queue: /posts/ (the default page, 50 rows) and /posts/ with a network and a
  status filter, as a reference;
* the calendar: this week and this month, unfiltered and with the same filters.

Each URL is requested once to warm caches, then `--runs` times, interleaved (median
server time inside the WSGI handler, no network), then once more under
CaptureQueriesContext to count SQL queries. The issue's target: a calendar page at most
2x the queue's first page and at most 12 queries.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

from bench.common import cleanup, django_start, prepare, table, wait_quiet

FILTER = "network=LinkedIn&status=pending&status=inqueue"


def measure(client: Any, urls: dict[str, str], runs: int) -> dict[str, dict[str, Any]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in urls.values():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    times: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(runs):
        for name, url in urls.items():
            began = time.perf_counter()
            client.get(url)
            times[name].append((time.perf_counter() - began) * 1000)
    results = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        html = response.content.decode()
        sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        results[name] = {
            "url": url,
            "ms": round(statistics.median(times[name]), 1),
            "queries": len(captured.captured_queries),
            "sql_ms": round(sql_ms, 1),
            "chips": html.count('class="chip '),
            "rows": html.count('<tr id="post-'),
        }
    return results


def profile(client: Any, url: str, runs: int = 5) -> None:
    """Where `url`'s time goes: cProfile over `runs` requests, by own time and in total."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--quiet-load", type=float, default=1.5)
    parser.add_argument("--quiet-wait", type=float, default=120)
    parser.add_argument(
        "--profile",
        default="",
        help="a page's name (as in the table) or any path: print its cProfile",
    )
    args = parser.parse_args()

    extra = {"ALLOWED_HOSTS": "testserver,127.0.0.1,localhost", "LOG_LEVEL": "warning"}
    scratch = prepare(args.database_url or None, extra)
    try:
        django_start(migrate=True)
        from django.contrib.auth.models import Group
        from django.core.management import call_command
        from django.test import Client

        from accounts.models import EDITOR, User

        began = time.monotonic()
        call_command("seed_mirror", posts=args.posts, seed=args.seed, stdout=sys.stderr)
        seed_seconds = time.monotonic() - began
        user = User.objects.create_user("bench", "bench@example.com", "bench-not-secret")
        user.groups.add(Group.objects.get_or_create(name=EDITOR)[0])
        client = Client()
        client.force_login(user)
        urls = {
            "queue first page": "/posts/",
            "queue, filtered": f"/posts/?{FILTER}",
            "calendar week": "/calendar/?view=week",
            "calendar month": "/calendar/?view=month",
            "calendar week, filtered": f"/calendar/?view=week&{FILTER}",
            "calendar month, filtered": f"/calendar/?view=month&{FILTER}",
        }
        load = wait_quiet(args.quiet_load, args.quiet_wait)
        results = measure(client, urls, args.runs)
        if args.profile:
            profile(client, urls.get(args.profile, args.profile))
    finally:
        cleanup(scratch)
    db = "PostgreSQL" if scratch.postgres else "SQLite"
    print(
        f"\nCalendar vs queue, {args.posts:,} posts on {db} (seeded in {seed_seconds:.0f} s), "
        f"median of {args.runs} runs, server time in-process; load before {load:.2f}\n"
    )
    queue_ms = results["queue first page"]["ms"]
    queue_filtered_ms = results["queue, filtered"]["ms"]
    rows = []
    for name, r in results.items():
        reference = queue_filtered_ms if "filtered" in name else queue_ms
        shown = r["chips"] or r["rows"]
        rows.append(
            [name, r["ms"], r["sql_ms"], r["queries"], shown, f"{r['ms'] / reference:.1f}x"]
        )
    print(
        table(
            ["page", "ms", "SQL ms", "queries", "rows/chips", "vs queue"],
            rows,
        )
    )
    print("\n'vs queue': against the queue's first page with the same filters (or none).")


if __name__ == "__main__":
    main()
