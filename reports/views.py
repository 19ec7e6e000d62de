"""The stats review: one page and its CSV, for every signed-in user (viewers included)."""

from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.localtime import as_local
from core.roles import viewer_required
from posts import queue
from posts.models import NETWORKS, Source
from posts.queue import STATUS_LABELS, QueueFilters
from posts.selectors import queue_choices, user_names
from reports import export, selectors
from reports.query import StatsQuery, stats_parse
from reports.review import SECTIONS, names_for_page, section, stats_review


def parse_for(query: QueryDict, zone, choices: dict, *, display_from=None) -> StatsQuery:
    return stats_parse(
        query,
        profiles=set(choices["profiles"]),
        campaigns={cid for cid, _ in choices["campaigns"]},
        today=as_local(timezone.now(), zone).date(),
        zone=zone,
        display_from=display_from,
    )


@require_GET
@viewer_required
def stats_page(request: HttpRequest) -> HttpResponse:
    choices = queue_choices()
    sq = parse_for(request.GET, request.user.zone, choices)
    context = stats_review(sq, now=timezone.now(), choices=choices)
    context |= {
        "part_base": reverse("reports:stats") + "part/",
        "part_query": sq.query(),
        "notes": sq.notes,
        "can_share": request.user.is_editor,
        "shared": False,
        "export_query": sq.query(),
        "display_items": sq.display.items(),
        "networks": NETWORKS,
        "sources": Source.values,
        "statuses": STATUS_LABELS,
    }
    return render(request, "stats/page.html", context)


def section_response(
    request: HttpRequest,
    sq: StatsQuery,
    name: str,
    *,
    choices: dict,
    shared: bool,
    page: str,
    extra: dict | None = None,
) -> HttpResponse:
    """One of the page's later sections: the section alone for htmx, else on a page of
    its own (`page`: the template around it) for a browser without script."""
    if name not in SECTIONS:
        raise Http404("No such section.")
    context = section(sq, name, now=timezone.now(), choices=choices, shared=shared)
    context |= extra or {}
    if request.headers.get("HX-Request") == "true":
        return render(request, f"stats/section_{name}.html", context)
    return render(request, page, context)


@require_GET
@viewer_required
def stats_part(request: HttpRequest, name: str) -> HttpResponse:
    """/stats/part/<section>/?<the page's query>: what the page fills in after load."""
    choices = queue_choices()
    sq = parse_for(request.GET, request.user.zone, choices)
    return section_response(
        request, sq, name, choices=choices, shared=False, page="stats/part_page.html"
    )


def csv_response(sq: StatsQuery, *, breakdown: str, choices: dict, filename: str):
    """The posts in scope (or, with `breakdown`, that breakdown's rows) as CSV."""
    zone = sq.scope.zone
    now = timezone.now()
    if breakdown in selectors.DIMENSIONS:
        found = selectors.breakdown(
            sq.scope,
            breakdown,
            now=now,
            order=sq.display.order,
            names=names_for_page(choices),
            limit=None,
        )
        lines = export.lines(
            export.breakdown_header(found, zone), export.breakdown_lines(found, zone=zone)
        )
        filename = f"{filename}-by-{breakdown}"
    else:
        rows = selectors.export_rows(sq.scope, now=now)
        lines = export.lines(
            export.post_header(zone), export.post_lines(rows, zone=zone, names=user_names())
        )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    period = sq.period
    response["Content-Disposition"] = (
        f'attachment; filename="{filename}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv"'
    )
    return response


@require_GET
@viewer_required
def stats_export(request: HttpRequest) -> StreamingHttpResponse:
    choices = queue_choices()
    sq = parse_for(request.GET, request.user.zone, choices)
    return csv_response(
        sq, breakdown=request.GET.get("breakdown", ""), choices=choices, filename="oktodash-stats"
    )


def queue_csv_response(filters: QueueFilters, *, zone, filename: str) -> StreamingHttpResponse:
    """Every post of a queue view (all pages), in the queue's order."""
    rows = selectors.queue_export_rows(filters, zone=zone, now=timezone.now())
    lines = export.lines(
        export.post_header(zone), export.post_lines(rows, zone=zone, names=user_names())
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


@require_GET
@viewer_required
def queue_export(request: HttpRequest) -> StreamingHttpResponse:
    """/posts/export.csv?<the queue's query>: the queue's filters and sort, every page."""
    choices = queue_choices()
    parsed = queue.parse(
        request.GET,
        profiles=set(choices["profiles"]),
        campaigns={cid for cid, _ in choices["campaigns"]},
    )
    return queue_csv_response(parsed.filters, zone=request.user.zone, filename="oktodash-queue")
