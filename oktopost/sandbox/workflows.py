"""Approval workflows in the sandbox: workflows with ordered steps and approvers, the
items that carry a post through them, and the notes left on the way.

Shapes and calls follow the official SDK's approvals namespace (workflows, workflow
steps, workflow items, workflow item notes; its tests: `GET /workflow-item` with
`page`/`count`/`workflowId`, `POST /workflow-item` answering `{Result, Data}`,
`POST /workflow-item/{id}` with `isApprove=1|0` and an optional `note`, `GET
/workflow-item-note?id=` answering `{Notes, Authors}`, `PUT /workflow-item-note` with
`id` and `note`). What the SDK does not show is the sandbox's choice, listed in
docs/oktopost.md "Approvals".

A post waiting in an item is held back: the world keeps it out of its unsent index
(`waiting`), so `tick` never sends it; the last approval releases it, a rejection
returns it to draft. This module imports nothing of the world (the world imports it);
functions that change posts take the world as an argument.
"""

from __future__ import annotations

from typing import Any

from oktopost.sandbox.records import DAY, SCHEDULED, SENT, ApiError, make_id

HOUR = 3600
NOTE_MAX = 2000
# Demo workflows: (name, is default, ((step name, approver user numbers from 1), …)).
DEMO_WORKFLOWS: tuple[tuple[str, bool, tuple[tuple[str, tuple[int, ...]], ...]], ...] = (
    (
        "Brand and legal review",
        True,
        (("Marketing lead", (2,)), ("Legal", (3,)), ("Brand", (4, 1))),
    ),
    ("Quick check", False, (("Editor", (2, 3)), ("Head of social", (1,)))),
)
# Demo items per workflow: how many wait at each step, then approved and rejected ones.
DEMO_WAITING = ((2, 2, 1), (2, 1))
DEMO_NOTES = (
    "Please check the claim in the second sentence against the press release.",
    "Swap the image for the one with the new logo.",
    "The link goes to the old landing page.",
)


class Approvals:
    """Workflows, steps, items and notes, plus the posts items hold back."""

    def __init__(self) -> None:
        self.workflows: dict[str, dict[str, Any]] = {}
        self.steps: dict[str, dict[str, Any]] = {}
        self.items: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, dict[str, Any]] = {}
        self.counters: dict[str, int] = {"workflow": 0, "step": 0, "item": 0, "note": 0}
        # Post id -> the item id that holds it while its Status is "pending".
        self.waiting: dict[str, str] = {}
        # Post id -> its latest item id (for the calendar's ApproveStatus).
        self.latest: dict[str, str] = {}

    # ---------------------------------------------------------------- state

    def to_state(self) -> dict[str, Any]:
        return {
            "workflows": list(self.workflows.values()),
            "steps": list(self.steps.values()),
            "items": list(self.items.values()),
            "notes": list(self.notes.values()),
            "counters": self.counters,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Approvals:
        approvals = cls()
        approvals.workflows = {w["Id"]: w for w in state["workflows"]}
        approvals.steps = {s["Id"]: s for s in state["steps"]}
        approvals.items = {i["Id"]: i for i in state["items"]}
        approvals.notes = {n["Id"]: n for n in state["notes"]}
        approvals.counters |= state["counters"]
        for item in approvals.items.values():
            approvals._remember(item)
        return approvals

    def _remember(self, item: dict[str, Any]) -> None:
        post_id = item["EntityId"]
        self.latest[post_id] = item["Id"]
        if item["Status"] == "pending":
            self.waiting[post_id] = item["Id"]
        else:
            self.waiting.pop(post_id, None)

    def next_id(self, kind: str, prefix: str) -> str:
        self.counters[kind] += 1
        return make_id(prefix, self.counters[kind])

    # -------------------------------------------------------------- reading

    def workflow_steps(self, workflow_id: str) -> list[dict[str, Any]]:
        return [self.steps[s] for s in self.workflows[workflow_id]["Steps"]]

    def approve_status(self, post_id: str) -> str:
        """The calendar's `ApproveStatus`: "" outside any workflow, else the latest
        item's status (pending, approved, rejected)."""
        item = self.items.get(self.latest.get(post_id, ""))
        return item["Status"] if item else ""

    # ---------------------------------------------------------------- writes

    def add_workflow(
        self, *, name: str, steps: list[tuple[str, list[str]]], at: int, default: bool
    ) -> dict[str, Any]:
        workflow_id = self.next_id("workflow", "cwf")
        step_ids = []
        for order, (step_name, approvers) in enumerate(steps, start=1):
            step_id = self.next_id("step", "cws")
            self.steps[step_id] = {
                "Id": step_id,
                "WorkflowId": workflow_id,
                "Name": step_name,
                "Order": order,
                "Approvers": list(approvers),
                "Created": at,
            }
            step_ids.append(step_id)
        self.workflows[workflow_id] = {
            "Id": workflow_id,
            "Name": name,
            "IsDefault": int(default),
            "Created": at,
            "Modified": at,
            "Steps": step_ids,
        }
        return self.workflows[workflow_id]

    def submit(self, world: Any, post: Any, workflow_id: str, *, user_id: str) -> dict[str, Any]:
        """Send a post into a workflow: a new item at the first step; the post is held."""
        problem = self.submit_problem(post, workflow_id)
        if problem:
            raise ApiError.fields(problem)
        now = world.now()
        first = self.workflows[workflow_id]["Steps"][0]
        item = {
            "Id": self.next_id("item", "cwi"),
            "WorkflowId": workflow_id,
            "EntityId": post.id,
            "EntityType": "post",
            "StepId": first,
            "Status": "pending",
            "Created": now,
            "Modified": now,
            "CreatedBy": user_id,
            "History": [
                {
                    "Action": "submitted",
                    "StepId": first,
                    "UserId": user_id,
                    "Note": "",
                    "Created": now,
                }
            ],
        }
        self.items[item["Id"]] = item
        self._remember(item)
        if post.workflow_id != workflow_id:
            post.workflow_id = workflow_id
        world._change(post)  # leaves the unsent index while it waits
        return item

    def submit_problem(self, post: Any, workflow_id: str) -> dict[str, str]:
        if workflow_id not in self.workflows:
            return {"workflowId": f"Workflow {workflow_id} was not found."}
        if post.status in SENT:
            return {"entityId": f"Post {post.id} has already been sent."}
        if post.id in self.waiting:
            return {
                "entityId": f"Post {post.id} is already waiting for approval "
                f"(item {self.waiting[post.id]})."
            }
        return {}

    def decide(
        self,
        world: Any,
        item: dict[str, Any],
        *,
        approve: bool,
        note: str,
        step_id: str,
        user: dict[str, Any],
    ) -> None:
        """Approve or reject the item's current step as `user`."""
        if item["Status"] != "pending":
            raise ApiError.api(400, f"This item was already {item['Status']}.")
        step = self.steps[item["StepId"]]
        if step_id and step_id != step["Id"]:
            # The decision was made on a step the item has left: refusing it makes a
            # repeated (double-clicked) decision land once.
            where = self.steps.get(step_id, {}).get("Name", step_id)
            raise ApiError.fields(
                {"stepId": f"The item is no longer at step {where}; it is at {step['Name']}."}
            )
        if user.get("Role") != "admin" and user["Id"] not in step["Approvers"]:
            raise ApiError.api(403, f"You are not an approver of step {step['Name']}.")
        now = world.now()
        action = "approved" if approve else "rejected"
        item["History"].append(
            {
                "Action": action,
                "StepId": step["Id"],
                "UserId": user["Id"],
                "Note": note,
                "Created": now,
            }
        )
        item["Modified"] = now
        if note:
            self.add_note(item, note, user_id=user["Id"], at=now)
        post = world.posts.get(item["EntityId"])
        steps = self.workflows[item["WorkflowId"]]["Steps"]
        if approve and step["Id"] != steps[-1]:
            item["StepId"] = steps[steps.index(step["Id"]) + 1]
            world.version += 1
            return
        item["Status"] = action
        self._remember(item)
        if post is None:
            world.version += 1
            return
        if approve:
            world._change(post)  # back in the unsent index: sent at its time
        else:
            world.update_post(post, user_id=user["Id"], status="draft")

    def withdraw(self, world: Any, item: dict[str, Any], *, user_id: str) -> None:
        """DELETE /workflow-item/{id}: the item goes; a post it held returns to draft,
        so deleting an item never lets a post out unapproved."""
        del self.items[item["Id"]]
        post_id = item["EntityId"]
        held = self.waiting.get(post_id) == item["Id"]
        self.waiting.pop(post_id, None)
        if self.latest.get(post_id) == item["Id"]:
            del self.latest[post_id]
        post = world.posts.get(post_id)
        if post is not None and held:
            world.update_post(post, user_id=user_id, status="draft")
        world.version += 1

    def add_note(self, item: dict[str, Any], text: str, *, user_id: str, at: int) -> dict[str, Any]:
        note = {
            "Id": self.next_id("note", "cwn"),
            "ItemId": item["Id"],
            "Text": text,
            "Created": at,
            "CreatedBy": user_id,
        }
        self.notes[note["Id"]] = note
        return note


def add_demo_workflows(world: Any) -> None:
    """Two workflows and items at each of their steps, on scheduled posts at least two
    days ahead (so none is due during a test), plus an approved and a rejected item.
    Built from hashes, after everything else, so the rest of the world is unchanged."""
    approvals: Approvals = world.approvals
    if approvals.workflows:
        return
    users = [u["Id"] for u in world.users]
    at = world.anchor - 90 * DAY
    for name, default, steps in DEMO_WORKFLOWS:
        approvals.add_workflow(
            name=name,
            default=default,
            at=at,
            steps=[(s, [users[n - 1] for n in people if n <= len(users)]) for s, people in steps],
        )
    ahead = world.anchor + 2 * DAY
    candidates = sorted(
        (p.start, p.id)
        for p in world.posts.values()
        if p.status in SCHEDULED and not p.stuck and p.start >= ahead
    )
    drafts = sorted(
        (p.start, p.id) for p in world.posts.values() if p.status == "draft" and p.start >= ahead
    )
    _demo_items(world, [pid for _, pid in candidates], [pid for _, pid in drafts], users)
    world.rebuild_indexes()


def _demo_items(world: Any, pool: list[str], drafts: list[str], users: list[str]) -> None:
    approvals: Approvals = world.approvals
    author = users[1 % len(users)]
    for number, (workflow_id, counts) in enumerate(
        zip(list(approvals.workflows), DEMO_WAITING, strict=True)
    ):
        step_ids = approvals.workflows[workflow_id]["Steps"]
        for step_index, count in enumerate(counts):
            for _ in range(count):
                if not pool:
                    return
                post = world.posts[pool.pop(0)]
                hours = 6 + world.digest("approval", post.id) % 60
                _demo_item(world, post, workflow_id, step_ids[:step_index], hours, author)
        if number == 0 and pool:
            post = world.posts[pool.pop(0)]
            _demo_item(world, post, workflow_id, step_ids, 80, author)
        if number == 0 and drafts:
            post = world.posts[drafts.pop(0)]
            _demo_item(world, post, workflow_id, step_ids[:1], 50, author, reject=step_ids[1])


def _demo_item(
    world: Any,
    post: Any,
    workflow_id: str,
    passed: list[str],
    hours_ago: int,
    author: str,
    reject: str = "",
) -> None:
    """An item submitted `hours_ago` before the world's anchor that went through the
    steps in `passed` (all of them: approved) and, with `reject`, was rejected there."""
    approvals: Approvals = world.approvals
    steps = approvals.workflows[workflow_id]["Steps"]
    created = world.anchor - hours_ago * HOUR
    history = [
        {
            "Action": "submitted",
            "StepId": steps[0],
            "UserId": author,
            "Note": "",
            "Created": created,
        }
    ]
    item = {
        "Id": approvals.next_id("item", "cwi"),
        "WorkflowId": workflow_id,
        "EntityId": post.id,
        "EntityType": "post",
        "StepId": steps[0],
        "Status": "pending",
        "Created": created,
        "Modified": created,
        "CreatedBy": author,
        "History": history,
    }
    at = created
    for step_id in passed:
        at += 2 * HOUR
        approver = approvals.steps[step_id]["Approvers"][0]
        history.append(
            {"Action": "approved", "StepId": step_id, "UserId": approver, "Note": "", "Created": at}
        )
        index = steps.index(step_id)
        item["StepId"] = steps[min(index + 1, len(steps) - 1)]
    if passed == steps:
        item["Status"] = "approved"
    if reject:
        at += 2 * HOUR
        text = DEMO_NOTES[world.digest("note", post.id) % len(DEMO_NOTES)]
        approver = approvals.steps[reject]["Approvers"][0]
        history.append(
            {
                "Action": "rejected",
                "StepId": reject,
                "UserId": approver,
                "Note": text,
                "Created": at,
            }
        )
        item["StepId"] = reject
        item["Status"] = "rejected"
        approvals.add_note(item, text, user_id=approver, at=at)
    item["Modified"] = at
    approvals.items[item["Id"]] = item
    approvals._remember(item)
    post.workflow_id = workflow_id


def demo_item(world: Any, body: dict[str, Any]) -> dict[str, Any]:
    """POST /_sandbox/workflow-items: send a post (`postId`, or the next scheduled post
    not waiting yet) into a workflow (`workflowId`, or the default one) and approve it up
    to `step` (1-based, default 1) as the steps' approvers would."""
    approvals: Approvals = world.approvals
    workflow_id = str(body.get("workflowId") or _default_workflow(approvals))
    if workflow_id not in approvals.workflows:
        raise ApiError.fields({"workflowId": f"Workflow {workflow_id} was not found."})
    steps = approvals.workflows[workflow_id]["Steps"]
    step = body.get("step", 1)
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= len(steps):
        raise ApiError.fields({"step": f"step must be 1 to {len(steps)}."})
    post_id = str(body.get("postId") or "")
    if not post_id:
        post_id = next(
            (
                pid
                for _, pid in world.unsent
                if pid not in approvals.waiting and world.posts[pid].start > world.now() + HOUR
            ),
            "",
        )
    post = world.posts.get(post_id)
    if post is None:
        raise ApiError.fields({"postId": f"Post {post_id or '(none free)'} was not found."})
    creator = str(body.get("createdBy") or post.created_by)
    item = approvals.submit(world, post, workflow_id, user_id=creator)
    for step_id in steps[: step - 1]:
        approver = approvals.steps[step_id]["Approvers"][0]
        approvals.decide(
            world,
            item,
            approve=True,
            note="",
            step_id=step_id,
            user={"Id": approver, "Role": "admin"},
        )
    return {"item": item["Id"], "post": post.id, "workflow": workflow_id, "step": item["StepId"]}


def _default_workflow(approvals: Approvals) -> str:
    chosen = [w["Id"] for w in approvals.workflows.values() if w["IsDefault"]]
    return (chosen or list(approvals.workflows) or [""])[0]
