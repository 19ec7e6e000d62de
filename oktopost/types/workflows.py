"""Approvals: workflows with ordered steps and approvers, the items that carry a post
through them, and their notes (the SDK's approvals namespace; docs/oktopost.md
"Approvals" lists what the SDK does not show and what we chose)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oktopost.types.base import Reader

# Item statuses: the SDK's tests show "pending", "approved" and "rejected".
ITEM_STATUSES = ("pending", "approved", "rejected")


@dataclass(frozen=True, slots=True)
class WorkflowStep:
    id: str
    workflow_id: str
    name: str
    order: int
    approver_ids: tuple[str, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Step") -> WorkflowStep:
        r = Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            workflow_id=r.text("WorkflowId"),
            name=r.text("Name"),
            order=r.integer("Order"),
            approver_ids=r.ids("Approvers"),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class Workflow:
    id: str
    name: str
    is_default: bool
    steps: tuple[WorkflowStep, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Workflow") -> Workflow:
        r = Reader(raw, call=call, where=where)
        steps = tuple(
            WorkflowStep.from_api(s, call=call, where=f"{where}.Steps[{i}]")
            for i, s in enumerate(r.array("Steps"))
        )
        return cls(
            id=r.text("Id", required=True),
            name=r.text("Name"),
            is_default=r.flag("IsDefault"),
            steps=tuple(sorted(steps, key=lambda s: s.order)),
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class ItemEvent:
    """One line of an item's history: submitted, approved, rejected or note."""

    action: str
    step_id: str
    user_id: str
    note: str
    at: datetime | None

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str) -> ItemEvent:
        r = Reader(raw, call=call, where=where)
        return cls(
            action=r.text("Action"),
            step_id=r.text("StepId"),
            user_id=r.text("UserId"),
            note=r.text("Note"),
            at=r.when("Created"),
        )


@dataclass(frozen=True, slots=True)
class WorkflowItem:
    """An entity (a post) in a workflow: where it waits and what happened to it."""

    id: str
    workflow_id: str
    entity_id: str
    step_id: str
    status: str
    created: datetime | None
    modified: datetime | None
    created_by: str
    history: tuple[ItemEvent, ...] = ()
    # User id -> name, with ``withAuthors=1``.
    authors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Data") -> WorkflowItem:
        r = Reader(raw, call=call, where=where)
        authors = r.raw.get("Authors") or {}
        if not isinstance(authors, dict):
            raise r.fail("Authors", f"should be an object, got {authors!r}")
        return cls(
            id=r.text("Id", required=True),
            workflow_id=r.text("WorkflowId"),
            entity_id=r.text("EntityId"),
            step_id=r.text("StepId"),
            status=r.text("Status"),
            created=r.when("Created"),
            modified=r.when("Modified"),
            created_by=r.text("CreatedBy"),
            history=tuple(
                ItemEvent.from_api(h, call=call, where=f"{where}.History[{i}]")
                for i, h in enumerate(r.array("History"))
            ),
            authors={
                str(k): str(v.get("Name", "")) if isinstance(v, dict) else ""
                for k, v in authors.items()
            },
            raw=r.raw,
        )


@dataclass(frozen=True, slots=True)
class ItemNote:
    id: str
    item_id: str
    text: str
    created: datetime | None
    created_by: str

    @classmethod
    def from_api(cls, raw: Any, *, call: str, where: str = "Note") -> ItemNote:
        r = Reader(raw, call=call, where=where)
        return cls(
            id=r.text("Id", required=True),
            item_id=r.text("ItemId"),
            text=r.text("Text"),
            created=r.when("Created"),
            created_by=r.text("CreatedBy"),
        )
