"""Writes for the calendar: moving a post by drag or by the drawer's form.

A move is the queue's own reschedule (posts.services.post_reschedule): the same conflict
check against Oktopost, the same per-post lock, the same audit trail. What is the
calendar's own is where a dropped chip lands (planner.moves) and which moves it refuses
before asking Oktopost.
"""

from datetime import date, datetime, time

from django.utils import timezone

from accounts.models import User
from core.localtime import BadLocalTime, local_to_utc, within_reach
from planner.moves import drop_target
from posts.models import Activity, Post, Status
from posts.services import ServiceError, post_reschedule, post_update

# What a draft becomes when scheduled from the tray: Oktopost's draft statuses never go
# out; their sending twins do (docs/oktopost.md, "Status meanings").
SCHEDULED_FROM = {Status.DRAFT: Status.PENDING, Status.INQUEUE_DRAFT: Status.INQUEUE}


class MoveRefused(ServiceError):
    """A move that was not made, with words for the user. `conflict`: the post's state
    (sent, changed meanwhile, refused by Oktopost) stands in the way, not the time asked
    for."""

    def __init__(self, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.conflict = conflict


def post_move(
    *,
    user: User,
    post: Post,
    day: date,
    hour: int | None = None,
    at: time | None = None,
    expected_modified: datetime | None,
) -> str:
    """Move `post` to `day` in the user's zone: at its own local time of day, at `hour`
    (keeping its minutes), or at the time `at`. Returns what happened, in words; raises
    MoveRefused."""
    zone = user.zone
    if post.is_sent:
        raise MoveRefused("this post was already sent.", conflict=True)
    try:
        when = drop_target(post.start_at, zone, day=day, hour=hour, at=at)
        now = timezone.now()
        within_reach(when, now=now)
    except BadLocalTime as exc:
        raise MoveRefused(str(exc)) from exc
    if when < now:
        local = when.astimezone(zone)
        raise MoveRefused(f"{local:%a %d %b %Y %H:%M} is in the past.")
    if when == post.start_at:
        return "Already at that time."
    try:
        moved = post_reschedule(
            user=user, post=post, start_at=when, expected_modified=expected_modified
        )
    except ServiceError as exc:
        raise MoveRefused(exc.message, conflict=True) from exc
    local = moved.start_at.astimezone(zone)
    return f"Moved to {local:%a %d %b %Y, %H:%M} ({zone})."


def draft_schedule(
    *, user: User, post: Post, day: date, at: time, expected_modified: datetime | None
) -> str:
    """Schedule a draft from the tray for `day` at `at` in the user's zone: its time and
    its sending status in one write, through the queue's own update (the per-post lock,
    the version check against Oktopost, the audit trail, the shared rate budget).
    Returns what happened, in words; raises MoveRefused."""
    zone = user.zone
    status = SCHEDULED_FROM.get(post.status)
    if status is None:
        raise MoveRefused("this post is not a draft any more.", conflict=True)
    try:
        when = local_to_utc(datetime.combine(day, at.replace(second=0, microsecond=0)), zone)
        now = timezone.now()
        within_reach(when, now=now)
    except BadLocalTime as exc:
        raise MoveRefused(str(exc)) from exc
    if when < now:
        local = when.astimezone(zone)
        raise MoveRefused(f"{local:%a %d %b %Y %H:%M} is in the past.")
    try:
        done = post_update(
            user=user,
            post=post,
            action=Activity.Action.RESCHEDULE,
            expected_modified=expected_modified,
            start_at=when,
            status=status,
        )
    except ServiceError as exc:
        raise MoveRefused(exc.message, conflict=True) from exc
    local = done.start_at.astimezone(zone)
    return f"Scheduled for {local:%a %d %b %Y, %H:%M} ({zone})."
