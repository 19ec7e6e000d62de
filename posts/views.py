"""Queue and post pages. They read only the local mirror; Oktopost is never waited for."""

from datetime import datetime, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from core.rendering import full_page, render_page_or_partial
from core.roles import editor_required, viewer_required
from posts import forms, queue, selectors, services
from posts.bulk_progress import progress_rows
from posts.models import NETWORKS, BulkAction, Post, Source
from posts.services import posts as post_services


@require_GET
@viewer_required
def queue_view(request: HttpRequest) -> HttpResponse:
    # A bare /posts/ (the menu's Queue) opens at now; every other view names itself.
    query = request.GET or QueryDict(f"preset={queue.OPENING_PRESET}")
    return _queue(request, query)


def _queue(
    request: HttpRequest,
    query: QueryDict,
    *,
    saved_form: forms.SavedViewForm | None = None,
    bulk_form: forms.BulkForm | None = None,
) -> HttpResponse:
    """The queue for `query`; a form that failed on it comes back with its errors."""
    choices = selectors.queue_choices()
    parsed = queue.parse(query, **selectors.filter_ids(choices))
    filters = parsed.filters
    now = timezone.now()
    page = selectors.queue_page(
        filters, parsed.cursor, now=now, zone=request.user.zone, profiles=choices["profiles"]
    )
    every = f"preset={queue.ALL}"  # no filters at all: a bare /posts/ opens at now
    context = {
        "filters": filters,
        "chips": [(n, rest or every) for n, rest in selectors.filter_chips(filters, choices)],
        "page": page,
        "notes": parsed.notes,
        "choices": choices,
        "presets": queue.PRESETS,
        "sorts": queue.SORTS,
        "statuses": queue.STATUS_LABELS,
        "networks": NETWORKS,
        "sources": Source.values,
        "media_filters": queue.MEDIA_FILTERS,
        "approval_filters": queue.APPROVAL_FILTERS,
        **queue.page_links(
            filters, first=page.first, next_cursor=page.next_cursor, prev_cursor=page.prev_cursor
        ),
        "queue_back": _back_to_queue(request.get_full_path()),
        "saved_form": saved_form,
        "bulk_form": bulk_form,
        "can_write": request.user.is_editor,
        "oob": not full_page(request),
        # What a single row re-rendered after a change says (post_reschedule); named
        # here so that 50 rows do not each look them up in vain.
        "row_error": "",
        "row_done": "",
    }
    return render_page_or_partial(request, "posts/queue.html", "post-rows", context)


def _back_to_queue(url: str | None) -> str:
    return queue.back_to_queue(url, home=reverse("posts:queue"))


def _row_back(request: HttpRequest) -> str:  # the queue view a row sits in, as htmx says
    return _back_to_queue(request.htmx.current_url_abs_path if request.htmx else None)


def _query_of(form) -> QueryDict:
    """The queue a form was posted from, when its query is one we can show."""
    raw = form.data.get("query", "")
    return QueryDict(raw if len(raw) <= 2000 else "")


@require_GET
@viewer_required
def post_row(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    """One queue row, for live rows polling for changes."""
    row = selectors.queue_row_for_view(oktopost_id)
    response = render(
        request,
        "posts/queue.html#post-row",
        {"row": row, "can_write": request.user.is_editor, "queue_back": _row_back(request)},
    )
    # A row that can no longer change comes back without its poll trigger, which
    # ends the polling when htmx swaps it in.
    return response


@require_GET
@viewer_required
def post_detail(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    post = selectors.post_for_view(oktopost_id)
    profiles = selectors.profiles_by_id()
    refresh, requested = _refresh_state(request, post)
    targets = selectors.post_targets(post, profiles)
    context = {
        "post": post,
        "targets": targets,
        "outcome": selectors.outcome_of(post, targets),
        "links": selectors.post_links(post),
        "made_here": selectors.made_here([post.oktopost_id]).get(post.oktopost_id, ""),
        "charts": selectors.stats_chart(post),
        "refresh": refresh,
        "requested": requested,
        "now": timezone.now(),  # a refresh due before now reads "due now", not a past time
        "can_write": request.user.is_editor,
        "history": _described(request, selectors.post_history(post), profiles),
        "network_profiles": selectors.profiles_of_network(post.network, profiles),
        **selectors.post_media(post),
    }
    return render_page_or_partial(request, "posts/detail.html", "post-detail", context)


@require_POST
@viewer_required
def post_stats_refresh(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    """Refresh now: jumps the stats queue, still within the shared API budget."""
    post = get_object_or_404(Post, oktopost_id=oktopost_id, deleted_at__isnull=True)
    queued, words = services.post_stats_refresh_now(post=post, user=request.user)
    if not request.htmx:
        (messages.info if queued else messages.warning)(request, words)
        return redirect("posts:detail", oktopost_id=oktopost_id)
    return _stats_block(request, oktopost_id, note="" if queued else words)


@require_GET
@viewer_required
def post_stats(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    return _stats_block(request, oktopost_id)


# A worker normally answers a "refresh now" within seconds; past this, the block stops
# waiting and says so (the post still refreshes on its own schedule).
REFRESH_WAIT = timedelta(minutes=2)


def _stats_block(request: HttpRequest, oktopost_id: str, *, note: str = "") -> HttpResponse:
    """The stats block; it polls itself until the worker has written new numbers.

    A worker takes the request off the post (stats_requested_at) before it calls
    Oktopost, so "no longer requested" is not "done": the block keeps the time of the
    request it is waiting for (sent back by each poll) and is done only when the post's
    stats are at least that new."""
    post = selectors.post_for_view(oktopost_id)
    refresh, requested = _refresh_state(request, post)
    response = render(
        request,
        "posts/detail.html#post-stats",
        {
            "post": post,
            "charts": selectors.stats_chart(post),
            "stats_note": note,
            "refresh": refresh,
            "requested": requested,
            "now": timezone.now(),
        },
    )
    if request.htmx and request.GET.get("poll") and refresh not in ("queued", "fetching"):
        # Done (or given up, with the reason shown): htmx swaps this in and stops on 286.
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _refresh_state(request: HttpRequest, post: Post) -> tuple[str, datetime | None]:
    """Where a "refresh now" of `post` stands, and when it was asked for."""
    requested = _instant(request.GET.get("requested")) or post.stats_requested_at
    if requested is None:
        return "", None
    if post.stats_at is not None and post.stats_at >= requested:
        return ("done" if request.GET.get("poll") else ""), requested
    if post.deleted_at is not None:
        return "gone", requested
    if post.stats_requested_at is not None:
        return "queued", requested
    if timezone.now() - requested > REFRESH_WAIT:
        return "late", requested
    return "fetching", requested


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value[:40])
    except ValueError:
        return None
    # A time from the future cannot be a request already made (it would poll forever).
    if timezone.is_naive(moment) or moment > timezone.now():
        return None
    return moment


@require_POST
@viewer_required
def saved_view_create(request: HttpRequest) -> HttpResponse:
    form = forms.SavedViewForm(request.POST, owner=request.user)
    if form.is_valid():
        try:
            view = services.saved_view_create(owner=request.user, **form.cleaned_data)
        except services.ServiceError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, f"Saved the view “{view.name}”.")
            return redirect(f"{reverse('posts:queue')}?{view.query}")
    return _queue(request, _query_of(form), saved_form=form)


@require_POST
@viewer_required
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    view = services.saved_view_delete(owner=request.user, view_id=view_id)
    if view is None:
        raise Http404("No such view of yours.")
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("posts:queue")


@require_GET
@viewer_required
def status(request: HttpRequest) -> HttpResponse:
    """The status bar alone, for htmx polling."""
    return render(request, "status_bar.html")


# --- writes: editors only -----------------------------------------------------------


def _editable_post(oktopost_id: str) -> Post:
    return get_object_or_404(Post, oktopost_id=oktopost_id, deleted_at__isnull=True)


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect, also out of an htmx drawer."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@require_POST
@editor_required
def post_reschedule(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    post = _editable_post(oktopost_id)
    form = forms.RescheduleForm(request.POST, zone=request.user.zone)
    return _change(
        request,
        post,
        form,
        lambda data: services.post_reschedule(
            user=request.user,
            post=post,
            start_at=data["when"],
            expected_modified=data["expected_modified"],
        ),
        done="Rescheduled.",
    )


@require_POST
@editor_required
def post_profiles(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    post = _editable_post(oktopost_id)
    form = forms.ProfilesForm(request.POST, post=post)
    return _change(
        request,
        post,
        form,
        lambda data: services.post_profiles_change(
            user=request.user,
            post=post,
            profile_ids=data["profiles"],
            expected_modified=data["expected_modified"],
        ),
        done="Profiles changed.",
    )


def _change(request: HttpRequest, post: Post, form, change, *, done: str) -> HttpResponse:
    """Validate, call the service, and answer with Oktopost's words on failure."""
    error = ""
    if form.is_valid():
        try:
            post = change(form.cleaned_data)
        except services.ChangedMeanwhile as exc:
            post, error = exc.post, exc.message
        except services.ServiceError as exc:
            error = exc.message
    else:
        error = _errors_in_words(form)
    return _after_write(request, post, error, done)


def _errors_in_words(form) -> str:
    return " ".join(e for errors in form.errors.values() for e in errors)


def _after_write(request: HttpRequest, post: Post, error: str, done: str) -> HttpResponse:
    """The row again (htmx from the queue), else back to the post with a message."""
    if request.htmx and request.POST.get("from") == "row":
        return render(
            request,
            "posts/queue.html#post-row",
            {
                "row": selectors.queue_row_for_view(post.oktopost_id),
                "can_write": True,
                "row_error": error,
                "row_done": "" if error else done,
                "queue_back": _row_back(request),
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return _go(request, reverse("posts:detail", args=[post.oktopost_id]))


@require_POST
@editor_required
def post_first_comment(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    """Set, change or (empty text and no picture) remove a LinkedIn first comment."""
    post = _editable_post(oktopost_id)
    form = forms.FirstCommentForm(request.POST)
    remove = request.POST.get("remove") == "1"
    if remove:
        form.data = form.data.copy()
        form.data["text"], form.data["media_id"] = "", ""
    return _change(
        request,
        post,
        form,
        lambda data: post_services.post_first_comment_change(
            user=request.user,
            post=post,
            text=data["text"],
            media_id=data["media_id"],
            expected_modified=data["expected_modified"],
        ),
        done="First comment removed." if remove else "First comment saved.",
    )


@require_http_methods(["GET", "POST"])
@editor_required
def post_cancel(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    post = _editable_post(oktopost_id)
    back = _back_to_queue(request.POST.get("back") or request.GET.get("back"))
    if request.method == "POST":
        form = forms.CancelForm(request.POST)
        if not form.is_valid():
            # A mangled expected_modified must not skip the conflict check.
            messages.error(request, "Not cancelled: " + _errors_in_words(form))
            return _go(request, reverse("posts:detail", args=[oktopost_id]))
        try:
            services.post_cancel(
                user=request.user,
                post=post,
                expected_modified=form.cleaned_data["expected_modified"],
            )
        except services.BeingChecked as exc:
            messages.warning(request, exc.message)
        except services.ServiceError as exc:
            messages.error(request, f"Not cancelled: {exc.message}")
            return _go(request, reverse("posts:detail", args=[oktopost_id]))
        else:
            messages.success(request, f"Cancelled the {post.name}.")
        return _go(request, back)
    targets = selectors.post_targets(post, selectors.profiles_by_id())
    return render(request, "posts/cancel.html", {"post": post, "targets": targets, "back": back})


@require_POST
@editor_required
def bulk_start(request: HttpRequest) -> HttpResponse:
    form = forms.BulkForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            bulk = services.bulk_request(
                user=request.user,
                kind=data["action"],
                scope=data["scope"],
                selected=data["post"],
                query=data["query"],
                minutes=data.get("minutes"),
                day=data.get("date"),
            )
        except services.ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("posts:bulk", bulk_id=bulk.id)
    return _queue(request, _query_of(form), bulk_form=form)


@require_GET
@editor_required
def bulk_detail(request: HttpRequest, bulk_id: int) -> HttpResponse:
    bulk = get_object_or_404(BulkAction, id=bulk_id, user=request.user)
    context = {"bulk": bulk, "rows": progress_rows(bulk, request.user.zone)}
    response = render_page_or_partial(request, "posts/bulk.html", "bulk-progress", context)
    if request.htmx and bulk.finished:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_GET
@viewer_required
def activity(request: HttpRequest) -> HttpResponse:
    """The audit trail, filtered by user, by the words of a post's message (`q`), or by
    one post (`post`, from a post's page: shown by its name, never its id)."""
    entries, filters = selectors.activity_list(
        username=request.GET.get("user", ""),
        post_id=request.GET.get("post", ""),
        post_text=request.GET.get("q", ""),
    )
    entries = _described(request, entries, selectors.profiles_by_id())
    post_name = ""
    if "post" in filters:
        post_name = selectors.post_names([filters["post"]]).get(filters["post"], "one post")
    context = {"entries": entries, "filters": filters, "post_name": post_name}
    return render(request, "posts/activity.html", context)


def _described(request: HttpRequest, entries: list, profiles: dict) -> list:
    return selectors.activity_describe(entries, zone=request.user.zone, profiles=profiles)
