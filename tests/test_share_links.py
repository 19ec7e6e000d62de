"""Share links: who may make them, what a token opens, and what it never opens."""

import csv
import io
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from sharing import services, views
from sharing.models import ShareLink
from sharing.tokens import token_hash
from tests import factories as f


@pytest.fixture
def data(db):
    now = timezone.now()
    launch, brand = f.campaign("Launch"), f.campaign("Brand")
    li, tw = f.profile("LinkedIn", "Acme LI"), f.profile("Twitter", "Acme X")
    secret = f.message("Secret Twitter plan", "Twitter", brand)
    hello = f.message("Hello LinkedIn", "LinkedIn", launch)
    for i in range(20):
        twitter = i % 2 == 0
        f.post(
            status="complete",
            start_at=now - timedelta(days=i, hours=1),
            network="Twitter" if twitter else "LinkedIn",
            profiles=[tw if twitter else li],
            msg=secret if twitter else hello,
            camp=brand if twitter else launch,
            clicks=100 if twitter else 1,
        )
    return {"launch": launch, "brand": brand}


def make(editor_client: Client, page: str = "stats", query: str = "network=LinkedIn") -> str:
    """As "Share this view" does: the form shows what the link will show, then the
    editor creates it (issue 23: nothing is shared before it was on screen)."""
    fields = {"page": page, "query": query, "label": "For the board", "days": "30"}
    review = editor_client.post("/share/new/", fields)
    assert review.status_code == 200 and not review.context.get("errors"), review.context
    response = editor_client.post("/share/new/", {**fields, "seen": review.context["review"].seen})
    assert response.status_code == 200, response.context.get("errors")
    return response.context["new_url"].split("testserver", 1)[1]


@pytest.mark.dates
def test_an_editor_makes_a_link_that_opens_without_login(editor_client: Client, data) -> None:
    url = make(editor_client)
    anonymous = Client()
    response = anonymous.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "For the board" in body and "Secret Twitter plan" not in body
    totals = {d.key: d.now for d in response.context["totals"].deltas}
    assert totals["clicks"] == 10  # ten LinkedIn posts with 1 click each in 30 days
    for name in ("messages", "top", "heatmap"):
        assert f'hx-get="{url}part/{name}/"' in body
        part = anonymous.get(f"{url}part/{name}/", headers={"HX-Request": "true"})
        assert part.status_code == 200 and part.cookies == {}
        assert "Secret Twitter plan" not in part.content.decode()
    messages = anonymous.get(f"{url}part/messages/", headers={"HX-Request": "true"})
    assert "Hello LinkedIn" in messages.content.decode()
    link = ShareLink.objects.get()
    # The sections the page fills in are part of the one visit.
    assert link.use_count == 1 and link.last_used_at is not None


def test_share_pages_set_no_cookie_and_send_privacy_headers(editor_client: Client, data) -> None:
    url = make(editor_client)
    anonymous = Client()
    for path in (url, url + "export.csv", "/s/" + "x" * 43 + "/"):
        response = anonymous.get(path)
        assert response.cookies == {}, path
        assert response["Referrer-Policy"] == "no-referrer"
        assert "noindex" in response["X-Robots-Tag"]
        assert "no-store" in response["Cache-Control"]
    assert "sessionid" not in anonymous.cookies and "csrftoken" not in anonymous.cookies


def test_share_pages_have_no_navigation_or_forms(editor_client: Client, data) -> None:
    body = Client().get(make(editor_client)).content.decode()
    assert "<form" not in body and '<nav class="stats-tabs"' in body
    assert "/posts/" not in body and "/stats/" not in body and "/share/" not in body
    assert "csrfmiddlewaretoken" not in body and "X-CSRFToken" not in body


def test_only_the_tokens_hash_is_stored(editor_client: Client, data) -> None:
    url = make(editor_client)
    token = url.strip("/").split("/")[-1]
    link = ShareLink.objects.get()
    assert link.token_hash == token_hash(token) and token not in str(link.__dict__)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t[:-1],  # truncated
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # tampered
        lambda t: t + "A",  # too long
        lambda t: t.upper(),
        lambda t: "%2e%2e",
    ],
)
def test_wrong_tokens_get_a_404_that_leaks_nothing(editor_client: Client, data, change) -> None:
    url = make(editor_client)
    token = url.strip("/").split("/")[-1]
    response = Client().get(f"/s/{change(token)}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "For the board" not in body and "LinkedIn" not in body
    assert Client().get(f"/s/{change(token)}/export.csv").status_code == 404


@pytest.mark.dates
def test_expired_links_get_a_410(editor_client: Client, data) -> None:
    url = make(editor_client)
    ShareLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(url)
    assert response.status_code == 410
    assert "For the board" not in response.content.decode()
    assert Client().get(url + "export.csv").status_code == 410


def test_revoked_links_stay_revoked(editor_client: Client, data) -> None:
    url = make(editor_client)
    link = ShareLink.objects.get()
    assert Client().get(url).status_code == 200
    response = editor_client.post(f"/share/{link.id}/revoke/")
    assert response.status_code == 302
    assert Client().get(url).status_code == 410
    assert Client().get(url + "export.csv").status_code == 410
    # Revoking again changes nothing; there is no un-revoke.
    editor_client.post(f"/share/{link.id}/revoke/")
    assert Client().get(url).status_code == 410


@pytest.mark.parametrize(
    "extra",
    [
        "network=Twitter",
        "network=Twitter&network=LinkedIn",
        "range=90d&from=2000-01-01&to=2030-01-01",
        "campaign={brand}",
        "q=Secret",
        "deleted=1",
        "preset=sent",
    ],
)
def test_the_query_string_cannot_widen_a_links_scope(editor_client: Client, data, extra) -> None:
    url = make(editor_client, query="network=LinkedIn&range=7d")
    anonymous = Client()
    plain = anonymous.get(url).context
    widened = anonymous.get(url + "?" + extra.format(brand=data["brand"].oktopost_id))
    assert widened.status_code == 200
    assert widened.context["sq"].scope == plain["sq"].scope
    assert "Secret Twitter plan" not in widened.content.decode()
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(
                    anonymous.get(
                        url + "export.csv?" + extra.format(brand=data["brand"].oktopost_id)
                    ).streaming_content
                ).decode()[1:]
            )
        )
    )
    assert {r[3] for r in rows[1:]} == {"LinkedIn"}


def test_display_choices_still_work_on_a_link(editor_client: Client, data) -> None:
    url = make(editor_client)
    response = Client().get(url + "?by=campaign&order=clicks&counter=likes")
    assert response.context["breakdown"].dimension == "campaign"
    assert response.context["sq"].display.counter == "likes"


def test_a_link_whose_filter_no_longer_exists_refuses_rather_than_widens(
    editor_client: Client, data
) -> None:
    url = make(editor_client, query=f"campaign={data['launch'].oktopost_id}")
    data["launch"].delete()
    assert Client().get(url).status_code == 410


def test_queue_links_show_only_their_posts_and_export_them(editor_client: Client, data) -> None:
    url = make(editor_client, page="queue", query="network=LinkedIn&sort=-clicks")
    anonymous = Client()
    response = anonymous.get(url + "?network=Twitter")
    assert response.status_code == 200
    assert {r.post.network for r in response.context["page"].rows} == {"LinkedIn"}
    text = b"".join(anonymous.get(url + "export.csv").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert len(rows) == 11 and {r[3] for r in rows[1:]} == {"LinkedIn"}


def test_share_pages_are_rate_limited_per_address(editor_client: Client, data, monkeypatch) -> None:
    monkeypatch.setattr(views, "SHARE_RATE_PER_MINUTE", 3)
    url = make(editor_client)
    anonymous = Client()
    codes = [anonymous.get(url).status_code for _ in range(3)]
    codes += [anonymous.get("/s/" + "y" * 43 + "/").status_code]
    assert codes == [200, 200, 200, 429]
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get(url).status_code == 200


def test_viewers_cannot_list_or_revoke_an_editors_links(
    viewer_client: Client, editor_client, data
) -> None:
    """Issue 29: viewers share too, but each sees and revokes only their own links."""
    make(editor_client)
    link = ShareLink.objects.get()
    mine = viewer_client.get("/share/")
    assert mine.status_code == 200 and "For the board" not in mine.content.decode()
    assert viewer_client.post(f"/share/{link.id}/revoke/").status_code == 404
    assert ShareLink.objects.count() == 1 and ShareLink.objects.get().revoked_at is None
    page = viewer_client.get("/stats/").content.decode()
    assert "Share this view" in page


def test_editors_see_their_links_listed(editor_client: Client, data) -> None:
    make(editor_client)
    body = editor_client.get("/share/").content.decode()
    assert "For the board" in body and "Active" in body


@pytest.mark.parametrize(
    ("post", "error"),
    [
        ({"page": "calendar", "query": "", "label": "x", "days": "3"}, "Choose what to share"),
        ({"page": "stats", "query": "", "label": " ", "days": "3"}, "label"),
        ({"page": "stats", "query": "", "label": "x", "days": "0"}, "1 to 365"),
        ({"page": "stats", "query": "", "label": "x", "days": "999"}, "1 to 365"),
        ({"page": "stats", "query": "campaign=nope", "label": "x", "days": "3"}, "Not shared"),
    ],
)
def test_bad_link_requests_come_back_with_the_reason(
    editor_client: Client, db, post, error
) -> None:
    response = editor_client.post("/share/new/", post)
    assert response.status_code == 200
    assert any(error in e for e in response.context["errors"])
    assert ShareLink.objects.count() == 0


def test_the_command_creates_lists_and_revokes(data) -> None:
    out = StringIO()
    call_command(
        "share_link", "create", "--page", "stats", "--query", "range=last-month&network=LinkedIn",
        "--days", "5", "--label", "Ops", stdout=out,
    )  # fmt: skip
    url = out.getvalue().strip()
    assert url.startswith("http://") and "/s/" in url
    path = url.split("8000", 1)[1]
    assert Client().get(path).status_code == 200
    link = ShareLink.objects.get()
    assert link.query == "network=LinkedIn&range=last-month" and link.label == "Ops"
    assert (link.expires_at - link.created) == timedelta(days=5)
    out = StringIO()
    call_command("share_link", "list", stdout=out)
    assert "Ops" in out.getvalue() and "active" in out.getvalue()
    call_command("share_link", "revoke", str(link.id), stdout=StringIO())
    assert Client().get(path).status_code == 410
    with pytest.raises(CommandError):
        call_command("share_link", "revoke", str(link.id))
    with pytest.raises(CommandError):
        call_command("share_link", "create", "--page", "stats", "--query", "campaign=gone")


def test_the_service_refuses_a_query_too_long(db) -> None:
    with pytest.raises(services.ShareError):
        services.share_link_create(page="stats", query="q=" + "x" * 3000, label="x")


def test_queue_links_say_how_fresh_each_rows_counters_are(editor_client: Client, data) -> None:
    url = make(editor_client, page="queue", query="network=LinkedIn")
    body = Client().get(url).content.decode()
    assert "counters as of" in body


def test_a_shared_section_keeps_the_links_scope(editor_client: Client, data) -> None:
    """The query string of a section cannot widen the link: only display choices count."""
    url = make(editor_client)
    anonymous = Client()
    for name in ("breakdown", "messages", "top"):
        brand = data["brand"].oktopost_id
        widened = f"{url}part/{name}/?network=Twitter&campaign={brand}&by=network&range=90d"
        response = anonymous.get(widened, headers={"HX-Request": "true"})
        assert response.status_code == 200
        body = response.content.decode()
        assert "Secret Twitter plan" not in body and "Twitter" not in body, name
        assert "/posts/" not in body  # no link out of the share page
    scope = anonymous.get(f"{url}part/breakdown/?by=network", headers={"HX-Request": "true"})
    assert {bar.row.key for bar in scope.context["bars"]} == {"LinkedIn"}
    alone = anonymous.get(f"{url}part/top/")
    assert alone.status_code == 200 and "<html" in alone.content.decode()
    assert anonymous.get(f"{url}part/nope/").status_code == 404
    assert anonymous.get("/s/" + "x" * 43 + "/part/top/").status_code == 404
    ShareLink.objects.update(revoked_at=timezone.now())
    assert anonymous.get(f"{url}part/top/").status_code == 410
