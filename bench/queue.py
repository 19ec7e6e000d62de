"""`python -m bench.queue`: the queue page beside Django's admin changelist, 10k to 1M posts.

For each size, a scratch database (a SQLite file in a temporary VAR_DIR, or a scratch
PostgreSQL database with --database-url) is migrated and filled by `seed_mirror`, then,
in-process through django.test.Client as a logged-in editor superuser:

* ours: /posts/ with three filters (two statuses, a network, a campaign) and a sort,
  50 rows: the first page, and a deep page reached by following the page's own
  `<a rel="next">` cursor link (page 50 by default, or the last page if fewer);
* the admin: /admin/posts/post/ with the same filters and ordering (PostAdmin), its
  first page and ?p= of the same depth.

Each URL is requested once to warm caches, then timed `--runs` times (the median is
shown: server time inside the WSGI handler, no network), then requested once more under
CaptureQueriesContext to count SQL queries and find the slowest. Every page is checked
against the ORM: both must show exactly the 50 posts the filters select at that depth.

Before any of that, the pages a user opens first are measured as a user gets them: the
default queue page (/posts/, no filter) and searches (a common word, a rare word, a
prefix, two words), each first requested cold (no warm-up of its own: right after
seeding and whatever maintenance the product runs itself), then `--runs` times more.
The benchmark gathers no planner statistics of its own (no ANALYZE, no VACUUM).

Timed runs wait for the machine to be quiet (1-minute load average below --quiet-load,
polled for up to --quiet-wait seconds) and report the load they started at.

Each size runs in a child process (this module with --child) so every size starts from
a fresh database and a fresh Django.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.common import ROOT, cleanup, django_start, prepare, table, wait_quiet

NEXT_LINK = re.compile(r'<a rel="next" href="([^"]+)"')
ROW_ID = re.compile(r'<tr id="post-([0-9A-Za-z-]+)"')
SHORT_CODE = re.compile(r"okt\.to/([A-Za-z0-9]{6})\b")
SELECT_LIST = re.compile(r"^SELECT (?!COUNT).*? FROM ")
PER_PAGE = 50
STATUSES = ("complete", "incomplete")
NETWORK = "LinkedIn"


# --- the child: one size ---------------------------------------------------------------


def _measure(client: Any, urls: dict[str, str], runs: int) -> dict[str, dict[str, Any]]:
    """Median time and SQL of each URL. Runs are interleaved (ours, admin, ours, ...) so
    that both sides see the same machine load when something else is running."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in urls.values():
        response = client.get(url)  # warm-up: caches, first-use imports, database pages
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
        queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
        slowest = sorted(queries, reverse=True)[:3]
        results[name] = {
            "ms": statistics.median(times[name]),
            "min_ms": min(times[name]),
            "queries": len(queries),
            "sql_ms": sum(t for t, _ in queries),
            "slowest": [{"ms": t, "sql": sql[:3000]} for t, sql in slowest],
            "html": response.content.decode(),
        }
    return results


def _expected_ids(campaign_id: str, page: int) -> list[str]:
    from posts.models import Post

    start = (page - 1) * PER_PAGE
    return list(
        Post.objects.filter(
            status__in=STATUSES,
            network=NETWORK,
            campaign_id=campaign_id,
            deleted_at__isnull=True,
        )
        .order_by("-start_at", "-id")
        .values_list("oktopost_id", flat=True)[start : start + PER_PAGE]
    )


def _rare_word() -> str:
    """The short-link code in the message of the newest post that has one: a word of one
    message's text only. (The newest message may be used by no post yet.)"""
    from posts.models import Post

    texts = (
        Post.objects.filter(deleted_at__isnull=True, message__text__contains="okt.to/")
        .order_by("-start_at")
        .values_list("message__text", flat=True)[:50]
    )
    for text in texts:
        if found := SHORT_CODE.search(text):
            return found.group(1)
    raise SystemExit("no post whose message has a short link to search for")


def _user_pages(client: Any, runs: int, rare: str) -> dict[str, dict[str, Any]]:
    """The default page and searches, each first requested cold, then `runs` times."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Template compilation and first-use imports are the process's, not the page's: an
    # empty selection (a preset narrowed to a status outside it) renders the page without
    # reading posts.
    client.get("/posts/?preset=upcoming&status=complete")
    connection.close()
    searches = {
        "search common": "webinar",
        "search rare": rare,
        "search prefix": "webin",
        "search two words": "data pipeline",
    }
    pages: dict[str, dict[str, Any]] = {"default": {"url": "/posts/", "q": ""}}
    for name, q in searches.items():
        pages[name] = {"url": f"/posts/?{urlencode({'q': q})}", "q": q}
    for page in pages.values():
        began = time.perf_counter()
        response = client.get(page["url"])
        page["cold_ms"] = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{page['url']} answered {response.status_code}")
    for page in pages.values():
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            client.get(page["url"])
            times.append((time.perf_counter() - began) * 1000)
        page["ms"] = statistics.median(times)
        with CaptureQueriesContext(connection) as captured:
            page["html"] = client.get(page["url"]).content.decode()
        queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
        page["queries"] = len(queries)
        page["sql_ms"] = sum(t for t, _ in queries)
        page["slowest"] = [
            {"ms": t, "sql": sql[:3000]} for t, sql in sorted(queries, reverse=True)[:3]
        ]
    return pages


def _user_pages_check(pages: dict[str, dict[str, Any]]) -> None:
    """Each page shows the first 50 posts its words select (a post matches when its
    message's text contains every word, case-insensitively: for these words a whole-word
    prefix match and a substring match select the same posts), newest first."""
    from posts.models import Post

    for name, page in pages.items():
        posts = Post.objects.filter(deleted_at__isnull=True)
        for word in page["q"].split():
            posts = posts.filter(message__text__icontains=word)
        expected = list(
            posts.order_by("-start_at", "-id").values_list("oktopost_id", flat=True)[:PER_PAGE]
        )
        html = page.pop("html")
        shown = ROW_ID.findall(html)
        if shown != expected or not expected:
            raise SystemExit(
                f"{name} ({page['url']}): shows {len(shown)} posts, not the "
                f"{len(expected)} expected (or not in their order)"
            )
        page["rows"] = len(shown)


def _check(html: str, expected: list[str], label: str) -> None:
    missing = [i for i in expected if i not in html]
    if missing or not expected:
        raise SystemExit(f"{label}: {len(missing)} of {len(expected)} expected posts missing")


def child(args: argparse.Namespace) -> None:
    # The test client calls itself "testserver"; axes logs every login at INFO.
    extra = {"ALLOWED_HOSTS": "testserver,127.0.0.1,localhost", "LOG_LEVEL": "warning"}
    scratch = prepare(args.database_url, extra)
    try:
        django_start(migrate=True)
        result = _child_run(args, scratch.database_label, scratch.postgres)
    finally:
        cleanup(scratch)
    Path(args.out).write_text(json.dumps(result))


def _child_run(args: argparse.Namespace, label: str, postgres: bool) -> dict[str, Any]:
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from accounts.models import EDITOR, User
    from posts.models import Post

    began = time.monotonic()
    call_command("seed_mirror", posts=args.size, seed=args.seed, stdout=sys.stderr)
    seed_seconds = time.monotonic() - began
    # Nothing more: the database is measured as the product leaves it after seeding
    # (whatever planner statistics seed_mirror itself gathers, and none of our own).

    user = User.objects.create_superuser("bench", "bench@example.com", "bench-not-secret")
    user.groups.add(Group.objects.get_or_create(name=EDITOR)[0])
    client = Client()
    client.force_login(user)
    rare = _rare_word()
    connection.close()

    load_before = wait_quiet(args.quiet_load, args.quiet_wait)
    user_pages = _user_pages(client, args.runs, rare)

    # The campaign with the most posts, so that deep pages exist at every size.
    campaign_id = (
        Post.objects.values_list("campaign_id", flat=True)
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    matching = Post.objects.filter(
        status__in=STATUSES, network=NETWORK, campaign_id=campaign_id
    ).count()
    # The deepest full page up to --deep: a short last page would flatter both sides.
    depth = max(1, min(args.deep, matching // PER_PAGE))

    query = "&".join(f"status={s}" for s in STATUSES)
    ours_first_url = f"/posts/?{query}&network={NETWORK}&campaign={campaign_id}&sort=-start_at"
    admin_first_url = (
        f"/admin/posts/post/?status__in={','.join(STATUSES)}&network={NETWORK}"
        f"&campaign__oktopost_id__exact={campaign_id}"
    )
    admin_deep_url = f"{admin_first_url}&p={depth}"

    # Reach our deep page the way a reader does: by the "next" link of each page.
    ours_deep_url = ours_first_url
    for _ in range(depth - 1):
        html = client.get(ours_deep_url).content.decode()
        link = NEXT_LINK.search(html)
        if not link:
            raise SystemExit(f"no rel=next link on the way to page {depth}")
        ours_deep_url = unescape(link.group(1))

    urls = {
        "ours_first": ours_first_url,
        "admin_first": admin_first_url,
        "ours_deep": ours_deep_url,
        "admin_deep": admin_deep_url,
    }
    results = _measure(client, urls, args.runs)
    for name, result in results.items():
        page = depth if name.endswith("deep") else 1
        _check(result.pop("html"), _expected_ids(campaign_id, page), f"{name} ({urls[name]})")
    _user_pages_check(user_pages)
    return {
        "size": args.size,
        "database": label,
        "postgres": postgres,
        "seed_seconds": seed_seconds,
        "load_before": load_before,
        "user_pages": user_pages,
        "matching": matching,
        "depth": depth,
        "urls": {
            "ours_first": ours_first_url,
            "ours_deep": ours_deep_url.split("&cursor=")[0] + "&cursor=…",
            "admin_first": admin_first_url,
            "admin_deep": admin_deep_url,
        },
        "results": results,
    }


# --- the parent: every size, then the tables -----------------------------------------------


def run(args: argparse.Namespace) -> None:
    outputs: list[dict[str, Any]] = []
    for size in args.sizes:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            out = handle.name
        command = [
            sys.executable,
            "-m",
            "bench.queue",
            "--child",
            "--size",
            str(size),
            "--out",
            out,
            "--runs",
            str(args.runs),
            "--deep",
            str(args.deep),
            "--seed",
            str(args.seed),
            "--quiet-load",
            str(args.quiet_load),
            "--quiet-wait",
            str(args.quiet_wait),
        ]
        if args.database_url:
            command += ["--database-url", args.database_url]
        print(f"... {size:,} posts: seeding and measuring", file=sys.stderr, flush=True)
        subprocess.run(command, cwd=ROOT, check=True)
        outputs.append(json.loads(Path(out).read_text()))
        Path(out).unlink(missing_ok=True)
    if args.json:
        Path(args.json).write_text(json.dumps(outputs, indent=1))
    report(outputs, args)


def report(outputs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"Queue vs admin changelist: median of {args.runs} runs, server time in-process "
        f"(django.test.Client), {PER_PAGE} rows; load average after the run {load}\n"
    )
    rows = []
    for o in outputs:
        r = o["results"]
        db = "PostgreSQL" if o["postgres"] else "SQLite"
        ours_q = f"{r['ours_first']['queries']} / {r['ours_deep']['queries']}"
        admin_q = f"{r['admin_first']['queries']} / {r['admin_deep']['queries']}"
        rows.append(
            [
                o["size"],
                db,
                r["ours_first"]["ms"],
                f"{r['ours_deep']['ms']:.1f} (p{o['depth']})",
                ours_q,
                r["admin_first"]["ms"],
                r["admin_deep"]["ms"],
                admin_q,
                f"{r['admin_first']['ms'] / r['ours_first']['ms']:.1f}x",
                f"{r['admin_deep']['ms'] / r['ours_deep']['ms']:.1f}x",
            ]
        )
    print(
        table(
            [
                "posts",
                "db",
                "ours first ms",
                "ours deep ms",
                "ours queries",
                "admin first ms",
                "admin deep ms",
                "admin queries",
                "ratio first",
                "ratio deep",
            ],
            rows,
        )
    )
    print("\nQueries are first page / deep page. Ratio = admin time / our time.\n")
    details = []
    for o in outputs:
        r = o["results"]
        details.append(
            [
                o["size"],
                "PostgreSQL" if o["postgres"] else "SQLite",
                f"{o['seed_seconds']:.0f}",
                o["matching"],
                r["ours_first"]["sql_ms"],
                r["ours_deep"]["sql_ms"],
                r["admin_first"]["sql_ms"],
                r["admin_deep"]["sql_ms"],
            ]
        )
    print(
        table(
            [
                "posts",
                "db",
                "seed s",
                "matching posts",
                "ours first SQL ms",
                "ours deep SQL ms",
                "admin first SQL ms",
                "admin deep SQL ms",
            ],
            details,
        )
    )
    print(
        "\nThe pages a user opens first, as the product leaves the database after seeding "
        "(no ANALYZE or VACUUM by the benchmark): cold = the first request of each URL, "
        f"then the median of {args.runs} more.\n"
    )
    rows = []
    for o in outputs:
        db = "PostgreSQL" if o["postgres"] else "SQLite"
        for name, page in o["user_pages"].items():
            rows.append(
                [
                    o["size"],
                    db,
                    name,
                    f"q={page['q']}" if page["q"] else "(none)",
                    page["rows"],
                    page["cold_ms"],
                    page["ms"],
                    page["sql_ms"],
                    page["queries"],
                    f"{o['load_before']:.2f}",
                ]
            )
    print(
        table(
            [
                "posts",
                "db",
                "page",
                "search",
                "rows",
                "cold ms",
                "median ms",
                "SQL ms",
                "queries",
                "load at start",
            ],
            rows,
        )
    )
    print("\nURLs:")
    for name, url in outputs[-1]["urls"].items():
        print(f"  {name}: {url}")
    print("\nSlowest query of each page (one captured request each; column lists elided):")
    for o in outputs:
        db = "PostgreSQL" if o["postgres"] else "SQLite"
        slowest = {name: o["results"][name]["slowest"] for name in o["results"]}
        slowest |= {name: page["slowest"] for name, page in o["user_pages"].items()}
        for name, queries in slowest.items():
            top = queries[0]
            sql = SELECT_LIST.sub("SELECT … FROM ", " ".join(top["sql"].split()), count=1)
            print(f"  {o['size']:,} {db} {name}: {top['ms']:.0f} ms  {sql[:600]}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.queue", description=__doc__)
    parser.add_argument(
        "--sizes",
        type=lambda v: [int(x) for x in v.split(",") if x.strip()],
        default=[10_000, 100_000, 1_000_000],
        help="comma-separated post counts",
    )
    parser.add_argument("--database-url", help="scratch PostgreSQL database (name contains bench)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--deep", type=int, default=50, help="the deep page's number")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write every measurement (and slow SQL) here")
    parser.add_argument(
        "--quiet-load",
        type=float,
        default=1.0,
        help="wait for the 1-minute load average to drop below this before timing",
    )
    parser.add_argument(
        "--quiet-wait", type=float, default=600.0, help="wait at most this many seconds"
    )
    # Internal: one size in a child process.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        child(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
