"""Role checks for views. Templates may hide controls, but only views enforce.

The roles are the `editor`, `viewer` and `approver` groups (accounts' data migrations);
the user model answers `has_role`. Every app's views take their decorators from here.
An approver sees what a viewer sees and decides approvals, nothing else; an editor may
do everything, approving included.
"""

import contextlib
from collections.abc import Callable
from functools import wraps

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from core.infra import cache_get, cache_set

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


# --- who holds which role, without a query per page --------------------------------------

# Every user's group names, {user id: frozenset}: one small entry for the whole team,
# dropped whenever anyone's groups or any group change (below, and again once the change
# is committed, so a page reading between the two cannot keep the old roles). A cache
# that was down when a change happened can hold the old roles this long at most.
ROLES_CACHE_KEY = "roles:by-user"
ROLES_TTL = 60


def role_names(user_id: int) -> frozenset[str]:
    """The names of the user's groups (roles and any other group)."""
    by_user = cache_get(ROLES_CACHE_KEY)
    if by_user is None:
        from django.contrib.auth import get_user_model

        by_user = {}
        through = get_user_model().groups.through
        for uid, name in through.objects.values_list("user_id", "group__name"):
            by_user.setdefault(uid, set()).add(name)
        by_user = {uid: frozenset(names) for uid, names in by_user.items()}
        cache_set(ROLES_CACHE_KEY, by_user, ROLES_TTL)
    return by_user.get(user_id, frozenset())


def forget_roles() -> None:
    def drop() -> None:
        with contextlib.suppress(Exception):  # down: the entry ages out within ROLES_TTL
            cache.delete(ROLES_CACHE_KEY)

    drop()
    transaction.on_commit(drop)


@receiver(m2m_changed)
def _groups_changed(sender, action: str, **kwargs) -> None:
    from django.contrib.auth import get_user_model

    if sender is get_user_model().groups.through and action.startswith("post_"):
        forget_roles()


@receiver(post_save, sender="auth.Group")
@receiver(post_delete, sender="auth.Group")
def _group_changed(**kwargs) -> None:
    forget_roles()
