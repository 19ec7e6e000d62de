""" "Share this view" on the queue, stats and calendar pages: `{% include "share/action.html"
with share_page="queue" %}`, one line in each page. The button shows only to those the
share views would let through (sharing.selectors.share_allowed); the views check again."""

from django import template
from django.http import HttpRequest

from sharing import selectors

register = template.Library()


@register.inclusion_tag("share/button.html", takes_context=True)
def share_this_view(context: template.Context, page: str) -> dict[str, object]:
    request: HttpRequest | None = context.get("request")
    user = getattr(request, "user", None)
    allowed = bool(user is not None and selectors.share_allowed(user))
    return {
        "allowed": allowed,
        "share_page": page,
        "query": request.GET.urlencode() if allowed else "",
    }
