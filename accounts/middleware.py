from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control


def user_time_zone(get_response: Callable[[HttpRequest], HttpResponse]):
    """Render every time in the logged-in user's own zone."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.zone)
        else:
            timezone.deactivate()
        try:
            return get_response(request)
        finally:
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
