from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import ThemeForm, TimeZoneForm


@require_http_methods(["GET", "POST"])
def time_zone(request: HttpRequest) -> HttpResponse:
    form = TimeZoneForm(request.POST or None, instance=request.user)
    next_url = request.POST.get("next", request.GET.get("next", ""))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request,
            f"Times are now shown in {form.instance.time_zone}, {_written(form.instance)}.",
        )
        target = next_url
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "accounts:time_zone"
        return redirect(target)
    context = {"form": form, "next": next_url, "now": timezone.now()}
    return render(request, "accounts/time_zone.html", context)


def _written(user) -> str:
    """How the saved choices read, e.g. "24-hour, day first"."""
    hours = {"24": "24-hour", "12": "12-hour"}.get(user.clock, "hours as your browser's language")
    order = {"dmy": "day first", "mdy": "month first"}.get(
        user.date_order, "dates as your browser's language"
    )
    return f"{hours}, {order}"


def _safe_next(request: HttpRequest, target: str, fallback: str) -> str:
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
def theme(request: HttpRequest) -> HttpResponse:
    """Light, dark or as the device: kept per user, applied on every page."""
    form = ThemeForm(request.POST, instance=request.user)
    if form.is_valid():
        form.save()
    else:
        messages.error(request, "That is not a theme oktodash has.")
    return redirect(_safe_next(request, request.POST.get("next", ""), "home"))
