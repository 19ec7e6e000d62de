"""The compose form's live preview: the post as each selected network will show it.

A GET partial (no write, so no CSRF token needed) that the form asks for as the editor
types; it reads what the form holds and renders `posts/preview.html`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.roles import editor_required
from posts import attached_media, previews, selectors
from posts.models import NETWORKS

MAX_TEXT = 70_000  # over any network's limit, so the preview can show what is cut


def _field(request: HttpRequest, name: str, limit: int = 2000) -> str:
    return request.GET.get(name, "")[:limit]


def preview_media(ids: list[str]) -> tuple[previews.PreviewMedia, ...]:
    """The attached media as the preview shows them."""
    return tuple(
        previews.PreviewMedia(m.kind, m.thumbnail_url, m.name)
        for m in attached_media.preview_media(ids)
    )


@require_GET
@editor_required
def post_new_preview(request: HttpRequest) -> HttpResponse:
    source = _field(request, "source", 16)
    message, by_network = selectors.compose_preview_sources(
        source=source,
        message_id=_field(request, "message", 32),
        profile_ids=request.GET.getlist("profiles"),
    )
    if message is not None:
        text, link_url, link_title = message.text, message.link_url, message.link_title
        description, image_url, title = message.description, message.image_url, message.title
        network = message.network
        media = tuple(
            previews.PreviewMedia(m.kind, m.thumbnail_url, m.name)
            for m in selectors.message_media(message)
            if m.kind
        )
    else:
        text = _field(request, "text", MAX_TEXT)
        link_url, link_title = _field(request, "link_url"), _field(request, "link_title", 500)
        description, image_url = _field(request, "description", 5000), _field(request, "image_url")
        title, network = _field(request, "title", 500), _field(request, "network", 32)
        media = preview_media(request.GET.getlist("media")[:20])
    if not by_network and network in NETWORKS:
        by_network = {network: []}
    comment_text = _field(request, "first_comment_text", 3000).strip()
    comment_media = (
        preview_media([_field(request, "first_comment_media", 32)]) if comment_text else ()
    )
    comment = (
        previews.FirstComment(comment_text, comment_media[0] if comment_media else None)
        if comment_text
        else None
    )
    cards = [
        previews.preview(
            name,
            text=text,
            link_url=link_url,
            link_title=link_title,
            description=description,
            image_url=image_url,
            title=title,
            media=media,
            first_comment=comment,
            profiles=tuple(labels),
        )
        for name, labels in by_network.items()
    ]
    return render(request, "posts/preview.html", {"previews": cards})
