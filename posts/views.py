"""Queue and post pages. They read only the local mirror; Oktopost is never waited for."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from accounts.roles import role_required
from posts import queue, selectors, sync
from posts.forms import SavedViewForm
from posts.models import NETWORKS, Post, SavedView, Source
from posts.tasks import refresh_post_stats

viewer_required = role_required("viewer")


def _full_page(request: HttpRequest) -> bool:
    """A plain visit, or htmx restoring history: both need the whole page."""
    return not request.htmx or request.htmx.history_restore_request


@require_GET
@viewer_required
def queue_view(request: HttpRequest) -> HttpResponse:
    choices = selectors.queue_choices()
    parsed = queue.parse(
        request.GET,
        profiles=set(choices["profiles"]),
        campaigns={cid for cid, _ in choices["campaigns"]},
    )
    filters = parsed.filters
    now = timezone.now()
    page = selectors.queue_page(
        filters, parsed.cursor, now=now, zone=request.user.zone, profiles=choices["profiles"]
    )
    context = {
        "filters": filters,
        "page": page,
        "notes": parsed.notes,
        "choices": choices,
        "presets": queue.PRESETS,
        "sorts": queue.SORTS,
        "statuses": queue.STATUS_LABELS,
        "networks": NETWORKS,
        "sources": Source.values,
        "next_query": filters.query() + "&cursor=" + page.next_cursor.sign(filters)
        if page.next_cursor
        else "",
        "prev_query": filters.query() + "&cursor=" + page.prev_cursor.sign(filters)
        if page.prev_cursor
        else "",
        "saved_form": SavedViewForm(initial={"query": filters.query()}),
        "can_write": request.user.is_editor,
        "oob": not _full_page(request),
    }
    template = "posts/queue.html" if _full_page(request) else "posts/queue.html#post-rows"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@viewer_required
def post_row(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    """One queue row, for live rows polling for changes."""
    post = selectors.post_for_view(oktopost_id)
    selectors.targets_attach([post], selectors.profiles_by_id())
    response = render(request, "posts/queue.html#post-row", {"post": post})
    # A row that can no longer change comes back without its poll trigger, which
    # ends the polling when htmx swaps it in.
    return response


@require_GET
@viewer_required
def post_detail(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    post = selectors.post_for_view(oktopost_id)
    selectors.targets_attach([post], selectors.profiles_by_id())
    context = {
        "post": post,
        "charts": selectors.stats_chart(post),
        "can_write": request.user.is_editor,
    }
    template = "posts/detail.html" if _full_page(request) else "posts/detail.html#post-detail"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_POST
@viewer_required
def post_stats_refresh(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    """Refresh now: jumps the stats queue, still within the shared API budget."""
    post = get_object_or_404(Post, oktopost_id=oktopost_id, deleted_at__isnull=True)
    sync.stats_request(post)
    transaction.on_commit(lambda: refresh_post_stats.delay(post.id))
    if not request.htmx:
        messages.info(request, "Stats refresh queued; the numbers update when Oktopost answers.")
        return redirect("posts:detail", oktopost_id=oktopost_id)
    return post_stats(request, oktopost_id)


@require_GET
@viewer_required
def post_stats(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    """The stats block; it polls itself while a refresh is pending."""
    post = selectors.post_for_view(oktopost_id)
    response = render(
        request,
        "posts/detail.html#post-stats",
        {"post": post, "charts": selectors.stats_chart(post)},
    )
    if request.htmx and post.stats_requested_at is None and request.GET.get("poll"):
        # Done: show the new numbers and stop polling (htmx stops on 286).
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_POST
@viewer_required
def saved_view_create(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST, owner=request.user)
    if form.is_valid():
        view = form.save()
        messages.success(request, f"Saved the view “{view.name}”.")
        return redirect(f"{reverse('posts:queue')}?{view.query}")
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect(f"{reverse('posts:queue')}?{form.data.get('query', '')}")


@require_POST
@viewer_required
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    view = SavedView.objects.filter(id=view_id, owner=request.user).first()
    if view is None:
        raise Http404("No such view of yours.")
    view.delete()
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("posts:queue")


@require_GET
def status(request: HttpRequest) -> HttpResponse:
    """The status bar alone, for htmx polling."""
    return render(request, "status_bar.html")
