"""`{{ id|user_name }}`: an Oktopost user's name where a page would show `00A…`;
`{% oktopost_user id %}`: that name as pages show it (templates/posts/user_name.html).

The id → name map is read once per request (from the cache, or one query) and kept for
the rest of it, per thread: a queue page asks for it on every row."""

import threading

from django import template
from django.core.signals import request_started
from django.utils.html import format_html
from django.utils.safestring import SafeString

from posts.selectors import user_names

register = template.Library()

_local = threading.local()


def _forget(**_: object) -> None:
    _local.names = None


request_started.connect(_forget, dispatch_uid="oktopost_users_forget")


@register.filter
def user_name(value: object) -> object:
    """The user's name, or the value unchanged when it is no known user's id."""
    if not value or not isinstance(value, str):
        return value
    names = getattr(_local, "names", None)
    if names is None:
        names = _local.names = user_names()
    return names.get(value, value)


@register.simple_tag
def oktopost_user(user_id: object) -> SafeString:
    """The user's name, titled with the id; the id, muted, when no name is known. A tag
    rather than an include: a queue page shows one a row."""
    name = user_name(user_id)
    if name and name != user_id:
        return format_html(
            '<span class="user-name" title="Oktopost user {}">{}</span>', user_id, name
        )
    return format_html(
        '<span class="muted user-id" title="Oktopost user {}">{}</span>', user_id, user_id or "—"
    )
