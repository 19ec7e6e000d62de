"""Reads of share links."""

from django.db.models import QuerySet

from sharing.models import ShareLink
from sharing.tokens import token_hash, token_well_formed


def share_link_for_token(token: str) -> ShareLink | None:
    """The link a token opens (active or not), or None for a token that matches none."""
    if not token_well_formed(token):
        return None
    return (
        ShareLink.objects.select_related("created_by").filter(token_hash=token_hash(token)).first()
    )


def share_links_list() -> QuerySet[ShareLink]:
    return ShareLink.objects.select_related("created_by")
