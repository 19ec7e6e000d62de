"""`python -m bench.load`: the queue, the detail drawer and /health/ under load, over loopback.

What a run does:

1. Points Django at a mirror of its own: a SQLite file under --var-dir (default
   /tmp/oktodash-load/var-sqlite) or, with --database-url, a PostgreSQL database whose name
   contains "load" or "bench". Migrates it and, when it holds no posts, fills it with
   `manage.py seed_mirror --posts N --seed 1`. A mirror that already holds N posts is
   reused (seeding a million posts takes 6-45 minutes); any other count stops the run.
   The stats rollup is built as the worker builds it (`reports.rollup.refresh_all`, in
   process) when hours are dirty: a deployment's stats pages read it. Nothing is
   analysed or warmed beyond what the product does itself (seed_mirror gathers planner
   statistics at its end, as the hourly `refresh_planner_stats` task would).
2. Creates a viewer (`load-viewer`, the viewer group only) and a logged-in session for it
   (SessionStore with the auth session keys), sent as the session cookie.
3. Starts gunicorn exactly as the Procfile's `web` line does (same workers, threads and
   flags), bound to 127.0.0.1 on a free port; the access log goes to a file.
4. Crawls the queue as a reader does, sequentially: the default page, presets, network,
   campaign and status filters, sorts by start and clicks, text searches, and for each
   the pages behind its `rel="next"` cursor links; post ids come from the rows seen.
   From that it draws the mix (--mix weights, fixed random seed): full pages, htmx
   partials (`HX-Request: true`, as the filter form and pager ask), the detail drawer
   (htmx) of posts seen on the pages, and /health/ (no cookie, as a monitor calls it);
   the stats page (default range, 7 days, LinkedIn) and its five sections (htmx, same
   query), and the calendar's week and month (plain and filtered).
5. For each --concurrency: waits until the 1-minute load average is below --max-load
   (polling up to --load-wait seconds; the load measured is printed either way), then
   runs `wrk` (Debian's, with bench/load.lua) with that many connections, bounded by
   --duration and --max-requests, keep-alive as a browser. While it runs, the RSS of the
   gunicorn master and each worker is sampled from /proc every 0.5 s.
6. Prints a table per concurrency: requests/s, p50/p90/p99/max latency, errors (socket
   errors, timeouts and every non-2xx status), gunicorn's CPU per response (master and
   workers, from /proc: what the machine's other load does not change much), RSS per
   worker; then, sequentially (one
   user, python-requests), the median time of each kind of request.

Only 127.0.0.1 is ever contacted; gunicorn is stopped by its pid at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import requests

from bench.common import NEXT_LINK, ROOT, ROW_ID, exit_on_sigterm, free_port, table
from bench.load_server import Gunicorn, configure, cpu_seconds, mirror_ready, rss_mb, viewer_session
from bench.machine import describe

LUA = ROOT / "bench" / "load.lua"
# Words a reader might search for; all occur in the generated texts.
SEARCH_WORDS = ("pipeline", "Acme", "webinar", "alert fatigue")
DEFAULT_MIX = (
    "page=20,partial=30,paging=15,search=5,drawer=25,health=5,stats=2,section=4,calendar=3"
)
# The stats page (its default period, then two narrower views a team opens) and each of
# the sections it fills in after load (htmx, same query); the calendar's week and month,
# unfiltered and with the calendar benchmark's filter.
STATS_VIEWS = ("", "range=7d", "network=LinkedIn")
STATS_SECTIONS = ("breakdown", "messages", "top", "heatmap", "followers")
CALENDAR_VIEWS = (
    "view=week",
    "view=month",
    "view=week&network=LinkedIn&status=pending&status=inqueue",
    "view=month&network=LinkedIn&status=pending&status=inqueue",
)


@dataclass
class Target:
    kind: str
    path: str
    htmx: bool = False


@dataclass
class Crawl:
    pages: list[str] = field(default_factory=list)  # first pages of the filter sets
    deeper: list[str] = field(default_factory=list)  # reached through rel="next"
    searches: list[str] = field(default_factory=list)  # q= pages (and their next pages)
    stats: list[str] = field(default_factory=list)  # /stats/ pages
    sections: list[str] = field(default_factory=list)  # /stats/part/<section>/ (htmx)
    calendars: list[str] = field(default_factory=list)
    post_ids: list[str] = field(default_factory=list)
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


# --- the crawl and the mix ----------------------------------------------------------------


def filter_sets(campaigns: list[str]) -> list[dict[str, object]]:
    """The filtered views a team uses: presets, a network, a campaign, statuses, sorts."""
    sets: list[dict[str, object]] = [
        {},
        {"preset": "upcoming"},
        {"preset": "attention"},
        {"preset": "sent"},
        {"preset": "drafts"},
        {"network": "LinkedIn"},
        {"network": "Twitter", "sort": "start_at"},
        {"status": ["complete", "incomplete"]},
        {"preset": "sent", "sort": "-clicks"},
        {"network": "Facebook", "sort": "-clicks"},
        {"sort": "start_at"},
    ]
    for campaign in campaigns[:3]:
        sets.append({"campaign": campaign})
    if campaigns:
        sets.append(
            {
                "status": ["complete", "incomplete"],
                "network": "LinkedIn",
                "campaign": campaigns[0],
                "sort": "-start_at",
            }
        )
    return sets


def crawl(base: str, cookie: str, campaigns: list[str], depth: int) -> Crawl:
    """Walk the queue as a reader does, recording URLs, post ids and sequential times."""
    http = requests.Session()
    http.headers["Cookie"] = cookie
    found = Crawl()

    def get(kind: str, path: str) -> str:
        began = time.perf_counter()
        response = http.get(base + path, timeout=120, allow_redirects=False)
        found.seconds[kind].append(time.perf_counter() - began)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code} during the crawl")
        return response.text

    def walk(first: str, kind: str, into: list[str]) -> None:
        path = first
        for level in range(depth):
            html = get(kind if level == 0 else "paging", path)
            (into if level == 0 else found.deeper).append(path)
            found.post_ids += [i for i in ROW_ID.findall(html)[:10] if i not in found.post_ids]
            link = NEXT_LINK.search(html)
            if not link:
                break
            path = unescape(link.group(1))

    for params in filter_sets(campaigns):
        walk("/posts/?" + urlencode(params, doseq=True), "page", found.pages)
    for word in SEARCH_WORDS:
        walk("/posts/?" + urlencode({"q": word}), "search", found.searches)
    for query in STATS_VIEWS:
        suffix = f"?{query}" if query else ""
        get("stats", f"/stats/{suffix}")
        found.stats.append(f"/stats/{suffix}")
        for name in STATS_SECTIONS:
            get("section", f"/stats/part/{name}/{suffix}")
            found.sections.append(f"/stats/part/{name}/{suffix}")
    for query in CALENDAR_VIEWS:
        get("calendar", f"/calendar/?{query}")
        found.calendars.append(f"/calendar/?{query}")
    http.close()
    return found


def mix(found: Crawl, weights: dict[str, int], count: int, seed: int) -> list[Target]:
    rng = random.Random(seed)
    pools = {
        "page": [Target("page", p) for p in found.pages],
        "partial": [Target("partial", p, htmx=True) for p in found.pages],
        "paging": [Target("paging", p, htmx=True) for p in found.deeper],
        "search": [Target("search", p, htmx=True) for p in found.searches],
        "drawer": [Target("drawer", f"/posts/{i}/", htmx=True) for i in found.post_ids],
        "health": [Target("health", "/health/")],
        "stats": [Target("stats", p) for p in found.stats],
        "section": [Target("section", p, htmx=True) for p in found.sections],
        "calendar": [Target("calendar", p) for p in found.calendars],
    }
    kinds = [k for k in weights if weights[k] > 0 and pools.get(k)]
    return [
        rng.choice(pools[kind])
        for kind in rng.choices(kinds, weights=[weights[k] for k in kinds], k=count)
    ]


# --- one load level --------------------------------------------------------------------------


def wait_for_quiet(max_load: float, wait: float) -> tuple[float, bool]:
    deadline = time.monotonic() + wait
    while True:
        load = os.getloadavg()[0]
        if load < max_load:
            return load, True
        if time.monotonic() >= deadline:
            return load, False
        print(f"... load {load:.2f} >= {max_load}, waiting", file=sys.stderr, flush=True)
        time.sleep(15)


def run_wrk(
    gunicorn: Gunicorn, requests_file: Path, cookie: str, users: int, args: argparse.Namespace
) -> dict[str, object]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [
        "wrk",
        "-t",
        str(min(users, args.wrk_threads)),
        "-c",
        str(users),
        "-d",
        f"{args.duration}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{gunicorn.port}",
    ]
    threads = min(users, args.wrk_threads)
    env = {
        **os.environ,
        "LOAD_REQUESTS": str(requests_file),
        "LOAD_COOKIE": cookie,
        "LOAD_MAX_REQUESTS": str(-(-args.max_requests // threads)),
        "LOAD_OUT": str(out),
    }
    peak: dict[int, float] = defaultdict(float)
    master = gunicorn.process.pid if gunicorn.process else 0
    served = [master, *gunicorn.workers()]
    cpu_before = cpu_seconds(served)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    while process.poll() is None:
        for pid in [master, *gunicorn.workers()]:
            peak[pid] = max(peak[pid], rss_mb(pid))
        time.sleep(0.5)
    text = process.stdout.read().decode() if process.stdout else ""
    # Requests still queued when wrk stops are finished on CPU it does not count; a
    # moment later they are done (or wrk's 30 s timeout counted them as errors).
    time.sleep(1.0)
    cpu = cpu_seconds(served) - cpu_before
    if process.returncode != 0 or not out.exists() or not out.stat().st_size:
        raise SystemExit(f"wrk failed ({process.returncode}):\n{text}")
    result = json.loads(out.read_text())
    out.unlink(missing_ok=True)
    result["rss_master_mb"] = peak.pop(master, 0.0)
    result["rss_workers_mb"] = sorted(peak.values())
    result["command"] = " ".join(shlex.quote(c) for c in command)
    result["gunicorn_cpu_s"] = cpu
    return result


def per_kind(base: str, cookie: str, targets: list[Target], per: int) -> dict[str, list[float]]:
    """One user, sequential: each kind's own time, `per` requests of each."""
    http = requests.Session()
    by_kind: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        if len(by_kind[target.kind]) < per:
            by_kind[target.kind].append(target)
    seconds: dict[str, list[float]] = {}
    for kind, chosen in by_kind.items():
        seconds[kind] = []
        for target in chosen:
            headers = {} if kind == "health" else {"Cookie": cookie}
            if target.htmx:
                headers["HX-Request"] = "true"
            began = time.perf_counter()
            response = http.get(base + target.path, headers=headers, timeout=120)
            ok = response.status_code == 200
            seconds[kind].append(time.perf_counter() - began if ok else float("nan"))
    http.close()
    return seconds


# --- the run -------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    env = configure(args)
    mirror = mirror_ready(args)
    cookie = viewer_session()
    from posts.models import Campaign, Post

    campaigns = list(Campaign.objects.order_by("name").values_list("oktopost_id", flat=True))
    posts = Post.objects.count()
    from django.db import connections

    connections.close_all()  # gunicorn's workers are the only users of the database now

    log = Path(env["VAR_DIR"]) / "gunicorn.log"
    gunicorn = Gunicorn(env, args.port or free_port(), log)
    gunicorn.start()
    base = f"http://127.0.0.1:{gunicorn.port}"
    results = []
    try:
        found = crawl(base, cookie, campaigns, args.depth)
        targets = mix(found, args.mix, args.mix_size, args.seed)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
            for t in targets:
                handle.write(f"{t.kind} {int(t.htmx)} {t.path}\n")
            requests_file = Path(handle.name)
        if args.save_mix:
            Path(args.save_mix).write_text(requests_file.read_text())
        for users in args.concurrency:
            load, quiet = wait_for_quiet(args.max_load, args.load_wait)
            print(f"... {users} users (load {load:.2f})", file=sys.stderr, flush=True)
            result = run_wrk(gunicorn, requests_file, cookie, users, args)
            result["users"] = users
            result["load_before"] = load
            result["quiet"] = quiet
            result["load_after"] = os.getloadavg()[0]
            results.append(result)
        kinds = {}
        if args.per_kind:
            # After the last level gunicorn may still be working off its backlog.
            wait_for_quiet(args.max_load, args.load_wait)
            kinds = per_kind(base, cookie, targets, args.per_kind)
        requests_file.unlink(missing_ok=True)
    finally:
        gunicorn.stop()
    report(args, env, mirror, posts, found, targets, results, kinds, gunicorn.command)
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "kinds": kinds}, indent=1))


def report(
    args: argparse.Namespace,
    env: dict[str, str],
    mirror: str,
    posts: int,
    found: Crawl,
    targets: list[Target],
    results: list[dict],
    kinds: dict[str, list[float]],
    command: str,
) -> None:
    database = "PostgreSQL" if args.database_url else "SQLite"
    counts: dict[str, int] = defaultdict(int)
    for t in targets:
        counts[t.kind] += 1
    share = ", ".join(f"{k} {100 * n / len(targets):.0f}%" for k, n in sorted(counts.items()))
    print(f"Load: {posts:,} posts, {database} ({mirror}), {os.cpu_count()} CPUs; {describe()}")
    print(f"gunicorn: {command} (WEB_BIND=127.0.0.1:{args.port or 'free port'})")
    print(
        f"mix of {len(targets):,} requests: {share}; from {len(found.pages)} filter sets, "
        f"{len(found.deeper)} deeper pages, {len(found.searches)} searches, "
        f"{len(found.post_ids)} posts\n"
    )
    rows = []
    for r in results:
        seconds = r["duration_us"] / 1e6
        errors = sum(r["errors"][k] for k in ("connect", "read", "write", "timeout")) + r["non2xx"]
        lat = r["latency_us"]
        workers = " / ".join(f"{mb:.0f}" for mb in r["rss_workers_mb"])
        rows.append(
            [
                r["users"],
                r["requests"],
                f"{seconds:.1f}",
                r["requests"] / seconds if seconds else 0.0,
                lat["p50"] / 1000,
                lat["p90"] / 1000,
                lat["p99"] / 1000,
                lat["max"] / 1000,
                errors,
                r["gunicorn_cpu_s"] * 1000 / max(r["responses"], 1),
                workers,
                f"{r['rss_master_mb']:.0f}",
                f"{r['load_before']:.2f}{'' if r['quiet'] else ' (busy)'}",
            ]
        )
    if rows:
        print(
            table(
                [
                    "users",
                    "requests",
                    "seconds",
                    "req/s",
                    "p50 ms",
                    "p90 ms",
                    "p99 ms",
                    "max ms",
                    "errors",
                    "CPU ms/req",
                    "RSS per worker MB",
                    "master MB",
                    "load before",
                ],
                rows,
            )
        )
    statuses = "; ".join(f"{r['users']} users: {r['statuses']}" for r in results)
    print(f"\nStatuses: {statuses}")
    if kinds:
        print(f"\nOne user, sequential, {args.per_kind} of each kind (python-requests):\n")
        krows = []
        for kind, values in kinds.items():
            ok = [v for v in values if v == v]
            krows.append(
                [
                    kind,
                    len(ok),
                    statistics.median(ok) * 1000 if ok else 0.0,
                    max(ok) * 1000 if ok else 0.0,
                    len(values) - len(ok),
                ]
            )
        print(table(["kind", "requests", "median ms", "max ms", "non-200"], krows))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="own PostgreSQL database (name has load/bench)")
    parser.add_argument("--var-dir", help="VAR_DIR (SQLite file, file cache, broker folder)")
    parser.add_argument(
        "--concurrency",
        type=lambda v: [int(x) for x in v.split(",") if x.strip()],
        default=[1, 8, 32],
    )
    parser.add_argument("--duration", type=int, default=30, help="seconds per level, at most")
    parser.add_argument("--max-requests", type=int, default=5000, help="per level, at most")
    parser.add_argument(
        "--mix",
        type=lambda v: {k: int(n) for k, n in (p.split("=") for p in v.split(","))},
        default=DEFAULT_MIX,
    )
    parser.add_argument("--mix-size", type=int, default=2000)
    parser.add_argument("--depth", type=int, default=4, help="pages followed per filter set")
    parser.add_argument("--per-kind", type=int, default=10)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--max-load", type=float, default=1.0)
    parser.add_argument("--load-wait", type=float, default=600.0)
    parser.add_argument("--port", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument(
        "--save-mix", help='also write the mix here ("<kind> <htmx 0|1> <path>" lines)'
    )
    args = parser.parse_args(argv)
    if isinstance(args.mix, str):
        args.mix = {k: int(n) for k, n in (p.split("=") for p in args.mix.split(","))}
    return args


def main(argv: list[str] | None = None) -> None:
    exit_on_sigterm()
    run(parse_args(argv))


if __name__ == "__main__":
    main()
