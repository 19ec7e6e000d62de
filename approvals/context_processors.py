from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from approvals.selectors import approvals_waiting_count


def waiting(request: HttpRequest) -> dict[str, object]:
    """The nav's count of posts awaiting approval, read only when the nav is drawn."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"approvals_waiting": SimpleLazyObject(approvals_waiting_count)}
