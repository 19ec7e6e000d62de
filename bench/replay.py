"""`python -m bench.replay`: a saved `bench.load` mix replayed in one process, for the CPU
each kind of request costs and where it goes, without gunicorn, wrk or a second core.

`bench.load --save-mix FILE` writes the mix it sent (one "<kind> <htmx 0|1> <path>" line a
request). This replays the first --requests lines of it through Django's own request
handling (the test client: every middleware, the session and the template, no network)
against the same mirror `bench.load` used (its --var-dir or --database-url), as the
viewer `bench.load` logs in. Each line is replayed once to warm up, then once measured:

* CPU per kind (`time.process_time`): the process's own, SQLite's included (it runs in
  the process); PostgreSQL's server is not counted.
* `--sql`: each statement's wall time per request of the mix, summed by its start.
* `--profile`: cProfile of the measured pass, the first --top lines by --sort.

Nothing is written to the mirror beyond what the requests write and the viewer and its
session (as `bench.load` writes them). It reads what `bench.load` has built; a mirror it
has not seeded stops the run. With `--profile` the CPU table includes cProfile's own cost.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

from bench.common import table
from bench.load_server import configure, viewer_session


def read_mix(path: Path, kinds: set[str], count: int) -> list[tuple[str, bool, str]]:
    lines = []
    for line in path.read_text().splitlines():
        kind, htmx, target = line.split(" ", 2)
        if not kinds or kind in kinds:
            lines.append((kind, htmx == "1", target))
    return lines[:count]


def replay(lines, client, anonymous, each: list | None = None) -> dict[str, list[float]]:
    """CPU seconds of each request, by kind (and in `each`, (seconds, kind, path) a
    request); a request that is not answered 200 stops."""
    per_kind: dict[str, list[float]] = defaultdict(list)
    for kind, htmx, path in lines:
        began = time.process_time()
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        # /health/ is called without a session, as a monitor calls it.
        response = (anonymous if kind == "health" else client).get(path, **headers)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        per_kind[kind].append(time.process_time() - began)
        if each is not None:
            each.append((per_kind[kind][-1], kind, path))
    return per_kind


def run(args: argparse.Namespace) -> None:
    env = configure(args)
    if not args.database_url:
        mirror = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
        if not mirror.exists():
            raise SystemExit(f"no mirror at {mirror}: run bench.load with --var-dir first")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from posts.models import Post

    if Post.objects.count() != args.posts:
        raise SystemExit(f"the mirror does not hold {args.posts:,} posts: run bench.load first")
    lines = read_mix(Path(args.mix), set(filter(None, args.kinds.split(","))), args.requests)
    if not lines:
        raise SystemExit("no request of those kinds in the mix")
    # The host bench.load allows (ALLOWED_HOSTS), as gunicorn is called.
    client, anonymous = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = viewer_session().split("=", 1)[1]
    replay(lines, client, anonymous)  # warm: templates compiled, connection open

    statements: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    def timed(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = statements[" ".join(sql.split())[: args.sql_width]]
            entry[0] += 1
            entry[1] += time.perf_counter() - began

    profile = cProfile.Profile() if args.profile else None
    with ExitStack() as stack:
        if args.sql:  # its timing costs CPU too: only when asked for
            stack.enter_context(connection.execute_wrapper(timed))
        began = time.process_time()
        if profile:
            profile.enable()
        each: list[tuple[float, str, str]] = []
        per_kind = replay(lines, client, anonymous, each)
        if profile:
            profile.disable()
        spent = time.process_time() - began

    engine = connection.vendor
    print(f"{len(lines):,} requests of {args.mix} on {engine}, {args.posts:,} posts")
    rows = [
        (kind, len(v), f"{sum(v) * 1000 / len(v):.2f}", f"{max(v) * 1000:.1f}")
        for kind, v in sorted(per_kind.items())
    ]
    rows.append(("all", len(lines), f"{spent * 1000 / len(lines):.2f}", ""))
    print(table(("kind", "requests", "CPU ms each", "max ms"), rows))
    if args.sql:
        top = sorted(statements.items(), key=lambda item: -item[1][1])[: args.top]
        print()
        print(
            table(
                ("statement", "runs", "ms per request of the mix"),
                [(sql, n, f"{t * 1000 / len(lines):.2f}") for sql, (n, t) in top],
            )
        )
    if args.slowest:
        print()
        slowest = sorted(each, reverse=True)[: args.slowest]
        print(table(("CPU ms", "kind", "path"), [(f"{t * 1000:.1f}", k, p) for t, k, p in slowest]))
    if profile:
        print()
        stats = pstats.Stats(profile).sort_stats(args.sort)
        stats.print_stats(args.top)
        if args.callers:
            stats.print_callers(args.callers)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__)
    parser.add_argument("mix", help="a file written by bench.load --save-mix")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="bench.load's PostgreSQL database")
    parser.add_argument("--var-dir", help="bench.load's VAR_DIR")
    parser.add_argument("--kinds", default="", help="only these kinds (comma-separated)")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--sql", action="store_true")
    parser.add_argument("--sql-width", type=int, default=90)
    parser.add_argument("--slowest", type=int, default=0, help="list the N slowest requests")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--callers", help="with --profile: who calls the functions matching this")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    if args.callers and not args.profile:
        parser.error("--callers reads the profile: give --profile too")
    return args


def main(argv: list[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()
