"""The client's approval calls (SDK approvals namespace; docs/oktopost.md "Approvals"):
workflows, their steps, items, decisions and notes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oktopost.calls.params import iterate, paging, required, segment
from oktopost.transport import Transport, list_member, member
from oktopost.types import Page
from oktopost.types.workflows import ItemNote, Workflow, WorkflowItem, WorkflowStep

# /workflow-item pages: bare `page`/`count`, count 1 to 1000 (API reference §1).
WORKFLOW_ITEMS_MAX = 1000


class WorkflowCalls(Transport):
    """Approval workflows (mixed into `OktopostClient`)."""

    def workflow_list(
        self, *, page: int = 0, count: int = 100, with_steps: bool = True
    ) -> Page[Workflow]:
        params = paging(page, count) | ({"withSteps": 1} if with_steps else {})
        return self._page(
            "GET /workflow", "/workflow", params, Workflow.from_api, page=page, count=count
        )

    def workflows_iter(self) -> Iterator[Workflow]:
        return iterate(lambda page: self.workflow_list(page=page, count=100))

    def workflow_get(self, workflow_id: str) -> Workflow:
        call = "GET /workflow/{id}"
        body = self._request("GET", f"/workflow/{segment(workflow_id)}", call=call)
        return Workflow.from_api(member(body, "Workflow", call), call=call)

    def workflow_step_list(
        self, *, workflow_id: str | None = None, page: int = 0, count: int = 100
    ) -> Page[WorkflowStep]:
        params = paging(page, count) | ({"workflowId": workflow_id} if workflow_id else {})
        return self._page(
            "GET /workflow-step",
            "/workflow-step",
            params,
            WorkflowStep.from_api,
            page=page,
            count=count,
        )

    def workflow_item_list(
        self,
        *,
        page: int = 0,
        count: int = WORKFLOW_ITEMS_MAX,
        step_id: str | None = None,
        workflow_id: str | None = None,
        with_history: bool = False,
        with_authors: bool = False,
        with_steps: bool = False,
    ) -> Page[WorkflowItem]:
        """Items with their step and status; ``with_history``/``with_authors`` add what
        happened and who did it, so a sync needs no call per item."""
        if not 1 <= count <= WORKFLOW_ITEMS_MAX or page < 0:
            raise ValueError(f"count must be 1 to {WORKFLOW_ITEMS_MAX} and page >= 0")
        params: dict[str, Any] = {"page": page, "count": count}
        for key, value in (("stepId", step_id), ("workflowId", workflow_id)):
            if value:
                params[key] = value
        for key, wanted in (
            ("withHistory", with_history),
            ("withAuthors", with_authors),
            ("withSteps", with_steps),
        ):
            if wanted:
                params[key] = 1
        return self._page(
            "GET /workflow-item",
            "/workflow-item",
            params,
            WorkflowItem.from_api,
            page=page,
            count=count,
        )

    def workflow_items_iter(self, **filters: Any) -> Iterator[WorkflowItem]:
        return iterate(lambda page: self.workflow_item_list(page=page, **filters))

    def workflow_item_create(self, *, entity_id: str, workflow_id: str) -> WorkflowItem:
        """Send a post into a workflow (``POST /workflow-item``); the answer is under
        ``Data`` (the SDK's test)."""
        call = "POST /workflow-item"
        data = {
            "entityId": required(entity_id, "entity_id"),
            "workflowId": required(workflow_id, "workflow_id"),
        }
        body = self._request("POST", "/workflow-item", call=call, data=data)
        return WorkflowItem.from_api(member(body, "Data", call), call=call)

    def workflow_item_decide(
        self, item_id: str, *, approve: bool, note: str = "", step_id: str = ""
    ) -> WorkflowItem:
        """Approve (``isApprove=1``) or reject (``0``) the item's current step. With
        ``step_id`` Oktopost refuses a decision on a step the item has left, so a
        decision sent twice lands once."""
        call = "POST /workflow-item/{id}"
        data: dict[str, Any] = {"isApprove": 1 if approve else 0}
        if note:
            data["note"] = note
        if step_id:
            data["stepId"] = step_id
        body = self._request("POST", f"/workflow-item/{segment(item_id)}", call=call, data=data)
        return WorkflowItem.from_api(member(body, "Data", call), call=call)

    def workflow_item_delete(self, item_id: str) -> None:
        self._request(
            "DELETE", f"/workflow-item/{segment(item_id)}", call="DELETE /workflow-item/{id}"
        )

    def workflow_item_notes(self, item_id: str) -> list[ItemNote]:
        call = "GET /workflow-item-note"
        body = self._request(
            "GET", "/workflow-item-note", call=call, params={"id": required(item_id, "item_id")}
        )
        return [
            ItemNote.from_api(n, call=call, where=f"Notes[{i}]")
            for i, n in enumerate(list_member(body, "Notes", call))
        ]

    def workflow_item_note_add(self, item_id: str, *, note: str) -> ItemNote:
        """``PUT /workflow-item-note`` with ``id`` and ``note`` in the query string, as
        the SDK sends them."""
        call = "PUT /workflow-item-note"
        params = {"id": required(item_id, "item_id"), "note": required(note, "note")}
        body = self._request("PUT", "/workflow-item-note", call=call, params=params)
        return ItemNote.from_api(member(body, "Note", call), call=call)
