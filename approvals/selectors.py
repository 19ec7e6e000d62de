"""Reads for the Approvals page: what waits, grouped by step, oldest first, each with
its per-network preview, media, time, campaign and history in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime

from approvals.models import ReviewLink
from core.infra import cache_get, cache_set
from posts import previews
from posts.models import APPROVALS_COUNT_CACHE_KEY, ApprovalItem, Post, WorkflowStep
from posts.selectors import message_media, queue_queryset, user_names
from sharing import links

# The page shows this many waiting items at most (oldest first); the count says the rest.
# As many as a queue page: each item is a full preview card with its own form, and at 200
# the page took 4x the queue's time in template rendering alone (bench/approvals.py).
PAGE_LIMIT = 50
ACTION_WORDS = {
    "submitted": "sent for approval",
    "approved": "approved",
    "rejected": "requested changes",
    "note": "added a note",
}


@dataclass(frozen=True)
class HistoryLine:
    at: datetime | None
    who: str
    what: str
    step: str
    note: str


@dataclass(frozen=True)
class ApprovalRow:
    item_id: str
    step_id: str
    post: Post
    waiting_since: datetime | None
    previews: tuple[previews.Preview, ...]
    history: tuple[HistoryLine, ...]
    creator: str


@dataclass(frozen=True)
class StepGroup:
    workflow: str
    step: str
    order: int
    steps: int
    approvers: tuple[str, ...]
    rows: tuple[ApprovalRow, ...]

    @property
    def label(self) -> str:
        return f"{self.workflow} · step {self.order} of {self.steps} · {self.step}"


def approvals_waiting_count() -> int:
    """Cached for a minute; every mirror write of items drops it."""
    count = cache_get(APPROVALS_COUNT_CACHE_KEY)
    if count is None:
        count = ApprovalItem.objects.filter(status="pending").count()
        cache_set(APPROVALS_COUNT_CACHE_KEY, count, 60)
    return count


def approvals_waiting(*, limit: int = PAGE_LIMIT) -> list[StepGroup]:
    """Waiting items by step (workflow, then step order), oldest first within a step."""
    items = list(
        ApprovalItem.objects.filter(status="pending")
        .select_related("step", "workflow")
        .order_by("created", "id")[:limit]
    )
    posts = {
        p.oktopost_id: p
        for p in Post.objects.filter(
            oktopost_id__in=[i.post_oktopost_id for i in items], deleted_at__isnull=True
        ).select_related("campaign", "message")
    }
    names = user_names()
    # One read of every step with its workflow: the groups' labels would otherwise load
    # each step's workflow on its own (a query per step).
    steps = {s.id: s for s in WorkflowStep.objects.select_related("workflow")}
    step_counts: dict[int, int] = {}
    for step in steps.values():
        step_counts[step.workflow_id] = max(step_counts.get(step.workflow_id, 0), step.order)
    step_names = {s.oktopost_id: s.name for s in steps.values()}
    groups: dict[int, list[ApprovalRow]] = {}
    for item in items:
        post = posts.get(item.post_oktopost_id)
        if post is None or item.step_id is None:
            continue
        groups.setdefault(item.step_id, []).append(_row(item, post, names, step_names))
    ordered = sorted(
        groups.items(), key=lambda kv: (steps[kv[0]].workflow.name, steps[kv[0]].order)
    )
    return [
        StepGroup(
            workflow=steps[step_id].workflow.name,
            step=steps[step_id].name,
            order=steps[step_id].order,
            steps=step_counts.get(steps[step_id].workflow_id, 0),
            approvers=tuple(names.get(a, a) for a in steps[step_id].approver_ids),
            rows=tuple(rows),
        )
        for step_id, rows in ordered
    ]


def _row(
    item: ApprovalItem, post: Post, names: dict[str, str], step_names: dict[str, str]
) -> ApprovalRow:
    return ApprovalRow(
        item_id=item.oktopost_id,
        step_id=item.step.oktopost_id if item.step else "",
        post=post,
        waiting_since=item.created,
        previews=(post_preview(post),),
        history=tuple(
            HistoryLine(
                at=parse_datetime(h["at"]) if h.get("at") else None,
                who=names.get(h.get("user", ""), "Someone"),
                what=ACTION_WORDS.get(h.get("action", ""), h.get("action", "")),
                step=step_names.get(h.get("step", ""), ""),
                note=h.get("note", ""),
            )
            for h in item.history
        ),
        creator=names.get(item.created_by, "Someone"),
    )


def post_preview(post: Post, *, thumbnails: bool = True) -> previews.Preview:
    """Compose's preview card for the post's network, from its message. `thumbnails`
    False: media by name only (a review link's reviewer has no login to open them)."""
    message = post.message
    media = tuple(
        previews.PreviewMedia(m.kind, m.thumbnail_url if thumbnails else "", m.name)
        for m in message_media(message)
        if m.kind
    )
    if message is None:
        return previews.preview(post.network, text="")
    return previews.preview(
        post.network,
        text=message.text,
        link_url=message.link_url,
        link_title=message.link_title,
        description=message.description,
        # The link card's picture is an address on the web: the page would fetch it from
        # the reviewer's browser (and a review link must not); the card keeps its words.
        image_url="",
        title=message.title,
        media=media,
        profiles=(f"{post.total_count} profile" + ("" if post.total_count == 1 else "s"),),
    )


# --- review links ------------------------------------------------------------------------

# A review page shows at most this many posts of its scope, soonest first.
REVIEW_LIMIT = 100


@dataclass(frozen=True)
class ReviewRow:
    """A post of a review link's scope that is, or was, in an approval workflow. The
    reviewer sees no names of the team: the history is what happened, at which step."""

    item_id: str
    step_id: str
    post: Post
    previews: tuple[previews.Preview, ...]  # one card: the post's network
    state: str  # "Awaiting approval · step 2 of 3 · Legal", "Approved"…
    waiting: bool
    history: tuple[HistoryLine, ...]


def review_link_for_token(token: str) -> ReviewLink | None:
    """The link a token opens (active or not), or None for a token that matches none."""
    if not links.token_well_formed(token):
        return None
    return (
        ReviewLink.objects.select_related("created_by")
        .filter(token_hash=links.token_hash(token))
        .first()
    )


def review_links_list() -> QuerySet[ReviewLink]:
    return ReviewLink.objects.select_related("created_by")


def review_rows(
    query: str, *, zone, choices: dict, now: datetime, limit: int = REVIEW_LIMIT
) -> list[ReviewRow]:
    """The posts of a link's stored scope (parsed again here, never from the visitor's
    address) that are in an approval workflow, soonest first."""
    parsed = links.queue_scope(query, choices)
    posts = list(
        queue_queryset(parsed.filters, now=now, zone=zone)
        .exclude(approval="")
        .exclude(approval_item="")
        .select_related("campaign", "message")
        .order_by("start_at", "id")[:limit]
    )
    items = {
        i.oktopost_id: i
        for i in ApprovalItem.objects.filter(
            oktopost_id__in=[p.approval_item for p in posts]
        ).select_related("step")
    }
    step_names = dict(WorkflowStep.objects.values_list("oktopost_id", "name"))
    rows = []
    for post in posts:
        item = items.get(post.approval_item)
        if item is None:
            continue
        waiting = item.status == "pending" and item.step is not None
        rows.append(
            ReviewRow(
                item_id=item.oktopost_id,
                step_id=item.step.oktopost_id if item.step else "",
                post=post,
                previews=(post_preview(post, thumbnails=False),),
                state=post.approval_label or item.status.capitalize(),
                waiting=waiting,
                history=tuple(
                    HistoryLine(
                        at=parse_datetime(h["at"]) if h.get("at") else None,
                        who="",
                        what=ACTION_WORDS.get(h.get("action", ""), h.get("action", "")),
                        step=step_names.get(h.get("step", ""), ""),
                        note=h.get("note", ""),
                    )
                    for h in item.history
                ),
            )
        )
    return rows
