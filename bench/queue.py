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
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT, table
from bench.queue_child import PER_PAGE, child

SELECT_LIST = re.compile(r"^SELECT (?!COUNT).*? FROM ")


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
        for option in ("keep", "reuse"):
            if value := getattr(args, option):
                command += [f"--{option}", value]
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
    parser.add_argument(
        "--keep",
        help="copy the freshly seeded SQLite file here (PostgreSQL: into a database of "
        "this name, containing 'bench'); one size only",
    )
    parser.add_argument(
        "--reuse",
        help="start from a file (or PostgreSQL database) kept by --keep, or by "
        "`bench.stats_page --keep`, instead of seeding; one size only, and --sizes must "
        "say the size it holds",
    )
    # Internal: one size in a child process.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if (args.keep or args.reuse) and len(args.sizes) != 1 and not args.child:
        raise SystemExit("--keep and --reuse take one size (--sizes N)")
    if args.child:
        child(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
