"""Writes for the calendar: moving a post by drag or by the drawer's form.

A move is the queue's own reschedule (posts.services.post_reschedule): the same conflict
check against Oktopost, the same per-post lock, the same audit trail. What is the
calendar's own is where a dropped chip lands (planner.moves) and which moves it refuses
before asking Oktopost.
"""

from datetime import date, datetime, time

from django.utils import timezone

from accounts.models import User
from core.localtime import BadLocalTime, within_reach
from planner.moves import drop_target
from posts.models import Post
from posts.services import ServiceError, post_reschedule


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
