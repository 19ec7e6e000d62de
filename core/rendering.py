"""Answering a URL both ways: the whole page for a visit, a partial for htmx; and one
value written as a template writes it, for markup written in Python (queue rows,
calendar chips, heatmap rows)."""

from html import escape

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def full_page(request: HttpRequest) -> bool:
    """A plain visit, or htmx restoring history: both need the whole page."""
    return not request.htmx or request.htmx.history_restore_request


def render_page_or_partial(
    request: HttpRequest,
    template: str,
    partial: str,
    context: dict[str, object],
    *,
    status: int = 200,
) -> HttpResponse:
    """`template` for a full page, `template#partial` for htmx, with `Vary: HX-Request`
    so a cache (or the browser's back button) never serves one for the other."""
    name = template if full_page(request) else f"{template}#{partial}"
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def html_text(value: object) -> str:
    """`{{ value }}`: escaped unless safe (`__html__`), anything not a string as str()
    (None: "None"). Django's escape() is html.escape(); called here without its lazy-string
    wrapper, which was a tenth of a queue row's time."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(value if isinstance(value, str) else str(value))
