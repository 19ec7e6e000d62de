from django.conf import settings
from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, object]:
    """What base.html needs on every page: version and whether the sandbox is in use."""
    return {
        "app_version": settings.VERSION,
        "oktopost_sandbox": settings.OKTOPOST_SANDBOX,
    }
