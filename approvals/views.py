"""/approvals/: what waits for approval, and the decision (one post or several)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from approvals import selectors, services
from core.rendering import full_page, render_page_or_partial
from core.roles import approver_required, viewer_required
from core.services import ServiceError


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
