import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import VIEWER
from accounts.roles import role_required
from oktodash.celery import app as celery_app
from posts.selectors import sync_status

log = logging.getLogger(__name__)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("posts:queue")


@require_GET
@role_required(VIEWER)
def coming_soon(request: HttpRequest, page: str) -> HttpResponse:
    return render(request, "coming_soon.html", {"page": page})


def _check(name: str, probe) -> dict[str, object]:
    try:
        probe()
    except Exception as exc:  # a health probe reports every failure, whatever it is
        log.warning("health: %s unreachable: %s", name, exc.__class__.__name__)
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True}


def _probe_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _probe_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


def _probe_cache() -> None:
    cache.set("health-probe", "ok", 10)
    if cache.get("health-probe") != "ok":
        raise RuntimeError("cache did not return what was stored")


def _sync_summary() -> dict[str, str | None]:
    status = sync_status()

    def iso(value) -> str | None:
        return value.isoformat() if value else None

    return {"last_sync": iso(status.last_sync), "blocked_until": iso(status.blocked_until)}


@login_not_required
@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    database = _check("database", _probe_database)
    sync = _sync_summary() if database["ok"] else {"last_sync": None, "blocked_until": None}
    body = {
        "status": "ok",
        "version": settings.VERSION,
        "database": database,
        "broker": _check("broker", _probe_broker),
        "cache": _check("cache", _probe_cache),
        "last_sync": sync["last_sync"],
        "oktopost": {
            "sandbox": settings.OKTOPOST_SANDBOX,
            "blocked": sync["blocked_until"] is not None,
            "blocked_until": sync["blocked_until"],
        },
    }
    if not database["ok"]:
        body["status"] = "down"
    elif not (body["broker"]["ok"] and body["cache"]["ok"]):
        body["status"] = "degraded"
    return JsonResponse(body, status=200 if database["ok"] else 503)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: the failure may have come from a context processor.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
