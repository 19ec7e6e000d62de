"""What a file really is, from its bytes: the kinds Oktopost's /upload takes.

Pure (no Django): the upload view and the thumbnail cache both call it. A file is
accepted only when its first bytes name one of the kinds below *and* its structure
holds up to its end (a truncated image or video is refused), so a renamed program or a
half-copied file never reaches Oktopost, whatever its name or claimed type says.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

# kind -> (MIME type sent to Oktopost's /upload, what people call it)
KINDS: dict[str, tuple[str, str]] = {
    "png": ("image/png", "PNG image"),
    "jpeg": ("image/jpeg", "JPEG image"),
    "gif": ("image/gif", "GIF image"),
    "mp4": ("video/mp4", "MP4 video"),
    "pdf": ("application/pdf", "PDF document"),
}
IMAGE_KINDS = ("png", "jpeg", "gif")
EXTENSIONS = {"png": "png", "jpeg": "jpg", "gif": "gif", "mp4": "mp4", "pdf": "pdf"}
ACCEPTED_WORDS = "PNG, JPEG or GIF images, MP4 videos and PDF documents"
# No network shows an image wider or taller than this; a header claiming more is a
# forgery (a PNG may claim 4294967295 pixels a side, past what the database stores).
MAX_SIDE = 100_000


class Refused(Exception):
    """The bytes are not a file we accept; the message says why, in plain words."""


@dataclass(frozen=True)
class Sniffed:
    kind: str  # a key of KINDS
    width: int | None = None
    height: int | None = None
    duration: float | None = None  # seconds, videos only

    @property
    def mime_type(self) -> str:
        return KINDS[self.kind][0]

    @property
    def media_kind(self) -> str:
        """ "image", "video" or "pdf": what the post shows."""
        if self.kind in IMAGE_KINDS:
            return "image"
        return "video" if self.kind == "mp4" else "pdf"


def kind_of(head: bytes) -> str | None:
    """The kind the first bytes announce, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"%PDF-"):
        return "pdf"
    return None


def sniff(stream: BinaryIO, *, size: int) -> Sniffed:
    """Check a whole file (`size` bytes, seekable). Raises Refused with the reason."""
    if size == 0:
        raise Refused("The file is empty.")
    stream.seek(0)
    head = stream.read(64)
    kind = kind_of(head)
    if kind is None:
        raise Refused(
            f"This file is not one Oktopost accepts: only {ACCEPTED_WORDS} can be attached "
            "(checked by content, not by its name)."
        )
    check = {"png": _png, "jpeg": _jpeg, "gif": _gif, "mp4": _mp4, "pdf": _pdf}[kind]
    return check(stream, size)


def _tail(stream: BinaryIO, size: int, n: int) -> bytes:
    stream.seek(max(0, size - n))
    return stream.read(n)


def _broken(what: str) -> Refused:
    return Refused(f"This {what} is damaged or cut short (it does not end as a {what} must).")


def _png(stream: BinaryIO, size: int) -> Sniffed:
    stream.seek(8)
    ihdr = stream.read(25)
    if len(ihdr) < 25 or ihdr[4:8] != b"IHDR":
        raise _broken("PNG image")
    width, height = struct.unpack(">II", ihdr[8:16])
    if b"IEND" not in _tail(stream, size, 12):
        raise _broken("PNG image")
    _sane(width, height)
    return Sniffed("png", width or None, height or None)


def _sane(width: int, height: int) -> None:
    if width > MAX_SIDE or height > MAX_SIDE:
        raise Refused(
            f"This image claims to be {width:,} by {height:,} pixels; images up to "
            f"{MAX_SIDE:,} pixels a side are accepted."
        )


def _gif(stream: BinaryIO, size: int) -> Sniffed:
    stream.seek(6)
    screen = stream.read(4)
    if len(screen) < 4:
        raise _broken("GIF image")
    width, height = struct.unpack("<HH", screen)
    if not _tail(stream, size, 16).rstrip(b"\x00").endswith(b";"):
        raise _broken("GIF image")
    return Sniffed("gif", width or None, height or None)


# JPEG markers that carry the frame's size (start of frame, every coding process).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(stream: BinaryIO, size: int) -> Sniffed:
    if not _tail(stream, size, 32).rstrip(b"\x00\r\n").endswith(b"\xff\xd9"):
        raise _broken("JPEG image")
    stream.seek(2)
    width = height = None
    # Walk the segments up to the frame header, which holds the size.
    for _ in range(1000):
        marker = stream.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            break
        code = marker[1]
        if code in (0xD8, 0x01) or 0xD0 <= code <= 0xD7:
            continue
        length_bytes = stream.read(2)
        if len(length_bytes) < 2:
            break
        (length,) = struct.unpack(">H", length_bytes)
        if code in _SOF:
            frame = stream.read(5)
            if len(frame) == 5:
                height, width = struct.unpack(">HH", frame[1:5])
            break
        if code == 0xDA or length < 2:
            break
        stream.seek(length - 2, 1)
    return Sniffed("jpeg", width or None, height or None)


def _mp4(stream: BinaryIO, size: int) -> Sniffed:
    """Top-level boxes must tile the file exactly, and both the index (`moov`) and the
    media data (`mdat`) must be there: a copy cut short fails one or the other."""
    offset, seen, duration = 0, set(), None
    while offset < size:
        stream.seek(offset)
        header = stream.read(8)
        if len(header) < 8:
            raise _broken("MP4 video")
        box_size, box_type = struct.unpack(">I4s", header)
        header_len = 8
        if box_size == 1:
            big = stream.read(8)
            if len(big) < 8:
                raise _broken("MP4 video")
            (box_size,) = struct.unpack(">Q", big)
            header_len = 16
        elif box_size == 0:
            box_size = size - offset
        if box_size < header_len or offset + box_size > size:
            raise _broken("MP4 video")
        seen.add(box_type)
        if box_type == b"moov":
            duration = _mvhd_duration(stream, offset + header_len, offset + box_size)
        offset += box_size
    if b"moov" not in seen or b"mdat" not in seen:
        raise _broken("MP4 video")
    return Sniffed("mp4", duration=duration)


def _mvhd_duration(stream: BinaryIO, start: int, end: int) -> float | None:
    """The movie header's duration (ISO/IEC 14496-12 §8.2.2), in seconds."""
    offset = start
    while offset + 8 <= end:
        stream.seek(offset)
        box_size, box_type = struct.unpack(">I4s", stream.read(8))
        if box_size < 8:
            return None
        if box_type == b"mvhd":
            version = stream.read(4)[0]
            if version == 1:
                body = stream.read(28)
                if len(body) < 28:
                    return None
                _, _, timescale, length = struct.unpack(">QQIQ", body)
            else:
                body = stream.read(16)
                if len(body) < 16:
                    return None
                _, _, timescale, length = struct.unpack(">IIII", body)
            return length / timescale if timescale else None
        offset += box_size
    return None


def _pdf(stream: BinaryIO, size: int) -> Sniffed:
    if b"%%EOF" not in _tail(stream, size, 1024):
        raise _broken("PDF document")
    return Sniffed("pdf")
