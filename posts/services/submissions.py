"""One-time keys for the create form: a double click or a resubmit creates nothing twice.

Each render of the form carries a new key. The first request with a key claims it (a
unique row); a second request with the same key waits for the first and answers with
its result. A refused attempt (Oktopost said no, nothing created) releases the key for
the corrected form, reusing a message created on the way; a lost answer never does.
"""

import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core.services import ServiceError
from posts.models import Activity, Post, Submission
from posts.services.common import BeingChecked

WAIT_FOR_FIRST = 20.0  # seconds a second request waits for the first to finish
ABANDONED_AFTER = timedelta(seconds=120)  # longer than any create can take
KEPT_FOR = timedelta(days=1)  # a form older than this is answered as a new one
POLL = 0.1


def submission_claim(*, user: User, key: str) -> tuple[Submission, Post | None]:
    """Claim `key` for this request: (the row, None) to go ahead, or (the row, the post)
    when an earlier request with this key created it. Raises ServiceError/BeingChecked
    with the earlier request's words when it did not."""
    Submission.objects.filter(user=user, created__lt=timezone.now() - KEPT_FOR).delete()
    try:
        with transaction.atomic():
            return Submission.objects.create(user=user, key=key), None
    except IntegrityError:
        pass
    row = Submission.objects.get(user=user, key=key)
    deadline = time.monotonic() + WAIT_FOR_FIRST
    while row.finished is None and time.monotonic() < deadline:
        if timezone.now() - row.created > ABANDONED_AFTER:
            raise BeingChecked(
                "An earlier submission of this form stopped half-way. Check the queue and "
                "the activity log before creating the post again."
            )
        time.sleep(POLL)
        row.refresh_from_db()
    if row.finished is None:
        raise ServiceError("This form is still being submitted; the queue shows the post soon.")
    if row.post_oktopost_id:
        return row, Post.objects.get(oktopost_id=row.post_oktopost_id)
    if row.checking:
        settled = _settled(row)
        if settled is not None:
            return row, settled
    # Refused before, or settled as not done: this attempt may go ahead.
    taken = Submission.objects.filter(id=row.id, finished=row.finished).update(
        finished=None, error="", checking=False, activity=None, created=timezone.now()
    )
    if not taken:
        return submission_claim(user=user, key=key)
    row.refresh_from_db()
    return row, None


def _settled(row: Submission) -> Post | None:
    """What the sync decided about this key's lost answer: the post it made, or None when
    Oktopost did not act (the key may be used again). Raises while it is still open."""
    entry = Activity.objects.filter(id=row.activity_id).first()
    outcome = entry.outcome if entry else Activity.Outcome.CHECKING
    if outcome == Activity.Outcome.OK and entry.action == Activity.Action.MESSAGE_CREATE:
        # The message was made after all: go ahead with the post, using it.
        Submission.objects.filter(id=row.id).update(message_oktopost_id=entry.after.get("id", ""))
        return None
    if outcome == Activity.Outcome.OK and entry.post_oktopost_id:
        post = Post.objects.filter(oktopost_id=entry.post_oktopost_id).first()
        if post is not None:
            Submission.objects.filter(id=row.id).update(post_oktopost_id=post.oktopost_id)
            return post
    if outcome == Activity.Outcome.NOT_DONE:
        return None
    if outcome == Activity.Outcome.UNCLEAR:
        raise BeingChecked(entry.answer.rpartition("Checked by the sync: ")[2] or row.error)
    raise BeingChecked(row.error)


def submission_message(row: Submission, message_id: str) -> None:
    Submission.objects.filter(id=row.id).update(message_oktopost_id=message_id)


def submission_finish(
    row: Submission,
    *,
    post: Post | None = None,
    error: str = "",
    checking: bool = False,
    activity: Activity | None = None,
) -> None:
    Submission.objects.filter(id=row.id).update(
        finished=timezone.now(),
        post_oktopost_id=post.oktopost_id if post else "",
        error=error,
        checking=checking,
        activity=activity,
    )
