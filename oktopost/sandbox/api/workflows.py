"""/v2/workflow, /v2/workflow-step, /v2/workflow-item and /v2/workflow-item-note: the
approvals namespace of the official SDK. The store and its rules are
`oktopost.sandbox.workflows`; choices are listed in docs/oktopost.md "Approvals"."""

from __future__ import annotations

from typing import Any

from oktopost.sandbox.api.common import Handlers, Params, Payload, flag, paging
from oktopost.sandbox.records import ApiError, fmt
from oktopost.sandbox.workflows import NOTE_MAX

ITEM_COUNT_MAX = 1000  # `count` of /workflow-item: 1 to 1000, default 20 (API reference §1)
ITEM_COUNT_DEFAULT = 20


class WorkflowHandlers(Handlers):
    """Workflows and their steps (read-only), items (send, decide, withdraw), notes."""

    ROUTES: tuple[tuple[str, str, str], ...] = (
        ("GET", "workflow", "workflow_list"),
        ("GET", "workflow/{id}", "workflow_get"),
        ("GET", "workflow-step", "workflow_step_list"),
        ("GET", "workflow-item", "workflow_item_list"),
        ("POST", "workflow-item", "workflow_item_create"),
        ("GET", "workflow-item/{id}", "workflow_item_get"),
        ("POST", "workflow-item/{id}", "workflow_item_decide"),
        ("DELETE", "workflow-item/{id}", "workflow_item_delete"),
        ("GET", "workflow-item-note", "workflow_item_notes"),
        ("PUT", "workflow-item-note", "workflow_item_note_add"),
    )

    # ------------------------------------------------------------ workflows

    def workflow_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        approvals = self.world.approvals
        ids = sorted(approvals.workflows)
        chosen = ids[page * count : (page + 1) * count]
        steps = flag(query.get("withSteps"))
        items = [self.render_workflow(w, steps=steps) for w in chosen]
        return {"Result": True, "Items": items, "Total": len(ids)}

    def workflow_get(self, workflow_id: str, **_: Any) -> Payload:
        if workflow_id not in self.world.approvals.workflows:
            raise ApiError.api(404, "Workflow not found")
        return {"Result": True, "Workflow": self.render_workflow(workflow_id, steps=True)}

    def workflow_step_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = paging(query)
        approvals = self.world.approvals
        workflow_id = query.get("workflowId", "").strip()
        steps = sorted(
            (s for s in approvals.steps.values() if workflow_id in ("", s["WorkflowId"])),
            key=lambda s: (s["WorkflowId"], s["Order"]),
        )
        chosen = steps[page * count : (page + 1) * count]
        return {"Result": True, "Items": [self.render_step(s) for s in chosen], "Total": len(steps)}

    def render_workflow(self, workflow_id: str, *, steps: bool) -> Payload:
        workflow = self.world.approvals.workflows[workflow_id]
        payload: Payload = {
            "Id": workflow["Id"],
            "Name": workflow["Name"],
            "IsDefault": workflow["IsDefault"],
            "Created": fmt(workflow["Created"]),
            "Modified": fmt(workflow["Modified"]),
            "StepsCount": len(workflow["Steps"]),
        }
        if steps:
            payload["Steps"] = [
                self.render_step(s) for s in self.world.approvals.workflow_steps(workflow_id)
            ]
        return payload

    def render_step(self, step: dict[str, Any]) -> Payload:
        return {
            "Id": step["Id"],
            "WorkflowId": step["WorkflowId"],
            "Name": step["Name"],
            "Order": step["Order"],
            "Approvers": list(step["Approvers"]),
        }

    # ---------------------------------------------------------------- items

    def workflow_item_list(self, *, query: Params, **_: Any) -> Payload:
        page, count = self.item_paging(query)
        approvals = self.world.approvals
        filters = {k: query[k].strip() for k in ("stepId", "workflowId") if query.get(k)}
        if "workflowId" in filters and filters["workflowId"] not in approvals.workflows:
            raise ApiError.fields(
                {"workflowId": f"Workflow {filters['workflowId']} was not found."}
            )
        if "stepId" in filters and filters["stepId"] not in approvals.steps:
            raise ApiError.fields({"stepId": f"Step {filters['stepId']} was not found."})
        matched = [
            item
            for item in approvals.items.values()
            if item["EntityId"] in self.world.posts
            and filters.get("workflowId", item["WorkflowId"]) == item["WorkflowId"]
            # A step filter lists what waits at that step.
            and (
                "stepId" not in filters
                or (item["StepId"] == filters["stepId"] and item["Status"] == "pending")
            )
        ]
        matched.sort(key=lambda i: (i["Created"], i["Id"]), reverse=self.descending)
        chosen = matched[page * count : (page + 1) * count]
        options = {k: flag(query.get(k)) for k in ("withHistory", "withAuthors", "withSteps")}
        items = [self.render_item(i, **options) for i in chosen]
        return {"Result": True, "Items": items, "Total": len(matched)}

    def item_paging(self, query: Params) -> tuple[int, int]:
        raw_page = (query.get("page") or "0").strip()
        raw_count = (query.get("count") or str(ITEM_COUNT_DEFAULT)).strip()
        if not raw_page.isdigit():
            raise ApiError.fields({"page": f"Page {raw_page} is not valid."})
        if not raw_count.isdigit() or not 1 <= int(raw_count) <= ITEM_COUNT_MAX:
            raise ApiError.fields({"count": f"Page size {raw_count} is not valid."})
        return int(raw_page), int(raw_count)

    def workflow_item_create(self, *, params: Params, **_: Any) -> Payload:
        entity_id = params.get("entityId", "").strip()
        workflow_id = params.get("workflowId", "").strip()
        missing = {
            name: f"{name} is required."
            for name, value in (("entityId", entity_id), ("workflowId", workflow_id))
            if not value
        }
        if missing:
            raise ApiError.fields(missing)
        post = self.world.posts.get(entity_id)
        if post is None:
            raise ApiError.fields({"entityId": f"Post {entity_id} was not found."})
        item = self.world.approvals.submit(
            self.world, post, workflow_id, user_id=self.world.api_user_id
        )
        return {"Result": True, "Data": self.render_item(item)}

    def workflow_item_get(self, item_id: str, *, query: Params, **_: Any) -> Payload:
        item = self.find_item(item_id)
        return {"Result": True, "Data": self.render_item(item, withHistory=True, withSteps=True)}

    def workflow_item_decide(self, item_id: str, *, params: Params, **_: Any) -> Payload:
        item = self.find_item(item_id)
        raw = params.get("isApprove", "").strip()
        if raw not in ("0", "1"):
            raise ApiError.fields({"isApprove": "isApprove must be 1 (approve) or 0 (reject)."})
        note = params.get("note", "").strip()
        if len(note) > NOTE_MAX:
            raise ApiError.fields({"note": f"The note is too long: {len(note)}/{NOTE_MAX}."})
        user = self.world.users[0]
        self.world.approvals.decide(
            self.world,
            item,
            approve=raw == "1",
            note=note,
            step_id=params.get("stepId", "").strip(),
            user=user,
        )
        return {"Result": True, "Data": self.render_item(item, withHistory=True)}

    def workflow_item_delete(self, item_id: str, **_: Any) -> Payload:
        item = self.find_item(item_id)
        self.world.approvals.withdraw(self.world, item, user_id=self.world.api_user_id)
        return {"Result": True}

    def find_item(self, item_id: str) -> dict[str, Any]:
        item = self.world.approvals.items.get(item_id)
        if item is None:
            raise ApiError.api(404, "Workflow item not found")
        return item

    def render_item(
        self,
        item: dict[str, Any],
        *,
        withHistory: bool = False,
        withAuthors: bool = False,
        withSteps: bool = False,
    ) -> Payload:
        approvals = self.world.approvals
        step = approvals.steps[item["StepId"]]
        payload: Payload = {
            "Id": item["Id"],
            "WorkflowId": item["WorkflowId"],
            "EntityId": item["EntityId"],
            "EntityType": item["EntityType"],
            "StepId": item["StepId"],
            "StepOrder": step["Order"],
            "Status": item["Status"],
            "Created": fmt(item["Created"]),
            "Modified": fmt(item["Modified"]),
            "CreatedBy": item["CreatedBy"],
        }
        if withHistory:
            payload["History"] = [
                {
                    "Action": h["Action"],
                    "StepId": h["StepId"],
                    "UserId": h["UserId"],
                    "Note": h["Note"],
                    "Created": fmt(h["Created"]),
                }
                for h in item["History"]
            ]
        if withAuthors:
            ids = {item["CreatedBy"], *(h["UserId"] for h in item["History"])}
            payload["Authors"] = self.authors(ids)
        if withSteps:
            payload["Steps"] = [
                self.render_step(s) for s in approvals.workflow_steps(item["WorkflowId"])
            ]
        return payload

    def authors(self, ids: set[str]) -> Payload:
        names = {u["Id"]: u["Name"] for u in self.world.users}
        return {i: {"Id": i, "Name": names.get(i, "")} for i in sorted(ids)}

    # ---------------------------------------------------------------- notes

    def workflow_item_notes(self, *, query: Params, **_: Any) -> Payload:
        item = self.find_item(self.required_id(query))
        notes = sorted(
            (n for n in self.world.approvals.notes.values() if n["ItemId"] == item["Id"]),
            key=lambda n: (n["Created"], n["Id"]),
        )
        return {
            "Result": True,
            "Notes": [self.render_note(n) for n in notes],
            "Authors": self.authors({n["CreatedBy"] for n in notes}),
        }

    def workflow_item_note_add(self, *, params: Params, **_: Any) -> Payload:
        item = self.find_item(self.required_id(params))
        text = params.get("note", "").strip()
        if not text:
            raise ApiError.fields({"note": "note is required."})
        if len(text) > NOTE_MAX:
            raise ApiError.fields({"note": f"The note is too long: {len(text)}/{NOTE_MAX}."})
        now = self.world.now()
        note = self.world.approvals.add_note(item, text, user_id=self.world.api_user_id, at=now)
        item["History"].append(
            {
                "Action": "note",
                "StepId": item["StepId"],
                "UserId": self.world.api_user_id,
                "Note": text,
                "Created": now,
            }
        )
        self.world.version += 1
        return {"Result": True, "Note": self.render_note(note)}

    def required_id(self, params: Params) -> str:
        item_id = params.get("id", "").strip()
        if not item_id:
            raise ApiError.fields({"id": "id is required."})
        return item_id

    def render_note(self, note: dict[str, Any]) -> Payload:
        return {
            "Id": note["Id"],
            "ItemId": note["ItemId"],
            "Text": note["Text"],
            "Created": fmt(note["Created"]),
            "CreatedBy": note["CreatedBy"],
        }
