"""Follower growth: the sandbox's GET /followers/{id}, the client's call over HTTP, the
daily sync (one call per profile per day, counted by the budget plan) and the section
the stats page fills in with it."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
import requests
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from oktopost.client import OktopostClient
from oktopost.types import FollowerPoint
from posts import sync, task_names, tasks
from posts.models import FollowerDay, FollowerRead, Profile, SyncState
from posts.plan import Demand, plan_day, sync_per_day
from posts.sync.budget import demand_read
from posts.sync.followers import FOLLOWERS_BACKFILL_DAYS
from tests import factories as f
from tests.fixtures_sandbox import SandboxProcess

FOLLOWERS = "GET /followers/{id}"


def api(sandbox: SandboxProcess, path: str, **kwargs) -> requests.Response:
    kwargs.setdefault("auth", sandbox.auth)
    return requests.get(sandbox.base_url + path, timeout=15, **kwargs)


def sandbox_today(sandbox: SandboxProcess) -> date:
    return datetime.fromtimestamp(sandbox.control("GET", "clock")["now_ts"], UTC).date()


def first_profile(sandbox: SandboxProcess) -> dict:
    return api(sandbox, "/credential").json()["Items"][0]


def follower_calls(sandbox: SandboxProcess) -> int:
    return sandbox.calls()["by_endpoint"].get(FOLLOWERS, 0)


# --- the sandbox ------------------------------------------------------------------------


def test_the_sandbox_answers_a_point_a_day_between_the_dates_asked(sandbox) -> None:
    profile = first_profile(sandbox)["Id"]
    today = sandbox_today(sandbox)
    first = today - timedelta(days=9)

    body = api(sandbox, f"/followers/{profile}", params={"fromDate": first, "toDate": today}).json()

    assert body["Result"] is True
    assert [set(p) for p in body["Data"]] == [{"Followers", "FollowersAdded", "HistoryDate"}] * 10
    assert [p["HistoryDate"] for p in body["Data"]] == [
        f"{first + timedelta(days=n)} 00:00:00" for n in range(10)
    ]
    points = body["Data"]
    assert all(isinstance(p["Followers"], int) and p["Followers"] > 0 for p in points)
    assert all(
        b["Followers"] - a["Followers"] == b["FollowersAdded"]
        for a, b in itertools.pairwise(points)
    )
    # Growth with noise: more followers at the end, though a day may lose some.
    assert points[-1]["Followers"] > points[0]["Followers"]


def test_the_sandbox_is_the_same_every_time_and_different_per_profile(sandbox) -> None:
    ids = [c["Id"] for c in api(sandbox, "/credential").json()["Items"][:2]]
    asked = {"fromDate": sandbox_today(sandbox) - timedelta(days=4)}

    once = [api(sandbox, f"/followers/{i}", params=asked).json()["Data"] for i in ids]
    again = [api(sandbox, f"/followers/{i}", params=asked).json()["Data"] for i in ids]

    assert once == again
    assert once[0] != once[1]


def test_the_sandbox_never_answers_past_today_nor_before_the_profile_was_connected(
    sandbox,
) -> None:
    cred = first_profile(sandbox)
    today = sandbox_today(sandbox)
    connected = date.fromisoformat(cred["Created"][:10])

    ahead = api(
        sandbox,
        f"/followers/{cred['Id']}",
        params={"fromDate": today - timedelta(days=1), "toDate": today + timedelta(days=5)},
    ).json()["Data"]
    before = api(
        sandbox,
        f"/followers/{cred['Id']}",
        params={"fromDate": connected - timedelta(days=3), "toDate": connected + timedelta(days=1)},
    ).json()["Data"]

    assert [p["HistoryDate"][:10] for p in ahead] == [str(today - timedelta(days=1)), str(today)]
    assert before[0]["HistoryDate"][:10] == str(connected)
    assert before[0]["FollowersAdded"] == 0


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"fromDate": "yesterday"}, "fromDate", "expected YYYY-MM-DD"),
        ({"toDate": "2026-13-40"}, "toDate", "expected YYYY-MM-DD"),
        ({"fromDate": "2026-03-02", "toDate": "2026-03-01"}, "fromDate", "after toDate"),
        ({"fromDate": "2020-01-01", "toDate": "2022-01-01"}, "fromDate", "366 days"),
    ],
)
def test_the_sandbox_refuses_bad_dates_in_words(sandbox, params, field, words) -> None:
    response = api(sandbox, f"/followers/{first_profile(sandbox)['Id']}", params=params)

    assert response.status_code == 400
    assert words in response.json()["Errors"][field]["Error"]


def test_the_sandbox_wants_the_key_and_knows_its_profiles(sandbox) -> None:
    profile = first_profile(sandbox)["Id"]

    assert api(sandbox, f"/followers/{profile}", auth=None).status_code == 401
    assert api(sandbox, f"/followers/{profile}", auth=("001x", "wrong")).status_code == 401
    assert api(sandbox, "/followers/003-1-2").status_code == 404


def test_the_sandbox_counts_follower_calls_against_its_rate_limit(sandbox) -> None:
    profile = first_profile(sandbox)["Id"]
    sandbox.control("POST", "limits", {"per_minute": 3})
    try:
        answers = [api(sandbox, f"/followers/{profile}").status_code for _ in range(4)]
    finally:
        sandbox.control("POST", "reset")

    assert answers[0] == 200 and answers[-1] == 429


# --- the client -------------------------------------------------------------------------


def test_the_client_reads_a_profiles_followers_over_http(sandbox) -> None:
    client = OktopostClient(
        account_id=sandbox.account_id,
        api_key=sandbox.api_key,
        base_url=sandbox.base_url,
        timeout=(1.0, 10.0),
    )
    profile = first_profile(sandbox)["Id"]
    today = sandbox_today(sandbox)

    points = client.followers(profile, from_date=today - timedelta(days=2), to_date=today)

    assert all(isinstance(p, FollowerPoint) for p in points)
    assert [p.day for p in points] == [today - timedelta(days=n) for n in (2, 1, 0)]
    assert points[2].followers - points[1].followers == points[2].added
    assert client.calls == 1


# --- the daily sync ---------------------------------------------------------------------


@pytest.fixture
def profiles(oktopost, db):
    """The sandbox's profiles in the mirror (the catalog part of a sync)."""
    sync.catalog_sync(parts=("profiles",))
    return list(Profile.objects.filter(status="valid"))


def test_the_sync_asks_each_connected_profile_once_and_keeps_its_history(
    oktopost, profiles
) -> None:
    before = follower_calls(oktopost)
    today = timezone.now().astimezone(UTC).date()

    result = sync.followers_sync()

    assert len(profiles) >= 2
    assert follower_calls(oktopost) - before == len(profiles) == result.calls == result.read
    for profile in profiles:
        days = list(FollowerDay.objects.filter(profile=profile).order_by("day"))
        connected = date.fromisoformat(profile.raw["Created"][:10])
        first = max(today - timedelta(days=FOLLOWERS_BACKFILL_DAYS - 1), connected)
        assert [d.day for d in days] == [
            first + timedelta(days=n) for n in range((today - first).days + 1)
        ]
        assert all(b.followers - a.followers == b.added for a, b in itertools.pairwise(days))
    assert FollowerRead.objects.filter(read_on=today).count() == len(profiles)


def test_running_again_the_same_day_asks_nothing_and_changes_nothing(oktopost, profiles) -> None:
    sync.followers_sync()
    rows = sorted(FollowerDay.objects.values_list("profile_id", "day", "followers", "added"))
    before = follower_calls(oktopost)

    again = tasks.followers_sync.apply().get()
    third = sync.followers_sync()

    assert follower_calls(oktopost) == before
    assert again["calls"] == third.calls == 0
    assert (
        sorted(FollowerDay.objects.values_list("profile_id", "day", "followers", "added")) == rows
    )


def test_the_next_day_asks_once_more_from_the_last_day_held(oktopost, profiles) -> None:
    oktopost.control("POST", "clock", {"freeze": True})
    sync.followers_sync()
    held = FollowerDay.objects.count()
    last = FollowerDay.objects.order_by("-day").values_list("day", flat=True)[0]
    oktopost.control("POST", "clock", {"advance_seconds": 86_400})
    before = follower_calls(oktopost)

    result = sync.followers_sync(now=timezone.now() + timedelta(days=1))

    assert follower_calls(oktopost) - before == len(profiles) == result.calls
    # The last day held is read again (its figure may have been read mid-day), and the
    # new day is added: one new row per profile.
    assert result.days == 2 * len(profiles)
    assert FollowerDay.objects.count() == held + len(profiles)
    assert FollowerDay.objects.filter(day=last + timedelta(days=1)).count() == len(profiles)


def test_a_failure_that_may_pass_is_asked_again_and_a_refusal_waits_a_day(
    oktopost, profiles
) -> None:
    oktopost.control("POST", "deny", {"endpoints": {FOLLOWERS: 403}})
    refused = sync.followers_sync()
    oktopost.control("POST", "deny", {"endpoints": {}})
    after_refusal = sync.followers_sync()

    assert refused.failed == len(profiles) and refused.read == 0
    assert after_refusal.calls == 0  # refused today: asked again tomorrow, not every hour
    assert FollowerRead.objects.exclude(error="").count() == len(profiles)
    assert "Oktopost" in FollowerRead.objects.first().error

    FollowerRead.objects.update(read_on=None)
    # The first profile's call fails on every try the client makes (500s), then Oktopost
    # is back: that profile stays due and the next hourly run asks it again.
    oktopost.control("POST", "faults", {"next": ["500"] * 4})
    failing = sync.followers_sync()
    recovered = sync.followers_sync()

    assert (failing.failed, failing.read) == (1, len(profiles) - 1)
    assert (recovered.read, recovered.calls) == (1, 1)
    assert FollowerRead.objects.exclude(error="").count() == 0


def test_a_profile_claimed_by_another_run_is_not_asked_twice(oktopost, profiles) -> None:
    today = timezone.now().astimezone(UTC).date()
    taken = profiles[0].oktopost_id
    FollowerRead.objects.create(profile=taken, read_on=today)
    before = follower_calls(oktopost)

    result = sync.followers_sync()

    assert result.read == follower_calls(oktopost) - before == len(profiles) - 1
    assert not FollowerDay.objects.filter(profile_id=taken).exists()


def test_disconnected_profiles_are_not_asked(oktopost, profiles) -> None:
    Profile.objects.filter(pk=profiles[0].pk).update(status="invalid")

    result = sync.followers_sync()

    assert result.read == len(profiles) - 1
    assert not FollowerDay.objects.filter(profile_id=profiles[0].oktopost_id).exists()


# --- the budget plan and the schedule -----------------------------------------------------


def test_the_plan_counts_one_follower_call_per_connected_profile_a_day(db) -> None:
    for n in range(3):
        f.profile("LinkedIn", f"Page {n}")
    f.profile("Twitter", "Gone", status="invalid")
    demand = demand_read(timezone.now())

    plain = Demand({"48h": 10}, 5.0, 300)
    with_profiles = Demand({"48h": 10}, 5.0, 300, profiles=40)

    assert demand.profiles == 3
    assert sync_per_day(plain, 10_000)["followers"] == 0
    assert sync_per_day(with_profiles, 10_000)["followers"] == 40
    assert plan_day(with_profiles, 10_000).planned_per_day - plan_day(
        plain, 10_000
    ).planned_per_day == pytest.approx(40)


def test_the_plan_stored_by_the_worker_includes_the_follower_calls(oktopost, profiles) -> None:
    sync.plan_refresh()

    stored = SyncState.objects.get(name="plan").last_result

    assert stored["sync"]["followers"] == len(profiles)


def test_beat_asks_hourly_and_the_task_is_known_by_its_name() -> None:
    entry = django_settings.CELERY_BEAT_SCHEDULE["followers-sync"]

    assert entry["task"] == task_names.followers_sync == tasks.followers_sync.name
    assert entry["schedule"] == 3600


# --- the stats page -----------------------------------------------------------------------


class _Svg(HTMLParser):
    """The follower chart's bars (their titles) and the table's rows, as a person reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.titles: list[str] = []
        self.rows: list[list[str]] = []
        self._where: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs) -> None:
        self._where.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th") and self.rows:
            self._cell = []

    def handle_endtag(self, tag) -> None:
        if self._where:
            self._where.pop()
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data) -> None:
        if self._where and self._where[-1] == "title" and "svg" in self._where:
            self.titles.append(data)
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture
def history(db):
    """Two profiles of one name on two networks, with followers from 1 to 10 March."""
    li = f.profile("LinkedIn", "Northwind Analytics")
    tw = f.profile("Twitter", "Northwind Analytics")
    rows = []
    for n in range(10):
        day = date(2026, 3, 1) + timedelta(days=n)
        rows.append(FollowerDay(profile=li, day=day, followers=1000 + 10 * n, added=10))
        rows.append(FollowerDay(profile=tw, day=day, followers=500 - n, added=-1))
    FollowerDay.objects.bulk_create(rows)
    return {"li": li, "tw": tw}


def test_the_page_fills_in_follower_growth_per_profile_with_a_chart(
    viewer_client: Client, history
) -> None:
    query = "from=2026-03-04&to=2026-03-10"
    page = viewer_client.get(f"/stats/?{query}").content.decode()
    assert f'hx-get="/stats/part/followers/?{query}'.replace("&", "&amp;") in page

    response = viewer_client.get(f"/stats/part/followers/?{query}", headers={"HX-Request": "true"})
    parsed = _Svg()
    parsed.feed(response.content.decode())

    assert response.status_code == 200
    assert 'id="followers-chart"' in response.content.decode()
    table = {row[0]: row[1:5] for row in parsed.rows[1:]}
    # From 4 March: that day's followers less its gain is where the range starts.
    assert table == {
        "Northwind Analytics · LinkedIn": ["1,020", "1,090", "+70", "+6.9 %"],
        "Northwind Analytics · Twitter": ["498", "491", "-7", "-1.4 %"],
    }
    assert len(parsed.titles) == 7
    assert parsed.titles[0] == "Wed 4 Mar: +9 followers since 4 Mar"
    assert parsed.titles[-1] == "Tue 10 Mar: +63 followers since 4 Mar"


def test_a_network_filter_keeps_its_profiles_only(viewer_client: Client, history) -> None:
    response = viewer_client.get(
        "/stats/part/followers/?from=2026-03-04&to=2026-03-10&network=Twitter"
    )

    body = response.content.decode()
    assert "Northwind Analytics · Twitter" in body and "· LinkedIn" not in body
    assert "<html" in body  # opened without script: the section on a page of its own


def test_a_range_without_figures_says_so(viewer_client: Client, history) -> None:
    response = viewer_client.get("/stats/part/followers/?from=2020-01-01&to=2020-01-31")

    assert "No follower figures for these profiles in this range yet" in response.content.decode()


def test_the_section_costs_a_few_queries_whatever_the_number_of_days(
    viewer_client: Client, history, django_assert_max_num_queries
) -> None:
    viewer_client.get("/stats/")  # caches: filter choices, user names
    # The session, the user and roles, the filter choices, saved views, the sync's state:
    # 7, as every section; the profiles in scope and their history: 2.
    with django_assert_max_num_queries(9):
        response = viewer_client.get(
            "/stats/part/followers/?from=2026-03-01&to=2026-03-10", headers={"HX-Request": "1"}
        )

    assert response.status_code == 200
