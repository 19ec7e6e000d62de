"""Outbound HTTP to addresses people type in (pasted images, webhooks), without becoming
a proxy into the private network (server-side request forgery).

The rule is about what is reached, not what is written: a host name is resolved when
the connection is made, every address it resolves to must be a global unicast address
(`address_allowed`), and the connection goes to the checked address itself, so a DNS
answer that changes between a check and the connection (rebinding) changes nothing.
IPv6 forms that carry an IPv4 address inside (IPv4-mapped `::ffff:a.b.c.d`,
IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4, Teredo)
are refused whatever the IPv4 address is: Python calls some of them global, but a
gateway may forward them to 127.0.0.1 or 169.254.169.254.

Pure: no Django. Callers pass a `Policy` built from their settings. Proxies from the
environment are ignored (a proxy would resolve the name itself).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IANA's global unicast space for IPv6 (RFC 4291 §2.4); everything outside it is
# loopback, link-local, unique-local, multicast, or carries an IPv4 address.
_V6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
# Inside 2000::/3, prefixes that embed an IPv4 address a relay would reach.
_V6_EMBEDDING = (
    ipaddress.ip_network("2002::/16"),  # 6to4 (RFC 3056)
    ipaddress.ip_network("2001::/32"),  # Teredo (RFC 4380)
)


class Refused(Exception):
    """Not fetched or sent; the message says why in plain words. Not an OSError, so
    neither urllib3 nor requests retries it or wraps it into a connection error."""


def address_allowed(address: IPAddress) -> bool:
    """True only for a global unicast address that does not carry an IPv4 address."""
    if address.version == 6 and (
        address not in _V6_GLOBAL_UNICAST or any(address in n for n in _V6_EMBEDDING)
    ):
        return False
    return address.is_global and not address.is_multicast


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


@dataclass(frozen=True)
class Policy:
    """Where outbound requests may go.

    `ports`: the ports allowed (None: any). `allow`: hosts ("name" or "name:port",
    lower case) reached whatever their addresses are (the local Oktopost sandbox, an
    internal webhook host an admin allowed). `private_ok`: any address at all (a closed
    installation, tests)."""

    ports: frozenset[int] | None = frozenset({80, 443})
    allow: frozenset[str] = field(default_factory=frozenset)
    private_ok: bool = False

    def allows_host(self, host: str, port: int) -> bool:
        host = host.lower().strip("[]").rstrip(".")
        return host in self.allow or f"{host}:{port}" in self.allow


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def check_url(url: str, policy: Policy) -> None:
    """Refuse (`Refused`, in words) what can be told from the address alone: the scheme,
    a user name or password, the port, and a host that is an address (or `localhost`)
    inside the private network. Names are resolved, and checked, at connect time."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise Refused("That is not a valid web address.") from None
    if parts.scheme not in ("http", "https"):
        raise Refused("Only http:// and https:// addresses can be used.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("That address has no host name.")
    if parts.username or parts.password:
        raise Refused("Addresses with a user name or password are not used.")
    port = port or default_port(parts.scheme)
    if policy.allows_host(host, port) or policy.private_ok:
        return
    if policy.ports is not None and port not in policy.ports:
        allowed = " and ".join(str(p) for p in sorted(policy.ports))
        raise Refused(f"Only addresses on the usual web ports ({allowed}) are used.")
    literal = _literal(host)
    # RFC 6761: every name under .localhost is the loopback address.
    inside = (literal is not None and not address_allowed(literal)) or (
        host == "localhost" or host.endswith(".localhost")
    )
    if inside:
        raise Refused(f"{host} is an address inside a private network; only public ones are used.")


def resolve_checked(host: str, port: int, policy: Policy) -> list[str]:
    """The addresses to connect to for `host`, each one checked; `Refused` when the
    name resolves to any address that is not allowed (or to none)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(f"The host name {host} could not be found.") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    trusted = policy.private_ok or policy.allows_host(host, port)
    for address in addresses:
        if not trusted and not address_allowed(ipaddress.ip_address(address.split("%", 1)[0])):
            raise Refused(
                f"{host} is an address inside a private network; only public ones are used."
            )
    if not addresses:
        raise Refused(f"The host name {host} could not be found.")
    return addresses


def _guarded_connection(base: type[HTTPConnection], policy: Policy) -> type[HTTPConnection]:
    class Guarded(base):  # type: ignore[valid-type, misc]
        def _new_conn(self) -> socket.socket:
            # Connect to the checked address itself; TLS still verifies the host name
            # (urllib3 uses `self.host`, not the address, for SNI and the certificate).
            last: Exception | None = None
            for address in resolve_checked(self._dns_host, self.port, policy):
                self._dns_host = address
                try:
                    return super()._new_conn()
                except (NewConnectionError, ConnectTimeoutError) as exc:
                    last = exc
            assert last is not None
            raise last

    return Guarded


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)
        http = type(
            "GuardedHTTPPool",
            (HTTPConnectionPool,),
            {"ConnectionCls": _guarded_connection(HTTPConnection, self.policy)},
        )
        https = type(
            "GuardedHTTPSPool",
            (HTTPSConnectionPool,),
            {"ConnectionCls": _guarded_connection(HTTPSConnection, self.policy)},
        )
        self.poolmanager.pool_classes_by_scheme = {"http": http, "https": https}


def session(policy: Policy) -> requests.Session:
    """A requests session that connects only where `policy` allows, checked at connect
    time; it never follows a redirect by itself (callers pass allow_redirects=False)."""
    guarded = requests.Session()
    guarded.trust_env = False
    adapter = _GuardedAdapter(policy)
    guarded.mount("http://", adapter)
    guarded.mount("https://", adapter)
    return guarded
