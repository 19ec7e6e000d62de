from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


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
