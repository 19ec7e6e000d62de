from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control

from core import clock


def user_time_zone(get_response: Callable[[HttpRequest], HttpResponse]):
    """Render every time in the logged-in user's own zone, written their way (24- or
    12-hour, day or month first: their choice, else their browser's language)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = request.headers.get("Accept-Language")
        if user is not None and user.is_authenticated:
            timezone.activate(user.zone)
            convention = clock.resolve(user.clock, user.date_order, language)
        else:
            timezone.deactivate()
            convention = clock.from_accept_language(language)
        request.clock = convention
        token = clock.activate(convention)
        try:
            return get_response(request)
        finally:
            clock.deactivate(token)
            timezone.deactivate()

    return middleware


def private_pages(get_response: Callable[[HttpRequest], HttpResponse]):
    """Pages for a signed-in user hold a team's posts and stats: no shared cache, and no
    copy left on disk for the next person at a shared computer."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware
