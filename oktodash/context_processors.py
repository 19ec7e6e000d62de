from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from posts.selectors import saved_views_for
from posts.status import sync_status


def shell(request: HttpRequest) -> dict[str, object]:
    """What base.html needs on every page: version and whether the sandbox is in use."""
    return {
        "app_version": settings.VERSION,
        "oktopost_sandbox": settings.OKTOPOST_SANDBOX,
        # Rows build their links from this prefix: one reverse() per page, not per row.
        "posts_url": reverse("posts:queue"),
        # Lazy: computed only by pages that render the status bar.
        "sync_status": SimpleLazyObject(sync_status),
        "saved_views": SimpleLazyObject(
            lambda: saved_views_for(request.user) if request.user.is_authenticated else []
        ),
    }
