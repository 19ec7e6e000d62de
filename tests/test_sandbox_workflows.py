"""The sandbox's approvals over real HTTP: workflows with ordered steps, items that hold
a post until the last approval, rejections that return it to draft with the note,
decisions that land once, notes, the demo items and state files."""

from __future__ import annotations

from typing import Any

from oktopost.sandbox.generate import generate
from oktopost.sandbox.persist import from_state, to_state
from tests.fixtures_sandbox import SandboxProcess
from tests.test_sandbox_sdk import api, ok, refused


def items(sandbox: SandboxProcess, **params: Any) -> list[dict[str, Any]]:
    return ok(sandbox, "GET", "/workflow-item", params={"count": 1000, **params})["Items"]


def new_post(sandbox: SandboxProcess, *, in_seconds: int, **extra: str) -> dict[str, Any]:
    """A post like a scheduled one of the world, due `in_seconds` from the sandbox's now."""
    model = ok(sandbox, "GET", "/post", params={"status": "inqueue"})["Items"][0]
    now = sandbox.control("GET", "clock")["now_ts"]
    data = {
        "messageId": model["MessageId"],
        "credentialIds": model["Credentials"],
        "startDateTime": str(int(now) + in_seconds),
    }
    return ok(sandbox, "POST", "/post", data=data | extra)["Post"]


def decide(sandbox: SandboxProcess, item: dict[str, Any], **data: str) -> Any:
    return api(sandbox, "POST", f"/workflow-item/{item['Id']}", data=data)


def test_the_demo_has_two_workflows_with_items_waiting_at_every_step(
    sandbox: SandboxProcess,
) -> None:
    workflows = ok(sandbox, "GET", "/workflow", params={"withSteps": 1})["Items"]
    waiting = items(sandbox)

    assert len(workflows) == 2
    assert [w["IsDefault"] for w in workflows] == [1, 0]
    for workflow in workflows:
        orders = [s["Order"] for s in workflow["Steps"]]
        assert orders == list(range(1, len(orders) + 1))
        for step in workflow["Steps"]:
            assert all(s["Status"] == "pending" for s in items(sandbox, stepId=step["Id"]))
            assert items(sandbox, stepId=step["Id"]), step["Name"]
    assert {i["Status"] for i in waiting} == {"pending", "approved", "rejected"}


def test_a_post_waits_past_its_time_and_goes_out_after_the_last_approval(
    sandbox: SandboxProcess,
) -> None:
    workflow = ok(sandbox, "GET", "/workflow", params={"withSteps": 1})["Items"][1]
    post = new_post(sandbox, in_seconds=60, workflowId=workflow["Id"])
    (item,) = [i for i in items(sandbox) if i["EntityId"] == post["Id"]]

    sandbox.control("POST", "clock", {"advance_seconds": 3600})
    waited = ok(sandbox, "GET", f"/post/{post['Id']}")["Post"]
    first = decide(sandbox, item, isApprove="1", stepId=workflow["Steps"][0]["Id"]).json()
    still = ok(sandbox, "GET", f"/post/{post['Id']}")["Post"]
    last = decide(sandbox, item, isApprove="1", stepId=workflow["Steps"][1]["Id"]).json()
    sent = ok(sandbox, "GET", f"/post/{post['Id']}")["Post"]

    assert item["StepId"] == workflow["Steps"][0]["Id"]
    assert waited["Status"] == still["Status"] == "pending"
    assert first["Data"]["StepId"] == workflow["Steps"][1]["Id"]
    assert first["Data"]["Status"] == "pending"
    assert last["Data"]["Status"] == "approved"
    assert sent["Status"] in ("complete", "incomplete", "error")
    assert [h["Action"] for h in last["Data"]["History"]] == ["submitted", "approved", "approved"]


def test_a_rejection_returns_the_post_to_draft_with_the_note(sandbox: SandboxProcess) -> None:
    post = new_post(sandbox, in_seconds=86_400, workflowId="cwf000000000001")
    (item,) = [i for i in items(sandbox) if i["EntityId"] == post["Id"]]

    answer = decide(sandbox, item, isApprove="0", note="Wrong date in the text.")
    notes = ok(sandbox, "GET", "/workflow-item-note", params={"id": item["Id"]})
    calendar_day = post["StartDateTime"][:10]
    shown = ok(
        sandbox, "POST", "/calendar", data={"fromDate": calendar_day, "toDate": calendar_day}
    )

    assert answer.json()["Data"]["Status"] == "rejected"
    assert ok(sandbox, "GET", f"/post/{post['Id']}")["Post"]["Status"] == "draft"
    assert [n["Text"] for n in notes["Notes"]] == ["Wrong date in the text."]
    assert shown["Posts"][post["Id"]]["ApproveStatus"] == "rejected"


def test_a_repeated_decision_lands_once(sandbox: SandboxProcess) -> None:
    post = new_post(sandbox, in_seconds=86_400, workflowId="cwf000000000001")
    (item,) = [i for i in items(sandbox) if i["EntityId"] == post["Id"]]

    decide(sandbox, item, isApprove="1", stepId=item["StepId"])
    again = decide(sandbox, item, isApprove="1", stepId=item["StepId"])

    assert again.status_code == 400
    assert "no longer at step Marketing lead" in again.json()["Errors"]["stepId"]["Error"]
    (now,) = [i for i in items(sandbox) if i["Id"] == item["Id"]]
    assert now["StepOrder"] == 2


def test_bad_input_is_answered_in_the_envelope(sandbox: SandboxProcess) -> None:
    post = new_post(sandbox, in_seconds=86_400)
    (item,) = items(sandbox)[:1]

    assert "workflowId" in refused(
        sandbox, "POST", "/workflow-item", data={"entityId": post["Id"], "workflowId": "cwf9"}
    )
    assert "isApprove" in refused(sandbox, "POST", f"/workflow-item/{item['Id']}", data={})
    assert "count" in refused(sandbox, "GET", "/workflow-item", params={"count": 1001})
    assert "workflowId" in refused(
        sandbox,
        "POST",
        "/post",
        data={"messageId": "x", "credentialIds": "y", "workflowId": "cwf000000000099"},
    )
    ok(
        sandbox,
        "POST",
        "/workflow-item",
        data={"entityId": post["Id"], "workflowId": "cwf000000000002"},
    )
    twice = refused(
        sandbox,
        "POST",
        "/workflow-item",
        data={"entityId": post["Id"], "workflowId": "cwf000000000002"},
    )
    assert "already waiting" in twice["entityId"]
    gone = api(sandbox, "GET", "/workflow-item/cwi999999999999")
    assert gone.status_code == 404


def test_notes_can_be_added_to_an_item(sandbox: SandboxProcess) -> None:
    item = items(sandbox)[0]

    added = ok(sandbox, "PUT", "/workflow-item-note", params={"id": item["Id"], "note": "On it"})
    notes = ok(sandbox, "GET", "/workflow-item-note", params={"id": item["Id"]})

    assert added["Note"]["Text"] == "On it"
    assert notes["Notes"][-1]["Id"] == added["Note"]["Id"]
    assert notes["Authors"][added["Note"]["CreatedBy"]]["Name"]


def test_the_control_api_makes_an_item_at_a_chosen_step(sandbox: SandboxProcess) -> None:
    made = sandbox.control("POST", "workflow-items", {"workflowId": "cwf000000000001", "step": 3})
    item = ok(sandbox, "GET", f"/workflow-item/{made['item']}")["Data"]

    assert item["StepOrder"] == 3
    assert item["Status"] == "pending"
    assert [h["Action"] for h in item["History"]] == ["submitted", "approved", "approved"]


def test_a_withdrawn_item_leaves_its_post_a_draft(sandbox: SandboxProcess) -> None:
    post = new_post(sandbox, in_seconds=60, workflowId="cwf000000000002")
    (item,) = [i for i in items(sandbox) if i["EntityId"] == post["Id"]]

    ok(sandbox, "DELETE", f"/workflow-item/{item['Id']}")
    sandbox.control("POST", "clock", {"advance_seconds": 3600})

    assert ok(sandbox, "GET", f"/post/{post['Id']}")["Post"]["Status"] == "draft"


def test_a_saved_world_keeps_its_items_and_an_old_one_gets_the_demo() -> None:
    world = generate(seed=3, posts=200, account_id="001000000000001", now=1_750_000_000)
    state = to_state(world)
    old = {k: v for k, v in state.items() if k != "approvals"}

    again = from_state(state)
    upgraded = from_state(old)

    assert again.approvals.to_state() == world.approvals.to_state()
    assert set(upgraded.approvals.waiting) == set(world.approvals.waiting)
    assert not {pid for _, pid in again.unsent} & set(again.approvals.waiting)
