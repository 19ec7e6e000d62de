"""Where attached files and cached thumbnails live on disk: `VAR_DIR/media/`.

Not under STATIC_ROOT and not in git (var/ is ignored): nothing here is reachable
except through attachments.views, which check a login or a signature first.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from core.infra import media_folder

_SAFE = re.compile(r"^[0-9A-Za-z._-]{1,80}$")


def root() -> Path:
    return media_folder()


def uploads_dir() -> Path:
    path = root() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    path = root() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(disk_name: str) -> Path:
    if not _SAFE.match(disk_name):
        raise ValueError(f"not a stored file's name: {disk_name!r}")
    return uploads_dir() / disk_name


def cache_path(name: str) -> Path:
    if not _SAFE.match(name):
        raise ValueError(f"not a cached file's name: {name!r}")
    return cache_dir() / name


class TooBig(Exception):
    pass


def write_temp(chunks: Iterable[bytes], *, limit: int, where: Path) -> tuple[Path, int, str]:
    """Write chunks to a new file in `where`, stopping past `limit` bytes.

    Returns (path, size, sha256). Raises TooBig (the partial file removed)."""
    where.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, name = tempfile.mkstemp(dir=where, prefix=".incoming-")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise TooBig
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, size, digest.hexdigest()
