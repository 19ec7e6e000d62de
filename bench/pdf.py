"""`python -m bench.pdf`: the stats review's PDF (/stats/report.pdf) over 90 days.

One size per run, seeded as bench.stats_page seeds: a scratch database (a SQLite file in
a temporary VAR_DIR, or a scratch PostgreSQL database with --database-url, whose name
must contain "bench") is migrated and filled by `seed_mirror --posts N`; `--keep FILE`
copies the SQLite file right after seeding and `--reuse FILE` starts from such a copy
(bench.stats_page's --keep files work here too). The hourly rollup is then built, as the
worker keeps it built in production.

Then, in-process through django.test.Client as a viewer, each URL is requested once to
warm caches and then timed `--runs` times (median and min of the whole request, and
the median CPU time of this process in it, all threads: on a busy machine, nearer what
a quiet one takes than the wall clock; SQLite's reads are in it, being in-process), and
once more under `reports.pdf`'s three steps, timed apart: reading the figures (the
page and its later sections), rendering the HTML, and WeasyPrint's layout and PDF. The
budget the issue sets: at most 5 s for 90 days at 1,000,000 posts.

With --out DIR, each PDF is written there, and its pages as PNG at 60 dpi (pypdfium2),
to look at.

The machine may be shared: timed runs wait for the 1-minute load average to drop below
--quiet-load (at most --quiet-wait seconds) and the report says the load they began at.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import cleanup, django_start, load_average, prepare, table, wait_quiet

URLS = (
    "/stats/report.pdf?range=90d&paper=A4",
    "/stats/report.pdf?range=90d&paper=Letter",
    "/stats/report.pdf?range=90d&network=LinkedIn&by=message&paper=A4",
)


def steps(query: str, user: Any) -> dict[str, float]:
    """reports.pdf's steps, timed apart, as the view runs them."""
    from django.http import QueryDict
    from django.template.loader import render_to_string
    from django.utils import timezone
    from weasyprint import CSS, HTML

    from posts.selectors import queue_choices
    from reports import pdf
    from reports.views import parse_for

    data = QueryDict(query)
    choices = queue_choices()
    sq = parse_for(data, user.zone, choices)
    now = timezone.now()
    with timezone.override(user.zone):
        began = time.perf_counter()
        context = pdf.pdf_context(sq, now=now, choices=choices)
        read = time.perf_counter()
        html = pdf._painted_svgs(render_to_string("stats/pdf.html", context))
        rendered = time.perf_counter()
    size = CSS(string=f"@page {{ size: {pdf.PAPERS[data.get('paper', 'A4')]}; }}")
    HTML(string=html).write_pdf(stylesheets=[*pdf._stylesheets(), size])
    done = time.perf_counter()
    return {
        "read_ms": (read - began) * 1000,
        "html_ms": (rendered - read) * 1000,
        "layout_ms": (done - rendered) * 1000,
    }


def measure(client: Any, url: str, runs: int, user: Any, out: Path | None) -> dict[str, Any]:
    from pypdf import PdfReader

    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.content[:200]!r}")
    times, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    reader = PdfReader(_bytes_io(response.content))
    box = reader.pages[0].mediabox
    if out is not None:
        _write(out, url, response.content)
    return {
        "url": url,
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "cpu_ms": statistics.median(cpu),
        "pages": len(reader.pages),
        "kb": len(response.content) / 1024,
        "box": f"{float(box.width):.0f}x{float(box.height):.0f}",
        **steps(url.split("?", 1)[1], user),
    }


def _bytes_io(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


def _write(out: Path, url: str, data: bytes) -> None:
    import pypdfium2

    name = url.split("?", 1)[1].replace("&", "_").replace("=", "-")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.pdf").write_bytes(data)
    document = pypdfium2.PdfDocument(data)
    for number, page in enumerate(document, start=1):
        page.render(scale=60 / 72).to_pil().save(out / f"{name}-{number}.png")


def run(args: argparse.Namespace) -> None:
    extra = {"ALLOWED_HOSTS": "testserver,127.0.0.1,localhost", "LOG_LEVEL": "warning"}
    scratch = prepare(args.database_url, extra)
    try:
        if args.reuse:
            if scratch.postgres:
                raise SystemExit("--reuse takes a SQLite file; not with --database-url")
            began = time.monotonic()
            shutil.copyfile(args.reuse, scratch.var_dir / "bench.sqlite3")
            seed_s, seeded_how = time.monotonic() - began, f"copied from {args.reuse} in"
        django_start(migrate=True)
        from django.contrib.auth.models import Group
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.utils import timezone

        from accounts.models import VIEWER, User
        from posts.models import Post
        from reports import pdf, rollup

        if not args.reuse:
            began = time.monotonic()
            call_command("seed_mirror", posts=args.size, seed=args.seed, stdout=sys.stderr)
            seed_s, seeded_how = time.monotonic() - began, "seeded in"
            if args.keep:
                connection.close()
                shutil.copyfile(scratch.var_dir / "bench.sqlite3", args.keep)
        # The bench asks for more PDFs a minute than a person may.
        pdf.PDF_RATE_PER_MINUTE = pdf.PDF_SITE_RATE_PER_MINUTE = 10_000
        user = User.objects.create_user("bench", time_zone="UTC")
        user.groups.add(Group.objects.get_or_create(name=VIEWER)[0])
        client = Client()
        client.force_login(user)
        in_90 = Post.objects.filter(
            start_at__gte=timezone.now() - timezone.timedelta(days=90),
            start_at__lte=timezone.now(),
        ).count()
        began = time.monotonic()
        rollup.refresh_all()
        build_s = time.monotonic() - began
        connection.close()
        load = wait_quiet(args.quiet_load, args.quiet_wait)
        load_text = load_average()
        out = Path(args.out) if args.out else None
        found = [measure(client, url, args.runs, user, out) for url in URLS]
    finally:
        cleanup(scratch)
    print(
        f"\n{args.size:,} posts on {scratch.database_label}; {in_90:,} in the last 90 days; "
        f"{seeded_how} {seed_s:.0f} s; rollup built in {build_s:.1f} s; "
        f"load at start {load:.2f} ({load_text})\n"
    )
    headers = ["PDF", "median ms", "min ms", "CPU ms", "read ms", "html ms", "layout ms"]
    headers += ["pages", "KB", "page box pt"]
    rows = []
    for f in found:
        keys = ("median_ms", "min_ms", "cpu_ms", "read_ms", "html_ms", "layout_ms")
        times = [f[k] for k in keys]
        rows.append(
            [f["url"], *(f"{t:.0f}" for t in times), f["pages"], f"{f['kb']:.0f}", f["box"]]
        )
    print(table(headers, rows))
    if out is not None:
        print(f"\nPDFs and their pages as PNG (60 dpi) in {out}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.pdf", description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="posts to seed")
    parser.add_argument("--database-url", help="scratch PostgreSQL database (name contains bench)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", help="copy the freshly seeded SQLite file here")
    parser.add_argument("--reuse", help="start from a SQLite file kept by --keep (no seeding)")
    parser.add_argument("--out", help="write the PDFs and their pages as PNG in this folder")
    parser.add_argument("--quiet-load", type=float, default=1.5)
    parser.add_argument("--quiet-wait", type=float, default=120.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()
