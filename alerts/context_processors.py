from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from alerts.selectors import bell_for


def bell(request: HttpRequest) -> dict[str, object]:
    """The bell's count and latest alerts, read only by pages that render the menu."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"alert_bell": SimpleLazyObject(lambda: bell_for(user))}
