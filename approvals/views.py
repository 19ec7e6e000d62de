"""/approvals/: what waits for approval, and the decision (one post or several);
/approvals/links/: review links; /r/<token>/: a review link's page, without login."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.client_ip import client_ip
from approvals import selectors, services
from approvals.models import ReviewLink
from core.infra import rate_take
from core.rendering import full_page, render_page_or_partial
from core.roles import approver_required, viewer_required
from core.services import ServiceError
from posts.selectors import queue_choices
from sharing import links


@require_GET
@viewer_required
def approvals_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@approver_required
def approvals_decide(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    if action not in ("approve", "reject"):
        messages.error(request, "Choose Approve or Request changes.")
    else:
        # Each value is "item@step": the step the page showed, so a second click decides
        # nothing (the item has moved on).
        chosen = [v.partition("@") for v in request.POST.getlist("item")[:100]]
        try:
            results = services.approval_decide(
                user=request.user,
                item_ids=[item for item, _, _ in chosen],
                steps={item: step for item, _, step in chosen if step},
                approve=action == "approve",
                note=request.POST.get("note", ""),
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            for result in results:
                level = messages.success if result.ok else messages.warning
                level(request, f"Post {result.post_id or result.item_id}: {result.words}")
    if full_page(request):
        return redirect("approvals:page")
    return _page(request)


def _page(request: HttpRequest) -> HttpResponse:
    groups = selectors.approvals_waiting()
    context = {
        "groups": groups,
        "waiting": sum(len(g.rows) for g in groups),
        "total": selectors.approvals_waiting_count(),  # the nav's, cached
        "can_decide": request.user.can_approve,
    }
    return render_page_or_partial(request, "approvals/page.html", "approvals", context)


# --- review links ------------------------------------------------------------------------

# Review pages and decisions an address may open or send per minute, together.
REVIEW_RATE_PER_MINUTE = 60


@require_http_methods(["GET", "POST"])
@approver_required
def review_links(request: HttpRequest) -> HttpResponse:
    """Editors and approvers list their review links and make one for a queue scope
    (`?query=` fills the form from a queue view). The URL is shown once, in the answer
    to the POST: only its hash is kept."""
    data = request.POST if request.method == "POST" else request.GET
    context: dict[str, object] = {
        "query_value": data.get("query", ""),
        "label_value": data.get("label", ""),
        "days_value": data.get("days", services.REVIEW_DAYS),
        "days_max": services.REVIEW_DAYS_MAX,
    }
    if request.method == "POST":
        try:
            days = int(data.get("days", services.REVIEW_DAYS))
        except ValueError:
            days = 0
        try:
            created = services.review_link_create(
                user=request.user,
                query=data.get("query", ""),
                label=data.get("label", ""),
                days=days,
                choices=queue_choices(),
            )
        except ServiceError as exc:
            context["error"] = exc.message
        else:
            context["new_url"] = request.build_absolute_uri(
                reverse("review:page", args=[created.token])
            )
            context["new_link"] = created.link
            context["query_value"] = context["label_value"] = ""
    context["links"] = selectors.review_links_list()
    return render(request, "approvals/links.html", context)


@require_POST
@approver_required
def review_link_revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    get_object_or_404(ReviewLink, id=link_id)
    services.review_link_revoke(link_id=link_id)
    return redirect("approvals:links")


@dataclass(frozen=True)
class _Opened:
    link: ReviewLink
    zone: zoneinfo.ZoneInfo
    choices: dict


def _review_open(request: HttpRequest, token: str) -> _Opened | HttpResponse:
    """The active link for `token` whose scope still parses to itself, or the page
    refusing it: 429 past the address's budget, 404 for no link, 410 for one expired,
    revoked, whose creator may no longer approve, or whose scope would now be wider."""
    address = client_ip(request) or "unknown"
    if not rate_take(f"review:{address}", limit=REVIEW_RATE_PER_MINUTE, window=60):
        response = render(request, "share/gone.html", {"status": 429}, status=429)
        response["Retry-After"] = "60"
        return response
    link = selectors.review_link_for_token(token)
    if link is None:
        return render(request, "share/gone.html", {"status": 404}, status=404)
    zone = _zone(link.time_zone)
    choices = queue_choices()
    if not link.is_active() or not links.queue_still_valid(link.query, zone, choices):
        return render(request, "share/gone.html", {"status": 410}, status=410)
    return _Opened(link, zone, choices)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _review_page(
    request: HttpRequest, opened: _Opened, token: str, **extra: object
) -> HttpResponse:
    with timezone.override(opened.zone):
        rows = selectors.review_rows(
            opened.link.query, zone=opened.zone, choices=opened.choices, now=timezone.now()
        )
        context = {
            "link": opened.link,
            "rows": rows,
            "waiting": sum(r.waiting for r in rows),
            "decide_url": reverse("review:decide", args=[token]),
            "reviewer": "",
            "decided": "",
            "result": None,
            "notice": "",
            **extra,
        }
        return render(request, "approvals/review.html", context)


@require_GET
@login_not_required
@links.link_headers(referrer="same-origin")
def review_page(request: HttpRequest, token: str) -> HttpResponse:
    """A review link's page, without login: the scope's posts in a workflow with their
    previews, and for each waiting one a form (name, note, Approve / Request changes).
    Its forms carry a CSRF token, the only cookie it sets."""
    opened = _review_open(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    services.review_link_used(opened.link)
    return _review_page(request, opened, token)


@require_POST
@login_not_required
@links.link_headers(referrer="same-origin")
def review_decide(request: HttpRequest, token: str) -> HttpResponse:
    """One decision on one post of the link, answered with the page (the decision said
    beside the post, the name kept in every form). Without login, but CSRF-checked."""
    opened = _review_open(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    item_id, _, step_id = request.POST.get("item", "").partition("@")
    action = request.POST.get("action", "")
    reviewer = request.POST.get("reviewer", "")[:200]
    note = request.POST.get("note", "")[:4000]
    with timezone.override(opened.zone):
        shown = selectors.review_rows(
            opened.link.query, zone=opened.zone, choices=opened.choices, now=timezone.now()
        )
    # Only a post of the link's own scope: the form's value never widens it.
    if not any(r.item_id == item_id for r in shown):
        return _review_page(request, opened, token, notice="That post is not part of this review.")
    error, words = "", ""
    if action not in ("approve", "reject"):
        error = "Choose Approve or Request changes."
    else:
        try:
            result = services.review_decide(
                link=opened.link,
                item_id=item_id,
                step_id=step_id,
                approve=action == "approve",
                reviewer=reviewer,
                note=note,
            )
        except ServiceError as exc:
            error = exc.message
        else:
            words = result.words if result.ok else ""
            error = "" if result.ok else result.words
    result_line = {"ok": not error, "words": error or words, "note": note if error else ""}
    return _review_page(
        request,
        opened,
        token,
        reviewer=" ".join(reviewer.split()),
        decided=item_id,
        result=result_line,
    )
