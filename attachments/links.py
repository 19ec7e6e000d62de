"""The signed, expiring address Oktopost fetches an uploaded file from.

`POST /upload` takes a `source` URL that Oktopost reads with HEAD and ranged GETs
(docs/oktopost.md, "Uploads"). The URL is SITE_URL plus a value signed with
django.core.signing under its own salt: it names one stored file, works for an hour,
and needs no login. Any other way to a stored file requires a login.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "attachments.source"
VALID_FOR = 3600  # seconds: Oktopost fetches within minutes; an hour covers a slow queue


def source_url(token: str, *, file_name: str) -> str:
    signed = signing.dumps(str(token), salt=SALT, compress=True)
    path = reverse("attachments:source", kwargs={"signed": signed, "file_name": file_name})
    return f"{settings.SITE_URL}{path}"


class BadLink(Exception):
    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "bad signature")
        self.expired = expired


def source_token(signed: str) -> str:
    """The file's token, or BadLink (expired, or not ours / altered)."""
    try:
        return str(signing.loads(signed, salt=SALT, max_age=VALID_FOR))
    except signing.SignatureExpired:
        raise BadLink(expired=True) from None
    except signing.BadSignature:
        raise BadLink(expired=False) from None
