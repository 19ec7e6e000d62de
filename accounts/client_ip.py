"""The client's address for login throttling, also behind a reverse proxy.

Behind a proxy every request comes from the proxy's address, so five wrong passwords
from anyone would lock a user out for everyone. The proxy appends the address it saw to
X-Forwarded-For; a client can put anything before that, so we count from the right:
the address TRUSTED_PROXY_COUNT hops in is the one our own proxy wrote.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    if not settings.BEHIND_PROXY:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [h for h in hops if h]
    count = settings.TRUSTED_PROXY_COUNT
    if len(hops) < count:
        return remote  # not through every trusted proxy: trust only the socket
    return hops[-count]
