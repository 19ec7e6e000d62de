"""`python -m bench.approvals`: the Approvals page beside the queue's first page, with a
mirror of 1M posts of which 10k wait for approval (issue 26, "Speed": within 2x the queue
page, in at most 12 queries).

A scratch database (a SQLite file in a temporary VAR_DIR, or a scratch PostgreSQL
database with --database-url) is migrated and filled by `seed_mirror --posts N`. Then
the sandbox's demo workflows (`oktopost.sandbox.workflows.DEMO_WORKFLOWS`: two
workflows, five steps) and --waiting items spread over their steps are built as the
payloads `GET /workflow?withSteps=1` and `GET /workflow-item?withHistory=1` answer,
parsed by `oktopost.types` as the client parses them, and written by
`posts.mirror.approvals` as `posts.sync.approvals` writes them (items, then each held
post's approval fields). The items hold scheduled posts at least two days ahead, as the
sandbox's demo items do, each submitted 1-200 hours ago and approved up to its step.

The database is measured as the product leaves it after that: no ANALYZE, no VACUUM and
no cache warming of our own (seed_mirror gathers planner statistics after its posts, the
approvals sync does not after its items). In-process, through django.test.Client as a
logged-in editor: /posts/ and /approvals/ are requested once each (warm-up), then
--runs times interleaved (the median is shown: server time, no network), then once more
each under CaptureQueriesContext to count SQL queries.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import (
    cleanup,
    django_start,
    exit_on_sigterm,
    load_average,
    prepare,
    table,
    wait_quiet,
)
from bench.queue import SELECT_LIST

HOUR = 3600
# Items waiting for approval (issue 26).
WAITING = 10_000


def workflows_payload() -> list[dict[str, Any]]:
    """The demo workflows as `GET /workflow?withSteps=1` lists them, with seeded ids."""
    from oktopost.sandbox.workflows import DEMO_WORKFLOWS
    from posts.seeding import USERS, seeded_id

    payload = []
    step_number = 0
    for number, (name, default, steps) in enumerate(DEMO_WORKFLOWS, start=1):
        workflow_id = seeded_id("cwf", number)
        rows = []
        for order, (step_name, people) in enumerate(steps, start=1):
            step_number += 1
            rows.append(
                {
                    "Id": seeded_id("cws", step_number),
                    "WorkflowId": workflow_id,
                    "Name": step_name,
                    "Order": order,
                    "Approvers": [USERS[n - 1] for n in people],
                }
            )
        payload.append({"Id": workflow_id, "Name": name, "IsDefault": default, "Steps": rows})
    return payload


def items_payload(
    workflows: list[dict[str, Any]], post_ids: list[str], *, rng: random.Random, now_ts: float
) -> list[dict[str, Any]]:
    """One pending item per post, round-robin over every step of every workflow, as
    `GET /workflow-item?withHistory=1` answers: submitted, then approved at each earlier
    step by its first approver."""
    from posts.seeding import USERS, fmt, seeded_id

    def at(ts: float) -> str:
        return fmt(datetime.fromtimestamp(int(ts), tz=UTC))

    places = [(w, index) for w in workflows for index in range(len(w["Steps"]))]
    items = []
    for number, post_id in enumerate(post_ids, start=1):
        workflow, index = places[number % len(places)]
        steps = workflow["Steps"]
        author = rng.choice(USERS)
        created = now_ts - rng.randint(HOUR, 200 * HOUR)
        history = [
            {
                "Action": "submitted",
                "StepId": steps[0]["Id"],
                "UserId": author,
                "Note": "",
                "Created": at(created),
            }
        ]
        when = created
        for step in steps[:index]:
            when = min(when + rng.randint(600, 4 * HOUR), now_ts - 60)
            history.append(
                {
                    "Action": "approved",
                    "StepId": step["Id"],
                    "UserId": step["Approvers"][0],
                    "Note": "",
                    "Created": at(when),
                }
            )
        items.append(
            {
                "Id": seeded_id("cwi", number),
                "WorkflowId": workflow["Id"],
                "EntityId": post_id,
                "EntityType": "post",
                "StepId": steps[index]["Id"],
                "Status": "pending",
                "Created": at(created),
                "Modified": at(when),
                "CreatedBy": author,
                "History": history,
            }
        )
    return items


def approvals_seed(*, waiting: int, seed: int) -> dict[str, Any]:
    """Workflows and `waiting` items written through posts.mirror.approvals."""
    from django.utils import timezone

    from oktopost import types as ok
    from posts.mirror import approvals as mirror
    from posts.models import Post

    began = time.monotonic()
    now = timezone.now()
    # A seeded PRNG for reproducible data, not for secrets.
    rng = random.Random(seed)
    # Scheduled posts two days ahead or more, as the sandbox's demo items hold.
    candidates = list(
        Post.objects.filter(
            status__in=("pending", "inqueue"),
            start_at__gte=now + timedelta(days=2),
            deleted_at__isnull=True,
        )
        .order_by("id")
        .values_list("oktopost_id", flat=True)
    )
    if len(candidates) < waiting:
        raise SystemExit(f"only {len(candidates):,} scheduled posts to hold; use more --posts")
    chosen = rng.sample(candidates, waiting)
    call = "GET /workflow-item"
    workflows = workflows_payload()
    mirror.workflows_upsert(
        [ok.Workflow.from_api(w, call="GET /workflow") for w in workflows], now=now
    )
    items = items_payload(workflows, chosen, rng=rng, now_ts=now.timestamp())
    mirror.items_upsert([ok.WorkflowItem.from_api(i, call=call) for i in items], now=now)
    return {"seconds": time.monotonic() - began, "candidates": len(candidates)}


def _measure(client: Any, urls: dict[str, str], runs: int) -> dict[str, dict[str, Any]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in urls.values():
        response = client.get(url)  # warm-up, once per URL
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
        results[name] = {
            "ms": statistics.median(times[name]),
            "min_ms": min(times[name]),
            "queries": len(queries),
            "sql_ms": sum(t for t, _ in queries),
            "slowest": sorted(queries, reverse=True)[:3],
            "sql": queries,
            "html": response.content.decode(),
        }
    return results


def run(args: argparse.Namespace) -> None:
    # The test client calls itself "testserver"; axes logs every login at INFO.
    extra = {"ALLOWED_HOSTS": "testserver,127.0.0.1,localhost", "LOG_LEVEL": "warning"}
    scratch = prepare(args.database_url, extra)
    try:
        django_start(migrate=True)
        result = _run(args)
    finally:
        cleanup(scratch)
    report(result, args, scratch.database_label)


def _run(args: argparse.Namespace) -> dict[str, Any]:
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import EDITOR, User
    from posts.models import ApprovalItem, Post

    began = time.monotonic()
    call_command("seed_mirror", posts=args.posts, seed=args.seed, stdout=sys.stderr)
    seed_seconds = time.monotonic() - began
    print(f"... seeding {args.waiting:,} waiting items", file=sys.stderr, flush=True)
    seeded = approvals_seed(waiting=args.waiting, seed=args.seed)
    waiting = ApprovalItem.objects.filter(status="pending").count()
    held = Post.objects.filter(approval="waiting").count()
    if waiting != args.waiting or held != args.waiting:
        raise SystemExit(f"{waiting} items and {held} posts waiting, not {args.waiting}")

    user = User.objects.create_superuser("bench", "bench@example.com", "bench-not-secret")
    user.groups.add(Group.objects.get_or_create(name=EDITOR)[0])
    client = Client()
    client.force_login(user)
    connection.close()

    load_before = wait_quiet(args.quiet_load, args.quiet_wait)
    results = _measure(client, {"queue": "/posts/", "approvals": "/approvals/"}, args.runs)
    html = results["approvals"].pop("html")
    results["queue"].pop("html")
    shown = html.count('class="approval-item"')
    if not shown:
        raise SystemExit("the Approvals page shows no waiting post")
    return {
        "posts": args.posts,
        "waiting": waiting,
        "shown": shown,
        "seed_seconds": seed_seconds,
        "approvals_seconds": seeded["seconds"],
        "candidates": seeded["candidates"],
        "load_before": load_before,
        "results": results,
    }


def report(o: dict[str, Any], args: argparse.Namespace, database: str) -> None:
    r = o["results"]
    queue, approvals = r["queue"], r["approvals"]
    print(
        f"Approvals page vs the queue's first page: {database}; median of {args.runs} runs "
        f"after one warm-up each, server time in-process (django.test.Client) as an editor; "
        f"load at start {o['load_before']:.2f}, after {load_average()}\n"
    )
    print(
        table(
            ["posts", "waiting items", "queue ms", "approvals ms", "ratio", "approvals queries"],
            [
                [
                    o["posts"],
                    o["waiting"],
                    round(queue["ms"], 1),
                    round(approvals["ms"], 1),
                    f"{approvals['ms'] / queue['ms']:.2f}x",
                    approvals["queries"],
                ]
            ],
        )
    )
    print(
        f"\nTargets (issue 26): ratio <= 2x, approvals queries <= 12. The page shows "
        f"{o['shown']} of the {o['waiting']:,} waiting posts (the oldest). Fastest runs: "
        f"queue {queue['min_ms']:.1f} ms, approvals {approvals['min_ms']:.1f} ms. "
        f"SQL per request: queue {queue['sql_ms']:.1f} ms in {queue['queries']} queries, "
        f"approvals {approvals['sql_ms']:.1f} ms. Seeding: {o['seed_seconds']:.0f} s for "
        f"the posts, {o['approvals_seconds']:.1f} s for the items "
        f"({o['candidates']:,} scheduled posts to choose from)."
    )
    print("\nSlowest queries of the Approvals page (one captured request):")
    for ms, sql in approvals["slowest"]:
        sql = SELECT_LIST.sub("SELECT … FROM ", " ".join(sql.split()), count=1)
        print(f"  {ms:.1f} ms  {sql[:400]}")
    if args.sql:
        print("\nEvery query of the Approvals page, in order:")
        for ms, sql in approvals["sql"]:
            sql = SELECT_LIST.sub("SELECT … FROM ", " ".join(sql.split()), count=1)
            print(f"  {ms:.1f} ms  {sql[:300]}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.approvals", description=__doc__)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--waiting", type=int, default=WAITING, help="items waiting")
    parser.add_argument("--database-url", help="scratch PostgreSQL database (name contains bench)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sql", action="store_true", help="print every query of the page")
    parser.add_argument("--quiet-load", type=float, default=1.0)
    parser.add_argument("--quiet-wait", type=float, default=120.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    exit_on_sigterm()
    run(parse_args(argv))


if __name__ == "__main__":
    main()
