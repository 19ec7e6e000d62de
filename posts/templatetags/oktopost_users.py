"""`{{ id|user_name }}`: an Oktopost user's name where a page would show `00A…`.

The id → name map is read once per request (from the cache, or one query) and kept for
the rest of it, per thread: a queue page asks for it on every row."""

import threading

from django import template
from django.core.signals import request_started

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
