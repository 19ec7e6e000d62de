"""planner.services.post_move's own refusals, decided before Oktopost is asked (the moves
Oktopost judges are in tests/test_calendar_move.py, against the sandbox)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from planner.services import MoveRefused, post_move
from posts.models import Post


def editor_in(zone: str) -> User:
    return User(username="editor", time_zone=zone)


def test_a_sent_post_is_refused_as_a_conflict() -> None:
    post = Post(status="complete", start_at=timezone.now() + timedelta(days=2))
    with pytest.raises(MoveRefused, match="already sent") as refused:
        post_move(
            user=editor_in("UTC"),
            post=post,
            day=(timezone.now() + timedelta(days=3)).date(),
            expected_modified=None,
        )
    assert refused.value.conflict


def test_a_day_in_the_past_is_refused_for_its_time() -> None:
    post = Post(status="pending", start_at=timezone.now() + timedelta(days=2))
    with pytest.raises(MoveRefused, match="is in the past") as refused:
        post_move(
            user=editor_in("UTC"),
            post=post,
            day=(timezone.now() - timedelta(days=3)).date(),
            expected_modified=None,
        )
    assert not refused.value.conflict


def test_a_time_the_clocks_skip_is_refused_with_the_reason() -> None:
    # Berlin's clocks go from 02:00 to 03:00 on 28 March 2027.
    post = Post(status="pending", start_at=datetime(2027, 3, 20, 1, 30, tzinfo=UTC))
    with pytest.raises(MoveRefused, match="does not exist") as refused:
        post_move(
            user=editor_in("Europe/Berlin"),
            post=post,
            day=date(2027, 3, 28),
            expected_modified=None,
        )
    assert not refused.value.conflict


def test_the_same_time_again_changes_nothing() -> None:
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    post = Post(status="pending", start_at=start)
    words = post_move(user=editor_in("UTC"), post=post, day=start.date(), expected_modified=None)
    assert words == "Already at that time."
