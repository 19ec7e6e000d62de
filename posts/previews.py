"""How a post will look on each network, as far as its text, link and media go.

Pure: the compose form's preview partial (posts/preview_views.py) gives it what the
editor typed and renders what comes back. Each network shows a post's text up to a hard
limit (beyond it Oktopost refuses the post) and, in the feed, only its first characters
or lines before a "see more" fold. The fold points are the networks' current feed
behaviour as widely documented; they shift with screen sizes, so the preview says
"about" where it cuts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from posts.networks import NETWORK_LIMITS, TWITTER_LINK_LENGTH

_URL = re.compile(r"https?://\S+", re.IGNORECASE)


@dataclass(frozen=True)
class Look:
    """What one network does with a post's text, link and media in its feed."""

    label: str
    limit: int | None
    fold_chars: int | None = None  # characters shown before the fold
    fold_lines: int | None = None  # lines shown before the fold
    more: str = "…see more"
    link_card: bool = True  # a link becomes a card with its title and image
    appends_link: bool = False  # Oktopost adds the link to the text (X)
    media_shown: int = 4  # thumbnails a feed shows before "+N"
    first_comment: bool = False
    needs_media: str = ""  # what the network refuses without media


LOOKS: dict[str, Look] = {
    "Twitter": Look(
        "X (Twitter)", NETWORK_LIMITS["Twitter"], appends_link=True, more="Show more"
    ),
    "LinkedIn": Look(
        "LinkedIn", NETWORK_LIMITS["LinkedIn"], fold_chars=210, fold_lines=3, first_comment=True
    ),
    "Facebook": Look("Facebook", NETWORK_LIMITS["Facebook"], fold_chars=477, fold_lines=5,
                     more="See more"),
    "Instagram": Look(
        "Instagram",
        NETWORK_LIMITS["Instagram"],
        fold_chars=125,
        fold_lines=2,
        more="… more",
        link_card=False,
        media_shown=1,
        needs_media="Instagram takes no post without an image or a video.",
    ),
    "YouTube": Look(
        "YouTube",
        NETWORK_LIMITS["YouTube"],
        fold_chars=157,
        fold_lines=3,
        more="…more",
        link_card=False,
        media_shown=1,
        needs_media="YouTube posts are videos: attach one.",
    ),
}  # fmt: skip
UNKNOWN = Look("", None, link_card=True)


@dataclass(frozen=True)
class PreviewMedia:
    kind: str  # "image", "video" or "pdf"
    url: str  # a thumbnail a signed-in page may show ("" when there is none)
    name: str = ""


@dataclass(frozen=True)
class LinkCard:
    url: str
    domain: str
    title: str
    description: str = ""
    image_url: str = ""


@dataclass(frozen=True)
class FirstComment:
    text: str
    media: PreviewMedia | None = None


@dataclass(frozen=True)
class Preview:
    network: str
    label: str
    profiles: tuple[str, ...]
    shown: str  # what the feed shows before its fold
    rest: str  # what "see more" reveals (within the limit)
    over: str  # beyond the hard limit: Oktopost refuses the post
    used: int
    limit: int | None
    more: str
    link: LinkCard | None
    media: tuple[PreviewMedia, ...]
    extra_media: int
    first_comment: FirstComment | None
    notes: tuple[str, ...] = field(default=())
    fold_chars: int | None = None
    fold_lines: int | None = None

    @property
    def folded(self) -> bool:
        return bool(self.rest)

    @property
    def over_by(self) -> int:
        return self.used - self.limit if self.limit is not None else 0


def weighted_cut(text: str, limit: int) -> int:
    """Where X cuts `text` at `limit` characters, each link counting as 23."""
    used = 0
    pos = 0
    for match in _URL.finditer(text):
        gap = match.start() - pos
        if used + gap > limit:
            return pos + (limit - used)
        used += gap
        if used + TWITTER_LINK_LENGTH > limit:
            return match.start()
        used += TWITTER_LINK_LENGTH
        pos = match.end()
    return min(len(text), pos + (limit - used))


def weighted_length(text: str) -> int:
    return len(_URL.sub("x" * TWITTER_LINK_LENGTH, text))


def fold_at(text: str, chars: int | None, lines: int | None) -> int:
    """Where a feed folds `text`: after `lines` lines or `chars` characters, whichever
    comes first, moved back to the last space when a word would be split."""
    cut = len(text)
    if lines is not None:
        start = 0
        for _ in range(lines):
            nl = text.find("\n", start)
            if nl < 0:
                break
            start = nl + 1
        else:
            cut = min(cut, start - 1)
    if chars is not None and chars < cut:
        space = text.rfind(" ", 0, chars + 1)
        cut = space if space > chars // 2 else chars
    return cut


def _domain(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def preview(
    network: str,
    *,
    text: str,
    link_url: str = "",
    link_title: str = "",
    description: str = "",
    image_url: str = "",
    title: str = "",
    media: tuple[PreviewMedia, ...] = (),
    first_comment: FirstComment | None = None,
    profiles: tuple[str, ...] = (),
) -> Preview:
    look = LOOKS.get(network, UNKNOWN)
    notes: list[str] = []
    body = text.replace("\r\n", "\n").strip()
    if look.appends_link and link_url and link_url not in body:
        body = f"{body} {link_url}" if body else link_url
    weighted = network == "Twitter"
    used = weighted_length(body) if weighted else len(body)
    within, over = body, ""
    if look.limit is not None and used > look.limit:
        cut = weighted_cut(body, look.limit) if weighted else look.limit
        within, over = body[:cut], body[cut:]
    fold = fold_at(within, look.fold_chars, look.fold_lines)
    shown, rest = within[:fold].rstrip(), within[fold:].lstrip()

    card = None
    if link_url and look.link_card:
        picture = image_url if image_url.startswith("https://") else ""
        if image_url and not picture:
            notes.append("The link's image is not shown here: only https images are.")
        card = LinkCard(
            link_url,
            _domain(link_url),
            (link_title or title).strip(),
            description.strip(),
            picture,
        )
    elif link_url and network == "Instagram":
        notes.append("Instagram does not make links in captions clickable.")
    if network == "YouTube" and title:
        shown = f"{title.strip()}\n{shown}" if shown else title.strip()
    if look.needs_media and not any(m.kind in ("image", "video") for m in media):
        notes.append(look.needs_media)
    if network == "YouTube" and media and not any(m.kind == "video" for m in media):
        notes.append("YouTube posts are videos: attach one.")
    comment = first_comment if look.first_comment and first_comment else None
    if first_comment and not look.first_comment:
        notes.append("A first comment goes with LinkedIn posts only.")
    return Preview(
        network=network,
        label=look.label or network or "Unknown network",
        profiles=profiles,
        shown=shown,
        rest=rest,
        over=over,
        used=used,
        limit=look.limit,
        more=look.more,
        link=card,
        media=media[: look.media_shown],
        extra_media=max(0, len(media) - look.media_shown),
        first_comment=comment,
        notes=tuple(notes),
        fold_chars=look.fold_chars,
        fold_lines=look.fold_lines,
    )
