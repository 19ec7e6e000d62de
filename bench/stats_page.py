"""`python -m bench.stats_page`: /stats/ over 90 days, its later sections and its CSV,
beside the queue.

One size per run: a scratch database (a SQLite file in a temporary VAR_DIR, or a
scratch PostgreSQL database with --database-url, whose name must contain "bench") is
migrated and filled by `seed_mirror --posts N` (60 days of past posts and 30 of
scheduled ones). `--keep FILE` copies the SQLite file right after seeding (with
--database-url: `--keep NAME` copies the database as a template); `--reuse FILE|NAME`
starts from such a copy instead of seeding (copied again into the scratch folder,
then migrated: the freshly seeded database, with no ANALYZE, rollup or warm cache the
product would not have). Then, in-process through django.test.Client as a viewer:

* the default page once with the hourly rollup not built yet (every hour dirty: what
  the page costs before the worker's first pass), then the rollup's build, timed: the
  worker's job (`reports.tasks.stats_rollup_refresh`), run here in-process by calling
  `reports.rollup.refresh_all`, as the worker would in its 30-second batches;
* every scope of `scopes()` over 90 days (all posts; one network by message; the
  busiest campaign, creator, target profile; a source; a media kind; one message;
  words; the "sent" preset; breakdowns by campaign and by profile; a viewer in
  Asia/Kolkata, 5:30 off UTC; `--only` picks some), each section those pages fill in
  after load (/stats/part/<name>/, requested as htmx does), and the queue's first page
  /posts/: each requested once to warm caches, then
  timed `--runs` times (median server time inside the WSGI handler), then once more
  under CaptureQueriesContext to count SQL queries and show the slowest;
* /stats/export.csv over every past post (from the first seeded day to today):
  rows per second, and the process's resident memory sampled every 10,000 rows (the
  CSV is consumed as a client would, chunk by chunk, and thrown away).

The machine may be shared: timed runs wait for the 1-minute load average to drop below
--quiet-load (at most --quiet-wait seconds) and the report says the load they began at.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import time
from typing import Any

from bench.common import (
    _postgres_admin,
    cleanup,
    django_start,
    load_average,
    prepare,
    table,
    wait_quiet,
)

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE / 1e6


EXPLAIN = False


def _plan(sql: str) -> list[str]:
    """The database's plan for a captured query (with --explain)."""
    from django.db import connection

    if not EXPLAIN:
        return []
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    try:
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql.replace("%", "%%"))
            return [" ".join(str(part) for part in row) for row in cursor.fetchall()]
    except Exception as exc:  # a captured query's text may not run again as it is
        return [f"(no plan: {exc})"]


def _lazy(response: Any) -> list[str]:
    """The sections a stats page fills in after load (none on other pages)."""
    return re.findall(r'hx-get="/stats/part/([a-z]+)/', response.content.decode())


def measure(client: Any, url: str, runs: int, *, htmx: bool = False) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(url, headers=headers)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        client.get(url, headers=headers)
        times.append((time.perf_counter() - began) * 1000)
    with CaptureQueriesContext(connection) as captured:
        client.get(url, headers=headers)
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
    return {
        "url": url,
        "lazy": _lazy(response),
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "queries": len(captured.captured_queries),
        "slowest_ms": float(slowest["time"]) * 1000,
        "slowest_sql": slowest["sql"][:160],
        "plan": _plan(slowest["sql"]),
        "slowest": f"{float(slowest['time']) * 1000:.0f}",
        "all": [(round(float(q["time"]) * 1000), q["sql"][:90]) for q in captured.captured_queries],
    }


def export(client: Any, url: str) -> dict[str, Any]:
    before = rss_mb()
    peak = before
    began = time.perf_counter()
    response = client.get(url)
    lines = 0
    for _chunk in response.streaming_content:
        lines += 1
        if lines % 10_000 == 0:
            peak = max(peak, rss_mb())
    seconds = time.perf_counter() - began
    rows = lines - 1
    return {
        "url": url,
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds if seconds else 0,
        "rss_before_mb": before,
        "rss_peak_mb": max(peak, rss_mb()),
    }


def _pg_copy(database_url: str, *, source: str, target: str) -> None:
    """CREATE DATABASE target TEMPLATE source (a file copy: seconds, where seeding 1M
    posts takes a quarter of an hour). Both names must contain "bench"."""
    import psycopg
    from psycopg import sql

    _, params = _postgres_admin(database_url)
    for name in (source, target):
        if "bench" not in name:
            raise SystemExit(f"database names must contain 'bench': {name!r}")
    with psycopg.connect(**params) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(target), sql.Identifier(source)
            )
        )


TARGET_MS = 300


def _short(url: str) -> str:
    """The page's path: its scope's query is in the table's first column."""
    path = url.split("?", 1)[0]
    return path.removeprefix("/stats/part/").rstrip("/") or path


def scopes(only: str | None = None) -> list[tuple[str, str, str]]:
    """(label, the stats page's query, the viewer's zone) for every kind of scope over
    90 days: the plain view, each filter the queue offers the stats page (the busiest
    campaign, creator, target profile and a message, read from the seeded mirror), a
    preset, words, and a zone 5:30 off UTC."""
    from datetime import timedelta

    from django.db.models import Count
    from django.utils import timezone

    from posts.models import Delivery, Post

    def busiest(field: str, rows=None) -> str:
        rows = rows if rows is not None else Post.objects.exclude(**{f"{field}__isnull": True})
        found = rows.values(field).annotate(n=Count("id")).order_by("-n").first()
        return found[field] if found else ""

    campaign = busiest("campaign_id")
    creator = busiest("created_by", Post.objects.exclude(created_by=""))
    profile = busiest("profile_id", Delivery.objects.all())
    # A message of a post sent a week ago (each message is posted about four times).
    week_ago = timezone.now() - timedelta(days=7)
    message = (
        Post.objects.filter(start_at__lte=week_ago, message_id__isnull=False)
        .order_by("-start_at")
        .values_list("message_id", flat=True)
        .first()
    )
    found = [
        ("all posts", "range=90d", "UTC"),
        ("one network, by message", "range=90d&network=LinkedIn&by=message", "UTC"),
        ("one campaign", f"range=90d&campaign={campaign}", "UTC"),
        ("one creator", f"range=90d&created_by={creator}", "UTC"),
        ("one profile", f"range=90d&profile={profile}", "UTC"),
        ("one source", "range=90d&source=API", "UTC"),
        ("with image", "range=90d&media=image", "UTC"),
        ("one message", f"range=90d&message={message}", "UTC"),
        ("words", "range=90d&q=webinar", "UTC"),
        ("preset sent", "range=90d&preset=sent", "UTC"),
        ("by campaign", "range=90d&by=campaign", "UTC"),
        ("by profile", "range=90d&by=profile", "UTC"),
        ("Kolkata (+5:30)", "range=90d", "Asia/Kolkata"),
    ]
    return [s for s in found if not only or only in s[0]]


def run(args: argparse.Namespace) -> None:
    global EXPLAIN
    EXPLAIN = args.explain
    extra = {"ALLOWED_HOSTS": "testserver,127.0.0.1,localhost", "LOG_LEVEL": "warning"}
    scratch = prepare(args.database_url, extra)
    try:
        scratch_name = scratch.database_url.rsplit("/", 1)[-1]
        if args.reuse:
            began = time.monotonic()
            if scratch.postgres:
                # A database kept by --keep, copied as a template: the seeded state.
                _pg_copy(scratch.database_url, source=args.reuse, target=scratch_name)
            else:
                shutil.copyfile(args.reuse, scratch.var_dir / "bench.sqlite3")
            copy_s = time.monotonic() - began
        django_start(migrate=True)
        from django.contrib.auth.models import Group
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.utils import timezone

        from accounts.models import VIEWER, User
        from posts.models import Post
        from reports import rollup

        if args.reuse:
            seed_s, seeded_how = copy_s, f"copied from {args.reuse} in"
        else:
            began = time.monotonic()
            call_command("seed_mirror", posts=args.size, seed=args.seed, stdout=sys.stderr)
            seed_s, seeded_how = time.monotonic() - began, "seeded in"
            if args.keep:
                connection.close()
                if scratch.postgres:
                    _pg_copy(scratch.database_url, source=scratch_name, target=args.keep)
                else:
                    shutil.copyfile(scratch.var_dir / "bench.sqlite3", args.keep)
        user = User.objects.create_user("bench", time_zone="UTC")
        user.groups.add(Group.objects.get_or_create(name=VIEWER)[0])
        client = Client()
        client.force_login(user)
        first = Post.objects.order_by("start_at").values_list("start_at", flat=True).first()
        today = timezone.now().date()
        in_90 = Post.objects.filter(
            start_at__gte=timezone.now() - timezone.timedelta(days=90),
            start_at__lte=timezone.now(),
        ).count()
        connection.close()
        load = wait_quiet(args.quiet_load, args.quiet_wait)
        load_text = load_average()
        dirty = rollup.dirty_count()
        unbuilt = measure(client, "/stats/?range=90d", 1)
        began = time.monotonic()
        built = rollup.refresh_all()
        build_s = time.monotonic() - began
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM reports_hourrollup")
            rollup_rows = cursor.fetchone()[0]
        pages = []
        zoned = User.objects.create_user("bench-kolkata", time_zone="Asia/Kolkata")
        zoned.groups.add(Group.objects.get_or_create(name=VIEWER)[0])
        clients = {"UTC": client, "Asia/Kolkata": Client()}
        clients["Asia/Kolkata"].force_login(zoned)
        for label, query, zone in scopes(args.only):
            page = measure(clients[zone], f"/stats/?{query}", args.runs)
            page["scope"] = label
            pages.append(page)
            for name in page["lazy"]:
                part = measure(clients[zone], f"/stats/part/{name}/?{query}", args.runs, htmx=True)
                part["scope"] = label
                pages.append(part)
        pages.append(measure(client, "/posts/", args.runs) | {"scope": "queue"})
        csv = None
        if not args.no_csv:
            csv = export(client, f"/stats/export.csv?from={first:%Y-%m-%d}&to={today:%Y-%m-%d}")
    finally:
        cleanup(scratch)
    print(
        f"\n{args.size:,} posts on {scratch.database_label}; {in_90:,} in the last 90 days; "
        f"{seeded_how} {seed_s:.0f} s; load at start {load:.2f} ({load_text})\n"
    )
    print(
        f"Before the rollup is built ({dirty:,} dirty hours): /stats/?range=90d took "
        f"{unbuilt['median_ms']:.0f} ms, {unbuilt['queries']} queries.\n"
        f"Rollup build (the worker's job, run in-process as the worker would): "
        f"{built['hours']:,} hours in {build_s:.1f} s, {rollup_rows:,} rollup rows.\n"
    )
    page_rows = [
        [
            p["scope"],
            _short(p["url"]),
            f"{p['median_ms']:.0f}",
            f"{p['min_ms']:.0f}",
            p["queries"],
            p["slowest"],
            "yes" if p["median_ms"] <= TARGET_MS else "NO",
        ]
        for p in pages
    ]
    headers = ["scope", "page", "median ms", "min ms", "queries", "slowest query ms"]
    print(table([*headers, f"<= {TARGET_MS} ms"], page_rows))
    over = [p for p in pages if p["median_ms"] > TARGET_MS]
    print(
        f"\n{len(pages) - len(over)} of {len(pages)} pages and sections at {TARGET_MS} ms or less."
    )
    print()
    if args.sql:
        for p in [unbuilt, *pages]:
            print(f"\n{p['url']}:")
            for ms, sql in p["all"]:
                print(f"  {ms:6d} ms  {sql}")
            for line in p["plan"]:
                print(f"      plan: {line}")
    if csv is None:
        return
    csv_row = [csv["url"].split("?")[0], f"{csv['rows']:,}", f"{csv['seconds']:.1f}"]
    csv_row += [f"{csv['rows_per_s']:,.0f}", f"{csv['rss_before_mb']:.0f}"]
    csv_row += [f"{csv['rss_peak_mb']:.0f}"]
    headers = ["CSV", "rows", "seconds", "rows/s", "RSS before MB", "RSS peak MB"]
    print(table(headers, [csv_row]))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.stats_page", description=__doc__)
    parser.add_argument(
        "--size", "--sizes", type=int, default=100_000, help="posts to seed (one size a run)"
    )
    parser.add_argument("--only", help="only the scopes whose label holds this text")
    parser.add_argument("--database-url", help="scratch PostgreSQL database (name contains bench)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sql", action="store_true", help="also print each page's slowest SQL")
    parser.add_argument(
        "--explain", action="store_true", help="with --sql, the plan of each slowest query"
    )
    parser.add_argument(
        "--keep",
        help="copy the freshly seeded SQLite file here (PostgreSQL: into a database of "
        "this name, containing 'bench')",
    )
    parser.add_argument(
        "--reuse",
        help="start from a SQLite file (or PostgreSQL database) kept by --keep (no seeding)",
    )
    parser.add_argument("--no-csv", action="store_true", help="skip the CSV export")
    parser.add_argument("--quiet-load", type=float, default=1.5)
    parser.add_argument("--quiet-wait", type=float, default=120.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()
