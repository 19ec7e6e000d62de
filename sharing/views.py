"""Share links: anyone with a role makes and manages their own (admins: all); anyone
holding one sees that one view, read-only.

The pages under /s/ need no login and set no cookie: no session is read or written, no
CSRF token is rendered, and the templates have no navigation or write control. Each
address may open a limited number of them per minute, so tokens cannot be guessed in
bulk (256 random bits make that hopeless anyway), and wrong, expired and revoked tokens
get pages that say nothing about any other link.
"""

import zoneinfo
from dataclasses import dataclass

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.client_ip import client_ip
from core.infra import rate_take
from core.rendering import render_page_or_partial
from core.roles import viewer_required
from posts.models import NETWORKS, Source
from posts.queue import MEDIA_FILTERS, SORTS, STATUS_LABELS
from posts.queue import PRESETS as QUEUE_PRESETS
from posts.selectors import filter_chips, queue_choices, queue_page, user_names
from reports import pdf
from reports.review import PRESETS as RANGE_PRESETS
from reports.review import (
    SECTIONS,
    csv_response,
    queue_csv_response,
    section_response,
    stats_review,
)
from sharing import forms, links, scope, selectors, services
from sharing.models import ShareLink
from sharing.this_views import require_share_allowed

# Share pages an address may open per minute (pages and CSVs together).
SHARE_RATE_PER_MINUTE = 60
# The sections a stats page fills in after it loads are not more page views: they have
# a budget of their own, every section of that many pages (so one visitor reading
# pages is never refused a section, and hammering the costliest section is bounded).
SECTIONS_PER_PAGE = tuple(SECTIONS)


# Every answer under /s/: no referrer, not indexed, never cached (sharing.links).
share_headers = links.link_headers


def _refusal(request: HttpRequest, status: int) -> HttpResponse:
    return render(request, "share/gone.html", {"status": status}, status=status)


@dataclass(frozen=True)
class Opened:
    link: ShareLink
    zone: zoneinfo.ZoneInfo
    choices: dict


def _open(request: HttpRequest, token: str, *, count: bool = True) -> Opened | HttpResponse:
    """The active link for `token` whose scope still parses, counted as used (unless
    `count` is False: a section the page it belongs to fills in, which takes from the
    sections' budget, not the pages'), with its zone and the filter choices; or the page
    refusing it."""
    address = client_ip(request) or "unknown"
    if count:
        allowed = rate_take(f"share:{address}", limit=SHARE_RATE_PER_MINUTE, window=60)
    else:
        limit = SHARE_RATE_PER_MINUTE * len(SECTIONS_PER_PAGE)
        allowed = rate_take(f"share-part:{address}", limit=limit, window=60)
    if not allowed:
        response = _refusal(request, 429)
        response["Retry-After"] = "60"
        return response
    link = selectors.share_link_for_token(token)
    if link is None:
        return _refusal(request, 404)
    if not link.is_active():
        return _refusal(request, 410)
    zone = _zone(link)
    choices = queue_choices()
    if not scope.still_valid(link.page, link.query, zone, choices):
        return _refusal(request, 410)
    if count:
        services.share_link_used(link)
    return Opened(link, zone, choices)


def _messages_named(chips: list[tuple[str, str]], filters) -> list[tuple[str, str]]:
    """A message filter's chip by the start of its text, not Oktopost's id."""
    names = selectors.message_names(filters.messages) if filters.messages else {}
    return [(f"Message {names[label]}" if label in names else label, rest) for label, rest in chips]


def _zone(link: ShareLink) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(link.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


@require_GET
@login_not_required
@share_headers
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    opened = _open(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    link, zone, choices = opened.link, opened.zone, opened.choices
    base = reverse("share:page", args=[token])
    with timezone.override(zone):
        if link.page == ShareLink.Page.STATS:
            sq = scope.stats_scope(link.query, zone, choices, display_from=request.GET)
            context = stats_review(sq, now=timezone.now(), choices=choices, shared=True)
            context |= {
                "link": link,
                "base": base,
                "export_query": sq.display_query(),
                "part_base": base + "part/",
                "part_query": sq.display_query(),
                "notes": [n for n in sq.notes if not n.startswith("The clocks")],
                "papers": pdf.papers_for_zone(zone),
            }
            return render(request, "share/stats.html", context)
        parsed = scope.queue_scope(link.query, choices, cursor=request.GET.get("cursor", ""))
        filters = parsed.filters
        page = queue_page(
            filters,
            parsed.cursor,
            now=timezone.now(),
            zone=zone,
            profiles=choices["profiles"],
        )
        context = {
            "link": link,
            "base": base,
            "filters": filters,
            "chips": _messages_named(filter_chips(filters, choices), filters),
            "page": page,
            "zone": zone,
            "next_cursor": page.next_cursor.sign(filters) if page.next_cursor else "",
            "prev_cursor": page.prev_cursor.sign(filters) if page.prev_cursor else "",
        }
        return render(request, "share/queue.html", context)


@require_GET
@login_not_required
@share_headers
def share_part(request: HttpRequest, token: str, name: str) -> HttpResponse:
    """A section of a shared stats page, filled in after it loads: the link's fixed
    scope, exactly as the page reads it; only display choices come from the URL."""
    opened = _open(request, token, count=False)
    if isinstance(opened, HttpResponse):
        return opened
    link, zone, choices = opened.link, opened.zone, opened.choices
    if link.page != ShareLink.Page.STATS or name not in SECTIONS:
        # Answered here, not by raising Http404, so it keeps the share headers.
        return _refusal(request, 404)
    with timezone.override(zone):
        sq = scope.stats_scope(link.query, zone, choices, display_from=request.GET)
        return section_response(
            request,
            sq,
            name,
            choices=choices,
            shared=True,
            page="share/stats_part.html",
            extra={
                "link": link,
                "base": reverse("share:page", args=[token]),
                "back_query": sq.display_query(),
            },
        )


@require_GET
@login_not_required
@share_headers
def share_export(request: HttpRequest, token: str) -> HttpResponse:
    opened = _open(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    link, zone, choices = opened.link, opened.zone, opened.choices
    if link.page == ShareLink.Page.STATS:
        sq = scope.stats_scope(link.query, zone, choices, display_from=request.GET)
        return csv_response(
            sq,
            breakdown=request.GET.get("breakdown", ""),
            choices=choices,
            filename="oktodash-shared-stats",
        )
    parsed = scope.queue_scope(link.query, choices)
    return queue_csv_response(parsed.filters, zone=zone, filename="oktodash-shared-queue")


@require_GET
@login_not_required
@share_headers
def share_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """A shared stats page as PDF: the link's fixed scope, the visitor's display choices
    and paper, with a budget of its own per address on top of the pages' (a PDF costs
    the page and all its sections)."""
    opened = _open(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    link, zone, choices = opened.link, opened.zone, opened.choices
    if link.page != ShareLink.Page.STATS:
        return _refusal(request, 404)
    address = client_ip(request) or "unknown"
    if not pdf.pdf_allowed(f"share:{address}"):
        response = _refusal(request, 429)
        response["Retry-After"] = "60"
        return response
    with timezone.override(zone):
        sq = scope.stats_scope(link.query, zone, choices, display_from=request.GET)
        paper = pdf.paper_parse(request.GET.get("paper"), zone=zone)
        data = pdf.render_stats_pdf(sq, paper=paper, title=link.label, choices=choices)
    return pdf.pdf_response(data, filename=pdf.pdf_filename("oktodash-shared-stats", sq))


# --- managing links (anyone with a role: their own; admins: all) -----------------------


def _links_page(request: HttpRequest, **extra: object) -> HttpResponse:
    user = request.user
    admin = selectors.is_admin(user)
    context = {
        "links": selectors.share_link_rows(
            selectors.share_links_for(user), choices=queue_choices(), creators=user_names()
        ),
        "now": timezone.now(),
        "admin": admin,
        "may_share": selectors.share_allowed(user),
        "policy": selectors.sharing_policy() if admin else None,
        **extra,
    }
    return render(request, "share/links.html", context)


@require_GET
@viewer_required
def links(request: HttpRequest) -> HttpResponse:
    """Everyone's own links (admins: everyone's), with revoke."""
    return _links_page(request)


@require_POST
@viewer_required
def policy(request: HttpRequest) -> HttpResponse:
    """An admin switches sharing on or off for viewers and approvers."""
    if not selectors.is_admin(request.user):
        raise PermissionDenied("Only an admin can change who may share.")
    services.sharing_policy_set(
        viewers_may_share=request.POST.get("viewers_may_share") == "on", user=request.user
    )
    return redirect("sharing:links")


@dataclass(frozen=True)
class Review:
    """A new link as the form asks for it: what it will store, what it will show, and
    why it cannot be made (if it cannot)."""

    page: str
    asked: str  # the filters as sent, for the controls
    stored: str  # the canonical query the link would keep
    problems: tuple[str, ...]
    preview: selectors.Preview | None
    seen: str


def _review(request: HttpRequest, data: QueryDict) -> Review:
    page = forms.page_of(data)
    asked = forms.filter_query(data)
    fixed = data.get("dates", forms.DateRule.FIXED) != forms.DateRule.ROLL
    choices = queue_choices()
    found = scope.canonical(page, asked, request.user.zone, choices, fixed_dates=fixed)
    problems = tuple(f"Not shared: {p}" for p in found.problems)
    if data.get("page", page) != page:
        problems = ("Choose what to share: the stats or the queue.", *problems)
    if len(asked) > services.MAX_QUERY:
        problems += ("Not shared: that view's address is too long to share.",)
    preview = None
    if not problems:
        with timezone.override(request.user.zone):
            preview = selectors.share_preview(
                page,
                found.query,
                zone=request.user.zone,
                choices=choices,
                now=timezone.now(),
                creators=user_names(),
            )
    seen = forms.fingerprint(page=page, query=found.query)
    return Review(page, asked, found.query, problems, preview, seen)


def _new_page(
    request: HttpRequest, data: QueryDict, review: Review, **extra: object
) -> HttpResponse:
    choices = queue_choices()
    page = review.page
    if page == ShareLink.Page.STATS:
        sq = scope.stats_scope(review.asked, request.user.zone, choices)
        filters, period = sq.filters, sq.period
    else:
        filters, period = scope.queue_scope(review.asked, choices).filters, None
    context = {
        "review": review,
        "page": page,
        "filters": filters,
        "period": period,
        "choices": choices,
        "networks": NETWORKS,
        "sources": Source.values,
        "statuses": STATUS_LABELS,
        "media_choices": MEDIA_FILTERS,
        "views": {k: v[0] for k, v in QUEUE_PRESETS.items()},
        "ranges": RANGE_PRESETS,
        "sorts": SORTS,
        "date_rules": forms.DateRule.CHOICES,
        "date_rule": data.get("dates", forms.DateRule.FIXED),
        "label_value": data.get("label", ""),
        "days_value": data.get("days", services.DEFAULT_DAYS),
        "zone": request.user.time_zone,
        **extra,
    }
    return render_page_or_partial(request, "share/new.html", "share-preview", context)


@require_http_methods(["GET", "POST"])
@viewer_required
def create(request: HttpRequest) -> HttpResponse:
    """The new-link form: the filters as controls (filled from "Share this view"), and
    what the link will show (scope, number of posts, date rule) before it is made.

    A link is made only by a POST that carries the fingerprint of the preview on the
    screen: a changed filter, or a form posted from elsewhere ("Share this view"),
    comes back with its preview first. The URL is shown once, in the page that answers
    the POST (never in a redirect, a cookie or a log): only its hash is kept."""
    require_share_allowed(request)
    data = request.POST if request.method == "POST" else request.GET
    review = _review(request, data)
    if request.method == "GET" or data.get("action") == "preview":
        return _new_page(request, data, review)
    form = forms.ShareForm(data)
    errors = list(review.problems)
    if not form.is_valid():
        errors += [e for field in form.errors.values() for e in field]
    elif not form.cleaned_data["label"]:
        errors.append("Give the link a label, so you can tell it apart later.")
    if errors:
        return _new_page(request, data, review, errors=errors)
    if form.cleaned_data["seen"] != review.seen:
        note = "Check what the link will show, then create it."
        return _new_page(request, data, review, check=note)
    try:
        created = services.share_link_create(
            page=review.page,
            query=review.stored,
            label=form.cleaned_data["label"],
            days=form.cleaned_data["days"],
            time_zone=request.user.time_zone,
            user=request.user,
            made_as=selectors.share_made_as(request.user),
        )
    except services.ShareError as exc:
        return _new_page(request, data, review, errors=[str(exc)])
    url = request.build_absolute_uri(reverse("share:page", args=[created.token]))
    return _links_page(request, new_url=url, new_link=created.link, preview=review.preview)


@require_POST
@viewer_required
def revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    """Revoke one's own link (an admin: any link); another's is not found."""
    if selectors.share_link_of(request.user, link_id) is None:
        raise Http404("No such link.")
    services.share_link_revoke(link_id=link_id)
    return redirect("sharing:links")
