"""Every approval decision: to Oktopost through its client, into the mirror, into the
audit trail. A review link's reviewer decides through the same function, named."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.services import ServiceError
from oktopost.client import OktopostClient
from posts.mirror import approvals as mirror
from posts.models import Activity, ApprovalItem
from posts.services.common import BeingChecked, interactive_client, record, write

NOTE_MAX = 2000


@dataclass(frozen=True)
class Decided:
    item_id: str
    post_id: str
    ok: bool
    words: str


def approval_decide(
    *,
    user: User | None,
    item_ids: list[str],
    approve: bool,
    steps: dict[str, str] | None = None,
    note: str = "",
    reviewer: str = "",
    client: OktopostClient | None = None,
) -> list[Decided]:
    """Approve, or reject with a note, each item at the step the page showed (`steps`:
    item id -> step id; without it, the step the mirror holds). An item already decided
    or moved on (a double click, another approver) is answered in words and left: the
    step goes to Oktopost too, which refuses a decision on a step the item has left.

    `reviewer`: the name a logged-out reviewer gave on a review link; Oktopost records
    the API key's user, so only our audit trail can say who it was."""
    note = note.strip()
    if not item_ids:
        raise ServiceError("Pick at least one post to decide.")
    if not approve and not note:
        raise ServiceError("Say what should change: a rejection needs a note.", field="note")
    if len(note) > NOTE_MAX:
        raise ServiceError(f"The note is too long ({len(note)} of {NOTE_MAX} characters).")
    client = client or interactive_client()
    items = {
        i.oktopost_id: i
        for i in ApprovalItem.objects.filter(oktopost_id__in=item_ids).select_related("step")
    }
    results = []
    for item_id in dict.fromkeys(item_ids):
        item = items.get(item_id)
        if item is None:
            results.append(Decided(item_id, "", False, "This item is no longer known."))
            continue
        shown = (steps or {}).get(item_id) or (item.step.oktopost_id if item.step else "")
        results.append(_decide_one(user, item, shown, approve, note, reviewer, client))
    return results


def _decide_one(
    user: User | None,
    item: ApprovalItem,
    shown_step: str,
    approve: bool,
    note: str,
    reviewer: str,
    client: OktopostClient,
) -> Decided:
    post_id = item.post_oktopost_id
    if item.status != "pending":
        return Decided(item.oktopost_id, post_id, False, f"Already {item.status}; nothing done.")
    if item.step is not None and shown_step != item.step.oktopost_id:
        return Decided(
            item.oktopost_id,
            post_id,
            False,
            f"Already decided at that step; it now waits at {item.step.name}. Nothing done.",
        )
    action = Activity.Action.APPROVE if approve else Activity.Action.REJECT
    step = item.step.name if item.step else ""
    who = f"{reviewer} (review link)" if reviewer else ""
    after = {"item": item.oktopost_id, "step": step, "note": note, "reviewer": reviewer}
    try:
        answer = write(
            lambda: client.workflow_item_decide(
                item.oktopost_id,
                approve=approve,
                note=note,
                step_id=shown_step,
            ),
            user=user,
            action=action,
            post_id=post_id,
            after=after,
            checking="so we cannot tell yet whether the decision was recorded. The next "
            "sync will show where the post stands.",
        )
    except BeingChecked as exc:
        return Decided(item.oktopost_id, post_id, False, exc.message)
    except ServiceError as exc:
        return Decided(item.oktopost_id, post_id, False, exc.message)
    with transaction.atomic():
        mirror.items_upsert([answer], now=timezone.now())
        verb = "Approved" if approve else "Requested changes"
        moved = "" if answer.status != "pending" else " (now at the next step)"
        record(
            user=user,
            action=action,
            outcome=Activity.Outcome.OK,
            post_id=post_id,
            after=after,
            answer=f"Item {answer.id} is {answer.status}",
            summary=f"{verb} at {step}{moved}" + (f" by {who}" if who else ""),
        )
    return Decided(item.oktopost_id, post_id, True, f"{verb} at {step}{moved}.")
