"""Alert pages: the list behind the bell, and each user's alert settings (with the
admins' webhooks). Every user has alerts; webhooks are the admins' (superusers')."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from alerts import selectors
from alerts.forms import PreferenceForm, WebhookForm
from alerts.models import Notification
from alerts.services import preferences
from posts.models import Campaign


def _admin_only(request: HttpRequest) -> None:
    if not request.user.is_superuser:
        raise PermissionDenied("Only an admin configures webhooks.")


@require_http_methods(["GET"])
def alert_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "alerts/list.html",
        {"notifications": selectors.notifications_for(request.user)},
    )


@require_POST
def alert_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    note = get_object_or_404(
        Notification.objects.select_related("alert"), id=notification_id, user=request.user
    )
    preferences.notifications_read(user=request.user, notification_id=note.id)
    path = note.alert.path
    if not url_has_allowed_host_and_scheme(path, allowed_hosts=None):
        path = "/alerts/"
    return redirect(path)


@require_POST
def alerts_read(request: HttpRequest) -> HttpResponse:
    count = preferences.notifications_read(user=request.user)
    messages.success(request, f"Marked {count} alerts as read." if count else "Nothing unread.")
    return redirect("alerts:list")


@require_http_methods(["GET", "POST"])
def alert_settings(request: HttpRequest) -> HttpResponse:
    pref = selectors.preference_for(request.user)
    campaigns = list(Campaign.objects.values_list("oktopost_id", "name"))
    if request.method == "POST":
        form = PreferenceForm(request.POST, instance=pref, campaigns=campaigns)
        if form.is_valid():
            preferences.preference_save(user=request.user, data=form.cleaned_data)
            messages.success(request, "Alert settings saved.")
            return redirect("alerts:settings")
    else:
        form = PreferenceForm(instance=pref, campaigns=campaigns)
    return _settings_page(request, form=form, webhook_form=WebhookForm())


def _settings_page(request: HttpRequest, **context: object) -> HttpResponse:
    status = 400 if any(f.errors for f in context.values() if hasattr(f, "errors")) else 200
    context.setdefault("form", PreferenceForm(instance=selectors.preference_for(request.user)))
    return render(
        request,
        "alerts/settings.html",
        {
            **context,
            "webhooks": selectors.webhooks() if request.user.is_superuser else [],
            "deliveries": selectors.deliveries_for(request.user),
            "zone": request.user.time_zone,
        },
        status=status,
    )


@require_POST
def webhook_add(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    form = WebhookForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, webhook_form=form)
    preferences.webhook_add(**form.cleaned_data)
    messages.success(request, f"Webhook “{form.cleaned_data['name']}” added.")
    return redirect("alerts:settings")


@require_POST
def webhook_change(request: HttpRequest, webhook_id: int) -> HttpResponse:
    _admin_only(request)
    if request.POST.get("action") == "delete":
        preferences.webhook_delete(webhook_id=webhook_id)
        messages.success(request, "Webhook removed.")
    else:
        preferences.webhook_enable(webhook_id=webhook_id)
        messages.success(request, "Webhook enabled again.")
    return redirect("alerts:settings")
