"""Settling writes whose answer was lost: services record them as "being checked" (they
are never retried, so nothing is done twice); a sync that started after them has read
the post list, so the mirror now tells what Oktopost did.

A write whose answer was lost may still act later: Oktopost was seen to create a post
150 s after our client gave up, and a message 4 minutes late. So what the mirror shows
done settles a write at once, but "not done" is only said once `may_act_for()` has
passed since the write; until then it stays "being checked", and the create form with
the same one-time key waits for it (posts/services/submissions.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from oktopost.client import OktopostClient
from oktopost.errors import NotFound
from posts import mirror
from posts.models import Activity, Post

SETTLE_AFTER = timedelta(seconds=60)
SETTLE_PER_RUN = 20
# A lost answer is recorded when the client gives up, up to a read timeout after Oktopost
# made the object; allow for that and for clock skew, and little after.
CREATED_BEFORE = timedelta(minutes=2)


def may_act_for() -> timedelta:
    """How long after a lost answer Oktopost may still act (docs/RELIABILITY.md)."""
    return timedelta(minutes=settings.OKTOPOST_WRITE_MAY_ACT_MINUTES)


def activities_settle(client: OktopostClient, *, synced_since: datetime) -> int:
    """Decide what happened to writes whose answer was lost, for those older than
    SETTLE_AFTER when the sync started. Returns how many were settled."""
    settled = 0
    pending = Activity.objects.filter(
        outcome=Activity.Outcome.CHECKING, at__lt=synced_since - SETTLE_AFTER
    ).order_by("at", "id")
    # Oldest first, each saved before the next: a post one write was credited with is
    # not a candidate for the next.
    for entry in pending[:SETTLE_PER_RUN]:
        outcome, answer, post_id = _settle(client, entry)
        if outcome == Activity.Outcome.NOT_DONE and synced_since < entry.at + may_act_for():
            continue  # it may still act: "being checked" until the window has passed
        if outcome:
            Activity.objects.filter(id=entry.id).update(
                outcome=outcome,
                answer=f"{entry.answer}\nChecked by the sync: {answer}",
                post_oktopost_id=post_id or entry.post_oktopost_id,
            )
            settled += 1
    return settled


def _settle(client: OktopostClient, entry: Activity) -> tuple[str, str, str]:
    ok_, not_done = Activity.Outcome.OK, Activity.Outcome.NOT_DONE
    after = entry.after
    if entry.action == Activity.Action.CREATE:
        return _settle_create(entry)
    if entry.action == Activity.Action.MESSAGE_CREATE:
        return _settle_message_create(client, entry)
    post = Post.objects.filter(oktopost_id=entry.post_oktopost_id).first()
    if post is None:
        return not_done, "The post is not in the mirror.", ""
    if entry.action == Activity.Action.CANCEL:
        try:
            client.post_get(post.oktopost_id)
        except NotFound:
            mirror.post_gone(post)
            return ok_, "The post is gone from Oktopost: cancelled.", ""
        return not_done, "The post is still in Oktopost: not cancelled.", ""
    wanted_start = after.get("start_at")
    if wanted_start and post.start_at == datetime.fromisoformat(wanted_start):
        return ok_, "The post has the new time.", ""
    wanted_profiles = after.get("profiles")
    if wanted_profiles and set(post.credential_ids) == set(wanted_profiles):
        return ok_, "The post has the new profiles.", ""
    return not_done, "The post still has its old values: the change was not made.", ""


def _settle_create(entry: Activity) -> tuple[str, str, str]:
    """The post this lost create made, if exactly one unclaimed post can be it."""
    after = entry.after
    wanted = set(after.get("profiles") or [])
    claimed = Activity.objects.filter(
        action=Activity.Action.CREATE, outcome=Activity.Outcome.OK
    ).values("post_oktopost_id")
    candidates = [
        post
        for post in Post.objects.filter(
            message_id=after.get("message"),
            created__gte=entry.at - CREATED_BEFORE,
            created__lte=entry.at + may_act_for(),
        ).exclude(oktopost_id__in=claimed)
        if set(post.credential_ids) == wanted
    ]
    # Other lost creates of the same thing, still open or already found undecidable.
    rivals = Activity.objects.filter(
        action=Activity.Action.CREATE,
        outcome__in=(Activity.Outcome.CHECKING, Activity.Outcome.UNCLEAR),
        after__message=after.get("message"),
        at__gte=entry.at - CREATED_BEFORE - may_act_for(),
        at__lte=entry.at + CREATED_BEFORE + may_act_for(),
    ).exclude(id=entry.id)
    rivals_for_same = [r for r in rivals if set(r.after.get("profiles") or []) == wanted]
    if not candidates:
        return (
            Activity.Outcome.NOT_DONE,
            "Oktopost did not create the post; create it again if needed.",
            "",
        )
    ids = ", ".join(p.oktopost_id for p in candidates)
    if len(candidates) > 1:
        return (
            Activity.Outcome.UNCLEAR,
            f"Could not tell which post this was: {ids} could each be it. Check them in the "
            "queue before creating it again.",
            "",
        )
    if rivals_for_same:
        return (
            Activity.Outcome.UNCLEAR,
            f"Oktopost made post {ids}, but {len(rivals_for_same) + 1} creates of this message "
            "for these profiles lost their answers at about this time, so we cannot tell which "
            "one made it. Check the queue before creating it again.",
            "",
        )
    post = candidates[0]
    return (
        Activity.Outcome.OK,
        f"Oktopost did create it, as post {post.oktopost_id}.",
        post.oktopost_id,
    )


def _settle_message_create(client: OktopostClient, entry: Activity) -> tuple[str, str, str]:
    after = entry.after
    claimed = set(
        Activity.objects.filter(
            action=Activity.Action.MESSAGE_CREATE, outcome=Activity.Outcome.OK
        ).values_list("after__id", flat=True)
    )
    listed = client.message_list(campaign_id=after.get("campaign"), count=100)
    candidates = [
        message
        for message in listed.items
        if message.text == after.get("text")
        and message.created
        and entry.at - CREATED_BEFORE <= message.created <= entry.at + may_act_for()
        and message.id not in claimed
    ]
    if not candidates:
        return Activity.Outcome.NOT_DONE, "Oktopost did not create the message.", ""
    if len(candidates) > 1:
        ids = ", ".join(m.id for m in candidates)
        return (
            Activity.Outcome.UNCLEAR,
            f"Could not tell which message this was: {ids} could each be it.",
            "",
        )
    mirror.messages_upsert(candidates, now=timezone.now())
    # Its id where a successful create keeps it, so the form that lost the answer can
    # use the message instead of writing it again.
    Activity.objects.filter(id=entry.id).update(after={**after, "id": candidates[0].id})
    return (
        Activity.Outcome.OK,
        f"Oktopost did create it, as message {candidates[0].id}.",
        "",
    )
