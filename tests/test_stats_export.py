"""CSV exports: the same posts and numbers as the screen, streamed, formula-safe, zoned."""

import csv
import io
from datetime import timedelta

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.utils import timezone

from posts.models import OktopostUser
from reports.export import neutralise
from tests import factories as f


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def data(db):
    now = timezone.now()
    camp = f.campaign("Launch")
    li = f.profile("LinkedIn", "Acme LI")
    danger = f.message("=cmd|' /C calc'!A0", "LinkedIn", camp)
    plain = f.message("+1 for launch day", "LinkedIn", camp)
    posts = []
    for i in range(30):
        posts.append(
            f.post(
                status="complete" if i % 4 else "error",
                start_at=now - timedelta(days=i, hours=1),
                profiles=[li],
                msg=danger if i % 2 else plain,
                camp=camp,
                clicks=i,
                likes=i % 3,
                stats_at=now if i % 5 else None,
                created_by="00A000000000009",
            )
        )
    OktopostUser.objects.create(oktopost_id="00A000000000009", name="-Minus Person")
    return posts


def test_the_stats_csv_has_the_posts_and_totals_the_screen_shows(
    viewer_client: Client, data
) -> None:
    page = viewer_client.get("/stats/?range=7d&network=LinkedIn")
    rows = read_csv(viewer_client.get("/stats/export.csv?range=7d&network=LinkedIn"))
    header, body = rows[0], rows[1:]
    totals = {d.key: d for d in page.context["totals"].deltas}
    assert len(body) == page.context["totals"].current.posts
    clicks = header.index("Clicks")
    assert sum(int(r[clicks]) for r in body) == totals["clicks"].now


def test_the_breakdown_csv_equals_the_breakdown_on_screen(viewer_client: Client, data) -> None:
    page = viewer_client.get(
        "/stats/part/breakdown/?range=30d&by=message", headers={"HX-Request": "true"}
    )
    rows = read_csv(viewer_client.get("/stats/export.csv?range=30d&by=message&breakdown=message"))
    screen = {bar.row.key: bar.row.figures for bar in page.context["bars"]}
    header = rows[0]
    assert header[0] == "Message"
    for row in rows[1:]:
        figures = screen[row[1]]
        assert int(row[header.index("Posts")]) == figures.posts
        assert int(row[header.index("Clicks")]) == figures.clicks


def test_cells_that_a_spreadsheet_would_run_are_neutralised(viewer_client: Client, data) -> None:
    rows = read_csv(viewer_client.get("/stats/export.csv?range=30d"))
    header = rows[0]
    texts = {r[header.index("Message text")] for r in rows[1:]}
    creators = {r[header.index("Creator")] for r in rows[1:]}
    assert texts == {"'=cmd|' /C calc'!A0", "'+1 for launch day"}
    assert creators == {"'-Minus Person"}
    for value in ("=1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert neutralise(value).startswith("'")
    assert neutralise(-1) == -1 and neutralise("a=b") == "a=b"


def test_times_are_in_the_users_zone_named_in_the_header(db, viewer, data) -> None:
    viewer.time_zone = "America/New_York"
    viewer.save()
    client = Client()
    client.force_login(viewer)
    rows = read_csv(client.get("/stats/export.csv?range=30d"))
    assert "Scheduled (America/New_York)" in rows[0]
    post = data[3]
    line = next(r for r in rows if r[0] == post.oktopost_id)
    local = post.start_at.astimezone(viewer.zone)
    assert line[1] == f"{local:%Y-%m-%d %H:%M}"


def test_counters_not_fetched_yet_are_empty_cells_not_zero(
    viewer_client: Client, viewer, data
) -> None:
    rows = read_csv(viewer_client.get("/stats/export.csv?range=30d"))
    header = rows[0]
    # The range is complete days, up to yesterday (issue 29).
    today = timezone.localtime(timezone.now(), viewer.zone).date()
    never = [
        p
        for p in data
        if p.stats_at is None
        and p.start_at > timezone.now() - timedelta(days=29)
        and timezone.localtime(p.start_at, viewer.zone).date() < today
    ]
    line = next(r for r in rows if r[0] == never[0].oktopost_id)
    assert line[header.index("Shares")] == "" and line[header.index("Impressions")] == ""


def test_the_queue_csv_follows_the_queues_filters_and_sort(viewer_client: Client, data) -> None:
    rows = read_csv(viewer_client.get("/posts/export.csv?status=error&sort=-clicks"))
    body = rows[1:]
    expected = sorted((p for p in data if p.status == "error"), key=lambda p: -p.clicks)
    assert [r[0] for r in body] == [p.oktopost_id for p in expected]
    assert all(r[2] == "Failed" for r in body)


def test_viewers_may_export_and_anonymous_users_may_not(viewer_client: Client, data) -> None:
    assert viewer_client.get("/stats/export.csv").status_code == 200
    assert Client().get("/stats/export.csv").status_code == 302
    assert Client().get("/posts/export.csv").status_code == 302


@pytest.mark.parametrize(
    "zone, around",
    [
        ("America/New_York", "2026-11-01 05:30"),  # clocks back
        ("Australia/Lord_Howe", "2026-10-03 15:30"),  # forward half an hour
        ("Asia/Kolkata", "2026-12-01 18:00"),
        ("Africa/Monrovia", "1972-01-07 00:00"),  # from -0:44:30 (seconds) to UTC
        ("Europe/Amsterdam", "1937-07-01 00:00"),  # +0:19:32 to +0:20
    ],
)
def test_csv_times_from_database_text_are_the_instants_own_local_minute(zone, around) -> None:
    """LocalMinutes remembers a local minute per UTC minute; it must write what
    formatting each instant on its own writes, across clock changes and offsets with
    seconds, from both databases' text (SQLite's and PostgreSQL's)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from reports.export import LocalMinutes, _when

    tz = ZoneInfo(zone)
    when = LocalMinutes(tz)
    start = datetime.fromisoformat(around).replace(tzinfo=UTC) - timedelta(hours=3)
    for step in range(0, 6 * 3600, 37):
        moment = start + timedelta(seconds=step, microseconds=step % 7)
        expected = _when(moment, tz)
        sqlite_text = moment.replace(tzinfo=None).isoformat(sep=" ")
        postgres_text = f"{moment:%Y-%m-%d %H:%M:%S}+00"
        assert when(sqlite_text) == expected, sqlite_text
        assert when(postgres_text) == expected, postgres_text
    assert when(None) == "" and when("") == ""
