"""Reads for a post's detail page and drawer: the post, its stats history as small
charts, its media and first comment, its history."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from posts import attached_media as attachment_selectors
from posts.models import Activity, Delivery, Message, Post, Profile, media_kind_of, web_url


def post_for_view(oktopost_id: str) -> Post:
    """A post with what its detail page shows, or Http404."""
    return get_object_or_404(
        Post.objects.select_related("campaign", "message").prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.order_by("id"))
        ),
        oktopost_id=oktopost_id,
    )


@dataclass(frozen=True)
class Chart:
    """A small SVG line chart of one counter's history (no script, no inline style)."""

    label: str
    points: str
    first: int
    last: int
    since: datetime | None


CHART_W, CHART_H = 300, 60


def stats_chart(post: Post) -> list[Chart]:
    samples = list(post.samples.order_by("at").values_list("at", "clicks", "likes", "impressions"))
    if len(samples) < 2:
        return []
    charts = []
    for index, label in ((1, "Clicks"), (2, "Likes"), (3, "Impressions")):
        rows = samples
        if index == 3:
            # Impressions come only from ?stats=1: the samples before its first answer
            # hold 0 for "not fetched yet", not a count. The series starts at the first
            # figure Oktopost gave.
            known = next((n for n, row in enumerate(samples) if row[3]), None)
            rows = samples[known:] if known is not None else []
            if len(rows) < 2:
                continue
        values = [row[index] or 0 for row in rows]
        top = max(values) or 1
        # Each chart spans its own series, as its caption says ("since ..."): a series
        # that starts later does not leave a blank gap at its left.
        start = rows[0][0]
        span = max((rows[-1][0] - start).total_seconds(), 1.0)
        points = " ".join(
            f"{(row[0] - start).total_seconds() / span * CHART_W:.1f},"
            f"{CHART_H - value / top * (CHART_H - 4) - 2:.1f}"
            for row, value in zip(rows, values, strict=True)
        )
        charts.append(Chart(label, points, values[0], values[-1], rows[0][0]))
    return charts


@dataclass(frozen=True)
class ShownMedia:
    id: str
    kind: str
    name: str
    size: int | None
    thumbnail_url: str  # oktodash's cached copy, images only
    href: str  # Oktopost's own address of the file (http(s) only), for videos and PDFs


def message_media(message: Message | None) -> list[ShownMedia]:
    """A message's media as the mirror keeps them (Message.media), in Oktopost's order."""
    items = message.media if message is not None else []
    shown = []
    for item in items if isinstance(items, list) else []:
        kind = media_kind_of(str(item.get("type", "")))
        media_id = str(item.get("id", ""))
        shown.append(
            ShownMedia(
                id=media_id,
                kind=kind,
                name=str(item.get("name") or media_id),
                size=item.get("size"),
                thumbnail_url=attachment_selectors.thumbnail_url(media_id)
                if kind == "image" and attachment_selectors.MEDIA_ID.match(media_id)
                else "",
                href=web_url(str(item.get("resource") or "")),
            )
        )
    return shown


def post_media(post: Post) -> dict[str, object]:
    """A post's message media and its first comment, for the detail page and drawer."""
    shown = message_media(post.message if post.message_id else None)
    comment = post.first_comment or {}
    comment_media = attachment_selectors.preview_media([comment.get("media_id", "")])
    return {
        "media": shown,
        "first_comment": comment,
        "comment_media": comment_media[0] if comment_media else None,
        # Pictures the comment may take: the message's own images.
        "comment_choices": [
            m for m in shown if m.kind == "image" and m.id != comment.get("media_id")
        ],
        "takes_first_comment": post.network == "LinkedIn",
    }


def post_history(post: Post) -> list[Activity]:
    return list(
        Activity.objects.filter(post_oktopost_id=post.oktopost_id).select_related("user")[:50]
    )


def profiles_of_network(network: str, profiles: dict[str, Profile]) -> list[Profile]:
    """Of `profiles_by_id()` (already read for the page), those of `network`, by name."""
    return [p for p in profiles.values() if p.network == network]
