""" "Share this view": a link to the page someone is looking at, made in one step.

The queue, the stats page and the calendar each carry the button (the `share_this_view`
tag). It opens a small dialog that names what the link will show (the page's own
filters, read by the pages' own parsers in sharing.scope), asks for an expiry and an
optional label, and makes the link with one click; the answer shows the link once, with
Copy. Without script the button opens the same dialog as a page.

Who may: anyone with a role may share what they can see; an admin can switch it off for
viewers and approvers (SharingPolicy, on /share/). Checked here, in the view, on every
request: the button's absence is only a courtesy.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.rendering import render_page_or_partial
from core.roles import viewer_required
from posts.selectors import queue_choices, user_names
from sharing import forms, scope, selectors, services
from sharing.models import ShareLink

PAGES = {"queue": "Queue", "stats": "Stats", "calendar": "Calendar"}
EXPIRY_DAYS = ((1, "1 day"), (7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year"))
REFUSED = "An admin has switched sharing off for viewers. Ask an editor to share this view."


def require_share_allowed(request: HttpRequest) -> None:
    if not selectors.share_allowed(request.user):
        raise PermissionDenied(REFUSED)


@dataclass(frozen=True)
class Asked:
    """The view being shared, as the dialog reads it."""

    page: str  # the page it came from: queue, stats or calendar
    link_page: str  # what the link opens: a calendar is shared as its posts, listed
    query: str  # the page's own query string, as sent
    stored: str  # the canonical query the link keeps
    problems: tuple[str, ...]
    rolls: bool  # a stats range such as "Last 7 days" asked to roll forward
    offer_roll: bool  # a stats range preset: the dialog offers the choice
    seen: str


def _asked(request: HttpRequest, data: QueryDict) -> Asked:
    page = data.get("page", "")
    if page not in PAGES:
        page = "queue"
    query = data.get("query", "").strip().lstrip("?")[: services.MAX_QUERY + 1]
    zone = request.user.zone
    problems: tuple[str, ...] = ()
    asked = query
    if page == "calendar":
        today = timezone.now().astimezone(zone).date()
        asked, problems = scope.calendar_as_queue(query, today)
    link_page = ShareLink.Page.STATS if page == "stats" else ShareLink.Page.QUEUE
    rolls = data.get("dates") == forms.DateRule.ROLL
    choices = queue_choices()
    found = scope.canonical(link_page, asked, zone, choices, fixed_dates=not rolls)
    problems += found.problems
    if len(query) > services.MAX_QUERY:
        problems += ("That view's address is too long to share.",)
    offer_roll = link_page == "stats" and bool(QueryDict(asked).get("range"))
    seen = forms.fingerprint(page=page, query=query)
    return Asked(page, link_page, query, found.query, problems, rolls, offer_roll, seen)


def _default_label(page: str, preview: selectors.Preview | None) -> str:
    what = "; ".join(which for _, which in preview.scope) if preview else ""
    return f"{PAGES[page]}: {what or 'every post'}"[:120]


def _render(request: HttpRequest, context: dict, *, status: int = 200) -> HttpResponse:
    return render_page_or_partial(
        request, "share/this.html", "share-dialog-body", context, status=status
    )


@require_http_methods(["GET", "POST"])
@viewer_required
def share_this(request: HttpRequest) -> HttpResponse:
    """GET: the dialog for the view in `page` and `query`. POST: make the link."""
    require_share_allowed(request)
    data = request.POST if request.method == "POST" else request.GET
    asked = _asked(request, data)
    preview = None
    if not asked.problems:
        with timezone.override(request.user.zone):
            preview = selectors.share_preview(
                asked.link_page,
                asked.stored,
                zone=request.user.zone,
                choices=queue_choices(),
                now=timezone.now(),
                creators=user_names(),
            )
    try:
        days = int(data.get("days", services.DEFAULT_DAYS))
    except ValueError:
        days = services.DEFAULT_DAYS
    context = {
        "asked": asked,
        "preview": preview,
        "page_name": PAGES[asked.page],
        "expiry_days": EXPIRY_DAYS,
        "days": days,
        "label": data.get("label", "").strip()[:120],
        "default_label": _default_label(asked.page, preview),
        "date_rules": forms.DateRule.CHOICES,
    }
    if request.method == "GET" or asked.problems:
        return _render(request, context)
    if data.get("seen") != asked.seen:
        context["errors"] = ["The view changed since this opened: check what it shows, then share."]
        return _render(request, context)
    try:
        created = services.share_link_create(
            page=asked.link_page,
            query=asked.stored,
            label=context["label"] or context["default_label"],
            days=days,
            time_zone=request.user.time_zone,
            user=request.user,
            made_as=selectors.share_made_as(request.user),
        )
    except services.ShareError as exc:
        context["errors"] = [str(exc)]
        return _render(request, context)
    url = request.build_absolute_uri(reverse("share:page", args=[created.token]))
    return _render(request, context | {"new_url": url, "new_link": created.link})
