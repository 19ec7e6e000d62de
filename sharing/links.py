"""sharing's named interface for other apps' links (approvals' review links): the same
token and queue-scope code share links use, so such a link is as hard to guess and as
unable to widen its scope as a share link. Other apps import this module only
(pyproject.toml, "Apps in layers")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from sharing import scope, tokens
from sharing.scope import Canonical

__all__ = [
    "Canonical",
    "link_headers",
    "queue_canonical",
    "queue_scope",
    "queue_still_valid",
    "token_hash",
    "token_new",
    "token_well_formed",
]

queue_scope = scope.queue_scope


def token_new() -> str:
    # Looked up on the module each time: the test suite's log guard wraps it to learn
    # every token minted.
    return tokens.token_new()


def token_hash(token: str) -> str:
    return tokens.token_hash(token)


def token_well_formed(token: str) -> bool:
    return tokens.token_well_formed(token)


def queue_canonical(query: str, zone: tzinfo, choices: dict) -> Canonical:
    """The queue scope to store for a new link, and every part of `query` that could not
    be read, in words (any problem refuses the link rather than dropping the part)."""
    return scope.canonical("queue", query, zone, choices)


def queue_still_valid(query: str, zone: tzinfo, choices: dict) -> bool:
    """True when a stored queue scope still parses to exactly itself; otherwise a filter
    of it has gone and the link would show more than it was made for."""
    return scope.still_valid("queue", query, zone, choices)


def link_headers(view: Callable[..., HttpResponse] | None = None, *, referrer: str = "no-referrer"):
    """Every answer of a page a token opens, errors included: no referrer (the token is
    in the URL), not indexed, never cached by anyone.

    `referrer="same-origin"` for a page that posts forms to itself: under `no-referrer`
    browsers send `Origin: null` with a form's POST, which Django's CSRF check refuses;
    `same-origin` still keeps the address from every other site."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            response = view(request, *args, **kwargs)
            response["Referrer-Policy"] = referrer
            response["X-Robots-Tag"] = "noindex, nofollow"
            patch_cache_control(response, private=True, no_store=True)
            return response

        return wrapped

    return decorate(view) if view is not None else decorate
