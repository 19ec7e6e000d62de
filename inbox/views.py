"""The public endpoint Oktopost delivers webhooks to, and the editors' page saying whether
webhooks are healthy.

The endpoint:

No login, no CSRF token, no session, no cookie: the signature is the only credential.
In order: the size bound and the per-address rate limit (both cost nothing), then the
signature, in constant time, before the body is parsed or anything is stored; then the
shape, the age (stale deliveries are refused; a replay inside the window is the same
stored row), then one INSERT and the post's events queued. Answers are fixed words:
nothing of the request is echoed, and nothing of the secret or signature is logged.
"""

from __future__ import annotations

import hmac
import json
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.client_ip import client_ip
from core import infra
from core.roles import editor_required
from inbox import selectors, services
from oktopost.webhooks import SIGNATURE_HEADERS, signature_valid

FUTURE_SKEW = 300  # seconds a sender's clock may run ahead of ours


def _answer(status: int, words: str) -> HttpResponse:
    response = HttpResponse(words + "\n", status=status, content_type="text/plain")
    response["Cache-Control"] = "no-store"
    return response


def _signed(request: HttpRequest, body: bytes) -> bool:
    secrets = selectors.intake_secrets()
    if not secrets:
        return False
    signature = request.headers.get(SIGNATURE_HEADERS[0])
    if signature is not None:
        return signature_valid(body, signature, secrets)
    given = request.headers.get(SIGNATURE_HEADERS[1])
    if given is None:
        return False
    # The older article's header: a signature, or (its name says) the secret itself.
    as_secret = False
    for secret in secrets:
        as_secret |= hmac.compare_digest(secret.encode(), given.strip().encode())
    return signature_valid(body, given, secrets) | as_secret


@csrf_exempt
@login_not_required
@require_POST
def oktopost_webhook(request: HttpRequest) -> HttpResponse:
    limit = settings.WEBHOOKS_MAX_BODY_KB * 1024
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _answer(400, "Bad length.")
    if length > limit:
        return _answer(413, "Too large.")
    address = client_ip(request) or "unknown"
    if not infra.rate_take(f"webhook:{address}", limit=settings.WEBHOOKS_PER_MINUTE, window=60):
        return _answer(429, "Too many deliveries.")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _answer(413, "Too large.")
    if not _signed(request, body):
        return _answer(401, "Bad signature.")
    try:
        payload = json.loads(body)
        event, stamp = payload["event"], payload["timestamp"]
        if not isinstance(event, str) or isinstance(stamp, bool) or not isinstance(stamp, int):
            raise TypeError
    except (ValueError, TypeError, KeyError):
        return _answer(400, "Not a webhook event.")
    now = time.time()
    if stamp < now - settings.WEBHOOKS_MAX_AGE_SECONDS or stamp > now + FUTURE_SKEW:
        return _answer(400, "Stale delivery.")
    stored = services.event_receive(body=body, payload=payload)
    return _answer(200, "Stored." if stored else "Already stored.")


@require_GET
@editor_required
def connection(request: HttpRequest) -> HttpResponse:
    """Oktopost connection: what arrived here, and Oktopost's own delivery log (cached:
    at most one read every few minutes, however often the page is loaded)."""
    return render(
        request,
        "inbox/connection.html",
        {
            "status": services.webhooks_status(fresh=False),
            "waiting": selectors.events_waiting(),
            "silent_after": settings.WEBHOOKS_SILENT_AFTER_MINUTES,
            "safety_net_minutes": settings.WEBHOOKS_SAFETY_NET_SECONDS // 60,
            "a_minute_ago": timezone.now() - timedelta(minutes=1),
        },
    )
