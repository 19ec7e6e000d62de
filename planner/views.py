"""The calendar: week and month views of the mirror, and moving a post by drag or form.

Reads come from the mirror only (planner.selectors); a move is planner.services.post_move,
which goes through the queue's own reschedule service (posts.services.post_reschedule):
the same conflict check against Oktopost, the same per-post lock, the same audit trail.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.rendering import render_page_or_partial
from core.roles import editor_required, viewer_required
from planner import chips, selectors, services
from planner import scope as scopes
from planner.forms import MoveForm, ScheduleForm
from posts import queue
from posts.models import NETWORKS, Source
from posts.selectors import filter_chips, filter_ids


def _scope(request: HttpRequest, choices: dict) -> scopes.Scope:
    zone = request.user.zone
    return scopes.parse(
        request.GET,
        today=timezone.now().astimezone(zone).date(),
        **filter_ids(choices),
    )


@require_GET
@viewer_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    choices = selectors.queue_choices()
    scope = _scope(request, choices)
    can_write = request.user.is_editor
    calendar = selectors.calendar_read(
        scope.filters,
        view=scope.view,
        days=scope.days,
        month=scope.anchor.month if scope.view == "month" else None,
        today=scope.today,
        now=timezone.now(),
        zone=request.user.zone,
        choices=choices,
        with_tray=can_write,
    )
    for day in calendar.days:
        day.queue_query = scope.day_queue_query(day.day)
    nav = {
        "prev": scope.query(anchor=scope.prev),
        "today": scope.query(anchor=scope.today),
        "next": scope.query(anchor=scope.next),
        "views": [(key, label, scope.query(view=key)) for key, label in scopes.VIEWS.items()],
    }
    context = {
        "scope": scope,
        "calendar": calendar,
        "nav": nav,
        "clash_minutes": calendar.clash_minutes,
        "views": scopes.VIEWS,
        "hours": range(24),
        "chips": filter_chips(scope.filters, choices),
        "notes": scope.notes,
        "choices": choices,
        "statuses": queue.STATUS_LABELS,
        "networks": NETWORKS,
        "sources": Source.values,
        "can_write": can_write,
        "tray": calendar.tray,
        "post_url": reverse("planner:post", args=["-"]).removesuffix("-/"),
        "chip_links": _chip_links(scope),
    }
    return render_page_or_partial(request, "calendar/calendar.html", "calendar-body", context)


@require_GET
@viewer_required
def calendar_day(request: HttpRequest) -> HttpResponse:
    """A day's (or, with `hour`, an hour's) posts beyond what fits ("+N more"), for htmx
    to swap in place of the short list; `shown` says how many were on screen, so focus
    goes to the first new one."""
    choices = selectors.queue_choices()
    scope = _scope(request, choices)
    hour, shown = _small_int(request.GET.get("hour"), 23), _small_int(request.GET.get("shown"))
    day = selectors.day_posts(
        scope.filters,
        day=scope.anchor,
        now=timezone.now(),
        zone=request.user.zone,
        hour=hour,
    )
    slot = None if hour is None else selectors.HourSlot(hour=hour, chips=day.chips, more=0)
    context = {
        "chip_links": _chip_links(scope),
        "day": day,
        "slot": slot,
        "chips": day.chips,
        "more": max(day.count - len(day.chips), 0),
        "more_capped": day.more_capped,
        "shown": shown or 0,
        "scope": scope,
        "queue_query": scope.day_queue_query(day.day),
        "clash_minutes": chips.clash_minutes(),
        "can_write": request.user.is_editor,
    }
    return render(request, "calendar/day.html", context)


def _small_int(raw: str | None, top: int = 999) -> int | None:
    """A whole number from 0 to `top`, or None (a hand-edited URL is not an error)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 3 and int(raw) <= top else None


@require_GET
@viewer_required
def calendar_post(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    """The drawer a chip opens: the post in short, and "Move to…" for editors."""
    context = {
        "chip": selectors.chip_post(oktopost_id, zone=request.user.zone),
        "can_write": request.user.is_editor,
        "back": _back(request.GET.get("back", "")),
    }
    return render_page_or_partial(request, "calendar/drawer.html", "calendar-drawer", context)


def _chip_links(scope: scopes.Scope) -> dict[str, str]:
    """What a chip's two addresses start and end with, reversed once a page rather than
    twice a chip: the post's page, and its drawer with the way back to this calendar;
    and a day's "+N more" (the queue, and the rest of the day), once a page rather than
    once an hour that has more."""
    return {
        "detail": reverse("posts:detail", args=["-"]).removesuffix("-/"),
        "drawer": reverse("planner:post", args=["-"]).removesuffix("-/"),
        "queue": reverse("posts:queue"),
        "day": reverse("planner:day"),
        "back": urlencode({"back": scope.query()}),
    }


def _back(raw: str) -> str:
    """A calendar query to return to; anything else is dropped (no open redirect)."""
    raw = raw.lstrip("?")
    return raw if len(raw) <= 2000 and "\n" not in raw and "://" not in raw else ""


def _calendar_url(back: str) -> str:
    return reverse("calendar") + (f"?{back}" if back else "")


def _calendar_change(
    request: HttpRequest, oktopost_id: str, form, verb: str, change
) -> HttpResponse:
    """A move or a draft's scheduling from the calendar: `change(post, data)` does it and
    returns the words to show. Dragging sends JSON-accepting fetches and gets {"ok",
    "message"} back; the forms get the calendar again with the outcome as a message."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    ok, words, status = False, "", 400
    if not form.is_valid():
        words = f"Not {verb}: " + " ".join(e for errs in form.errors.values() for e in errs)
    elif (post := selectors.editable_post(oktopost_id)) is None:
        words, status = f"Not {verb}: this post no longer exists or was cancelled.", 404
    else:
        try:
            words = change(post, form.cleaned_data)
        except services.MoveRefused as exc:
            words, status = f"Not {verb}: {exc.message}", 409 if exc.conflict else 400
        else:
            ok, status = True, 200
    if wants_json:
        return JsonResponse({"ok": ok, "message": words}, status=200 if ok else status)
    (messages.success if ok else messages.error)(request, words)
    url = _calendar_url(_back(form.data.get("back", "")))
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@require_POST
@editor_required
def calendar_move(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    """Move a post to a day (keeping its local time), an hour, or a date and time (a
    drag, or the "Move to…" form)."""

    def move(post, data) -> str:
        return services.post_move(
            user=request.user,
            post=post,
            day=data["date"],
            hour=data.get("hour"),
            at=data.get("time"),
            expected_modified=data["expected_modified"],
        )

    return _calendar_change(request, oktopost_id, MoveForm(request.POST), "moved", move)


@require_POST
@editor_required
def calendar_schedule(request: HttpRequest, oktopost_id: str) -> HttpResponse:
    """Schedule a draft from the tray at a day and time (the tray's form, or a draft
    dropped on a day and its time confirmed)."""

    def schedule(post, data) -> str:
        return services.draft_schedule(
            user=request.user,
            post=post,
            day=data["date"],
            at=data["time"],
            expected_modified=data["expected_modified"],
        )

    return _calendar_change(request, oktopost_id, ScheduleForm(request.POST), "scheduled", schedule)
