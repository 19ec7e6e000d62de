"""The stats review as a PDF: the page's own templates, printed by WeasyPrint.

`render_stats_pdf` needs no request, so scheduled mail can attach the same file a person
downloads from /stats/ or from a share link. The PDF holds what the page shows once it
has loaded: freshness, totals, the trend charts (the page's SVG, kept as vectors), the
breakdown, the messages, the top posts and the heatmap. Every printed page repeats the
scope, the time zone and how fresh the counters are (CSS @page margin boxes fed by
`string-set` in static/css/print.css).

A PDF costs what the page and all its later sections cost together, plus the layout,
so the views that answer it take from a budget of their own (PDF_RATE_PER_MINUTE).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, tzinfo
from functools import cache

from django.contrib.staticfiles import finders
from django.db import connection, connections
from django.http import HttpResponse, QueryDict
from django.template.loader import render_to_string
from django.utils import timezone

from core.infra import rate_take
from core.localtime import as_local
from posts.selectors import filter_ids, queue_choices
from reports.query import StatsQuery, stats_parse
from reports.review import HEATMAP_KEYS, section, stats_review

# Paper a PDF may be printed on: the CSS page size each stands for.
PAPERS = {"A4": "A4", "Letter": "letter"}
DEFAULT_PAPER = "A4"
# Zones whose countries mostly print on Letter: North and Central America, and the
# Philippines. (A few American zones' countries use A4, Brazil's and Argentina's among
# them: the other paper is one click away on the page.)
LETTER_PREFIXES = ("America/", "US/", "Canada/", "Mexico/", "Asia/Manila")
# PDFs one person (or, on a share link, one address) may ask for per minute: each reads
# every post of its range several times over (the page's later sections), so the budget
# is a tenth of the pages'. The whole site makes at most PDF_SITE_RATE_PER_MINUTE, so
# that many people at once cannot keep every web worker laying out PDFs.
PDF_RATE_PER_MINUTE = 6
PDF_SITE_RATE_PER_MINUTE = 30
# The sections read every post of the range, independently: the PDF reads them side by
# side (each in its own database connection) rather than one after another.
SECTION_WORKERS = 2


def paper_for_zone(zone: tzinfo | str | None) -> str:
    """Letter for the Americas' zones, A4 elsewhere: the default a person's zone suggests."""
    name = str(zone or "")
    return "Letter" if name.startswith(LETTER_PREFIXES) else "A4"


def papers_for_zone(zone: tzinfo | str | None) -> list[str]:
    """Both papers, the zone's default first: the order the page offers them in."""
    first = paper_for_zone(zone)
    return [first, *(p for p in PAPERS if p != first)]


def paper_parse(value: str | None, *, zone: tzinfo | str | None) -> str:
    """The `paper` a URL asks for ("A4" or "Letter", any case), else the zone's default."""
    wanted = (value or "").strip().lower()
    for name in PAPERS:
        if name.lower() == wanted:
            return name
    return paper_for_zone(zone)


def stats_query_for(query: str, *, zone: tzinfo, now: datetime | None = None) -> StatsQuery:
    """The stats view a saved query string stands for, in `zone` (outside a request: the
    same parse the page does, "today" taken in `zone`)."""
    now = now or timezone.now()
    return stats_parse(
        QueryDict(query),
        **filter_ids(queue_choices()),
        today=as_local(now, zone).date(),
        zone=zone,
    )


def _in_thread(sq: StatsQuery, name: str, now: datetime, choices: dict) -> dict:
    try:
        return section(sq, name, now=now, choices=choices, shared=True)
    finally:
        connections.close_all()


def pdf_context(
    sq: StatsQuery,
    *,
    now: datetime,
    choices: dict | None = None,
    title: str = "Stats",
    scope_label: str = "",
) -> dict:
    """Everything the page shows once loaded, for templates/stats/pdf.html."""
    choices = choices if choices is not None else queue_choices()
    context = stats_review(sq, now=now, choices=choices, shared=True)
    wanted = [n for n in ("breakdown", "messages") if n in context["lazy"]] + [
        "top",
        "heatmap",
        "followers",
    ]
    if connection.in_atomic_block:
        # Other connections would not see this transaction's rows: read them here.
        found = {n: section(sq, n, now=now, choices=choices, shared=True) for n in wanted}
    else:
        with ThreadPoolExecutor(max_workers=SECTION_WORKERS) as pool:
            answers = pool.map(lambda n: _in_thread(sq, n, now, choices), wanted)
            found = dict(zip(wanted, answers, strict=True))
    if "breakdown" in found:
        context |= {
            "breakdown": found["breakdown"]["breakdown"],
            "bars": found["breakdown"]["bars"],
        }
    return context | {
        "message_rows": found.get("messages", {}).get("message_rows"),
        "top_lists": found["top"]["top_lists"],
        **{key: found["heatmap"][key] for key in HEATMAP_KEYS},
        **{k: v for k, v in found["followers"].items() if k.startswith("follower")},
        # Nothing is left to fill in after load: every section is in the PDF.
        "lazy": [],
        "pdf_title": title,
        "pdf_scope": scope_label or sq.period.label,
        "pdf_made": as_local(now, sq.scope.zone),
    }


# WeasyPrint paints an inline SVG from its own presentation attributes only (neither the
# document's rules nor CSS variables reach inside it), so the classes the page's charts
# use (stats.css) are given as attributes, in print.css's light colours.
SVG_PAINT = {
    "grid": 'stroke="#d5dae2" stroke-width="1"',
    "tick": 'fill="#59616e" font-size="10" font-family="Liberation Sans, DejaVu Sans"',
    "line-current": 'fill="none" stroke="#0f5f93" stroke-width="2"',
    "line-previous": (
        'fill="none" stroke="#59616e" stroke-width="1.5" stroke-dasharray="4 3" opacity=".6"'
    ),
    "bar": 'fill="#0f5f93" opacity=".55"',
}
SVG_CLASS = re.compile(r'class="(' + "|".join(SVG_PAINT) + r')"')
# A breakdown row's bar (templates/stats/breakdown_table.html): a bare <rect>.
HBAR_RECT = re.compile(r'(<svg class="hbar"[^>]*>)<rect ')


def _painted_svgs(html: str) -> str:
    html = SVG_CLASS.sub(lambda found: f"{found.group(0)} {SVG_PAINT[found.group(1)]}", html)
    return HBAR_RECT.sub(r'\1<rect fill="#0f5f93" ', html)


@cache
def _stylesheets() -> list:
    from weasyprint import CSS  # a heavy import, needed only when a PDF is made

    return [CSS(filename=finders.find(name)) for name in ("css/stats.css", "css/print.css")]


def render_stats_pdf(
    sq: StatsQuery,
    *,
    paper: str = DEFAULT_PAPER,
    title: str = "Stats",
    scope_label: str = "",
    now: datetime | None = None,
    choices: dict | None = None,
) -> bytes:
    """The stats review of `sq` as PDF bytes, on `paper` ("A4" or "Letter").

    Callable outside a request (a scheduled report): build `sq` with
    `stats_query_for(query, zone=zone)` or take a share link's. `title` heads the first
    page (a share link's label); `scope_label` replaces the period in the running header
    (default: the period's label, e.g. "Last 30 days"). No link out of the PDF points at
    a post or the queue (the share links' rendering): it may be forwarded."""
    if paper not in PAPERS:
        raise ValueError(f"Paper must be one of {', '.join(PAPERS)}, not {paper!r}.")
    from weasyprint import CSS, HTML

    now = now or timezone.now()
    with timezone.override(sq.scope.zone):
        context = pdf_context(sq, now=now, choices=choices, title=title, scope_label=scope_label)
        html = _painted_svgs(render_to_string("stats/pdf.html", context))
    size = CSS(string=f"@page {{ size: {PAPERS[paper]}; }}")
    return HTML(string=html).write_pdf(stylesheets=[*_stylesheets(), size])


def pdf_filename(prefix: str, sq: StatsQuery) -> str:
    period = sq.period
    return f"{prefix}-{period.first:%Y-%m-%d}-to-{period.last:%Y-%m-%d}.pdf"


def pdf_response(data: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def pdf_allowed(who: str) -> bool:
    """One more PDF for `who` (a user's or an address's key) and for the site, if both
    budgets have room this minute."""
    if not rate_take(f"pdf:{who}", limit=PDF_RATE_PER_MINUTE, window=60):
        return False
    return rate_take("pdf:site", limit=PDF_SITE_RATE_PER_MINUTE, window=60)


def too_many() -> HttpResponse:
    """The answer past PDF_RATE_PER_MINUTE, in words a person reads in the browser."""
    response = HttpResponse(
        f"At most {PDF_RATE_PER_MINUTE} PDFs a minute can be made: wait a minute, then try again.",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = "60"
    return response
