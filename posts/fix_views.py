"""Fixing what failed and changing what is scheduled: retry the failed profiles,
duplicate a post into the create form, edit an unsent post's message. Role checked in
each view; the services act (posts.services.retry, posts.services.edit)."""

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.roles import editor_required
from posts import attached_media, fix_forms, forms, selectors, services
from posts.models import Post
from posts.services import edit as edit_services
from posts.services import retry as retry_services
from posts.services.common import BeingChecked, ChangedMeanwhile, ServiceError


@require_http_methods(["GET", "POST"])
@editor_required
def post_retry(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    post = get_object_or_404(Post, oktopost_id=oktopost_id)
    form = fix_forms.RetryForm(request.POST or None, zone=request.user.zone)
    if request.method == "POST" and form.is_valid():
        try:
            made, first = retry_services.post_retry(
                user=request.user,
                post=post,
                submit_key=form.cleaned_data["submit_key"],
                start_at=form.cleaned_data["start_at"],
            )
        except BeingChecked as exc:
            messages.warning(request, exc.message)
            return redirect("activity")
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            when = timezone.localtime(made.start_at).strftime("%a %d %b %Y, %H:%M %Z")
            already = "" if first else "This retry was already sent: "
            messages.success(
                request,
                f"{already}Retried as a new {made.name}, to the "
                f"{len(made.credential_ids)} profile(s) that failed, for {when}.",
            )
            return redirect("posts:detail", made.oktopost_id)
    row = selectors.queue_row_for_view(oktopost_id)
    context = {
        "post": post,
        "row": row,
        "form": form,
        "refusal": retry_services.retry_refusal(post),
    }
    return render(request, "posts/retry.html", context)


@require_GET
@editor_required
def post_duplicate(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    """The create form, filled in from any post (sent or not): a new message with the
    same text, link card and media, the same profiles, campaign and first comment."""
    post = get_object_or_404(Post.objects.select_related("message"), oktopost_id=oktopost_id)
    initial = selectors.duplicate_initial(post)
    form = forms.PostCreateForm(initial=initial, zone=request.user.zone, user=request.user)
    comment_media = attached_media.preview_media([initial.get("first_comment_media", "")])
    context = {
        "form": form,
        "duplicate_of": post,
        "checks": selectors.create_checks(form, request.user),
        "found": selectors.messages_search("", "", "", limit=10),
        "chosen": "",
        "attached_media": attached_media.preview_media(initial.get("media", [])),
        "attached_files": [],
        "comment_media": comment_media[0] if comment_media else None,
    }
    return render(request, "posts/new.html", context)


@require_http_methods(["GET", "POST"])
@editor_required
def post_edit(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    post = get_object_or_404(
        Post.objects.select_related("message"), oktopost_id=oktopost_id, deleted_at__isnull=True
    )
    plan = selectors.edit_plan(post)
    form = fix_forms.EditForm(
        request.POST or None,
        initial=plan.initial,
        network=post.network,
        media_choices=plan.media_choices,
        shared=bool(plan.others),
    )
    if request.method == "POST" and not plan.refusal and form.is_valid():
        data = form.cleaned_data
        try:
            result = edit_services.post_message_edit(
                user=request.user,
                post=post,
                scope=data["scope"],
                expected_modified=data["expected_modified"],
                text=data["text"],
                link_url=data["link_url"],
                link_title=data["link_title"],
                description=data["description"],
                image_url=data["image_url"],
                media_ids=list(data["media"]),
            )
        except BeingChecked as exc:
            messages.warning(request, exc.message)
            return redirect("activity")
        except ChangedMeanwhile as exc:
            form.add_error(None, exc.message)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, result.words)
            return redirect("posts:detail", result.post.oktopost_id)
    context = {"post": post, "plan": plan, "form": form}
    return render(request, "posts/edit.html", context)


@require_POST
@editor_required
def post_now(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    """A stuck post's "Post now": reschedule it to a minute from now, Oktopost's own
    "as soon as possible"."""
    post = get_object_or_404(Post, oktopost_id=oktopost_id, deleted_at__isnull=True)
    form = forms.CancelForm(request.POST)  # the page's version of the post, nothing else
    if not form.is_valid():
        messages.error(request, "Not sent: reload the page and try again.")
        return redirect("posts:detail", oktopost_id)
    try:
        services.post_reschedule(
            user=request.user,
            post=post,
            start_at=timezone.now().replace(microsecond=0) + timedelta(minutes=1),
            expected_modified=form.cleaned_data["expected_modified"],
        )
    except BeingChecked as exc:
        messages.warning(request, exc.message)
    except ServiceError as exc:
        messages.error(request, f"Not sent: {exc.message}")
    else:
        messages.success(request, f"The {post.name} goes out in about a minute.")
    back = request.POST.get("back", "")
    return redirect(
        back if back.startswith("/posts/") else reverse("posts:detail", args=[oktopost_id])
    )
