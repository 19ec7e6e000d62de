"""Alert pages: the list behind the bell, and each user's alert settings (with the
admins' webhooks). Every user has alerts; webhooks are the admins' (superusers')."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from alerts import selectors
from alerts.forms import PreferenceForm, WebhookForm
from alerts.models import Notification
from alerts.services import addresses, preferences
from core.roles import viewer_required
from posts.models import Campaign


def _admin_only(request: HttpRequest) -> None:
    if not request.user.is_superuser:
        raise PermissionDenied("Only an admin configures webhooks and outside addresses.")


@require_http_methods(["GET"])
@viewer_required
def alert_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "alerts/list.html",
        {"notifications": selectors.notifications_for(request.user)},
    )


@require_POST
@viewer_required
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
@viewer_required
def alerts_read(request: HttpRequest) -> HttpResponse:
    count = preferences.notifications_read(user=request.user)
    messages.success(request, f"Marked {count} alerts as read." if count else "Nothing unread.")
    return redirect("alerts:list")


@require_http_methods(["GET", "POST"])
@viewer_required
def alert_settings(request: HttpRequest) -> HttpResponse:
    pref = selectors.preference_for(request.user)
    campaigns = list(Campaign.objects.values_list("oktopost_id", "name"))
    if request.method == "POST":
        form = PreferenceForm(request.POST, instance=pref, campaigns=campaigns)
        if form.is_valid():
            preferences.preference_save(user=request.user, data=form.cleaned_data)
            words = addresses.address_confirmation_send(user=request.user)
            messages.success(request, " ".join(["Alert settings saved.", words]).strip())
            return redirect("alerts:settings")
    else:
        form = PreferenceForm(instance=pref, campaigns=campaigns)
    return _settings_page(request, form=form, webhook_form=WebhookForm())


def _settings_page(request: HttpRequest, **context: object) -> HttpResponse:
    status = 400 if any(f.errors for f in context.values() if hasattr(f, "errors")) else 200
    pref = selectors.preference_for(request.user)
    context.setdefault("form", PreferenceForm(instance=pref))
    admin = request.user.is_superuser
    return render(
        request,
        "alerts/settings.html",
        {
            **context,
            "recipient": selectors.mail_recipient(request.user, pref),
            "webhooks": selectors.webhooks() if admin else [],
            "outside_addresses": selectors.outside_addresses() if admin else [],
            "deliveries": selectors.deliveries_for(request.user),
            "zone": request.user.time_zone,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@viewer_required
def address_confirm(request: HttpRequest, signed: str) -> HttpResponse:
    """The link mailed to a new address: a page with a button (a mail scanner that
    opens links confirms nothing), for the user who chose the address only."""
    address = addresses.address_of_link(user=request.user, signed=signed)
    if address is None:
        raise Http404("This link is not yours, has expired, or the address was changed.")
    if request.method == "POST":
        addresses.address_confirm(user=request.user, signed=signed)
        messages.success(request, f"Confirmed: alert mail can go to {address}.")
        return redirect("alerts:settings")
    return render(request, "alerts/address_confirm.html", {"address": address})


@require_POST
@viewer_required
def address_allow(request: HttpRequest, preference_id: int) -> HttpResponse:
    _admin_only(request)
    if request.POST.get("action") == "withdraw":
        addresses.address_withdraw(preference_id=preference_id)
        messages.success(request, "That address is no longer allowed.")
    elif addresses.address_allow(admin=request.user, preference_id=preference_id):
        messages.success(request, "Address allowed.")
    return redirect("alerts:settings")


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
