"""Attached media as posts needs them, supplied by the attachments app.

posts sits below attachments (docs/ARCHITECTURE.md: core, oktopost, posts, then the apps
built on posts), yet the compose form, its preview, the create-form checks and
`post_compose` read the files an editor attached and ask Oktopost about uploads still
being processed. posts declares here what it needs; attachments, which owns the files,
plugs its functions in when Django starts (`AttachmentsConfig.ready`). posts imports this
module, never attachments.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

# Oktopost's media ids.
MEDIA_ID = re.compile(r"^026[0-9A-Za-z]{1,29}$")


@dataclass(frozen=True)
class PreviewMedia:
    """What a preview or the form shows of one media item."""

    id: str
    kind: str  # "image", "video", "pdf"
    thumbnail_url: str  # a logged-in oktodash URL; "" when there is no picture to show
    name: str
    width: int | None = None
    height: int | None = None
    size: int | None = None  # bytes, when known
    duration: float | None = None  # seconds, videos we uploaded


class AttachedFile(Protocol):
    """A file an editor attached from their computer (attachments.LocalFile)."""

    key: str
    name: str
    media_id: str
    size: int
    duration: float | None

    @property
    def media_kind(self) -> str: ...


@dataclass(frozen=True)
class Provider:
    # The media with these Oktopost ids, in the order given; unknown ids left out.
    preview_media: Callable[[list[str]], list[PreviewMedia]]
    # `user`'s files with these keys; unknown, foreign or malformed keys left out.
    files_of: Callable[..., list[AttachedFile]]
    # Where the cached picture of an image is served.
    thumbnail_url: Callable[[str], str]
    # The form's files asked about once more; ServiceError unless every one is ready.
    uploads_resolve: Callable[..., list[AttachedFile]]


_provider: Provider | None = None


def provide(provider: Provider) -> None:
    global _provider
    _provider = provider


def _source() -> Provider:
    if _provider is None:
        raise ImproperlyConfigured("Attached media need the attachments app in INSTALLED_APPS.")
    return _provider


def preview_media(ids: list[str]) -> list[PreviewMedia]:
    return _source().preview_media(ids)


def files_of(keys: list[str], *, user: Any) -> list[AttachedFile]:
    return _source().files_of(keys, user=user)


def thumbnail_url(media_id: str) -> str:
    return _source().thumbnail_url(media_id)


def uploads_resolve(*, keys: list[str], user: Any) -> list[AttachedFile]:
    return _source().uploads_resolve(keys=keys, user=user)
