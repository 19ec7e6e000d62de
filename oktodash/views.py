import logging
import sys
from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import infra
from core.heartbeat import worker_problems
from inbox.selectors import webhooks_health
from posts.connection import limiter_where
from posts.status import sync_status

log = logging.getLogger(__name__)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("posts:queue")


def _check(name: str, probe, where: str = "") -> dict[str, object]:
    try:
        probe()
    except Exception as exc:  # a health probe reports every failure, whatever it is
        log.warning("health: %s unreachable: %s", name, exc.__class__.__name__)
        return {"ok": False, "name": where or name, "error": exc.__class__.__name__}
    return {"ok": True}


def _probe_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _probe_cache() -> None:
    cache.set("health-probe", "ok", 10)
    if cache.get("health-probe") != "ok":
        raise RuntimeError("cache did not return what was stored")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _sync_report(*, detailed: bool) -> tuple[dict[str, object], list[str]]:
    """The last sync, success or failure, in words; and what is wrong with it (with
    the error's text only when `detailed`)."""
    status = sync_status()
    problems = []
    if status.blocked_until:
        problems.append(
            f"Oktopost is blocking our API key until {status.blocked_until:%H:%M} UTC "
            "after too many calls."
        )
    if status.failing_long:
        minutes = int(status.failing_for.total_seconds() // 60)
        error = f": {status.last_error}" if detailed else "."
        problems.append(f"Syncs have failed for {minutes} minutes{error}")
    report = {
        "last_success": _iso(status.last_sync),
        "last_failure": _iso(status.last_error_at),
        "error": status.last_error if status.failing else "",
        "failing_for_seconds": int(status.failing_for.total_seconds())
        if status.failing_for
        else None,
        "blocked_until": _iso(status.blocked_until),
    }
    return report, problems


_GENERIC = {"database": "The database", "cache": "The cache", "broker": "The task queue"}


def _worker_problems() -> list[str]:
    try:
        return worker_problems()
    except Exception as exc:  # the queue's backlog unreadable: say so, do not fail
        log.warning("health: queue backlog unreadable: %s", exc.__class__.__name__)
        return ["The task queue's backlog cannot be read."]


@login_not_required
@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 when the web can serve; 503 when the database, cache or queue is down.
    Oktopost trouble (a block, failing syncs) is "degraded": pages still serve.

    Anyone (a monitor) gets the state of each part; only a signed-in user with a role
    also gets the version, where each part lives and the sync's error text, which
    name internal hosts and software a stranger has no use for."""
    checks = {
        "database": _check("database", _probe_database),
        "cache": _check("cache", _probe_cache, infra.cache_name()),
        "broker": _check("broker", infra.broker_probe, infra.broker_name()),
    }
    detailed = request.user.is_authenticated and request.user.has_role("viewer")
    problems = [
        f"{check['name'] if detailed else _GENERIC[key]} cannot be reached"
        + (f" ({check['error']})." if detailed else ".")
        for key, check in checks.items()
        if not check["ok"]
    ]
    sync: dict[str, object] = {}
    if checks["database"]["ok"]:
        sync, sync_problems = _sync_report(detailed=detailed)
        problems += sync_problems
        if webhooks_health().silent:
            # Polling is back at its normal pace meanwhile (posts.push).
            problems.append(
                "Webhooks silent: nothing from Oktopost for over "
                f"{settings.WEBHOOKS_SILENT_AFTER_MINUTES} minutes; the sync polls at its "
                "normal pace meanwhile."
            )
    down = not all(check["ok"] for check in checks.values())
    # Uploads and background work failing leave pages serving: "degraded", not down.
    checks["media"] = _check("media", infra.media_probe, "the media folder")
    if not checks["media"]["ok"]:
        problems.append(
            "The media folder cannot take files (full or read-only): uploads fail"
            + (f" ({checks['media']['error']})." if detailed else ".")
        )
    if not down:
        problems += _worker_problems()
    body: dict[str, object] = {
        "status": "down" if down else "degraded" if problems else "ok",
        **(checks if detailed else {k: {"ok": c["ok"]} for k, c in checks.items()}),
        "last_sync": sync.get("last_success"),
        "oktopost": {
            "blocked": bool(sync.get("blocked_until")),
            "blocked_until": sync.get("blocked_until"),
        },
        "problems": problems,
    }
    if detailed:
        body["version"] = settings.VERSION
        body["sync"] = sync
        body["oktopost"]["sandbox"] = settings.OKTOPOST_SANDBOX
    return JsonResponse(body, status=503 if down else 200)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """A 503 naming the database or cache when one of them failed, else a plain 500.

    Called while the exception is being handled, so sys.exc_info() names it. No request
    context: the failure may have come from a context processor."""
    exc = sys.exc_info()[1]
    what, why = "", "cannot be reached"
    if isinstance(exc, DatabaseError):
        what = "The database"
    elif isinstance(exc, OSError) and _media_fails():
        what, why = f"The media folder ({infra.media_folder()})", "is full or read-only"
    elif _is_cache_error(exc):
        # The shared API budget (OKTOPOST_LIMITER_URL) may live in another Redis than the
        # cache, or in one when the cache is a file: redis-py's error names its server.
        budget = limiter_where()
        from_budget = type(exc).__module__.startswith("redis") and (
            not settings.REDIS_URL or budget.removeprefix("Redis at ") in str(exc)
        )
        name = budget if from_budget else infra.cache_name()
        what = name[0].upper() + name[1:]
    if what:
        page = loader.get_template("503.html").render({"what": what, "why": why})
        return HttpResponse(page, status=503, headers={"Retry-After": "30"})
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def _media_fails() -> bool:
    try:
        infra.media_probe()
    except OSError:
        return True
    return False


def _is_cache_error(exc: BaseException | None) -> bool:
    """Errors of the cache's own client (redis-py), or of the file cache's disk."""
    module = type(exc).__module__ if exc else ""
    return module.startswith("redis") or isinstance(exc, OSError)
