"""`python -m bench.intake`: signed webhook deliveries against the intake, as gunicorn runs it.

What a run does:

1. Points Django at a fresh folder of its own (--var-dir, default a new temporary one):
   a SQLite mirror, the file cache, the embedded task queue; migrates it and records an
   installation (`inbox.models.Installation`) with a secret of the run's own, so no
   Oktopost (nor sandbox) is asked anything.
2. Writes the deliveries: `postModified` events for 5,000 posts, each body different (its
   own post, modified time and timestamp), about the size the sandbox sends (the post as
   `GET /post/{id}` renders it), signed with HMAC-SHA1 as Oktopost does
   (`oktopost.webhooks.signature`).
3. Starts gunicorn exactly as the Procfile's `web` line does (2 workers, 4 threads),
   bound to 127.0.0.1 on a free port. No Celery worker runs: each stored delivery's task
   waits in the embedded queue (`var/broker/queue`), as while the worker is down.
4. For each --rate, once the 1-minute load average is below --max-load (waiting up to
   --load-wait seconds; the load is printed either way): `wrk` (Debian's, with
   bench/intake.lua, one thread, --connections keep-alive connections, each waiting
   1000 * connections / rate ms between deliveries; "max": no wait) for --duration
   seconds, every body sent once.
5. Counts what the database holds: a delivery is lost when it was answered 2xx and is
   not stored, or was not answered 2xx at all (Oktopost would retry it, but the rate was
   not held). Prints per rate: deliveries a second answered, p50/p99/max latency, non-2xx
   and socket errors, stored, lost, tasks queued, gunicorn's CPU per delivery.

`WEBHOOKS_PER_MINUTE` (the per-address limit, 12,000 by default = 200/s) is raised for
the run: every delivery comes from 127.0.0.1 here, and the question is what the intake
itself holds. Only 127.0.0.1 is ever contacted; gunicorn is stopped by its pid.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, exit_on_sigterm, free_port, table
from bench.load import wait_for_quiet
from bench.load_server import FOREIGN_ENV, Gunicorn, cpu_seconds

LUA = ROOT / "bench" / "intake.lua"
POSTS = 5_000
SECRET = "intake-bench-secret-not-used-anywhere-else"  # noqa: S105 (the run's own)


def configure(var_dir: Path, port: int) -> dict[str, str]:
    for name in FOREIGN_ENV:
        os.environ.pop(name, None)
    env = {
        "SECRET_KEY": "intake-bench-only-not-secret",
        "HTTPS": "false",
        "DEBUG": "false",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'intake.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "oktodash.settings",
        "OKTOPOST_SANDBOX": "true",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "WEBHOOKS_PER_MINUTE": "10000000",
        "LOG_LEVEL": "warning",
    }
    os.environ.update(env)
    return env


def install() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from django.utils import timezone

    from inbox import crypto
    from inbox.models import Installation
    from inbox.services import intake_url

    Installation.objects.update_or_create(
        name="oktopost",
        defaults={
            "url": intake_url(),
            "secret": crypto.encrypt(SECRET),
            "webhook_ids": {"postModified": "0WH000000000001"},
            "installed_at": timezone.now(),
        },
    )


def write_bodies(path: Path, count: int) -> None:
    """`count` deliveries, "<signature> <body>" a line, each body different."""
    from oktopost.webhooks import signature

    now = int(time.time())
    text = (
        "Our spring launch is here: every detail of the new release, explained in full, "
        "with a link to the webinar on Thursday and the recording for those who miss it. "
    )
    with path.open("w") as out:
        for n in range(count):
            post = f"004{n % POSTS:012d}"
            data = {
                "Id": post,
                "Created": "2026-12-01 09:00:00",
                "Modified": f"2026-12-06 10:{n // 60 % 60:02d}:{n % 60:02d}",
                "CreatedBy": "00A000000000001",
                "Status": "inqueue",
                "StartDateTime": now + 3600 + n,
                "MessageId": f"002{n % POSTS:012d}",
                "CampaignId": "001000000000001",
                "CredentialId": "003000000000001",
                "Network": "LinkedIn",
                "Message": text * 4,
                "Link": "https://example.com/spring",
                "LinkClicks": 0,
                "Conversions": 0,
                "Comments": 0,
                "Likes": 0,
                "Tags": ["launch", "spring"],
            }
            body = json.dumps(
                {"event": "postModified", "timestamp": now, "webhookId": "0WH000000000001"}
                | {"data": data},
                separators=(",", ":"),
            )
            out.write(f"{signature(body.encode(), SECRET)} {body}\n")


def stored() -> int:
    from django.db import connections

    from inbox.models import Event

    connections.close_all()
    return Event.objects.count()


def queued(var_dir: Path) -> int:
    folder = var_dir / "broker" / "queue"
    return sum(1 for p in folder.iterdir() if not p.name.startswith(".")) if folder.exists() else 0


def run_level(
    gunicorn: Gunicorn, bodies: Path, offset: int, rate: str, args: argparse.Namespace, out: Path
) -> dict:
    delay = 0 if rate == "max" else round(1000 * args.connections / int(rate))
    env = {
        **os.environ,
        "INTAKE_BODIES": str(bodies),
        "INTAKE_OFFSET": str(offset),
        "INTAKE_DELAY_MS": str(delay),
        "INTAKE_OUT": str(out),
        "INTAKE_THREADS": "1",
    }
    load, quiet = wait_for_quiet(args.max_load, args.load_wait)
    before_stored = stored()
    pids = [gunicorn.process.pid, *gunicorn.workers()] if gunicorn.process else []
    cpu_before = cpu_seconds(pids)
    command = [
        "wrk",
        "-t1",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{gunicorn.port}",
    ]
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=ROOT)
    time.sleep(2)  # answers still in flight when wrk stopped
    cpu = cpu_seconds(pids) - cpu_before
    result = json.loads(out.read_text())
    result["stored"] = stored() - before_stored
    result["rate"] = rate
    result["delay_ms"] = delay
    result["cpu_s"] = cpu
    result["load"] = f"{load:.1f}" + ("" if quiet else " (busy)")
    ok = result["responses"] - result["non2xx"]
    errors = sum(result["errors"].values())
    # Answered 2xx but not stored, or not taken at all.
    result["lost"] = max(0, ok - result["stored"]) + result["non2xx"] + errors
    return result


def run(args: argparse.Namespace) -> None:
    exit_on_sigterm()
    var_dir = Path(args.var_dir or tempfile.mkdtemp(prefix="oktodash-intake-"))
    var_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = configure(var_dir, port)
    install()
    from django.db import connections

    connections.close_all()
    rates = args.rates
    per_level = [
        (int(r) if r != "max" else args.max_guess) * args.duration * 2 + 1000 for r in rates
    ]
    bodies = var_dir / "bodies.txt"
    write_bodies(bodies, sum(per_level))
    gunicorn = Gunicorn(env, port, var_dir / "gunicorn.log")
    gunicorn.start()
    results = []
    offset = 0
    try:
        for rate, size in zip(rates, per_level, strict=True):
            results.append(run_level(gunicorn, bodies, offset, rate, args, var_dir / "wrk.json"))
            offset += size
            print(f"... {rate}/s done", file=sys.stderr, flush=True)
    finally:
        gunicorn.stop()
    report(args, gunicorn.command, results, queued(var_dir), stored())
    if not args.var_dir:
        shutil.rmtree(var_dir, ignore_errors=True)


def report(
    args: argparse.Namespace, command: str, results: list[dict], waiting: int, total: int
) -> None:
    print("## Webhook intake throughput")
    print()
    print(
        f"gunicorn: {command} on 127.0.0.1; SQLite; {os.cpu_count()} cores shared with wrk "
        f"(1 thread, {args.connections} connections, {args.duration} s a rate); no worker "
        "running (tasks wait in the embedded queue)."
    )
    print()
    rows = []
    for r in results:
        seconds = r["duration_us"] / 1e6
        lat = r["latency_us"]
        rows.append(
            [
                r["rate"] if r["rate"] == "max" else f"{int(r['rate']):,}",
                f"{r['responses'] / seconds:.0f}",
                f"{lat['p50'] / 1000:.1f}",
                f"{lat['p99'] / 1000:.1f}",
                f"{lat['max'] / 1000:.0f}",
                r["non2xx"],
                sum(r["errors"].values()),
                r["responses"],
                r["stored"],
                r["lost"],
                f"{r['cpu_s'] * 1000 / max(r['responses'], 1):.1f}",
                r["load"],
            ]
        )
    print(
        table(
            [
                "offered /s",
                "answered /s",
                "p50 ms",
                "p99 ms",
                "max ms",
                "non-2xx",
                "socket errors",
                "answered",
                "stored",
                "lost",
                "CPU ms / delivery",
                "load before",
            ],
            rows,
        )
    )
    held = [r for r in results if r["lost"] == 0 and r["non2xx"] == 0]
    best = max((r["responses"] / (r["duration_us"] / 1e6) for r in held), default=0)
    print()
    print(
        f"Held without losing one: {best:.0f} deliveries a second (target 200). "
        f"Stored in all: {total:,}; tasks waiting in the queue: {waiting:,}."
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rate",
        dest="rates",
        action="append",
        help="deliveries a second offered, or 'max' (default 100, 200, 300, 400, max)",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument(
        "--max-load", type=float, default=1.5, help="wait for the 1-minute load to drop below"
    )
    parser.add_argument("--load-wait", type=float, default=120, help="seconds to wait for it")
    parser.add_argument("--var-dir", help="keep the run's files here (default: a temporary one)")
    parser.add_argument(
        "--max-guess", type=int, default=1000, help="bodies written for 'max': this many a second"
    )
    args = parser.parse_args(argv)
    args.rates = args.rates or ["100", "200", "300", "400", "max"]
    return args


def main(argv: list[str] | None = None) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    run(parse_args(argv))


if __name__ == "__main__":
    main()
