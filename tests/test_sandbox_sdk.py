"""The sandbox's issue 25 rules over real HTTP: filters, tags, link previews, uploads
without a type, workflows, the calendar and its notes, clicks, followers, refused
endpoints, and old state files."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests

from oktopost.sandbox import media as files
from oktopost.sandbox.generate import generate
from oktopost.sandbox.persist import from_state, to_state
from tests.fixtures_sandbox import FileSource, SandboxProcess


def api(sandbox: SandboxProcess, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method, sandbox.base_url + path, auth=sandbox.auth, timeout=15, **kwargs
    )


def ok(sandbox: SandboxProcess, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = api(sandbox, method, path, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def refused(sandbox: SandboxProcess, method: str, path: str, **kwargs: Any) -> dict[str, str]:
    """The parameters a 400 names and their texts; the API summary is checked too."""
    response = api(sandbox, method, path, **kwargs)
    assert response.status_code == 400, response.text
    errors = {k: v["Error"] for k, v in response.json()["Errors"].items()}
    summary = errors.pop("API")
    assert summary == " ".join(errors.values())
    return errors


def first_campaign(sandbox: SandboxProcess, **params: Any) -> dict[str, Any]:
    return ok(sandbox, "GET", "/campaign", params={"withTags": 1, **params})["Items"][0]


def test_campaign_list_filters_and_refuses_what_it_does_not_know(sandbox: SandboxProcess) -> None:
    by_name = ok(sandbox, "GET", "/campaign", params={"_orderDirection": "asc", "_order": "name"})
    paused = ok(sandbox, "GET", "/campaign", params={"status": "paused"})

    names = [c["Name"] for c in by_name["Items"]]
    assert names == sorted(names, key=str.lower)
    assert {c["Status"] for c in paused["Items"]} == {"paused"}
    assert "status" in refused(sandbox, "GET", "/campaign", params={"status": "running"})
    assert "_order" in refused(sandbox, "GET", "/campaign", params={"_order": "clicks"})
    assert "_order" in refused(sandbox, "GET", "/campaign", params={"_order": "name,2"})


def test_tags_are_ids_unknown_ones_are_refused_and_a_deleted_tag_leaves_everything(
    sandbox: SandboxProcess,
) -> None:
    campaign = next(
        c for c in ok(sandbox, "GET", "/campaign", params={"withTags": 1})["Items"] if c["Tags"]
    )
    tag = campaign["Tags"][0]
    data = {"network": "Twitter", "campaignId": campaign["Id"], "message": "hello"}
    message = ok(sandbox, "POST", "/message", data=data)["Message"]

    unknown = refused(sandbox, "POST", "/message", data=data | {"tagIds": "0AF999999999999"})
    ok(sandbox, "DELETE", f"/tag/{tag}")

    assert unknown == {"tagIds": "Tag 0AF999999999999 was not found."}
    again = ok(sandbox, "GET", f"/message/{message['Id']}", params={"withTags": 1})
    assert tag not in again["Message"]["Tags"]
    assert (
        tag not in ok(sandbox, "GET", f"/campaign/{campaign['Id']}?withTags=1")["Campaign"]["Tags"]
    )
    assert "tag" in refused(sandbox, "POST", "/tag", data={"tag": " "})


def test_a_link_title_alone_needs_a_link_somewhere(sandbox: SandboxProcess) -> None:
    campaign = first_campaign(sandbox)["Id"]
    base = {"network": "LinkedIn", "campaignId": campaign, "message": "x"}
    linked = ok(sandbox, "POST", "/message", data=base | {"linkUrl": "https://n.example/a"})
    bare = ok(sandbox, "POST", "/message", data=base)["Message"]

    retitled = ok(sandbox, "POST", f"/message/{linked['Message']['Id']}", data={"linkTitle": "T"})
    errors = refused(sandbox, "POST", f"/message/{bare['Id']}", data={"linkTitle": "T"})
    created = refused(sandbox, "POST", "/message", data=base | {"description": "D"})

    assert retitled["Message"]["LinkTitle"] == "T"
    assert list(errors) == ["linkUrl"] and "send linkUrl too" in errors["linkUrl"]
    assert list(created) == ["linkUrl"]
    both = ok(
        sandbox,
        "POST",
        f"/message/{bare['Id']}",
        data={"linkTitle": "T", "linkUrl": "https://n.example/b"},
    )
    assert (both["Message"]["LinkTitle"], both["Message"]["LinkUrl"]) == (
        "T",
        "https://n.example/b",
    )


def test_an_upload_without_a_type_says_why_none_could_be_inferred(
    sandbox: SandboxProcess, file_source: FileSource
) -> None:
    page = file_source.add("/about", b"<html></html>", "text/html")

    errors = refused(sandbox, "POST", "/upload", data={"source": page})
    gone = refused(sandbox, "POST", "/upload", data={"source": file_source.url("/nothing")})
    named = ok(sandbox, "POST", "/upload", data={"source": page, "name": "clip.MP4"})

    assert "text/html" in errors["mimeType"] and "about" in errors["mimeType"]
    assert "404" in gone["mimeType"]
    assert named["Upload"]["MimeType"] == "video/mp4"  # the name decides; the bytes fail later


def test_a_workflow_id_must_look_like_one_and_shows_only_when_set(
    sandbox: SandboxProcess,
) -> None:
    post = ok(sandbox, "GET", "/post", params={"status": "complete"})["Items"][0]
    profile = post["Credentials"].split(",")[0]
    data = {"messageId": post["MessageId"], "credentialIds": profile, "status": "draft"}

    errors = refused(sandbox, "POST", "/post", data=data | {"workflowId": "wf1"})
    plain = ok(sandbox, "POST", "/post", data=data)["Post"]
    moved = refused(sandbox, "POST", f"/post/{plain['Id']}/change-campaign", data={})

    assert errors == {"workflowId": "Workflow wf1 was not found."}
    assert "WorkflowId" not in plain and "TargetingPresetId" not in plain
    assert moved == {"campaignId": "campaignId is required."}
    sent = ok(
        sandbox,
        "POST",
        f"/post/{post['Id']}/change-campaign",
        data={"campaignId": first_campaign(sandbox, _order="name")["Id"]},
    )
    assert sent["Post"]["Status"] == "complete"


def test_the_calendar_refuses_bad_filters_and_marks_posts_in_a_workflow(
    sandbox: SandboxProcess,
) -> None:
    today = time.strftime("%Y-%m-%d", time.gmtime())
    days = {"fromDate": today, "toDate": today}
    post = ok(sandbox, "GET", "/post", params={"status": "pending", "_order": "startDateTime"})
    pending = post["Items"][-1]
    day = pending["StartDateTime"][:10]
    created = ok(
        sandbox,
        "POST",
        "/post",
        data={
            "messageId": pending["MessageId"],
            "credentialIds": pending["Credentials"],
            "startDateTime": str(int(time.time()) + 3600),
            "workflowId": "cwf000000000002",
            "status": "draft",
        },
    )["Post"]

    span = sorted([day, created["StartDateTime"][:10]])
    shown = ok(sandbox, "POST", "/calendar", data={"fromDate": span[0], "toDate": span[1]})

    assert shown["Posts"][created["Id"]]["ApproveStatus"] == "pending"
    assert shown["Posts"][pending["Id"]]["ApproveStatus"] == ""
    assert "filters" in refused(sandbox, "POST", "/calendar", data=days | {"filters": "[1]"})
    assert "filters" in refused(
        sandbox, "POST", "/calendar", data=days | {"filters": json.dumps({"colours": ["red"]})}
    )
    assert "fromDate" in refused(sandbox, "POST", "/calendar", data=days | {"fromDate": "1/2"})


def test_notes_take_arrays_and_ids_in_the_body(sandbox: SandboxProcess) -> None:
    campaigns = [c["Id"] for c in ok(sandbox, "GET", "/campaign")["Items"][:2]]
    start = int(time.time()) + 86_400
    note = ok(
        sandbox,
        "POST",
        "/calendar/custom-events",
        data={
            "title": "Offsite",
            "startDate": start,
            "endDate": start + 3600,
            "campaignIds[]": campaigns,
        },
    )["Item"]

    cleared = ok(
        sandbox, "PUT", "/calendar/custom-events", data={"id": note["ID"], "endDate": "0"}
    )["Item"]
    later = ok(
        sandbox, "GET", "/calendar/custom-events", params={"after": start + 1, "_count": 100}
    )
    by_ids = ok(sandbox, "GET", "/calendar/custom-events", params={"ids[]": [note["ID"]]})
    backwards = refused(
        sandbox,
        "PUT",
        "/calendar/custom-events",
        data={"id": note["ID"], "endDate": start - 60},
    )
    ok(sandbox, "DELETE", "/calendar/custom-events", data={"id": note["ID"]})

    assert [c["Id"] for c in note["Campaigns"]] == campaigns
    assert cleared["EndDateTime"] == "0000-00-00 00:00:00"
    assert note["ID"] not in {e["ID"] for e in later["Items"]}
    assert [e["ID"] for e in by_ids["Items"]] == [note["ID"]]
    assert backwards == {"endDate": "endDate is before startDate."}
    missing = api(sandbox, "GET", "/calendar/custom-events", params={"id": note["ID"]})
    assert missing.status_code == 404


def test_click_pages_do_not_overlap_and_filter_on_time(sandbox: SandboxProcess) -> None:
    sandbox.control("POST", "clock", {"freeze": True})
    first = ok(sandbox, "GET", "/click", params={"_count": 200})
    second = ok(sandbox, "GET", "/click", params={"_count": 200, "_page": 1})
    newest = first["Items"][0]["Created"]
    after = ok(sandbox, "GET", "/click", params={"after": newest.replace(" ", "T"), "_count": 25})
    by_name = ok(sandbox, "GET", "/click", params={"_order": "campaignName", "_count": 100})

    ids = [c["Id"] for c in first["Items"] + second["Items"]]
    assert len(ids) == len(set(ids)) == 400
    assert first["Total"] == second["Total"]
    assert {c["Created"] for c in after["Items"]} == {newest}
    names = [c["CampaignName"] for c in by_name["Items"]]
    assert names == sorted(names, key=str.lower)
    assert "_count" in refused(sandbox, "GET", "/click", params={"_count": 300})
    assert ok(sandbox, "GET", "/click", params={"leadId": "x"})["Total"] == 0


def test_followers_default_to_a_month_and_refuse_a_long_range(sandbox: SandboxProcess) -> None:
    profile = ok(sandbox, "GET", "/credential")["Items"][0]["Id"]

    month = ok(sandbox, "GET", f"/followers/{profile}")["Data"]
    errors = refused(
        sandbox,
        "GET",
        f"/followers/{profile}",
        params={"fromDate": "2020-01-01", "toDate": "2022-01-01"},
    )

    assert len(month) == 30
    assert month[-1]["HistoryDate"] == time.strftime("%Y-%m-%d 00:00:00", time.gmtime())
    assert "366 days" in errors["fromDate"]
    assert api(sandbox, "GET", "/followers/003-1-2").status_code == 404


def test_a_short_video_is_refused_by_linkedin_only(
    quick_uploads: SandboxProcess, file_source: FileSource
) -> None:
    source = file_source.add("/short.mp4", files.mp4(1.5), "video/mp4")
    upload = ok(quick_uploads, "POST", "/upload", data={"source": source})["Upload"]
    deadline = time.monotonic() + 10
    while upload["Status"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
        upload = ok(quick_uploads, "GET", f"/upload/{upload['Id']}")["Upload"]

    check = ok(quick_uploads, "GET", f"/video-validate/{upload['MediaId']}")["Validations"]

    assert {n for n, v in check.items() if not v["isValid"]} == {"LinkedIn"}
    assert check["LinkedIn"]["errors"] == ["The video lasts 1.5 s; LinkedIn needs at least 3 s."]


def test_refused_endpoints_are_set_checked_and_cleared_by_reset(sandbox: SandboxProcess) -> None:
    sandbox.control("POST", "deny", {"endpoints": {"GET /user/{id}": 403, "GET /tag": 404}})

    user = api(sandbox, "GET", "/user/00A000000000001")
    tags = api(sandbox, "GET", "/tag")

    assert user.status_code == 403 and user.json()["Errors"]["API"]["Error"]
    assert (tags.status_code, tags.json()) == (404, {"Result": False, "Errors": []})
    assert sandbox.control("GET", "state")["denied"] == {"GET /user/{id}": 403, "GET /tag": 404}
    with pytest.raises(requests.HTTPError):
        sandbox.control("POST", "deny", {"endpoints": {"GET /user": 500}})
    sandbox.control("POST", "reset")
    assert api(sandbox, "GET", "/tag").status_code == 200


def test_a_state_file_from_before_tags_had_ids_loads_with_them() -> None:
    world = generate(seed=5, posts=80, account_id="001000000000001", now=time.time())
    expected = {cid: list(tags) for cid, tags in world.campaign_tags.items()}
    state = json.loads(json.dumps(to_state(world)))
    names = {t["Id"]: t["Tag"] for t in state.pop("tags")}
    for key in ("teams", "events"):
        state.pop(key)
    state["campaign_tags"] = {
        cid: [names[t] for t in tags] for cid, tags in state["campaign_tags"].items()
    }
    state["messages"] = [row[:-1] for row in state["messages"]]  # no tag_ids column
    for user in state["users"]:
        for key in ("Role", "Timezone", "FirstName", "LastName", "Status", "Created", "Modified"):
            user.pop(key)

    loaded = from_state(state)

    assert loaded.campaign_tags == expected
    assert {m.id: m.tag_ids for m in loaded.messages.values()} == {
        m.id: m.tag_ids for m in world.messages.values()
    }
    assert [u["Role"] for u in loaded.users] == [u["Role"] for u in world.users]
    assert len(loaded.teams) == 3 and len(loaded.events) == 6
    kept = json.loads(json.dumps(to_state(loaded)))
    kept["events"] = []
    assert from_state(kept).events == {}  # a saved empty list stays empty
