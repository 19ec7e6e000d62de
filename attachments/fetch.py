"""Reading images from addresses that are not ours, without becoming a proxy into the
private network (server-side request forgery).

What oktodash fetches, and from where:
- a pasted image URL, once, to check that it answers with an image before it is given
  to Oktopost's `POST /media`;
- a thumbnail of a media record, from that record's `Resource` (never from an address
  in the request), cached under VAR_DIR/media/cache/.

Allowed: `http` and `https` only; no user name or password in the address; ports 80
and 443 only; every address the host name resolves to must be public (Python's
`ipaddress.is_global`: no loopback, private, link-local, multicast or reserved ranges,
so no cloud metadata service either); no redirects (a redirect could point anywhere:
we refuse and name where it pointed). The one exception is the Oktopost API's own host
and port, which serves media files in the sandbox (http://127.0.0.1). Setting
ATTACHMENTS_FETCH_PRIVATE allows private and loopback addresses on any port, for a
closed installation or tests. Every read has a (3 s, 10 s) timeout and a size cap.
Known gap: the name is resolved for the check and again by the connection, so a DNS
server that answers differently the second time (rebinding) is not stopped.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings

TIMEOUT = (3.0, 10.0)
USER_AGENT = "oktodash (media check)"


class FetchRefused(Exception):
    """Not fetched, or not an answer we take; the message says why in plain words."""


def _oktopost_origin() -> tuple[str, int | None]:
    parts = urlsplit(settings.OKTOPOST_BASE_URL)
    return (parts.hostname or "", parts.port)


def check_address(url: str, *, trust_oktopost: bool = False) -> None:
    """Raise FetchRefused unless `url` is one we may fetch (see the module's rules)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise FetchRefused("That is not a valid web address.") from None
    if parts.scheme not in ("http", "https"):
        raise FetchRefused("Only http:// and https:// addresses can be used.")
    host = parts.hostname or ""
    if not host:
        raise FetchRefused("That address has no host name.")
    if parts.username or parts.password:
        raise FetchRefused("Addresses with a user name or password are not fetched.")
    if trust_oktopost and (host, port) == _oktopost_origin():
        return
    private_ok = getattr(settings, "ATTACHMENTS_FETCH_PRIVATE", False)
    if port not in (None, 80, 443) and not private_ok:
        raise FetchRefused("Only addresses on the usual web ports (80 and 443) are fetched.")
    try:
        infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise FetchRefused(f"The host name {host} could not be found.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global and not private_ok:
            raise FetchRefused(
                f"{host} is an address inside a private network; only public addresses are fetched."
            )


def fetch(url: str, *, limit: int, trust_oktopost: bool = False) -> tuple[bytes, str]:
    """The body (at most `limit` bytes) and Content-Type of a GET, or FetchRefused."""
    check_address(url, trust_oktopost=trust_oktopost)
    try:
        with requests.get(
            url,
            stream=True,
            timeout=TIMEOUT,
            allow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept": "image/*"},
        ) as response:
            if response.is_redirect or response.is_permanent_redirect:
                where = response.headers.get("Location", "")[:200]
                raise FetchRefused(
                    f"That address redirects to {where}; paste the final address instead."
                )
            if response.status_code != 200:
                raise FetchRefused(
                    f"That address answered with an error (HTTP {response.status_code})."
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchRefused(f"That file is larger than {limit // 1_000_000} MB.")
            body = bytearray()
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > limit:
                    raise FetchRefused(f"That file is larger than {limit // 1_000_000} MB.")
            return bytes(body), response.headers.get("Content-Type", "")
    except requests.Timeout:
        raise FetchRefused("That address did not answer in time.") from None
    except requests.RequestException:
        raise FetchRefused("That address could not be reached.") from None
