"""One size of `python -m bench.queue`, in a child process (`python -m bench.queue --child`):
a scratch database seeded by `seed_mirror`, the pages a user opens first, the queue and the
admin changelist timed and checked against the ORM, written as JSON for the parent.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import time
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.common import NEXT_LINK, ROW_ID, Scratch, cleanup, django_start, prepare, wait_quiet

SHORT_CODE = re.compile(r"okt\.to/([A-Za-z0-9]{6})\b")
PER_PAGE = 50
STATUSES = ("complete", "incomplete")
NETWORK = "LinkedIn"


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
    from django.utils import timezone

    from posts.models import STUCK_AFTER, WAITING_STATUSES, Post

    for name, page in pages.items():
        posts = Post.objects.filter(deleted_at__isnull=True)
        order = ("-start_at", "-id")
        if not page["q"]:
            # A bare /posts/ opens at now (preset "upcoming"): the posts waiting to go
            # out and not stuck, soonest first (posts.queue.OPENING_PRESET).
            since = timezone.now() - STUCK_AFTER
            posts = posts.filter(status__in=WAITING_STATUSES, start_at__gte=since)
            order = ("start_at", "id")
        for word in page["q"].split():
            posts = posts.filter(message__text__icontains=word)
        expected = list(posts.order_by(*order).values_list("oktopost_id", flat=True)[:PER_PAGE])
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
        if args.reuse:
            _copy_seeded(scratch, source=args.reuse)
        django_start(migrate=True)
        result = _child_run(args, scratch, scratch.postgres)
    finally:
        cleanup(scratch)
    Path(args.out).write_text(json.dumps(result))


def _copy_seeded(scratch: Scratch, *, source: str) -> None:
    """Start from a database kept by --keep (copied: the kept one is never changed)."""
    from bench.stats_page import _pg_copy

    if scratch.postgres:
        _pg_copy(scratch.database_url, source=source, target=scratch.database_url.rsplit("/")[-1])
    else:
        shutil.copyfile(source, scratch.var_dir / "bench.sqlite3")


def _keep_seeded(scratch: Scratch, *, target: str) -> None:
    from django.db import connection

    from bench.stats_page import _pg_copy

    connection.close()
    if scratch.postgres:
        _pg_copy(scratch.database_url, source=scratch.database_url.rsplit("/")[-1], target=target)
    else:
        shutil.copyfile(scratch.var_dir / "bench.sqlite3", target)


def _child_run(args: argparse.Namespace, scratch: Scratch, postgres: bool) -> dict[str, Any]:
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from accounts.models import EDITOR, User
    from posts.models import Post

    began = time.monotonic()
    if not args.reuse:
        call_command("seed_mirror", posts=args.size, seed=args.seed, stdout=sys.stderr)
        if args.keep:
            _keep_seeded(scratch, target=args.keep)
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
        "database": scratch.database_label,
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
