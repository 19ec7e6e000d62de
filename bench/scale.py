"""`python -m bench.scale`: more than one web process and worker, as docker-compose scales them.

The production shape (docker-compose.yml): PostgreSQL, Redis, N `web` replicas behind a
load balancer, M `worker` replicas and exactly one `beat`. Here every replica is a
process on this machine, started from the Procfile's own lines:

- each web replica is the Procfile's `web` line (gunicorn) with `--reuse-port`, all bound
  to one port: the kernel spreads connections over them as a load balancer would;
- each worker replica is the Procfile's `worker` line with its own node name;
- one beat (the Procfile's `beat` line), and the Oktopost sandbox with demo data.

Two cores shared by every replica show how the processes share one machine, not how
replicas on machines of their own add up. `--web-core` pins each web replica to one core
(replica i on core i, with `taskset` before gunicorn starts), as on a one-core machine;
the workers, beat, PostgreSQL, Redis and wrk still run on every core, that one too.

For each layout (`--layouts 1x1,2x2`: web replicas x worker replicas) the run
1. starts them on the run's own PostgreSQL database (`--database-url`, a name with
   "bench" or "load") and Redis (`--redis-url`, else a redis-server of its own on a free
   port: the test suite flushes every database of the usual one), seeded once with `--posts` posts
   (`manage.py seed_mirror`, reused while it holds at least that many);
2. queues `--mails` alert mails to a user (Dispatch rows, as alerts/ makes them), which
   the workers send from their beat ticks to files under the run's VAR_DIR;
3. runs bench.load's crawl and mix with wrk at each `--concurrency`, while the beat
   ticks (sync every `--sync-every` s, the rollup refresh every 30 s) run on the workers;
4. keeps the background running to `--watch` seconds, stops everything, and reads the
   workers' logs: no two syncs overlapped, no two rollup refreshes overlapped, and each
   mail went out once (one file per Message-ID).

Prints one table of throughput per layout and one of the double-work checks.
Only 127.0.0.1 is contacted; every process started is stopped by its pid.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import requests

from bench.common import ROOT, SandboxProcess, exit_on_sigterm, free_port, table
from bench.load import DEFAULT_MIX, crawl, mix, run_wrk
from bench.load_server import Gunicorn, configure, viewer_session

# Celery's log line for a finished task: "[2026-12-06 20:50:01,123: INFO/ForkPoolWorker-1]
# Task posts.tasks.sync_posts[<id>] succeeded in 1.23s: {...}".
FINISHED = re.compile(
    r"^\[(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+): \w+/[^\]]+\] Task (?P<task>[\w.]+)\[[^\]]+\]"
    r" succeeded in (?P<seconds>[\d.]+)s: (?P<result>.*)$"
)
# A singleton that found another copy running and was put back for later (posts.tasks:
# "retry: Retry in 20s: SyncBusy('another sync is running')").
BUSY_RETRY = re.compile(r"\] Task (?P<task>[\w.]+)\[[^\]]+\] retry: .*Busy")
# The sync's lock, as posts.sync.locks logs it from inside the hold, in a worker's log
# ("[2026-12-06 20:50:01,123: INFO/ForkPoolWorker-1] sync lock posts held by <token>",
# then "let go by <token>") or in Django's format ("2026-12-06 20:50:01,123 INFO
# posts.sync.locks: sync lock posts held by <token>").
LOCK_LINE = re.compile(
    r"^(?:\[(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+): INFO/[^\]]+\] "
    r"|(?P<plain_at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) INFO posts\.sync\.locks: )"
    r"sync lock posts (?P<what>held|let go) by (?P<token>\S+)$"
)
SINGLETONS = {
    "posts.tasks.sync_posts": "sync",
    "reports.tasks.stats_rollup_refresh": "rollup refresh",
}


def procfile(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit(f"no {name} line in the Procfile")


class Replicas:
    """N gunicorns on one port (SO_REUSEPORT), seen by bench.load as one server."""

    def __init__(
        self, env: dict[str, str], count: int, port: int, logs: Path, *, one_core: bool = False
    ) -> None:
        self.port = port
        self.one_core = one_core
        self.members = [Gunicorn(env, port, logs / f"web-{i}.log") for i in range(count)]
        for member in self.members:
            member.command += " --reuse-port"

    @property
    def process(self):  # bench.load.run_wrk measures the first master and every worker
        return self.members[0].process

    def workers(self) -> list[int]:
        pids: list[int] = []
        for i, member in enumerate(self.members):
            if i and member.process is not None:
                pids.append(member.process.pid)
            pids += member.workers()
        return pids

    def start(self) -> None:
        for i, member in enumerate(self.members):
            if self.one_core:
                # Replica i on core i, pinned before gunicorn starts so that every
                # process and thread it makes inherits it, as on a one-core machine.
                member.command = f"taskset -c {i % (os.cpu_count() or 1)} {member.command}"
            member.start()

    def stop(self) -> None:
        for member in self.members:
            member.stop()


class Background:
    """Worker replicas and the one beat, each from its Procfile line, logging to files."""

    def __init__(self, env: dict[str, str], workers: int, logs: Path) -> None:
        self.env = {**os.environ, **env}
        self.logs = logs
        self.commands = [
            (f"worker-{i}", f"{procfile('worker')} -n worker{i}@%h") for i in range(workers)
        ] + [("beat", procfile("beat"))]
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        for name, command in self.commands:
            with (self.logs / f"{name}.log").open("wb") as out:
                self.processes.append(
                    subprocess.Popen(
                        ["bash", "-c", command],
                        cwd=ROOT,
                        env=self.env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )

    def stop(self) -> None:
        # The Procfile's SIGTERM (REMAP_SIGTERM=SIGQUIT): each process group we started.
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


def mirror_at_least(posts: int) -> str:
    """Migrate; seed when the mirror holds fewer than `posts` (the sync adds the demo's)."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from posts.models import Post

    have = Post.objects.count()
    if have >= posts:
        return f"reused ({have:,} posts)"
    if have:
        raise SystemExit(f"the mirror holds {have:,} posts, fewer than {posts:,}: use another")
    began = time.monotonic()
    print(f"... seeding {posts:,} posts", file=sys.stderr, flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "seed_mirror", "--posts", str(posts), "--seed", "1"],
        cwd=ROOT,
        check=True,
        stdout=sys.stderr,
    )
    return f"seeded in {time.monotonic() - began:.0f} s"


def _mail_user():
    from accounts.models import EDITOR, User

    user, _ = User.objects.get_or_create(username="scale-reader")
    user.email = "scale-reader@example.com"
    user.save()
    from django.contrib.auth.models import Group

    user.groups.set([Group.objects.get_or_create(name=EDITOR)[0]])
    return user


def mails_waiting(count: int, run: str) -> list[str]:
    from alerts.models import Dispatch

    user = _mail_user()
    made = Dispatch.objects.bulk_create(
        Dispatch(
            channel=Dispatch.Channel.EMAIL,
            user=user,
            subject=f"[oktodash] scale run {run}: failed post {i}",
            body=f"LinkedIn · Acme page: token expired ({i})\n",
        )
        for i in range(count)
    )
    return [str(d.key) for d in made]


def overlaps(logs: list[Path]) -> dict[str, tuple[int, int, int]]:
    """Per singleton task: runs that did work, runs that found another copy running
    (skipped, or put back for later), pairs that overlapped."""
    runs: dict[str, list[tuple[datetime, datetime, str]]] = {name: [] for name in SINGLETONS}
    retried: Counter[str] = Counter()
    held: dict[str, datetime] = {}
    holds: list[tuple[datetime, datetime]] = []
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if lock := LOCK_LINE.match(line):
                at = _log_time(lock["at"] or lock["plain_at"])
                if lock["what"] == "held":
                    held[lock["token"]] = at
                elif lock["token"] in held:
                    holds.append((held.pop(lock["token"]), at))
                continue
            if (busy := BUSY_RETRY.search(line)) and busy["task"] in SINGLETONS:
                retried[busy["task"]] += 1
                continue
            found = FINISHED.match(line)
            if not found or found["task"] not in SINGLETONS:
                continue
            end = _log_time(found["at"])
            start = end - timedelta(seconds=float(found["seconds"]))
            runs[found["task"]].append((start, end, found["result"]))
    answer = {}
    for task, items in runs.items():
        worked = [r for r in items if _did_work(r[2])]
        spans = [(start, end) for start, end, _ in worked]
        if task == "posts.tasks.sync_posts" and (holds or held):
            # The task's own time (its end less its runtime) includes what it does before
            # it claims the lock and the log's delay after: the lock's logged holds are
            # what may not cross. A hold not let go by the end counts as running to it.
            spans = holds + [(at, datetime.max) for at in held.values()]
        crossed = _crossings(spans)
        skipped = len(items) - len(worked) + retried[task]
        answer[SINGLETONS[task]] = (len(worked), skipped, crossed)
    return answer


def _log_time(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f")


def _crossings(spans: list[tuple[datetime, datetime]]) -> int:
    """How many of the (start, end) spans began while an earlier one was still going."""
    crossed, latest = 0, None
    for start, end in sorted(spans):
        crossed += latest is not None and start < latest
        latest = end if latest is None else max(latest, end)
    return crossed


def _did_work(result: str) -> bool:
    """A run's logged result: a sync that skipped says so ({'skipped': True}); a rollup
    refresh that found nothing dirty (or every dirty hour taken by another worker,
    `busy_elsewhere`) recomputed 0 hours."""
    try:
        answer = ast.literal_eval(result)
    except (ValueError, SyntaxError):
        return "skipped" not in result
    if not isinstance(answer, dict):
        return True
    return not answer.get("skipped") and answer.get("hours", 1) != 0


def mails_sent(var_dir: Path, keys: list[str]) -> tuple[int, int, int]:
    """(mails queued, Message-IDs seen in the mail files, Message-IDs seen twice or more)."""
    seen: Counter[str] = Counter()
    wanted = set(keys)
    for path in (var_dir / "mail").glob("**/*"):
        if not path.is_file():
            continue
        for match in re.finditer(
            r"(?im)^Message-ID:\s*<([0-9a-f-]{36})", path.read_text(errors="replace")
        ):
            if match.group(1) in wanted:
                seen[match.group(1)] += 1
    return len(keys), len(seen), sum(1 for n in seen.values() if n > 1)


def one_layout(args, env, webs: int, workers: int, cookie: str, campaigns: list[str]) -> dict:
    logs = Path(tempfile.mkdtemp(prefix=f"oktodash-scale-{webs}x{workers}-"))
    keys = mails_waiting(args.mails, f"{webs}x{workers}")
    from django.db import connections

    connections.close_all()
    web = Replicas(env, webs, args.port or free_port(), logs, one_core=args.web_core)
    background = Background(env, workers, logs)
    began = time.monotonic()
    results = []
    try:
        web.start()
        background.start()
        base = f"http://127.0.0.1:{web.port}"
        found = crawl(base, cookie, campaigns, args.depth)
        targets = mix(found, args.mix, args.mix_size, args.seed)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
            for t in targets:
                handle.write(f"{t.kind} {int(t.htmx)} {t.path}\n")
            requests_file = Path(handle.name)
        for users in args.concurrency:
            print(f"... {webs}x{workers}: {users} users", file=sys.stderr, flush=True)
            result = run_wrk(web, requests_file, cookie, users, args)
            result["users"] = users
            results.append(result)
        requests_file.unlink(missing_ok=True)
        rest = args.watch - (time.monotonic() - began)
        if rest > 0:
            print(f"... background for {rest:.0f} s more", file=sys.stderr, flush=True)
            time.sleep(rest)
    finally:
        background.stop()
        web.stop()
    worker_logs = sorted(logs.glob("worker-*.log"))
    return {
        "webs": webs,
        "workers": workers,
        "results": results,
        "singletons": overlaps(worker_logs),
        "mails": mails_sent(Path(env["VAR_DIR"]), keys),
        "logs": logs,
        "seconds": time.monotonic() - began,
    }


def report(args, mirror: str, posts: int, layouts: list[dict]) -> None:
    print(
        f"Scale: {posts:,} posts, PostgreSQL ({mirror}) + Redis {args.redis}, "
        f"{os.cpu_count()} CPUs; web = Procfile web line + --reuse-port, worker = Procfile "
        f"worker line, one beat; sync every {args.sync_every} s"
        + ("; each web replica pinned to one core (taskset)" if args.web_core else "")
        + "\n"
    )
    rows = []
    for layout in layouts:
        for r in layout["results"]:
            seconds = r["duration_us"] / 1e6
            errors = sum(r["errors"][k] for k in ("connect", "read", "write", "timeout"))
            lat = r["latency_us"]
            rows.append(
                [
                    f"{layout['webs']} web x {layout['workers']} worker",
                    r["users"],
                    r["requests"],
                    r["requests"] / seconds if seconds else 0.0,
                    lat["p50"] / 1000,
                    lat["p99"] / 1000,
                    errors + r["non2xx"],
                    r["gunicorn_cpu_s"] * 1000 / max(r["responses"], 1),
                ]
            )
    print(
        table(
            ["layout", "users", "requests", "req/s", "p50 ms", "p99 ms", "errors", "CPU ms/req"],
            rows,
        )
    )
    print("\nDouble work, from the workers' logs and the mail files:\n")
    rows = []
    for layout in layouts:
        name = f"{layout['webs']} web x {layout['workers']} worker"
        for task, (worked, skipped, crossed) in layout["singletons"].items():
            rows.append([name, task, worked, skipped, crossed])
        queued, seen, twice = layout["mails"]
        rows.append([name, f"alert mails ({queued} queued)", seen, "", twice])
    print(
        table(["layout", "work", "runs / sent", "skipped (busy)", "overlapping / sent twice"], rows)
    )
    print("\nLogs: " + ", ".join(str(layout["logs"]) for layout in layouts))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--database-url", required=True, help="PostgreSQL; name has bench/load")
    parser.add_argument(
        "--redis-url",
        help="the run's own Redis (flushed at the start); default: a redis-server of the "
        "run's own on a free port, stopped at the end (the test suite flushes databases "
        "0-15 of the usual 6379 as it runs)",
    )
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--sandbox-posts", type=int, default=300)
    parser.add_argument(
        "--layouts",
        type=lambda v: [tuple(int(n) for n in p.split("x")) for p in v.split(",")],
        default=[(1, 1), (2, 2)],
    )
    parser.add_argument(
        "--concurrency", type=lambda v: [int(x) for x in v.split(",") if x.strip()], default=[8]
    )
    parser.add_argument("--duration", type=int, default=30, help="seconds per level, at most")
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--watch", type=int, default=120, help="seconds each layout runs")
    parser.add_argument("--sync-every", type=int, default=10)
    parser.add_argument("--mails", type=int, default=40)
    parser.add_argument("--mix", default=DEFAULT_MIX)
    parser.add_argument("--mix-size", type=int, default=2000)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--port", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--var-dir", help="VAR_DIR of every process (mail files, media)")
    parser.add_argument(
        "--web-core",
        action="store_true",
        help="pin each web replica to one core (replica i on core i), as on a one-core "
        "machine; workers, beat, PostgreSQL, Redis and wrk still run on every core",
    )
    args = parser.parse_args(argv)
    args.mix = {k: int(n) for k, n in (p.split("=") for p in args.mix.split(","))}
    if not args.var_dir:
        args.var_dir = str(Path(tempfile.gettempdir()) / "oktodash-scale" / "var")
    return args


class OwnRedis:
    """A redis-server of the run's own (no persistence), stopped by its pid."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            answer = subprocess.run(["redis-cli", "-u", url, "ping"], capture_output=True)
            if answer.stdout.strip() == b"PONG":
                return url
            time.sleep(0.2)
        raise SystemExit("redis-server did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def run(args: argparse.Namespace) -> None:
    if args.redis_url:
        subprocess.run(
            ["redis-cli", "-u", args.redis_url, "flushdb"], check=True, stdout=subprocess.DEVNULL
        )
        _run(args, args.redis_url)
    else:
        with OwnRedis() as url:
            _run(args, url)


def _run(args: argparse.Namespace, redis: str) -> None:
    args.redis = redis
    env = configure(args)
    with SandboxProcess(posts=args.sandbox_posts, seed=args.seed) as sandbox:
        requests.get(f"{sandbox.root_url}/_sandbox/state", timeout=10).raise_for_status()
        extra = {
            "REDIS_URL": redis,
            "OKTOPOST_SANDBOX_URL": sandbox.base_url,
            "SYNC_EVERY_SECONDS": str(args.sync_every),
            "LOG_LEVEL": "info",
        }
        os.environ.update(extra)
        env.update(extra)
        mirror = mirror_at_least(args.posts)
        cookie = viewer_session()
        from posts.models import Campaign, Post

        campaigns = list(Campaign.objects.order_by("name").values_list("oktopost_id", flat=True))
        posts = Post.objects.count()
        layouts = [
            one_layout(args, env, webs, workers, cookie, campaigns)
            for webs, workers in args.layouts
        ]
    report(args, mirror, posts, layouts)


def main(argv: list[str] | None = None) -> None:
    exit_on_sigterm()
    run(parse_args(argv))


if __name__ == "__main__":
    main()
