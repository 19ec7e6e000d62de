"""Reads about attached media, for the compose form, its previews and the queue."""

from __future__ import annotations

import re
import uuid

from django.db.models import QuerySet
from django.urls import reverse

from attachments.models import LocalFile
from posts.attached_media import MEDIA_ID, PreviewMedia
from posts.models import MediaItem


def thumbnail_url(media_id: str) -> str:
    return reverse("attachments:thumbnail", kwargs={"media_id": media_id})


def preview_media(ids: list[str]) -> list[PreviewMedia]:
    """The media with these Oktopost ids (026…), in the order given, for previews and
    limit checks; unknown or malformed ids are left out."""
    wanted = [i for i in dict.fromkeys(ids) if MEDIA_ID.match(i)]
    if not wanted:
        return []
    items = {m.oktopost_id: m for m in MediaItem.objects.filter(oktopost_id__in=wanted)}
    files: dict[str, LocalFile] = {}
    for local in LocalFile.objects.filter(media_id__in=wanted).order_by("id"):
        files[local.media_id] = local
    out = []
    for media_id in wanted:
        local, item = files.get(media_id), items.get(media_id)
        if local is None and item is None:
            continue
        kind = local.media_kind if local else item.kind
        if not kind:
            continue
        out.append(
            PreviewMedia(
                id=media_id,
                kind=kind,
                thumbnail_url=thumbnail_url(media_id) if kind == "image" else "",
                name=(local.name if local else item.name) or media_id,
                width=local.width if local else None,
                height=local.height if local else None,
                size=local.size if local else item.size,
                duration=local.duration if local else None,
            )
        )
    return out


# LocalFile.key: token_urlsafe(16) is 22 characters of [A-Za-z0-9_-].
FILE_KEY = re.compile(r"^[A-Za-z0-9_-]{16,32}$")


def _own(user) -> QuerySet[LocalFile]:
    """The files `user` may see: their own uploads, or every one for an admin. Anyone
    else's file and one that does not exist look the same (left out, or a 404)."""
    files = LocalFile.objects.all()
    return files if user.is_superuser else files.filter(owner=user)


def files_of(keys: list[str], *, user) -> list[LocalFile]:
    """`user`'s files with these keys (unknown, foreign or malformed ones left out)."""
    wanted = [k for k in keys if FILE_KEY.match(k)]
    return list(_own(user).filter(key__in=wanted).order_by("id"))


def file_for(key: str, *, user) -> LocalFile | None:
    if not FILE_KEY.match(key):
        return None
    return _own(user).filter(key=key).first()


def file_by_token(token: str) -> LocalFile | None:
    try:
        value = uuid.UUID(token)
    except ValueError:
        return None
    return LocalFile.objects.filter(token=value).first()
