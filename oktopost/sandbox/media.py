"""Files in the sandbox: what uploads fetch, how their bytes are checked, demo pictures.

Standard library only. `fetch` reads a source the way Oktopost documents it (HEAD for
the size, then ranged GETs); `inspect` recognises a file by its first bytes and checks
that it is whole; `png` and `mp4` make small, real files for the demo world and tests.
"""

from __future__ import annotations

import http.client
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

# MIME type accepted by POST /upload -> (media Type, file kind recognised by `inspect`).
UPLOAD_TYPES: dict[str, tuple[str, str]] = {
    "video/mp4": ("Video", "mp4"),
    "image/gif": ("Image", "gif"),
    "image/png": ("Image", "png"),
    "image/jpg": ("Image", "jpeg"),
    "image/jpeg": ("Image", "jpeg"),
    "application/pdf": ("PDF", "pdf"),
}
MB = 1024 * 1024
# Size limits the sandbox enforces per media Type (Oktopost publishes none; see
# docs/oktopost.md "Media and uploads" for where these come from).
SIZE_LIMITS: dict[str, int] = {"Image": 5 * MB, "Video": 200 * MB, "PDF": 100 * MB}
CONTENT_TYPES: dict[str, str] = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "pdf": "application/pdf",
    "mp4": "video/mp4",
}
LABELS: dict[str, str] = {
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "pdf": "a PDF document",
    "mp4": "an MP4 video",
}
CHUNK = 1 * MB
TIMEOUT = 10.0
MAX_REDIRECTS = 3


class FileProblem(Exception):
    """Why a source cannot become media, in words for the Upload's LastError."""


# ------------------------------------------------------------------ fetching


@dataclass
class Head:
    url: str
    status: int
    size: int | None
    content_type: str


def _request(
    url: str, method: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FileProblem(f"The source {url} is not an http(s) URL.")
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, parts.port, timeout=TIMEOUT)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request(
            method, target, headers={"User-Agent": "OktopostSandbox/1.0", **(headers or {})}
        )
        response = connection.getresponse()
        body = response.read() if method != "HEAD" else b""
        found = {k.lower(): v for k, v in response.getheaders()}
        return response.status, found, body
    except (OSError, http.client.HTTPException) as error:
        raise FileProblem(
            f"The source could not be reached ({type(error).__name__}: {error})."
        ) from None
    finally:
        connection.close()


def head(url: str) -> Head:
    """HEAD the URL, following up to MAX_REDIRECTS redirects."""
    for _ in range(MAX_REDIRECTS + 1):
        status, headers, _ = _request(url, "HEAD")
        if status in (301, 302, 303, 307, 308) and headers.get("location"):
            url = urljoin(url, headers["location"])
            continue
        length = headers.get("content-length", "").strip()
        return Head(
            url=url,
            status=status,
            size=int(length) if length.isdigit() else None,
            content_type=headers.get("content-type", "").split(";")[0].strip().lower(),
        )
    raise FileProblem(f"The source redirects more than {MAX_REDIRECTS} times.")


def describe_status(status: int, method: str) -> str:
    if status == 404:
        return f"The source answered 404 Not Found to {method}: there is no file at that URL."
    if status in (401, 403):
        return f"The source refused access ({status}) to {method}: the URL must be public."
    return f"The source answered HTTP {status} to {method}."


def fetch(
    url: str,
    *,
    limit: int,
    chunk: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The whole file at `url`: HEAD for its size, then ranged GETs of `chunk` bytes.

    Raises FileProblem for an unreachable source, an error status, a missing size, a
    file over `limit`, a source that ignores Range, or one that sends the wrong bytes.
    """
    info = head(url)
    if info.status != 200:
        raise FileProblem(describe_status(info.status, "HEAD"))
    if info.size is None:
        raise FileProblem(
            "The source did not give its size (no Content-Length in its HEAD answer)."
        )
    if info.size == 0:
        raise FileProblem("The source is empty (0 bytes).")
    if info.size > limit:
        raise FileProblem(
            f"The file is too large: {info.size / MB:.1f} MB, the limit is {limit // MB} MB."
        )
    total = info.size
    if progress:
        progress(total, 0)
    data = bytearray()
    while len(data) < total:
        start = len(data)
        end = min(start + chunk, total) - 1
        status, headers, body = _request(info.url, "GET", {"Range": f"bytes={start}-{end}"})
        if status == 200:
            raise FileProblem(
                "The source ignored the Range header (answered 200, not 206 Partial Content); "
                "it must support ranged GET requests."
            )
        if status != 206:
            raise FileProblem(describe_status(status, f"GET bytes={start}-{end}"))
        expected = f"bytes {start}-{end}/"
        if (
            not headers.get("content-range", "").startswith(expected)
            or len(body) != end - start + 1
        ):
            got = headers.get("content-range", "no Content-Range")
            raise FileProblem(
                f"The source sent {len(body)} bytes ({got}) for bytes {start}-{end}: "
                "the file changed or was cut short while being read."
            )
        data += body
        if progress:
            progress(total, len(data))
    return bytes(data)


# ---------------------------------------------------------------- inspecting


def kind_of(data: bytes) -> str | None:
    """The file kind its first bytes (magic numbers) show, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return "mp4"
    return None


def inspect(data: bytes, expected: str) -> float | None:
    """Check that `data` is a whole file of kind `expected`; for an MP4, return its duration.

    Raises FileProblem when the bytes are another kind, no known kind, or damaged.
    """
    kind = kind_of(data)
    if kind != expected:
        seen = (
            f"its content looks like {LABELS[kind]}"
            if kind
            else "its content is no type Oktopost accepts"
        )
        raise FileProblem(f"The file is not {LABELS[expected]}: {seen}.")
    if kind == "png":
        _check_png(data)
    elif kind == "jpeg":
        if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
            raise FileProblem(
                "The JPEG image is corrupt: it has no end-of-image marker (cut short?)."
            )
    elif kind == "gif":
        if not data.rstrip(b"\x00").endswith(b";"):
            raise FileProblem("The GIF image is corrupt: it has no trailer (cut short?).")
    elif kind == "pdf":
        if b"%%EOF" not in data[-2048:]:
            raise FileProblem("The PDF document is corrupt: it has no %%EOF marker (cut short?).")
    elif kind == "mp4":
        return mp4_duration(data)
    return None


def _check_png(data: bytes) -> None:
    at = 8
    first = True
    while at < len(data):
        if at + 12 > len(data):
            raise FileProblem("The PNG image is corrupt: a chunk is cut short.")
        (length,) = struct.unpack(">I", data[at : at + 4])
        name = data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        if at + 12 + length > len(data):
            raise FileProblem(f"The PNG image is corrupt: chunk {name!r} is cut short.")
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        if zlib.crc32(name + body) != crc:
            raise FileProblem(
                f"The PNG image is corrupt: chunk {name.decode('latin-1')} fails its checksum."
            )
        if first and name != b"IHDR":
            raise FileProblem("The PNG image is corrupt: it does not start with a header chunk.")
        first = False
        if name == b"IEND":
            return
        at += 12 + length
    raise FileProblem("The PNG image is corrupt: it has no end chunk (cut short?).")


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, body start, body end) of the MP4 boxes between start and end."""
    found = []
    at = start
    while at < end:
        if at + 8 > end:
            raise FileProblem("The MP4 video is corrupt: a box header is cut short.")
        size, name = struct.unpack(">I4s", data[at : at + 8])
        header = 8
        if size == 1:
            if at + 16 > end:
                raise FileProblem("The MP4 video is corrupt: a box header is cut short.")
            (size,) = struct.unpack(">Q", data[at + 8 : at + 16])
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            label = name.decode("latin-1")
            raise FileProblem(f"The MP4 video is corrupt: box {label!r} runs past the file's end.")
        found.append((name, at + header, at + size))
        at += size
    return found


def mp4_duration(data: bytes) -> float:
    """Duration in seconds from the `mvhd` box; FileProblem if the structure is damaged."""
    top = _boxes(data, 0, len(data))
    moov = next((box for box in top if box[0] == b"moov"), None)
    if moov is None:
        raise FileProblem("The MP4 video is corrupt: it has no movie header (moov box).")
    mvhd = next((box for box in _boxes(data, moov[1], moov[2]) if box[0] == b"mvhd"), None)
    if mvhd is None:
        raise FileProblem("The MP4 video is corrupt: its moov box has no mvhd box.")
    body = data[mvhd[1] : mvhd[2]]
    version = body[0] if body else -1
    if version == 0 and len(body) >= 20:
        timescale, duration = struct.unpack(">II", body[12:20])
    elif version == 1 and len(body) >= 32:
        timescale, duration = struct.unpack(">IQ", body[20:32])
    else:
        raise FileProblem("The MP4 video is corrupt: its mvhd box is malformed.")
    if timescale == 0:
        raise FileProblem("The MP4 video is corrupt: its time scale is 0.")
    return duration / timescale


# ------------------------------------------------------------------- making


def png(width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> bytes:
    """A real RGB PNG: a vertical gradient from `top` to `bottom` with a lighter band."""
    rows = []
    band = range(height * 2 // 5, height * 3 // 5)
    for y in range(height):
        t = y / max(1, height - 1)
        colour = [round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)]
        if y in band:
            colour = [min(255, c + 70) for c in colour]
        rows.append(b"\x00" + bytes(colour) * width)

    def chunk(name: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + name + body + struct.pack(">I", zlib.crc32(name + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def mp4(seconds: float, *, timescale: int = 1000, payload: bytes = b"\x00" * 64) -> bytes:
    """A structurally whole MP4 (ftyp, moov with mvhd, mdat) of the given duration.

    It carries no playable track: enough for upload checks and duration parsing."""

    def box(name: bytes, body: bytes) -> bytes:
        return struct.pack(">I", 8 + len(body)) + name + body

    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = (
        b"\x00\x00\x00\x00"  # version 0, flags
        + struct.pack(">IIII", 0, 0, timescale, round(seconds * timescale))
        + struct.pack(">IH", 0x10000, 0x100)  # rate 1.0, volume 1.0
        + b"\x00" * 10
        + matrix
        + b"\x00" * 24
        + struct.pack(">I", 2)  # next track id
    )
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2mp41")
    return ftyp + box(b"moov", box(b"mvhd", mvhd)) + box(b"mdat", payload)
