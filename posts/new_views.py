"""The new-post form: the page (or the queue's drawer), its live checks and the message
search. Writes go through posts.services, as every write does."""

from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core.rendering import render_page_or_partial
from core.roles import editor_required
from posts import forms, selectors, services
from posts.compose_form import default_campaign, error_lines, mark_errors
from posts.views import _go


@require_http_methods(["GET", "POST"])
@editor_required
def post_new(request: HttpRequest) -> HttpResponse:
    initial = {} if request.method == "POST" else {"campaign": default_campaign(request.user)}
    # ?when=2027-01-05T14:00 (local): the calendar's empty hour or day clicked.
    when = request.GET.get("when", "")[:16]
    if request.method != "POST" and len(when) == 16 and _local_minute(when):
        initial["when"] = when
    form = forms.PostCreateForm(
        request.POST or None, zone=request.user.zone, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            post, created = services.post_compose(user=request.user, **form.service_kwargs())
        except services.BeingChecked as exc:
            messages.warning(request, exc.message)
            return _go(request, reverse("activity"))
        except services.ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            when = timezone.localtime(post.start_at).strftime("%a %d %b %Y, %H:%M %Z")
            already = "" if created else "This form was already submitted: "
            if post.approval:
                done = f"Sent for approval: {post.name} for {when}"
            else:
                done = (
                    f"Scheduled: {post.name} for {when}, status {post.get_status_display().lower()}"
                )
            messages.success(request, f"{already}{done}. It is in the queue below.")
            return _go(request, f"{reverse('posts:queue')}?sort=-created")
    context = {
        "form": form,
        "first_error": mark_errors(form) if form.is_bound else "",
        "error_lines": error_lines(form) if form.is_bound else [],
        "checks": selectors.create_checks(form, request.user),
        "found": selectors.messages_search("", "", "", limit=10),
        "chosen": form["message"].value() or "",
        **selectors.compose_media(form.data if form.is_bound else None, user=request.user),
    }
    return render_page_or_partial(request, "posts/new.html", "post-form", context)


def _local_minute(raw: str) -> bool:
    try:
        datetime.strptime(raw, "%Y-%m-%dT%H:%M")
    except ValueError:
        return False
    return True


@require_GET
@editor_required
def post_new_checks(request: HttpRequest) -> HttpResponse:
    """Live checks while typing: characters left, duplicates, past time, UTC time."""
    form = forms.PostCreateForm(request.GET, zone=request.user.zone, user=request.user)
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
