"""Approval alerts against a mirror synced from the sandbox: "approval overdue" goes once
to the current step's approvers and the creator when the post's time is near; a request
for changes goes to the creator with the note; nobody else hears of either."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from accounts.models import User
from alerts.models import Alert, Mode, Notification, Preference
from alerts.services import detect
from core.roles import APPROVER, EDITOR, VIEWER
from posts.models import Activity, ApprovalItem, Post
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def linked(name: str, role: str, oktopost_user: str = "") -> User:
    """A user whose alert settings name their Oktopost user; bell only."""
    user = make_user(name, role)
    Preference.objects.create(
        user=user, events=["failed"], mode=Mode.OFF, oktopost_user_id=oktopost_user
    )
    return user


def bell(user: User, key: str) -> list[Alert]:
    """The user's bell entries of one event (a unique key: at most one alert)."""
    return [n.alert for n in Notification.objects.filter(user=user, alert__key=key)]


def waiting() -> tuple[ApprovalItem, Post]:
    item = (
        ApprovalItem.objects.filter(status="pending", step__order=2)
        .select_related("step")
        .order_by("created", "id")
        .first()
    )
    return item, Post.objects.get(oktopost_id=item.post_oktopost_id)


def test_an_overdue_approval_alerts_its_steps_approvers_and_the_creator_once(
    mirror, settings
) -> None:
    settings.APPROVAL_OVERDUE_HOURS = 6
    item, post = waiting()
    approver = linked("april", APPROVER, item.step.approver_ids[0])
    creator = linked("carl", EDITOR, post.created_by)
    bystander = linked("vera", VIEWER, "00Anobody0000000")

    with time_machine.travel(post.start_at - timedelta(hours=8), tick=False):
        early = detect.alerts_detect()
    with time_machine.travel(post.start_at - timedelta(hours=5), tick=False):
        detect.alerts_detect()
    with time_machine.travel(post.start_at - timedelta(hours=1), tick=False):
        detect.alerts_detect()

    key = f"approval_overdue:{item.oktopost_id}"
    assert key not in {a.key for a in early}
    alert = Alert.objects.get(key=key)
    assert item.step.name in alert.lines[0]
    assert bell(approver, key) == [alert]
    assert bell(creator, key) == [alert]
    assert bell(bystander, key) == []
    assert Notification.objects.filter(alert=alert).count() == 2


def test_an_approved_post_is_never_overdue(mirror, settings, editor_client) -> None:
    settings.APPROVAL_OVERDUE_HOURS = 6
    item, post = waiting()
    ApprovalItem.objects.filter(pk=item.pk).update(status="approved")
    Post.objects.filter(pk=post.pk).update(approval="approved")

    with time_machine.travel(post.start_at - timedelta(hours=1), tick=False):
        detect.alerts_detect()

    assert not Alert.objects.filter(key=f"approval_overdue:{item.oktopost_id}").exists()


def test_a_request_for_changes_alerts_the_creator_with_the_note(mirror) -> None:
    item, post = waiting()
    decider = make_user("april", APPROVER)
    client = Client()
    client.force_login(decider)
    creator_there = linked("carl", EDITOR, post.created_by)
    creator_here = linked("erin", EDITOR)
    Activity.objects.create(
        user=creator_here, action="create", outcome="ok", post_oktopost_id=post.oktopost_id
    )
    approvers = linked("lena", APPROVER, item.step.approver_ids[0])

    client.post(
        "/approvals/decide/",
        {
            "item": f"{item.oktopost_id}@{item.step.oktopost_id}",
            "action": "reject",
            "note": "Use the new logo.",
        },
    )
    detect.alerts_detect()
    detect.alerts_detect()

    key = f"approval_rejected:{item.oktopost_id}"
    alert = Alert.objects.get(key=key)
    assert "“Use the new logo.”" in alert.lines[0]
    assert bell(creator_there, key) == [alert]
    assert bell(creator_here, key) == [alert]
    assert bell(approvers, key) == [] and bell(decider, key) == []
