"""Where a webhook may post: public addresses only, checked when the connection is made
(`core.outbound`), except the internal hosts an admin allowed with
WEBHOOK_ALLOW_HOSTS (a self-hosted Mattermost, say).

Without that rule an admin's "Add webhook" was a way to send requests into the private
network (127.0.0.1, the cloud metadata service), and the reason shown for a failed try
("127.0.0.1 answered HTTP 400") told what answered there. So an address inside is
refused before anything is sent, and an allowed internal host's failures are told
without its status code."""

from django.conf import settings

from core import outbound


def webhook_policy() -> outbound.Policy:
    allow = frozenset(h.lower() for h in getattr(settings, "WEBHOOK_ALLOW_HOSTS", []))
    return outbound.Policy(ports=None, allow=allow)


def webhook_internal(host: str, port: int) -> bool:
    """True for a host reached only because an admin allowed it."""
    return webhook_policy().allows_host(host, port)
