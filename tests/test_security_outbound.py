"""Where oktodash connects to (issue 23, findings 7 and 8): pasted image addresses and
admins' webhooks reach only global unicast addresses, checked at connect time.

No test here sends traffic outside 127.0.0.0/8 or [::1]: the guard's decisions are
tested on literal addresses, connections only ever go to servers on loopback, names
are answered by `fake_dns` (never a DNS server), and `loopback_only` fails a test that
tries to connect anywhere else."""

import ipaddress
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from alerts.models import Dispatch, Event, Webhook
from alerts.services import send
from attachments import fetch
from core import outbound
from tests.conftest import make_user
from tests.security_helpers import fake_dns, loopback_only, recorder  # noqa: F401

INSIDE = [
    "127.0.0.1",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104 (an address refused, not bound)
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00::1",
    "fec0::1",
    "ff0e::1",
    "::127.0.0.1",  # IPv4-compatible: issue 23, finding 7
    "::a9fe:a9fe",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:0:a9fe:a9fe",  # IPv4-translated
    "64:ff9b::a9fe:a9fe",  # NAT64 to 169.254.169.254: issue 23, finding 7
    "64:ff9b::808:808",  # NAT64 to a public address is still a gateway's business
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64
    "2002:7f00:1::1",  # 6to4
    "2001::1",  # Teredo
    "2001:db8::1",  # documentation
]
OUTSIDE = ["1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001:81a::200e"]


@pytest.mark.parametrize("address", INSIDE)
def test_the_guard_refuses_every_address_that_is_not_global_unicast(address: str) -> None:
    assert not outbound.address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", OUTSIDE)
def test_the_guard_allows_global_unicast_addresses(address: str) -> None:
    assert outbound.address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://[::127.0.0.1]/",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://localhost/x.png",
        "http://admin.localhost/x.png",
    ],
)
def test_pasted_addresses_reaching_inside_are_refused_before_any_connection(
    url: str, settings
) -> None:
    settings.ATTACHMENTS_FETCH_PRIVATE = False
    with pytest.raises(fetch.FetchRefused, match="private network"):
        fetch.fetch(url, limit=1000)


def test_a_name_is_checked_when_the_connection_is_made(fake_dns, recorder, settings) -> None:  # noqa: F811
    """A name that resolves inside (as after DNS rebinding) is refused at connect time,
    and the server behind it never sees a request."""
    settings.ATTACHMENTS_FETCH_PRIVATE = False
    fake_dns["images.rebind.test"] = ["127.0.0.1"]
    policy = outbound.Policy(ports=None)
    with pytest.raises(outbound.Refused, match="private network"):
        outbound.session(policy).get(
            f"http://images.rebind.test:{recorder.port}/x.png", timeout=2, allow_redirects=False
        )
    assert recorder.requests == []


def test_a_name_resolving_to_public_and_private_addresses_is_refused(fake_dns) -> None:  # noqa: F811
    fake_dns["mixed.rebind.test"] = ["::1"]
    with pytest.raises(outbound.Refused):
        outbound.resolve_checked("mixed.rebind.test", 80, outbound.Policy())


def test_the_pasted_image_form_says_why_in_words(editor_client, settings) -> None:
    settings.ATTACHMENTS_FETCH_PRIVATE = False
    for url in ("http://[::127.0.0.1]/x.png", "http://[64:ff9b::a9fe:a9fe]/latest/"):
        html = editor_client.post("/attachments/by-address/", {"media_url": url})
        assert html.status_code == 200
        assert "private network" in html.content.decode(), url


# --- webhooks (finding 8) ----------------------------------------------------------------


@pytest.fixture
def admin_client(db) -> Client:
    admin = make_user("ada", None)
    admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hooks/x",
        "http://169.254.169.254/latest/meta-data/",
        "https://[::ffff:10.0.0.1]/x",
        "https://[64:ff9b::a9fe:a9fe]/x",
        "http://localhost:9200/_search",
    ],
)
def test_a_webhook_inside_the_private_network_is_refused_when_added(admin_client, url) -> None:
    answer = admin_client.post(
        "/alerts/webhooks/", {"name": "Probe", "url": url, "events": ["failed"]}
    )
    assert answer.status_code == 400
    assert "private network" in answer.content.decode()
    assert not Webhook.objects.exists()


def _webhook_dispatch(url: str) -> Dispatch:
    hook = Webhook.objects.create(name="Team", url=url, events=[e.value for e in Event])
    return Dispatch.objects.create(
        channel=Dispatch.Channel.WEBHOOK,
        webhook=hook,
        subject="x",
        body="A post failed",
        due_at=timezone.now() - timedelta(seconds=1),
    )


def test_a_webhook_whose_name_now_resolves_inside_is_not_posted_to(
    db,
    fake_dns,  # noqa: F811
    recorder,  # noqa: F811
    settings,
) -> None:
    """Stored while its name was public; now it resolves to loopback: refused at connect
    time, the server never sees the message, and the reason reveals no status code."""
    settings.WEBHOOK_ALLOW_HOSTS = []
    recorder.status = 400
    fake_dns["hooks.rebind.test"] = ["127.0.0.1"]
    dispatch = _webhook_dispatch(f"http://hooks.rebind.test:{recorder.port}/services/T/B/secret")
    assert send.dispatch_send(dispatch_id=dispatch.id) is False
    assert recorder.requests == []
    dispatch.refresh_from_db()
    assert "private network" in dispatch.last_error
    assert "400" not in dispatch.last_error and "secret" not in dispatch.last_error


def test_an_internal_host_an_admin_allowed_is_reached_and_its_errors_show_no_code(
    db,
    recorder,  # noqa: F811
    settings,
) -> None:
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    ok = _webhook_dispatch(f"http://127.0.0.1:{recorder.port}/hook")
    assert send.dispatch_send(dispatch_id=ok.id) is True
    assert recorder.requests == [("POST", "/hook")]
    recorder.status = 401
    refused = _webhook_dispatch(f"http://127.0.0.1:{recorder.port}/hook")
    assert send.dispatch_send(dispatch_id=refused.id) is False
    refused.refresh_from_db()
    assert "401" not in refused.last_error and "did not accept" in refused.last_error
