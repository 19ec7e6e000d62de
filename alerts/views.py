"""Alert pages: the list behind the bell, and each user's alert settings (with the
admins' webhooks). Every user has alerts; webhooks are the admins' (superusers')."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from alerts import report_selectors, selectors
from alerts.forms import PreferenceForm, ReportForm, WebhookForm
from alerts.models import Notification
from alerts.services import addresses, preferences, reports
from alerts.stats import scope_canonical, scope_words
from alerts.unsubscribe import recipient_of_token
from core.roles import viewer_required
from core.services import ServiceError
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


# --- Scheduled reports (issue 30) --------------------------------------------------------


def _report_form(request: HttpRequest, data: object = None, **initial: object) -> ReportForm:
    return ReportForm(
        data,
        initial=initial or None,
        views=report_selectors.saved_views_for(request.user),
        users=report_selectors.stats_users(),
        zone=request.user.time_zone,
    )


@require_http_methods(["GET", "POST"])
@viewer_required
def report_list(request: HttpRequest) -> HttpResponse:
    """/alerts/reports/: the user's scheduled reports, and a new one (the stats page's
    "Email this report" link brings its filters as ?query=)."""
    if request.method == "POST":
        form = _report_form(request, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            view = data["saved_view"]
            try:
                sub = reports.subscription_create(
                    owner=request.user,
                    name=data["name"],
                    query=view.query if view else data["query"],
                    frequency=data["frequency"],
                    weekday=data["weekday"] if data["weekday"] is not None else 0,
                    day=data["day"] or 1,
                    hour=data["hour"],
                    time_zone=data["time_zone"],
                    users=list(data["users"]),
                    addresses=data["addresses"],
                )
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"Report “{sub.name}” scheduled.")
                return redirect("alerts:reports")
    else:
        query = request.GET.get("query", "")[:2000]
        form = _report_form(request, query=query, users=[request.user.id])
    return _reports_page(request, form)


def _reports_page(request: HttpRequest, form: ReportForm) -> HttpResponse:
    query = form["query"].value() or ""
    today = timezone.localdate()
    return render(
        request,
        "alerts/reports.html",
        {
            "form": form,
            "rows": report_selectors.subscriptions_for(request.user),
            "scope": scope_words(query, request.user.zone, today=today),
            "scope_problems": scope_canonical(query, request.user.zone, today=today).problems,
            "outside_allowed": report_selectors.outside_allowed(),
            "domains": settings.ALERTS_MAIL_DOMAINS,
            "zone": request.user.time_zone,
            "open_form": bool(request.GET.get("query") or form.errors),
        },
    )


@require_POST
@viewer_required
def report_change(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Pause, resume or delete a report: its owner's, or any for an admin."""
    sub = report_selectors.subscription_for(request.user, subscription_id)
    if sub is None:
        raise Http404("No such report of yours.")
    action = request.POST.get("action", "")
    if action == "delete":
        reports.subscription_delete(subscription=sub)
        messages.success(request, f"Report “{sub.name}” deleted.")
    elif action in ("pause", "resume"):
        reports.subscription_pause(subscription=sub, paused=action == "pause")
        words = "paused" if action == "pause" else "resumed: the next one goes at its next hour"
        messages.success(request, f"Report “{sub.name}” {words}.")
    else:
        messages.error(request, "Choose pause, resume or delete.")
    return redirect("alerts:reports")


@require_POST
@viewer_required
def report_policy(request: HttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise PermissionDenied("Only an admin decides where reports may go.")
    allowed = request.POST.get("outside_allowed") == "yes"
    reports.policy_set(admin=request.user, outside_allowed=allowed)
    messages.success(
        request,
        "Reports may now go to outside addresses."
        if allowed
        else "Reports no longer go to outside addresses.",
    )
    return redirect("alerts:reports")


@login_not_required
@require_http_methods(["GET", "POST"])
def report_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a report mailed to an outside address: no login. GET asks (a mail
    scanner that opens links stops nothing), POST stops it; again changes nothing."""
    recipient = recipient_of_token(token)
    if recipient is None:
        return render(request, "alerts/unsubscribe.html", {"unknown": True}, status=404)
    done = recipient.unsubscribed_at is not None
    if request.method == "POST":
        reports.recipient_unsubscribe(recipient=recipient)
        done = True
    return render(
        request,
        "alerts/unsubscribe.html",
        {"recipient": recipient, "report": recipient.subscription, "done": done},
    )
