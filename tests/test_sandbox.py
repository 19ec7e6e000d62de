"""The Oktopost sandbox over real HTTP: shapes, rules, sending, limits and faults."""

from __future__ import annotations

import calendar
import itertools
import json
import re
import time
from typing import Any

import pytest
import requests

from tests.fixtures_sandbox import SandboxProcess

# The "Get Post" example of Oktopost's Posts API page, verbatim (field order included).
SEED_POST = json.loads("""{
    "Id":"004000000000000", "Created":"2015-12-07 23:47:30", "Modified":"2015-12-08 12:55:11",
    "Status":"inqueue", "AccountId":"001000000000000", "CreatedBy":"00A000000000000",
    "ModifiedBy":"00A000000000000", "Source":"API", "ContentSource":"User", "Queued":1,
    "CampaignId":"002000000000000", "MessageId":"005000000000000", "MessageChildId":"",
    "MessageStatus":"default", "Network":"Twitter", "StartDateTime":"2015-12-08 00:00:00",
    "Groups":"", "GroupsCount":0, "TotalCount":1, "TargetGeo":"", "UpdateStatus":1,
    "Flag":"discussion", "Clicks":0, "Converts":0, "Comments":0, "NewComments":0, "Likes":0,
    "Utm":"", "Credentials":"003-001000000000000-12345678"
}""")
SEED_STATS = {
    "LinkClicks": 0,
    "Conversions": 0,
    "Comments": 0,
    "Likes": 0,
    "Shares": 0,
    "ImpressionsAdded": 69,
}
DATE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
SENT = {"complete", "incomplete", "error"}
ORDER_KEYS = {"created": "Created", "modified": "Modified", "startDateTime": "StartDateTime"}


def api(sandbox: SandboxProcess, method: str, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", sandbox.auth)
    timeout = kwargs.pop("timeout", 10)
    return requests.request(method, sandbox.base_url + path, timeout=timeout, **kwargs)


def ok(sandbox: SandboxProcess, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = api(sandbox, method, path, **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["Result"] is True
    return body


def all_posts(sandbox: SandboxProcess, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 0
    while True:
        body = ok(sandbox, "GET", "/post", params={**params, "_count": 100, "_page": page})
        items += body["Items"]
        if (page + 1) * 100 >= body["Total"]:
            assert len(items) == body["Total"]
            return items
        page += 1


def ts(value: str) -> int:
    return calendar.timegm(time.strptime(value, "%Y-%m-%d %H:%M:%S"))


def error_of(response: requests.Response, key: str = "API") -> str:
    body = response.json()
    assert body["Result"] is False
    return body["Errors"][key]["Error"]


def field_errors(response: requests.Response) -> list[str]:
    """The parameters a validation error names, in order, after checking that it also
    carries the whole text under `API`, where the SDK reads it (src/http/errors.ts)."""
    assert response.status_code == 400, response.text
    errors = response.json()["Errors"]
    fields = [key for key in errors if key != "API"]
    assert errors["API"]["Error"] == " ".join(errors[key]["Error"] for key in fields)
    return fields


def credentials(sandbox: SandboxProcess, network: str) -> list[str]:
    items = ok(sandbox, "GET", "/credential", params={"network": network})["Items"]
    return [c["Id"] for c in items]


def message_for(sandbox: SandboxProcess, network: str) -> dict[str, Any]:
    for campaign in ok(sandbox, "GET", "/campaign")["Items"]:
        params = {"campaignId": campaign["Id"], "network": network, "_count": 100}
        items = ok(sandbox, "GET", "/message", params=params)["Items"]
        if items:
            return items[0]
    raise AssertionError(f"no {network} message in the world")


def freeze(sandbox: SandboxProcess, **clock: Any) -> dict[str, Any]:
    return sandbox.control("POST", "clock", {"freeze": True, **clock})


# ------------------------------------------------------------------ auth, envelopes


def test_me_names_the_account_and_the_api_user(sandbox: SandboxProcess) -> None:
    body = ok(sandbox, "GET", "/me")

    assert body["Account"]["Id"] == sandbox.account_id
    assert set(body["User"]) == {"Id", "Name", "Email", "LastLogin"}
    assert body["User"]["Id"].startswith("00A")


@pytest.mark.parametrize("auth", [("001000000000001", "wrong-key"), ("001999999999999", "x")])
def test_a_wrong_key_gets_401_with_the_error_envelope(
    sandbox: SandboxProcess, auth: tuple[str, str]
) -> None:
    response = api(sandbox, "GET", "/post", auth=auth)

    assert response.status_code == 401
    assert error_of(response)


def test_a_request_without_auth_gets_401(sandbox: SandboxProcess) -> None:
    response = requests.get(f"{sandbox.base_url}/me", timeout=5)

    assert response.status_code == 401
    assert error_of(response)


def test_an_unknown_path_gets_404_with_an_empty_errors_array(sandbox: SandboxProcess) -> None:
    for path in ("/nothing", "/post/004000000000001/nothing", "/_sandbox/state"):
        response = api(sandbox, "GET", path)
        assert response.status_code == 404
        assert response.json() == {"Result": False, "Errors": []}


@pytest.mark.parametrize("path", ["/post/004999999999999", "/message/005999999999999"])
def test_an_unknown_id_gets_404_with_an_api_error(sandbox: SandboxProcess, path: str) -> None:
    response = api(sandbox, "GET", path)

    assert response.status_code == 404
    assert "not found" in error_of(response)


def test_a_post_has_every_field_of_the_seed_example_with_its_type(
    sandbox: SandboxProcess,
) -> None:
    post_id = ok(sandbox, "GET", "/post")["Items"][0]["Id"]
    body = ok(sandbox, "GET", f"/post/{post_id}", params={"stats": 1})

    assert list(body) == ["Result", "Post", "Stats"]
    assert list(body["Post"]) == list(SEED_POST)
    for key, example in SEED_POST.items():
        assert type(body["Post"][key]) is type(example), key
    assert list(body["Stats"]) == list(SEED_STATS)
    assert all(type(v) is int for v in body["Stats"].values())
    assert "Stats" not in ok(sandbox, "GET", f"/post/{post_id}")


def test_ids_dates_and_flags_follow_oktopost_formats(sandbox: SandboxProcess) -> None:
    posts = all_posts(sandbox)

    for post in posts:
        assert re.fullmatch(r"004\d{12}", post["Id"])
        assert re.fullmatch(r"002\d{12}", post["CampaignId"])
        assert re.fullmatch(r"005\d{12}", post["MessageId"])
        assert re.fullmatch(r"00A\d{12}", post["CreatedBy"])
        assert post["AccountId"] == sandbox.account_id
        for cred in post["Credentials"].split(","):
            assert re.fullmatch(rf"003-{sandbox.account_id}-\d+", cred)
        assert post["TotalCount"] == len(post["Credentials"].split(","))
        assert post["Queued"] in (0, 1)
        for key in ("Created", "Modified", "StartDateTime"):
            assert DATE.match(post[key])
        assert post["Created"] <= post["Modified"]
    assert {p["Status"] for p in posts} == {
        "pending",
        "inqueue",
        "inqueue-draft",
        "draft",
        "complete",
        "incomplete",
        "error",
    }
    assert {p["Source"] for p in posts} == {
        "UI",
        "API",
        "Autoposter",
        "Bookmarklet",
        "Board",
        "Embedded",
    }
    assert {p["Network"] for p in posts} == {
        "Twitter",
        "LinkedIn",
        "Facebook",
        "Instagram",
        "YouTube",
    }
    assert any(p["TotalCount"] > 1 for p in posts)


def test_the_world_is_the_same_for_the_same_seed(sandbox: SandboxProcess) -> None:
    first = [(p["Id"], p["MessageId"], p["Status"]) for p in all_posts(sandbox)]
    sandbox.control("POST", "reset")

    assert [(p["Id"], p["MessageId"], p["Status"]) for p in all_posts(sandbox)] == first


# ------------------------------------------------------------------ paging


@pytest.mark.parametrize("count", ["10", "200", "abc", "0"])
def test_a_page_size_other_than_25_50_100_is_refused(sandbox: SandboxProcess, count: str) -> None:
    response = api(sandbox, "GET", "/post", params={"_count": count})

    assert response.status_code == 400
    assert error_of(response, "_count") == f"Page size {count} is not valid."


def test_pages_cover_the_total_without_overlap(sandbox: SandboxProcess) -> None:
    first = ok(sandbox, "GET", "/post")
    posts = all_posts(sandbox)

    assert len(first["Items"]) == 25
    assert first["Total"] == 300
    assert len({p["Id"] for p in posts}) == 300
    assert ok(sandbox, "GET", "/post", params={"_page": 12})["Items"] == []


# ------------------------------------------------------------------ filters and order


@pytest.mark.parametrize(
    ("param", "field"),
    [
        ("messageId", "MessageId"),
        ("campaignId", "CampaignId"),
        ("status", "Status"),
        ("createdBy", "CreatedBy"),
        ("source", "Source"),
    ],
)
def test_each_filter_returns_exactly_the_matching_posts(
    sandbox: SandboxProcess, param: str, field: str
) -> None:
    freeze(sandbox)
    posts = all_posts(sandbox)
    values = {p[field] for p in posts}
    value = max(values, key=lambda v: sum(p[field] == v for p in posts))

    got = all_posts(sandbox, **{param: value})

    assert [p["Id"] for p in got] == [p["Id"] for p in posts if p[field] == value]


def test_filters_combine(sandbox: SandboxProcess) -> None:
    freeze(sandbox)
    posts = all_posts(sandbox)
    campaign, status = posts[0]["CampaignId"], "complete"

    got = all_posts(sandbox, campaignId=campaign, status=status, source="UI")

    expected = [
        p["Id"]
        for p in posts
        if (p["CampaignId"], p["Status"], p["Source"]) == (campaign, status, "UI")
    ]
    assert [p["Id"] for p in got] == expected


@pytest.mark.parametrize("order", ["created", "modified", "startDateTime"])
def test_lists_are_newest_first_with_ties_broken_by_id(sandbox: SandboxProcess, order: str) -> None:
    freeze(sandbox)
    keys = [(p[ORDER_KEYS[order]], p["Id"]) for p in all_posts(sandbox, _order=order)]

    assert keys == sorted(keys, reverse=True)
    assert len({k[0] for k in keys}) < len(keys), "the world should contain ties"


def test_the_default_order_is_created(sandbox: SandboxProcess) -> None:
    freeze(sandbox)
    assert all_posts(sandbox) == all_posts(sandbox, _order="created")


def test_the_sort_direction_can_be_switched(sandbox: SandboxProcess) -> None:
    freeze(sandbox)
    newest_first = all_posts(sandbox, _order="startDateTime")
    sandbox.control("POST", "options", {"order": "asc"})

    assert all_posts(sandbox, _order="startDateTime") == newest_first[::-1]


@pytest.mark.parametrize("order", ["created", "modified", "startDateTime"])
def test_after_is_inclusive_and_before_exclusive(sandbox: SandboxProcess, order: str) -> None:
    freeze(sandbox)
    posts = all_posts(sandbox, _order=order)
    field = ORDER_KEYS[order]
    values = [p[field] for p in posts]
    # A timestamp shared by several posts shows both edges at once.
    edge = next((v for v in values if values.count(v) > 1), values[len(values) // 2])

    after = all_posts(sandbox, _order=order, after=edge)
    before = all_posts(sandbox, _order=order, before=edge)
    between = all_posts(sandbox, _order=order, after=edge, before=edge)

    assert [p["Id"] for p in after] == [p["Id"] for p in posts if p[field] >= edge]
    assert [p["Id"] for p in before] == [p["Id"] for p in posts if p[field] < edge]
    assert between == []


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"_order": "name"}, "_order"),
        ({"status": "sent"}, "status"),
        ({"source": "Email"}, "source"),
        ({"after": "2024-01-01"}, "after"),
        ({"before": "yesterday"}, "before"),
    ],
)
def test_bad_list_parameters_are_refused_by_name(
    sandbox: SandboxProcess, params: dict[str, str], key: str
) -> None:
    response = api(sandbox, "GET", "/post", params=params)

    assert response.status_code == 400
    assert error_of(response, key)


# ------------------------------------------------------------------ create, update, delete


def test_a_post_fans_one_message_out_to_several_profiles(sandbox: SandboxProcess) -> None:
    message = message_for(sandbox, "LinkedIn")
    creds = credentials(sandbox, "LinkedIn")[:2]
    me = ok(sandbox, "GET", "/me")["User"]["Id"]
    now = int(time.time())

    body = ok(
        sandbox,
        "POST",
        "/post",
        data={"messageId": message["Id"], "credentialIds": ",".join(creds)},
    )

    post = body["Post"]
    assert list(post) == list(SEED_POST)
    assert post["Credentials"] == ",".join(creds)
    assert post["TotalCount"] == 2
    assert (post["Status"], post["Source"], post["CreatedBy"]) == ("pending", "API", me)
    assert (post["MessageId"], post["CampaignId"]) == (message["Id"], message["CampaignId"])
    assert post["Network"] == "LinkedIn"
    # startDateTime defaults to one minute from now.
    assert abs(ts(post["StartDateTime"]) - (now + 60)) <= 3
    assert ok(sandbox, "GET", f"/post/{post['Id']}")["Post"]["Id"] == post["Id"]


def test_create_takes_a_unix_start_time_and_a_status(sandbox: SandboxProcess) -> None:
    message = message_for(sandbox, "Twitter")
    start = int(time.time()) + 7 * 86400

    post = ok(
        sandbox,
        "POST",
        "/post",
        data={
            "messageId": message["Id"],
            "credentialIds": credentials(sandbox, "Twitter")[0],
            "startDateTime": start,
            "status": "inqueue-draft",
        },
    )["Post"]

    assert ts(post["StartDateTime"]) == start
    assert (post["Status"], post["Queued"]) == ("inqueue-draft", 1)


def test_create_reports_each_missing_field(sandbox: SandboxProcess) -> None:
    response = api(sandbox, "POST", "/post", data={})

    assert set(field_errors(response)) == {"messageId", "credentialIds"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "complete"), ("startDateTime", "tomorrow"), ("messageId", "005999999999999")],
)
def test_create_refuses_a_bad_field_by_name(
    sandbox: SandboxProcess, field: str, value: str
) -> None:
    data = {
        "messageId": message_for(sandbox, "Twitter")["Id"],
        "credentialIds": credentials(sandbox, "Twitter")[0],
        field: value,
    }

    response = api(sandbox, "POST", "/post", data=data)

    assert field_errors(response) == [field]


def test_a_profile_of_another_network_is_refused(sandbox: SandboxProcess) -> None:
    data = {
        "messageId": message_for(sandbox, "Twitter")["Id"],
        "credentialIds": ",".join(
            credentials(sandbox, "Twitter")[:1] + credentials(sandbox, "LinkedIn")[:1]
        ),
    }

    response = api(sandbox, "POST", "/post", data=data)

    assert response.status_code == 400
    assert "LinkedIn" in error_of(response, "credentialIds")
    text = error_of(response, "credentialIds")
    assert response.json() == {
        "Result": False,
        "Errors": {"API": {"Error": text}, "credentialIds": {"Error": text}},
    }


def test_invalid_and_unknown_profiles_are_refused(sandbox: SandboxProcess) -> None:
    everything = ok(sandbox, "GET", "/credential", params={"includeInvalid": 1})["Items"]
    invalid = next(c for c in everything if c["Status"] == "invalid")
    message = message_for(sandbox, invalid["Network"])

    for cred in (invalid["Id"], f"003-{sandbox.account_id}-1"):
        data = {"messageId": message["Id"], "credentialIds": cred}
        response = api(sandbox, "POST", "/post", data=data)
        assert response.status_code == 400
        assert cred in error_of(response, "credentialIds")


def test_a_json_body_is_not_read(sandbox: SandboxProcess) -> None:
    # Oktopost reads form fields (PHP $_POST); a JSON body looks like no fields at all.
    data = {
        "messageId": message_for(sandbox, "Twitter")["Id"],
        "credentialIds": credentials(sandbox, "Twitter")[0],
    }

    response = api(sandbox, "POST", "/post", json=data)

    assert response.status_code == 400


def test_an_unsent_post_can_be_updated(sandbox: SandboxProcess) -> None:
    freeze(sandbox)
    post = all_posts(sandbox, status="pending")[0]
    start = ts(post["StartDateTime"]) + 3600
    sandbox.control("POST", "clock", {"advance_seconds": 5})

    updated = ok(
        sandbox,
        "POST",
        f"/post/{post['Id']}",
        data={"startDateTime": start, "status": "draft"},
    )["Post"]

    assert ts(updated["StartDateTime"]) == start
    assert updated["Status"] == "draft"
    assert updated["Modified"] > post["Modified"]
    assert updated["Created"] == post["Created"]
    assert updated["Credentials"] == post["Credentials"]


def test_changing_the_message_checks_the_network_of_the_profiles(
    sandbox: SandboxProcess,
) -> None:
    post = next(p for p in all_posts(sandbox, status="pending") if p["Network"] == "Twitter")
    other = message_for(sandbox, "Facebook")

    response = api(sandbox, "POST", f"/post/{post['Id']}", data={"messageId": other["Id"]})

    assert response.status_code == 400
    assert error_of(response, "credentialIds")


def test_an_unsent_post_can_be_deleted(sandbox: SandboxProcess) -> None:
    post = all_posts(sandbox, status="draft")[0]

    assert ok(sandbox, "DELETE", f"/post/{post['Id']}") == {"Result": True}
    assert api(sandbox, "GET", f"/post/{post['Id']}").status_code == 404


@pytest.mark.parametrize("status", ["complete", "incomplete", "error"])
def test_a_sent_post_can_be_neither_updated_nor_deleted(
    sandbox: SandboxProcess, status: str
) -> None:
    post = all_posts(sandbox, status=status)[0]

    update = api(sandbox, "POST", f"/post/{post['Id']}", data={"status": "draft"})
    delete = api(sandbox, "DELETE", f"/post/{post['Id']}")

    assert (update.status_code, delete.status_code) == (400, 400)
    assert "already been sent" in error_of(update)
    assert "already been sent" in error_of(delete)
    assert ok(sandbox, "GET", f"/post/{post['Id']}")["Post"]["Status"] == status


# ------------------------------------------------------------------ other resources


def test_messages_by_campaign_or_by_ids(sandbox: SandboxProcess) -> None:
    posts = all_posts(sandbox)
    ids = list(dict.fromkeys(p["MessageId"] for p in posts))

    by_ids = ok(sandbox, "GET", "/message", params={"ids": ",".join(ids[:100]), "_count": 100})
    campaign = by_ids["Items"][0]["CampaignId"]
    by_campaign = ok(sandbox, "GET", "/message", params={"campaignId": campaign})

    assert by_ids["Total"] == 100
    assert {m["Id"] for m in by_ids["Items"]} == set(ids[:100])
    assert {m["CampaignId"] for m in by_campaign["Items"]} == {campaign}
    message = by_ids["Items"][0]
    assert message["Status"] == "default"
    assert message["Picture"] in ("0", "1")
    assert message["IsBoardMessage"] == 0
    assert message["Media"] == []
    for key in ("Message", "LinkUrl", "LinkTitle", "ImageUrl", "Md5", "Subject", "Url"):
        assert isinstance(message[key], str)


def test_message_list_needs_a_campaign_or_at_most_100_ids(sandbox: SandboxProcess) -> None:
    missing = api(sandbox, "GET", "/message")
    too_many = ",".join(f"005{n:012d}" for n in range(1, 102))
    over = api(sandbox, "GET", "/message", params={"ids": too_many})

    assert missing.status_code == 400
    assert over.status_code == 400
    assert error_of(over, "ids")


def test_message_network_filter(sandbox: SandboxProcess) -> None:
    campaign = ok(sandbox, "GET", "/campaign")["Items"][0]["Id"]

    items = ok(sandbox, "GET", "/message", params={"campaignId": campaign, "network": "Twitter"})[
        "Items"
    ]

    assert items
    assert {m["Network"] for m in items} == {"Twitter"}


def test_messages_are_created_and_updated(sandbox: SandboxProcess) -> None:
    campaign = ok(sandbox, "GET", "/campaign")["Items"][0]["Id"]
    created = ok(
        sandbox,
        "POST",
        "/message",
        data={
            "network": "LinkedIn",
            "campaignId": campaign,
            "message": "Hello from the sandbox",
            "linkUrl": "https://northwind.example/x",
            "linkTitle": "X",
        },
    )["Message"]
    updated = ok(sandbox, "POST", f"/message/{created['Id']}", data={"message": "Changed"})[
        "Message"
    ]

    assert re.fullmatch(r"005\d{12}", created["Id"])
    assert (created["Network"], created["LinkUrl"], created["LinkTitle"]) == (
        "LinkedIn",
        "https://northwind.example/x",
        "X",
    )
    assert updated["Message"] == "Changed"
    assert updated["LinkUrl"] == "https://northwind.example/x"


def test_a_message_needs_network_campaign_and_text_within_the_limit(
    sandbox: SandboxProcess,
) -> None:
    campaign = ok(sandbox, "GET", "/campaign")["Items"][0]["Id"]
    missing = api(sandbox, "POST", "/message", data={"network": "Twitter"})
    too_long = api(
        sandbox,
        "POST",
        "/message",
        data={"network": "Twitter", "campaignId": campaign, "message": "x" * 281},
    )

    assert set(field_errors(missing)) == {"campaignId", "message"}
    assert too_long.status_code == 400
    assert "280" in error_of(too_long, "message")


def test_campaigns_list_short_items_and_get_full_ones(sandbox: SandboxProcess) -> None:
    listed = ok(sandbox, "GET", "/campaign")
    full = ok(sandbox, "GET", f"/campaign/{listed['Items'][0]['Id']}")["Campaign"]

    assert listed["Total"] == len(listed["Items"]) >= 3
    assert set(listed["Items"][0]) == {
        "Id",
        "Name",
        "TotalPosts",
        "TotalPendingPosts",
        "TotalDraftPosts",
        "Clicks",
        "Converts",
        "Created",
        "Status",
        "Comments",
        "PostsSent",
    }
    assert sum(c["TotalPosts"] for c in listed["Items"]) == 300
    for key in ("StartDate", "EndDate", "LastConversionDate", "LastCommentFound"):
        assert DATE.match(full[key])
    dates = [ok(sandbox, "GET", f"/campaign/{c['Id']}")["Campaign"] for c in listed["Items"]]
    assert any(c["StartDate"] == "0000-00-00 00:00:00" for c in dates)


def test_invalid_profiles_are_listed_only_on_request(sandbox: SandboxProcess) -> None:
    default = ok(sandbox, "GET", "/credential")
    everything = ok(sandbox, "GET", "/credential", params={"includeInvalid": 1})
    twitter = ok(sandbox, "GET", "/credential", params={"network": "Twitter"})

    assert {c["Status"] for c in default["Items"]} == {"valid"}
    assert {c["Status"] for c in everything["Items"]} == {"valid", "invalid"}
    assert everything["Total"] == default["Total"] + 1
    assert {c["Network"] for c in twitter["Items"]} == {"Twitter"}
    cred = everything["Items"][0]
    assert ok(sandbox, "GET", f"/credential/{cred['Id']}")["Credential"] == cred
    assert set(cred) == {
        "Id",
        "Created",
        "Name",
        "DisplayName",
        "Status",
        "Network",
        "ImageLink",
        "NetworkUsername",
        "NativePostsEnabled",
    }


def test_postlogs_are_one_per_profile_of_a_sent_post(sandbox: SandboxProcess) -> None:
    post = next(p for p in all_posts(sandbox, status="complete") if p["TotalCount"] > 1)

    body = ok(sandbox, "GET", "/postlog", params={"postId": post["Id"]})

    assert list(body) == ["Result", "Postlogs"]
    logs = body["Postlogs"]
    assert [log["CredentialId"] for log in logs] == post["Credentials"].split(",")
    for log in logs:
        assert re.fullmatch(r"007\d{12}", log["Id"])
        assert (log["PostId"], log["Status"], log["Error"]) == (post["Id"], "success", "")
        assert log["RemoteId"]
        assert log["RemoteUrl"].startswith("https://")
        single = ok(sandbox, "GET", f"/postlog/{log['Id']}", params={"stats": 1})
        assert single["Postlog"] == log
        assert "UserFollowsAdded" in single["Stats"]


def test_postlogs_need_a_post_id(sandbox: SandboxProcess) -> None:
    response = api(sandbox, "GET", "/postlog")

    assert response.status_code == 400
    assert error_of(response, "postId")


# ------------------------------------------------------------------ sending and stats


def test_a_due_post_is_sent_when_the_clock_passes_its_start(sandbox: SandboxProcess) -> None:
    freeze(sandbox)
    scheduled = all_posts(sandbox, status="pending") + all_posts(sandbox, status="inqueue")
    post = min(scheduled, key=lambda p: (p["StartDateTime"], p["Id"]))
    now = sandbox.control("GET", "clock")["now_ts"]
    sandbox.control("POST", "clock", {"advance_seconds": ts(post["StartDateTime"]) - now + 1})

    sent = ok(sandbox, "GET", f"/post/{post['Id']}")["Post"]
    logs = ok(sandbox, "GET", "/postlog", params={"postId": post["Id"]})["Postlogs"]

    assert sent["Status"] in SENT
    assert sent["Modified"] == sent["StartDateTime"] == post["StartDateTime"]
    assert len(logs) == post["TotalCount"]
    assert {log["Created"] for log in logs} == {post["StartDateTime"]}


def test_sending_yields_every_outcome_with_network_error_text(sandbox: SandboxProcess) -> None:
    sandbox.control("POST", "clock", {"advance_seconds": 31 * 86400})
    posts = all_posts(sandbox)

    items = ok(sandbox, "GET", "/workflow-item", params={"count": 1000})["Items"]
    held = {i["EntityId"] for i in items if i["Status"] == "pending"}

    assert {p["Status"] for p in posts} >= {"complete", "error"}
    # Only posts waiting for approval are still unsent (tests/test_sandbox_workflows.py).
    assert {p["Id"] for p in posts if p["Status"] in ("pending", "inqueue")} == held
    failed = [p for p in posts if p["Status"] in ("error", "incomplete")]
    assert 0 < len(failed) < len(posts) * 0.2
    for post in failed[:5]:
        logs = ok(sandbox, "GET", "/postlog", params={"postId": post["Id"]})["Postlogs"]
        bad = [log for log in logs if log["Status"] == "failed"]
        assert bad
        assert all(log["Error"] and not log["RemoteId"] and not log["RemoteUrl"] for log in bad)
        if post["Status"] == "incomplete":
            assert any(log["Status"] == "success" for log in logs)


def test_stats_grow_with_time_and_list_counters_match_them(sandbox: SandboxProcess) -> None:
    freeze(sandbox)
    post = all_posts(sandbox, status="pending")[0]
    sandbox.control("POST", f"posts/{post['Id']}/send")
    post_id = post["Id"]
    seen: list[dict[str, int]] = []
    for _ in range(4):
        body = ok(sandbox, "GET", f"/post/{post_id}", params={"stats": 1})
        listed = next(
            p for p in all_posts(sandbox, status=body["Post"]["Status"]) if p["Id"] == post_id
        )
        stats = body["Stats"]
        assert (listed["Clicks"], listed["Converts"], listed["Comments"], listed["Likes"]) == (
            stats["LinkClicks"],
            stats["Conversions"],
            stats["Comments"],
            stats["Likes"],
        )
        seen.append(stats)
        sandbox.control("POST", "clock", {"advance_seconds": 6 * 3600})

    for earlier, later in itertools.pairwise(seen):
        assert all(later[k] >= earlier[k] for k in earlier)
    if body["Post"]["Status"] != "error":
        assert seen[-1]["ImpressionsAdded"] > seen[0]["ImpressionsAdded"]


def test_unsent_posts_have_zero_stats(sandbox: SandboxProcess) -> None:
    post = all_posts(sandbox, status="draft")[0]

    stats = ok(sandbox, "GET", f"/post/{post['Id']}", params={"stats": 1})["Stats"]

    assert set(stats.values()) == {0}


# ------------------------------------------------------------------ control: posts


def test_another_user_can_change_a_post_even_after_sending(sandbox: SandboxProcess) -> None:
    freeze(sandbox)
    post = all_posts(sandbox, status="complete")[0]
    me = ok(sandbox, "GET", "/me")["User"]["Id"]
    sandbox.control("POST", "clock", {"advance_seconds": 10})

    changed = sandbox.control("POST", f"posts/{post['Id']}", {"Source": "Board"})

    assert changed["Source"] == "Board"
    assert changed["ModifiedBy"] != me
    assert changed["Modified"] > post["Modified"]
    assert ok(sandbox, "GET", f"/post/{post['Id']}")["Post"] == changed


def test_a_post_deleted_in_oktopost_disappears(sandbox: SandboxProcess) -> None:
    post = all_posts(sandbox, status="complete")[0]

    sandbox.control("DELETE", f"posts/{post['Id']}")

    assert api(sandbox, "GET", f"/post/{post['Id']}").status_code == 404
    assert api(sandbox, "GET", "/postlog", params={"postId": post["Id"]}).status_code == 404


def test_a_stuck_post_stays_queued_after_its_time(sandbox: SandboxProcess) -> None:
    post = all_posts(sandbox, status="inqueue")[0]
    sandbox.control("POST", f"posts/{post['Id']}", {"Stuck": True})
    sandbox.control("POST", "clock", {"advance_seconds": 31 * 86400})

    assert ok(sandbox, "GET", f"/post/{post['Id']}")["Post"]["Status"] == "inqueue"


# ------------------------------------------------------------------ limits


def test_a_burst_breach_answers_429_and_blocks_until_it_expires(sandbox: SandboxProcess) -> None:
    sandbox.control("POST", "limits", {"per_minute": 3})
    statuses = [api(sandbox, "GET", "/me").status_code for _ in range(5)]
    refused = api(sandbox, "GET", "/me")
    state = sandbox.control("GET", "state")

    assert statuses == [200, 200, 200, 429, 429]
    assert refused.status_code == 429
    assert "blocked until" in error_of(refused)
    assert state["blocked_until"] is not None
    calls = sandbox.calls()
    assert calls["rate_limited"] == 3
    assert calls["by_endpoint"]["GET /me"] == 6

    sandbox.control("POST", "clock", {"advance_seconds": 3.2})  # --block-seconds 3
    sandbox.control("POST", "limits", {"per_minute": 60})

    assert api(sandbox, "GET", "/me").status_code == 200
    assert sandbox.control("GET", "state")["blocked_until"] is None


def test_the_5_second_window_is_enforced(sandbox: SandboxProcess) -> None:
    sandbox.control("POST", "limits", {"per_5s": 2})

    statuses = [api(sandbox, "GET", "/me").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_the_daily_quota_returns_at_midnight_utc(sandbox: SandboxProcess) -> None:
    sandbox.control("POST", "limits", {"per_day": 2})
    freeze(sandbox)
    assert [api(sandbox, "GET", "/me").status_code for _ in range(3)] == [200, 200, 429]
    state = sandbox.control("GET", "state")
    assert state["blocked_until"].endswith("00:00:00")

    now = state["clock"]["now_ts"]
    sandbox.control("POST", "clock", {"advance_seconds": 86400 - now % 86400 + 1})

    assert api(sandbox, "GET", "/me").status_code == 200


def test_the_limit_status_is_configurable_and_limits_can_be_disabled(
    sandbox: SandboxProcess,
) -> None:
    sandbox.control("POST", "limits", {"per_minute": 1, "status": 503})
    assert [api(sandbox, "GET", "/me").status_code for _ in range(2)] == [200, 503]

    sandbox.control("POST", "reset")
    sandbox.control("POST", "limits", {"per_minute": 1, "enabled": False})
    assert [api(sandbox, "GET", "/me").status_code for _ in range(3)] == [200, 200, 200]


def test_a_manual_block_refuses_every_call(sandbox: SandboxProcess) -> None:
    sandbox.control("POST", "block", {"seconds": 60})

    assert api(sandbox, "GET", "/post").status_code == 429
    assert api(sandbox, "POST", "/post", data={}).status_code == 429

    sandbox.control("POST", "block", {"seconds": 0})
    assert api(sandbox, "GET", "/me").status_code == 200


def test_calls_are_logged_per_endpoint(sandbox: SandboxProcess) -> None:
    api(sandbox, "GET", "/me")
    api(sandbox, "GET", "/post/004000000000001")
    api(sandbox, "GET", "/post/004000000000002")

    calls = sandbox.calls()

    assert calls["total"] == 3
    assert calls["by_endpoint"] == {"GET /me": 1, "GET /post/{id}": 2}
    last = calls["recent"][-1]
    assert (last["method"], last["path"], last["status"]) == (
        "GET",
        "/v2/post/004000000000002",
        200,
    )
    assert isinstance(last["time"], float)


# ------------------------------------------------------------------ faults


def set_faults(sandbox: SandboxProcess, **faults: Any) -> None:
    sandbox.control("POST", "faults", faults)


def test_a_500_fault_answers_an_oktopost_error(sandbox: SandboxProcess) -> None:
    set_faults(sandbox, next=["500"])

    first = api(sandbox, "GET", "/me")

    assert first.status_code == 500
    assert error_of(first)
    assert api(sandbox, "GET", "/me").status_code == 200


def test_an_html_fault_answers_a_proxy_page(sandbox: SandboxProcess) -> None:
    set_faults(sandbox, next=["html"])

    response = api(sandbox, "GET", "/me")

    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "502 Bad Gateway" in response.text


def test_a_drop_fault_closes_the_connection(sandbox: SandboxProcess) -> None:
    set_faults(sandbox, next=["drop"])

    with pytest.raises(requests.ConnectionError):
        api(sandbox, "GET", "/me")
    assert sandbox.calls()["by_status"] == {"0": 1}


@pytest.mark.parametrize("kind", ["truncate", "garbage"])
def test_a_body_fault_answers_invalid_json_after_acting(sandbox: SandboxProcess, kind: str) -> None:
    draft = all_posts(sandbox, status="draft")[0]
    set_faults(sandbox, next=[kind])

    response = api(sandbox, "DELETE", f"/post/{draft['Id']}")

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert api(sandbox, "GET", f"/post/{draft['Id']}").status_code == 404


def test_slow_and_latency_faults_delay_the_answer(sandbox: SandboxProcess) -> None:
    set_faults(sandbox, next=["slow:400"])
    started = time.monotonic()
    api(sandbox, "GET", "/me")
    slow = time.monotonic() - started
    set_faults(sandbox, latency_ms=200)
    started = time.monotonic()
    api(sandbox, "GET", "/me")
    latency = time.monotonic() - started

    assert slow >= 0.4
    assert latency >= 0.2


def test_an_after_write_delay_times_out_after_the_write(sandbox: SandboxProcess) -> None:
    draft = all_posts(sandbox, status="draft")[0]
    set_faults(sandbox, after_write_delay_ms=800)

    with pytest.raises(requests.ReadTimeout):
        api(sandbox, "DELETE", f"/post/{draft['Id']}", timeout=0.3)
    set_faults(sandbox)

    assert api(sandbox, "GET", f"/post/{draft['Id']}").status_code == 404


def test_fault_rates_follow_their_seed(sandbox: SandboxProcess) -> None:
    def run() -> list[int]:
        set_faults(sandbox, error_rate=0.5, html_error_rate=0.2, seed=3)
        return [api(sandbox, "GET", "/me").status_code for _ in range(20)]

    first = run()

    assert set(first) == {200, 500, 502}
    assert run() == first


def test_faults_only_touch_the_api_and_bad_settings_are_refused(sandbox: SandboxProcess) -> None:
    set_faults(sandbox, error_rate=1.0, drop_rate=0.0)

    assert api(sandbox, "GET", "/me").status_code == 500
    assert sandbox.control("GET", "state")["faults"]["error_rate"] == 1.0
    bad = requests.post(f"{sandbox.root_url}/_sandbox/faults", json={"error_rate": 2}, timeout=5)
    unknown = requests.post(f"{sandbox.root_url}/_sandbox/faults", json={"next": ["x"]}, timeout=5)
    assert (bad.status_code, unknown.status_code) == (400, 400)


# ------------------------------------------------------------------ control API


def test_the_control_api_needs_no_auth_and_is_not_counted(sandbox: SandboxProcess) -> None:
    state = requests.get(f"{sandbox.root_url}/_sandbox/state", timeout=5).json()

    assert state["counts"]["posts"] == 300
    assert state["clock"]["offset_seconds"] == 0
    assert sandbox.calls()["total"] == 0
    missing = requests.get(f"{sandbox.root_url}/_sandbox/nothing", timeout=5)
    assert missing.status_code == 404


def test_reset_restores_the_world_and_the_defaults(sandbox: SandboxProcess) -> None:
    post = all_posts(sandbox, status="draft")[0]
    ok(sandbox, "DELETE", f"/post/{post['Id']}")
    sandbox.control("POST", "limits", {"per_minute": 1})
    sandbox.control("POST", "clock", {"advance_seconds": 3600})
    set_faults(sandbox, next=["500"])

    state = sandbox.control("POST", "reset")

    assert state["counts"]["posts"] == 300
    assert state["limits"]["per_minute"] == 60
    assert state["limits"]["block_seconds"] == 3
    assert state["clock"]["offset_seconds"] == 0
    assert state["faults"]["next"] == []
    assert sandbox.calls()["total"] == 0
    assert ok(sandbox, "GET", f"/post/{post['Id']}")["Post"]["Id"] == post["Id"]
