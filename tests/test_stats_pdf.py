"""The stats review as PDF (/stats/report.pdf, /s/<token>/report.pdf): the page's
figures, read back from the PDF's text; the scope on every page; the paper; who may
have one, and how many a minute."""

import re
import zoneinfo
from datetime import timedelta

import pypdfium2
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from reports import pdf
from reports.review import section
from reports.templatetags.stats_tags import num
from tests import factories as f

# PDF points: A4 is 210 x 297 mm, Letter 8.5 x 11 in.
A4 = (595.3, 841.9)
LETTER = (612.0, 792.0)


@pytest.fixture
def data(db):
    now = timezone.now()
    launch, brand = f.campaign("Launch"), f.campaign("Brand")
    li, tw = f.profile("LinkedIn", "Acme LI"), f.profile("Twitter", "Acme X")
    hello = f.message("Hello LinkedIn", "LinkedIn", launch)
    secret = f.message("Secret Twitter plan", "Twitter", brand)
    for i in range(40):
        twitter = i % 3 == 0
        f.post(
            status="complete" if i % 5 else "error",
            start_at=now - timedelta(days=i % 25, hours=2 + i % 9),
            network="Twitter" if twitter else "LinkedIn",
            profiles=[tw] if twitter else [li],
            msg=secret if twitter else hello,
            camp=brand if twitter else launch,
            clicks=1000 + 7 * i,
            conversions=i % 4,
            comments=i % 3,
            likes=10 * i,
            shares=i % 6,
            impressions=1234 * i,
            stats_at=now,
        )
    return {"brand": brand}


def _texts(data: bytes) -> list[str]:
    """Each page's text, as PDFium reads it (pdftotext's engine is not on every machine)."""
    document = pypdfium2.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_bounded().replace("\r\n", "\n") for page in document]
    finally:
        document.close()


def _pages(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    return _texts(response.content)


def _box(response) -> tuple[float, float]:
    document = pypdfium2.PdfDocument(response.content)
    try:
        return tuple(document[0].get_size())
    finally:
        document.close()


def _totals_in(text: str, labels: list[str]) -> dict[str, str]:
    """Each total's card as the PDF reads: its label, then its value on the next line."""
    found = {}
    for label in labels:
        match = re.search(rf"^{re.escape(label)}\n([\d,]+|not yet)$", text, re.MULTILINE)
        assert match, f"no {label!r} card in:\n{text[:1500]}"
        found[label] = match.group(1)
    return found


def _page_totals(response) -> dict[str, str]:
    return {
        d.label: num(d.now) if d.known else "not yet" for d in response.context["totals"].deltas
    }


@pytest.mark.dates
@pytest.mark.parametrize("query", ["range=30d", "range=7d&network=LinkedIn&by=message"])
def test_the_pdfs_totals_equal_the_pages(viewer_client: Client, data, query: str) -> None:
    page = _page_totals(viewer_client.get(f"/stats/?{query}"))
    text = _pages(viewer_client.get(f"/stats/report.pdf?{query}"))[0]
    assert _totals_in(text, list(page)) == page
    assert int(page["Clicks"].replace(",", "")) > 0


def test_the_pdf_holds_the_breakdown_and_the_top_posts(viewer_client: Client, data) -> None:
    response = viewer_client.get("/stats/?range=30d")
    text = "\n".join(_pages(viewer_client.get("/stats/report.pdf?range=30d")))
    counters = response.context["counters"]
    assert response.context["bars"]
    for bar in response.context["bars"]:
        f = bar.row.figures
        cells = [f.posts, f.sent, f.partly, f.failed]
        cells += [f.value(k) if f.known(k) else "not yet" for k in counters]
        line = " ".join(str(num(c)) for c in [*cells, f.engagement])
        assert re.search(rf"^{line}\b", text, re.MULTILINE), (bar.row.label, line)
        assert bar.row.label in text
    for heading in ("By network", "What each message achieved", "Top posts", "When it works best"):
        assert heading in text
    assert "Hello LinkedIn" in text and "Loading" not in text


@pytest.mark.dates
def test_every_page_shows_the_scope_the_zone_and_how_fresh(viewer, data) -> None:
    viewer.time_zone = "Europe/Paris"
    viewer.save()
    client = Client()
    client.force_login(viewer)
    pages = _pages(client.get("/stats/report.pdf?range=30d&network=LinkedIn"))
    assert len(pages) >= 2
    for text in pages:
        assert re.search(r"Stats · Last 30 days \(.+ to .+\) · LinkedIn", text)
        assert "Times in Europe/Paris" in text
        assert "Data as of" in text
        assert re.search(r"Page \d of \d", text)


def _client_in(user, zone: str) -> Client:
    user.time_zone = zone
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_the_paper_is_a4_or_letter(viewer, data) -> None:
    """The zone's paper unless asked for the other; anything else asked is A4."""
    for zone, query, box in (
        ("Europe/Paris", "", A4),
        ("America/Chicago", "", LETTER),
        ("America/Chicago", "&paper=a4", A4),
        ("Europe/Paris", "&paper=Letter", LETTER),
        ("Europe/Paris", "&paper=tabloid", A4),
    ):
        response = _client_in(viewer, zone).get(f"/stats/report.pdf?range=7d{query}")
        assert _box(response) == pytest.approx(box, abs=0.5), (zone, query)


def test_the_page_offers_the_zones_paper_first(viewer, data) -> None:
    body = _client_in(viewer, "America/New_York").get("/stats/?range=7d").content.decode()
    assert "Download PDF (Letter)" in body and "PDF on A4 paper" in body
    assert 'href="/stats/report.pdf?range=7d&amp;paper=Letter"' in body


def test_it_needs_a_role(client: Client, outsider, data) -> None:
    assert client.get("/stats/report.pdf").status_code == 302
    client.force_login(outsider)
    assert client.get("/stats/report.pdf").status_code == 403


def test_it_is_rate_limited_per_person_in_plain_words(
    viewer_client: Client, data, monkeypatch
) -> None:
    monkeypatch.setattr(pdf, "PDF_RATE_PER_MINUTE", 1)
    # One minute's window: the clock stands still, however long a PDF takes to make.
    with time_machine.travel(timezone.now(), tick=False):
        assert viewer_client.get("/stats/report.pdf?range=7d").status_code == 200
        refused = viewer_client.get("/stats/report.pdf?range=7d")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "wait a minute" in refused.content.decode()


def test_the_whole_site_has_a_budget_too(viewer_client: Client, editor_client, data, monkeypatch):
    monkeypatch.setattr(pdf, "PDF_SITE_RATE_PER_MINUTE", 1)
    with time_machine.travel(timezone.now(), tick=False):
        assert viewer_client.get("/stats/report.pdf?range=7d").status_code == 200
        assert editor_client.get("/stats/report.pdf?range=7d").status_code == 429


def test_it_renders_outside_a_request(data) -> None:
    zone = zoneinfo.ZoneInfo("America/New_York")
    sq = pdf.stats_query_for("range=30d&network=Twitter", zone=zone)
    data_bytes = pdf.render_stats_pdf(sq, paper="Letter", title="Weekly report")
    text = _texts(data_bytes)[0]
    assert "Weekly report · Last 30 days" in text and "Times in America/New_York" in text
    assert "Hello LinkedIn" not in text
    with pytest.raises(ValueError, match="A4, Letter"):
        pdf.render_stats_pdf(sq, paper="A3")


# --- share links --------------------------------------------------------------------


def _share(editor_client: Client, query: str, page: str = "stats") -> str:
    fields = {"page": page, "query": query, "label": "For the board", "days": "30"}
    review = editor_client.post("/share/new/", fields)
    response = editor_client.post("/share/new/", {**fields, "seen": review.context["review"].seen})
    assert response.status_code == 200, response.context.get("errors")
    return response.context["new_url"].split("testserver", 1)[1]


def test_a_share_links_pdf_shows_only_what_the_link_shows(editor_client: Client, data) -> None:
    url = _share(editor_client, "network=LinkedIn&range=30d")
    anonymous = Client()
    page = anonymous.get(url)
    assert "report.pdf?paper=" in page.content.decode()
    expected = _page_totals(page)
    for widen in ("", "?network=Twitter", f"?campaign={data['brand'].oktopost_id}&range=90d"):
        response = anonymous.get(url + "report.pdf" + widen)
        assert not response.cookies
        assert response["Referrer-Policy"] == "no-referrer"
        pages = _pages(response)
        assert _totals_in(pages[0], list(expected)) == expected
        text = "\n".join(pages)
        period = page.context["period"]
        assert f"For the board · {period.label} · LinkedIn" in text
        assert "Secret Twitter plan" not in text and "Twitter" not in text


def test_a_share_links_pdf_has_its_own_budget(editor_client: Client, data, monkeypatch) -> None:
    monkeypatch.setattr(pdf, "PDF_RATE_PER_MINUTE", 1)
    url = _share(editor_client, "network=LinkedIn&range=7d")
    anonymous = Client()
    with time_machine.travel(timezone.now(), tick=False):
        assert anonymous.get(url + "report.pdf").status_code == 200
        assert anonymous.get(url + "report.pdf").status_code == 429
        assert anonymous.get(url).status_code == 200  # the page itself is still there


def test_a_queue_links_pdf_is_not_found(editor_client: Client, data) -> None:
    url = _share(editor_client, "network=LinkedIn", page="queue")
    assert Client().get(url).status_code == 200
    assert Client().get(url + "report.pdf").status_code == 404


def test_outside_a_transaction_the_sections_are_read_side_by_side(transactional_db, data) -> None:
    """Each section in its own thread and connection (what a web worker or a scheduled
    report does); inside a test's transaction they are read in the request's own."""
    sq = pdf.stats_query_for("range=30d", zone=zoneinfo.ZoneInfo("UTC"))
    now = timezone.now()
    threaded = pdf.pdf_context(sq, now=now)
    assert threaded["top_lists"][0][2], "no top post read in the threads"
    assert threaded["heat_any"] and threaded["message_rows"]
    expected = section(sq, "top", now=now, choices=threaded["choices"], shared=True)
    assert threaded["top_lists"] == expected["top_lists"]
    text = _texts(pdf.render_stats_pdf(sq))[0]
    assert "Hello LinkedIn" in text


def test_the_pdf_shows_follower_growth_as_the_page_does(viewer_client: Client, data) -> None:
    from posts.models import FollowerDay, Profile

    li = Profile.objects.get(name="Acme LI")
    today = timezone.localdate()
    for back in range(12, 0, -1):
        FollowerDay.objects.create(
            profile=li, day=today - timedelta(days=back), followers=5000 - 7 * back, added=7
        )
    sq = pdf.stats_query_for("", zone=zoneinfo.ZoneInfo("UTC"))
    growth = section(sq, "followers", now=timezone.now(), choices={})["followers"]
    assert growth.rows and growth.end > 0
    text = "\n".join(_pages(viewer_client.get("/stats/report.pdf")))
    assert "Follower growth" in text
    assert num(growth.end) in text
    assert "Acme LI" in text
