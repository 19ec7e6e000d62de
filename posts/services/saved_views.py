"""Named queue views: a user's own, or shared with the team."""

from django.db import IntegrityError, transaction

from accounts.models import User
from core.services import ServiceError
from posts.models import SavedView


def saved_view_create(*, owner: User, name: str, query: str, shared: bool) -> SavedView:
    try:
        with transaction.atomic():
            return SavedView.objects.create(owner=owner, name=name, query=query, shared=shared)
    except IntegrityError:
        # Two tabs saving the same name at once: the unique constraint decides.
        raise ServiceError(f"You already have a view called “{name}”.", field="name") from None


def saved_view_delete(*, owner: User, view_id: int) -> SavedView | None:
    """Delete one of the owner's views; None when it is not theirs (or gone)."""
    view = SavedView.objects.filter(id=view_id, owner=owner).first()
    if view is not None:
        view.delete()
    return view
