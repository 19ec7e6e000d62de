"""Settling writes whose answer was lost: services record them as "being checked" (they
are never retried, so nothing is done twice); a sync that started after them has read
the post list, so the mirror now tells what Oktopost did."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from oktopost.client import OktopostClient
from oktopost.errors import NotFound
from posts import mirror
from posts.models import Activity, Post

SETTLE_AFTER = timedelta(seconds=60)
SETTLE_PER_RUN = 20
# How long before its lost answer a write's result may carry as its creation time.
CREATED_SLACK = timedelta(minutes=2)


def activities_settle(client: OktopostClient, *, synced_since: datetime) -> int:
    """Decide what happened to writes whose answer was lost, for those older than
    SETTLE_AFTER when the sync started. Returns how many were settled."""
    settled = 0
    pending = Activity.objects.filter(
        outcome=Activity.Outcome.CHECKING, at__lt=synced_since - SETTLE_AFTER
    )
    for entry in pending[:SETTLE_PER_RUN]:
        outcome, answer, post_id = _settle(client, entry)
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
        candidates = Post.objects.filter(
            message_id=after.get("message"), created__gte=entry.at - CREATED_SLACK
        )
        wanted = set(after.get("profiles") or [])
        for post in candidates:
            if set(post.credential_ids) == wanted:
                return ok_, f"Oktopost did create it, as post {post.oktopost_id}.", post.oktopost_id
        return not_done, "Oktopost did not create the post; create it again if needed.", ""
    if entry.action == Activity.Action.MESSAGE_CREATE:
        listed = client.message_list(campaign_id=after.get("campaign"), count=100)
        for message in listed.items:
            if (
                message.text == after.get("text")
                and message.created
                and message.created >= entry.at - CREATED_SLACK
            ):
                mirror.messages_upsert([message], now=timezone.now())
                return ok_, f"Oktopost did create it, as message {message.id}.", ""
        return not_done, "Oktopost did not create the message.", ""
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
