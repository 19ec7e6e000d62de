"""Mirror rows for view tests, written directly (the sync is tested against the sandbox)."""

from datetime import datetime, timedelta
from itertools import count

from django.utils import timezone

from posts.models import Campaign, Delivery, Message, MessageTag, Post, Profile, Tag

_ids = count(1)


def campaign(name: str = "Launch", oktopost_id: str | None = None) -> Campaign:
    return Campaign.objects.create(
        oktopost_id=oktopost_id or f"0020000000{next(_ids):05d}", name=name
    )


def profile(network: str = "LinkedIn", name: str = "Acme page", status: str = "valid") -> Profile:
    return Profile.objects.create(
        oktopost_id=f"003-001000000000001-{next(_ids):08d}",
        name=name,
        network=network,
        status=status,
    )


def message(
    text: str = "Hello world", network: str = "LinkedIn", camp: Campaign | None = None
) -> Message:
    return Message.objects.create(
        oktopost_id=f"0050000000{next(_ids):05d}",
        text=text,
        network=network,
        campaign_id=camp.oktopost_id if camp else None,
    )


def post(
    *,
    status: str = "pending",
    start_at: datetime | None = None,
    network: str = "LinkedIn",
    profiles: list[Profile] = (),
    msg: Message | None = None,
    camp: Campaign | None = None,
    source: str = "UI",
    created_by: str = "00A000000000001",
    **fields,
) -> Post:
    now = timezone.now()
    row = Post.objects.create(
        oktopost_id=f"0040000000{next(_ids):05d}",
        status=status,
        network=network,
        start_at=start_at or now + timedelta(days=1),
        created=fields.pop("created", now - timedelta(days=2)),
        modified=fields.pop("modified", now - timedelta(days=1)),
        message_id=msg.oktopost_id if msg else None,
        campaign_id=camp.oktopost_id if camp else None,
        source=source,
        created_by=created_by,
        credential_ids=[p.oktopost_id for p in profiles],
        counters_at=fields.pop("counters_at", now),
        **fields,
    )
    for p in profiles:
        Delivery.objects.create(post=row, profile_id=p.oktopost_id)
    return row


def tag(name: str = "launch", oktopost_id: str | None = None, *, messages=()) -> Tag:
    """A tag, carried by `messages` (a post's tags are its message's)."""
    row = Tag.objects.create(oktopost_id=oktopost_id or f"0AF0000000{next(_ids):05d}", name=name)
    MessageTag.objects.bulk_create(
        [MessageTag(message_id=m.oktopost_id, tag_id=row.oktopost_id) for m in messages]
    )
    return row


def posts_with_a_trail(user) -> dict:
    """Two posts of one campaign and the activity trail their making left, whose answers
    name them by id as Oktopost does: what the names-not-ids tests read."""
    from posts.models import Activity

    launch = campaign("Spring launch")
    hello = message("Hello LinkedIn people, spring is here", "LinkedIn", launch)
    quiet = message("Quiet Twitter note about the launch", "Twitter", launch)
    made = post(status="pending", msg=hello, camp=launch, queued=True, profiles=[profile()])
    second = post(status="pending", network="Twitter", msg=quiet, camp=launch)
    Activity.objects.create(
        user=user,
        action="message_create",
        outcome="ok",
        answer=f"Message {hello.oktopost_id} created",
        summary="Hello LinkedIn people",
    )
    Activity.objects.create(
        user=user,
        action="create",
        outcome="ok",
        post_oktopost_id=made.oktopost_id,
        answer=f"Post {made.oktopost_id} created, status pending",
        summary="LinkedIn post for 1 profile(s)",
    )
    Activity.objects.create(
        user=user,
        action="reschedule",
        outcome="ok",
        post_oktopost_id=second.oktopost_id,
        answer=f"Post {second.oktopost_id} updated",
    )
    return {"post": made, "second": second, "hello": hello, "launch": launch}
