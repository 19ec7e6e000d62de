"""The stats review: one page, its CSV and its PDF, for every signed-in user (viewers
included)."""

from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.localtime import as_local
from core.roles import viewer_required
from posts import queue
from posts.models import NETWORKS, Source
from posts.queue import STATUS_LABELS
from posts.selectors import filter_ids, queue_choices
from reports import pdf
from reports.query import StatsQuery, stats_parse
from reports.review import csv_response, queue_csv_response, section_response, stats_review


def parse_for(query: QueryDict, zone, choices: dict, *, display_from=None) -> StatsQuery:
    return stats_parse(
        query,
        **filter_ids(choices),
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
        "shared": False,
        "export_query": sq.query(),
        "papers": pdf.papers_for_zone(request.user.zone),
        "display_items": sq.display.items(),
        "networks": NETWORKS,
        "sources": Source.values,
        "statuses": STATUS_LABELS,
    }
    return render(request, "stats/page.html", context)


@require_GET
@viewer_required
def stats_part(request: HttpRequest, name: str) -> HttpResponse:
    """/stats/part/<section>/?<the page's query>: what the page fills in after load."""
    choices = queue_choices()
    sq = parse_for(request.GET, request.user.zone, choices)
    return section_response(
        request, sq, name, choices=choices, shared=False, page="stats/part_page.html"
    )


@require_GET
@viewer_required
def stats_export(request: HttpRequest) -> StreamingHttpResponse:
    choices = queue_choices()
    sq = parse_for(request.GET, request.user.zone, choices)
    return csv_response(
        sq, breakdown=request.GET.get("breakdown", ""), choices=choices, filename="oktodash-stats"
    )


@require_GET
@viewer_required
def stats_pdf(request: HttpRequest) -> HttpResponse:
    """/stats/report.pdf?<the page's query>&paper=A4|Letter: the page, printed."""
    if not pdf.pdf_allowed(f"user:{request.user.pk}"):
        return pdf.too_many()
    choices = queue_choices()
    zone = request.user.zone
    sq = parse_for(request.GET, zone, choices)
    paper = pdf.paper_parse(request.GET.get("paper"), zone=zone)
    data = pdf.render_stats_pdf(sq, paper=paper, choices=choices)
    return pdf.pdf_response(data, filename=pdf.pdf_filename("oktodash-stats", sq))


@require_GET
@viewer_required
def queue_export(request: HttpRequest) -> StreamingHttpResponse:
    """/posts/export.csv?<the queue's query>: the queue's filters and sort, every page."""
    choices = queue_choices()
    parsed = queue.parse(request.GET, **filter_ids(choices))
    return queue_csv_response(parsed.filters, zone=request.user.zone, filename="oktodash-queue")
