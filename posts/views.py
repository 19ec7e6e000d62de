"""Queue and post pages. They read only the local mirror; Oktopost is never waited for."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from accounts.roles import editor_required, role_required
from posts import forms, queue, selectors, services, sync
from posts.forms import SavedViewForm
from posts.models import NETWORKS, BulkAction, Post, SavedView, Source
from posts.tasks import bulk_run, refresh_post_stats

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
    response = render(
        request, "posts/queue.html#post-row", {"post": post, "can_write": request.user.is_editor}
    )
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
        "history": selectors.post_history(post),
        "network_profiles": selectors.profiles_of_network(post.network),
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
    return _stats_block(request, oktopost_id)


@require_GET
@viewer_required
def post_stats(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    return _stats_block(request, oktopost_id)


def _stats_block(request: HttpRequest, oktopost_id: str) -> HttpResponse:
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


# --- writes: editors only -----------------------------------------------------------


def _editable_post(oktopost_id: str) -> Post:
    return get_object_or_404(Post, oktopost_id=oktopost_id, deleted_at__isnull=True)


def _local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


@require_http_methods(["GET", "POST"])
@editor_required
def post_new(request: HttpRequest) -> HttpResponse:
    form = forms.PostCreateForm(request.POST or None, zone=request.user.zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = form.message_obj or services.message_create(
                user=request.user,
                network=data["network"],
                campaign_id=data["campaign"],
                text=data["text"],
                link_url=data["link_url"],
                title=data["title"],
            )
            post = services.post_create(
                user=request.user,
                message_id=message.oktopost_id,
                profile_ids=data["profiles"],
                start_at=data["start_at"],
                status=data["status"],
            )
        except services.BeingChecked as exc:
            messages.warning(request, exc.message)
            return _go(request, reverse("activity"))
        except services.ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            when = timezone.localtime(post.start_at).strftime("%a %d %b %Y, %H:%M %Z")
            messages.success(
                request,
                f"Scheduled: {post.network} post {post.oktopost_id} for {when}, "
                f"status {post.get_status_display().lower()}. It is in the queue below.",
            )
            return _go(request, f"{reverse('posts:queue')}?sort=-created")
    context = {
        "form": form,
        "checks": selectors.create_checks(form, request.user),
        "found": selectors.messages_search("", "", "", limit=10),
        "chosen": form["message"].value() or "",
    }
    template = "posts/new.html" if _full_page(request) else "posts/new.html#post-form"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect, also out of an htmx drawer."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@require_GET
@editor_required
def post_new_checks(request: HttpRequest) -> HttpResponse:
    """Live checks while typing: characters left, duplicates, past time, UTC time."""
    form = forms.PostCreateForm(request.GET, zone=request.user.zone)
    return render(
        request,
        "posts/new.html#create-checks",
        {"checks": selectors.create_checks(form, request.user)},
    )


@require_GET
@editor_required
def post_new_messages(request: HttpRequest) -> HttpResponse:
    found = selectors.messages_search(
        request.GET.get("mq", ""), request.GET.get("mcampaign", ""), request.GET.get("mnetwork", "")
    )
    return render(
        request,
        "posts/new.html#message-results",
        {"found": found, "chosen": request.GET.get("message", "")},
    )


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
        error = " ".join(e for errors in form.errors.values() for e in errors)
    return _after_write(request, post, error, done)


def _after_write(request: HttpRequest, post: Post, error: str, done: str) -> HttpResponse:
    """The row again (htmx from the queue), else back to the post with a message."""
    if request.htmx and request.POST.get("from") == "row":
        post = selectors.post_for_view(post.oktopost_id)
        selectors.targets_attach([post], selectors.profiles_by_id())
        return render(
            request,
            "posts/queue.html#post-row",
            {
                "post": post,
                "can_write": True,
                "row_error": error,
                "row_done": "" if error else done,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return _go(request, reverse("posts:detail", args=[post.oktopost_id]))


@require_http_methods(["GET", "POST"])
@editor_required
def post_cancel(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    post = _editable_post(oktopost_id)
    if request.method == "POST":
        form = forms.CancelForm(request.POST)
        form.is_valid()
        try:
            services.post_cancel(
                user=request.user,
                post=post,
                expected_modified=form.cleaned_data.get("expected_modified"),
            )
        except services.BeingChecked as exc:
            messages.warning(request, exc.message)
        except services.ServiceError as exc:
            messages.error(request, f"Not cancelled: {exc.message}")
            return _go(request, reverse("posts:detail", args=[oktopost_id]))
        else:
            messages.success(request, f"Cancelled the {post.network} post {post.oktopost_id}.")
        return _go(request, reverse("posts:queue"))
    selectors.targets_attach([post], selectors.profiles_by_id())
    return render(request, "posts/cancel.html", {"post": post})


@require_POST
@editor_required
def bulk_start(request: HttpRequest) -> HttpResponse:
    form = forms.BulkForm(request.POST)
    back = f"{reverse('posts:queue')}?{request.POST.get('query', '')}"
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(back)
    data = form.cleaned_data
    if data["scope"] == "matching":
        choices = selectors.queue_choices()
        parsed = queue.parse(
            QueryDict(data["query"]),
            profiles=set(choices["profiles"]),
            campaigns={cid for cid, _ in choices["campaigns"]},
        )
        post_ids = selectors.bulk_matching(parsed.filters, zone=request.user.zone)
    else:
        post_ids = selectors.bulk_selected(data["post"])
    params = {
        "minutes": data.get("minutes"),
        "date": data["date"].isoformat() if data.get("date") else None,
    }
    try:
        bulk = services.bulk_start(
            user=request.user, kind=data["action"], post_ids=post_ids, params=params
        )
    except services.ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    transaction.on_commit(lambda: bulk_run.delay(bulk.id))
    return redirect("posts:bulk", bulk_id=bulk.id)


@require_GET
@editor_required
def bulk_detail(request: HttpRequest, bulk_id: int) -> HttpResponse:
    bulk = get_object_or_404(BulkAction, id=bulk_id, user=request.user)
    template = "posts/bulk.html" if _full_page(request) else "posts/bulk.html#bulk-progress"
    response = render(request, template, {"bulk": bulk})
    if request.htmx and bulk.finished:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_GET
@viewer_required
def activity(request: HttpRequest) -> HttpResponse:
    entries, filters = selectors.activity_list(
        username=request.GET.get("user", ""), post_id=request.GET.get("post", "")
    )
    return render(request, "posts/activity.html", {"entries": entries, "filters": filters})
