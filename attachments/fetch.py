"""Reading images from addresses that are not ours, without becoming a proxy into the
private network (server-side request forgery).

What oktodash fetches, and from where:
- a pasted image URL, once, to check that it answers with an image before it is given
  to Oktopost's `POST /media`;
- a thumbnail of a media record, from that record's `Resource` (never from an address
  in the request), cached under VAR_DIR/media/cache/.

Allowed: `http` and `https` only; no user name or password in the address; ports 80
and 443 only; the host must resolve only to global unicast addresses, checked when the
connection is made and connected to as checked (`core.outbound`: no loopback,
private, link-local, multicast or reserved ranges, no IPv6 form carrying an IPv4
address such as `::127.0.0.1` or NAT64 `64:ff9b::…`, so no cloud metadata service
either, and no DNS rebinding); no redirects (a redirect could point anywhere: we refuse
and name where it pointed). The one exception is the Oktopost API's own host and port,
which serves media files in the sandbox (http://127.0.0.1). Setting
ATTACHMENTS_FETCH_PRIVATE allows private and loopback addresses on any port, for a
closed installation or tests. Every read has a (3 s, 10 s) timeout and a size cap.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from django.conf import settings

from core import outbound

TIMEOUT = (3.0, 10.0)
USER_AGENT = "oktodash (media check)"


# Not fetched, or not an answer we take; the message says why in plain words.
FetchRefused = outbound.Refused


def policy(*, trust_oktopost: bool = False) -> outbound.Policy:
    allow = frozenset()
    if trust_oktopost:
        parts = urlsplit(settings.OKTOPOST_BASE_URL)
        port = parts.port or outbound.default_port(parts.scheme)
        allow = frozenset({f"{(parts.hostname or '').lower()}:{port}"})
    return outbound.Policy(
        allow=allow, private_ok=getattr(settings, "ATTACHMENTS_FETCH_PRIVATE", False)
    )


def fetch(url: str, *, limit: int, trust_oktopost: bool = False) -> tuple[bytes, str]:
    """The body (at most `limit` bytes) and Content-Type of a GET, or FetchRefused."""
    rules = policy(trust_oktopost=trust_oktopost)
    outbound.check_url(url, rules)
    try:
        with (
            outbound.session(rules) as client,
            client.get(
                url,
                stream=True,
                timeout=TIMEOUT,
                allow_redirects=False,
                headers={"User-Agent": USER_AGENT, "Accept": "image/*"},
            ) as response,
        ):
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
