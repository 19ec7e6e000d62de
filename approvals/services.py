"""Every approval decision: to Oktopost through its client, into the mirror, into the
audit trail. A review link's reviewer decides through the same function, named."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from approvals.models import ReviewLink
from core.services import ServiceError
from oktopost.client import OktopostClient
from posts.mirror import approvals as mirror
from posts.models import Activity, ApprovalItem
from posts.services.common import BeingChecked, interactive_client, record, write
from sharing import links

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
    link: ReviewLink | None = None,
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
        results.append(_decide_one(user, item, shown, approve, note, reviewer, link, client))
    return results


def _decide_one(
    user: User | None,
    item: ApprovalItem,
    shown_step: str,
    approve: bool,
    note: str,
    reviewer: str,
    link: ReviewLink | None,
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
    if link is not None:
        after["review_link"] = {"id": link.id, "label": link.label}
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


# --- review links ------------------------------------------------------------------------

REVIEW_DAYS = 14
REVIEW_DAYS_MAX = 90
REVIEWER_MAX = 80


@dataclass(frozen=True)
class ReviewCreated:
    link: ReviewLink
    token: str  # shown once: only its hash is kept


def review_link_create(
    *,
    user: User,
    query: str,
    label: str,
    days: int = REVIEW_DAYS,
    choices: dict,
    now: datetime | None = None,
) -> ReviewCreated:
    """A new review link over a queue scope, in `user`'s zone. A part of the scope that
    cannot be read is refused in words, never dropped (dropping it would widen it)."""
    if not user.can_approve:
        raise ServiceError("Only editors and approvers make review links.")
    label = " ".join(label.split())[:120]
    if not label:
        raise ServiceError("Give the link a label, so you can tell it apart later.", field="label")
    if not 1 <= days <= REVIEW_DAYS_MAX:
        raise ServiceError(f"A review link lasts from 1 to {REVIEW_DAYS_MAX} days.", field="days")
    query = query.strip()
    if len(query) > 2000:
        raise ServiceError("That scope is too long for a link.", field="query")
    found = links.queue_canonical(query, user.zone, choices)
    if found.problems:
        raise ServiceError("Not made: " + " ".join(found.problems), field="query")
    now = now or timezone.now()
    token = links.token_new()
    link = ReviewLink.objects.create(
        token_hash=links.token_hash(token),
        query=found.query,
        label=label,
        time_zone=user.time_zone,
        created_by=user,
        created=now,
        expires_at=now + timedelta(days=days),
    )
    return ReviewCreated(link, token)


def review_link_revoke(*, link_id: int, now: datetime | None = None) -> bool:
    """Revoke for good; False if unknown or already revoked."""
    done = ReviewLink.objects.filter(id=link_id, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )
    return bool(done)


def review_link_used(link: ReviewLink, *, now: datetime | None = None) -> None:
    ReviewLink.objects.filter(id=link.id).update(
        use_count=F("use_count") + 1, last_used_at=now or timezone.now()
    )


def review_decide(
    *,
    link: ReviewLink,
    item_id: str,
    step_id: str,
    approve: bool,
    reviewer: str,
    note: str = "",
    client: OktopostClient | None = None,
) -> Decided:
    """A logged-out reviewer's decision on one post of the link (the view has checked it
    is in the link's scope), under the name they gave. The step the page showed goes
    with it, so a double click decides once."""
    reviewer = " ".join(reviewer.split())
    if not reviewer:
        raise ServiceError("Give your name, so the team knows who decided.", field="reviewer")
    if len(reviewer) > REVIEWER_MAX:
        raise ServiceError(f"Your name is too long (at most {REVIEWER_MAX} characters).")
    (result,) = approval_decide(
        user=None,
        item_ids=[item_id],
        steps={item_id: step_id},
        approve=approve,
        note=note,
        reviewer=reviewer,
        link=link,
        client=client,
    )
    if result.ok:
        ReviewLink.objects.filter(id=link.id).update(decisions=F("decisions") + 1)
    return result
