"""Role checks for views. Templates may hide controls, but only views enforce.

The roles are the `editor`, `viewer` and `approver` groups (accounts' data migrations);
the user model answers `has_role`. Every app's views take their decorators from here.
An approver sees what a viewer sees and decides approvals, nothing else; an editor may
do everything, approving included.
"""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

EDITOR = "editor"
VIEWER = "viewer"
APPROVER = "approver"
ROLES = (EDITOR, VIEWER, APPROVER)
# Who holds each role's rights besides the role itself.
ALSO_ALLOWED = {VIEWER: (EDITOR, APPROVER), APPROVER: (EDITOR,), EDITOR: ()}

View = Callable[..., HttpResponse]


def role_required(role: str) -> Callable[[View], View]:
    """Refuse with 403 unless the logged-in user holds `role` (editors may do what viewers may)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            user = request.user
            allowed = user.is_authenticated and any(
                user.has_role(r) for r in (role, *ALSO_ALLOWED[role])
            )
            if not allowed:
                raise PermissionDenied(f"This needs the {role} role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


editor_required = role_required(EDITOR)
viewer_required = role_required(VIEWER)
approver_required = role_required(APPROVER)
