"""A queue row written in Python (`{% queue_row %}`, posts/templatetags/queue_rows.py) is the
row the template wrote, byte for byte, for every kind of row and every reader.

tests/queue_row_reference.html is templates/posts/queue.html#post-row as it was before the
row moved to Python (issue 31), without its partialdef: change the markup in both places
together."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.template import engines
from django.utils import timezone

from accounts.models import User
from posts.models import Activity, Delivery, OktopostUser
from tests import factories
from tests.conftest import make_user

REFERENCE = (Path(__file__).parent / "queue_row_reference.html").read_text()

_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+')


def _every_kind_of_row() -> None:
    """Posts covering each branch of the row, with text that needs escaping."""
    now = timezone.now()
    camp = factories.campaign(name='Q4 "launch" <b>&</b>')
    acme = factories.profile(name="Acme <page> & 'co'")
    other = factories.profile(network="Twitter", name="Acme on X")
    msg = factories.message(text="Read <this> & that " + "x" * 150, camp=camp)
    msg.link_title = 'The "link" <title>'
    msg.link_url = "https://example.com/a?b=1&c=2"
    msg.save()
    images = [
        [{"id": "026000000000001", "type": "Image", "name": "Chart <1>.png"}],
        [{"id": "026000000000002", "type": "Image", "name": ""}],
        [{"type": "Image", "name": "no id"}],
        [],
    ]
    for media in images:
        m = factories.message(text="With an image")
        m.media = media
        m.save()
        factories.post(msg=m, media_kind="image", profiles=[acme])
    for kind, name in (("video", "Clip <a>.mp4"), ("pdf", "Deck.pdf")):
        m = factories.message(text=f"With a {kind}")
        m.media = [{"id": "026000000000009", "type": kind, "name": name}]
        m.save()
        factories.post(msg=m, media_kind=kind)
    # Unsent: due within the hour (live), later, stuck, awaiting approval, deleted.
    factories.post(msg=msg, camp=camp, profiles=[acme, other], start_at=now + timedelta(minutes=20))
    factories.post(msg=msg, profiles=[acme], start_at=now + timedelta(days=3))
    factories.post(status="inqueue", profiles=[acme], start_at=now - timedelta(hours=3))
    factories.post(
        approval="waiting",
        approval_step=2,
        approval_steps=3,
        approval_step_name="Legal <team>",
        start_at=now + timedelta(days=1),
    )
    factories.post(deleted_at=now - timedelta(hours=1))
    # A campaign and a message not mirrored yet; a creator with a name; made here.
    unknown = factories.post(created_by="00A000000000777")
    unknown.campaign_id = "002999999999999"
    unknown.message_id = "005999999999999"
    unknown.save()
    OktopostUser.objects.create(oktopost_id="00A000000000001", name="Dana <Lead>")
    made = factories.post(created_by="00A000000000002")
    Activity.objects.create(
        user=User.objects.create_user("maker", first_name="Max", last_name="O'Brien"),
        action=Activity.Action.CREATE,
        outcome=Activity.Outcome.OK,
        post_oktopost_id=made.oktopost_id,
    )
    # Sent: fresh counters, stale counters, never counted, just sent (live), deleted.
    sent = factories.post(
        status="complete",
        msg=msg,
        camp=camp,
        profiles=[acme, other],
        start_at=now - timedelta(days=5),
        stats_at=now,
        clicks=1234,
        likes=5,
    )
    sent.deliveries.update(status="success")
    factories.post(
        status="complete",
        start_at=now - timedelta(days=5),
        counters_at=now - timedelta(days=4),
        profiles=[acme],
    )
    factories.post(status="complete", start_at=now - timedelta(days=6), counters_at=None)
    factories.post(status="complete", start_at=now - timedelta(minutes=10))
    factories.post(
        status="complete", start_at=now - timedelta(days=2), deleted_at=now - timedelta(hours=2)
    )
    # Failed: the post, and one of two profiles (the other not mirrored).
    failed = factories.post(status="error", msg=msg, profiles=[acme], start_at=now - timedelta(1))
    failed.deliveries.update(status="failed", error="Token <expired> & gone")
    partly = factories.post(
        status="incomplete", msg=msg, profiles=[acme, other], start_at=now - timedelta(days=1)
    )
    partly.deliveries.filter(profile_id=acme.oktopost_id).update(
        status="failed", error="The text is too long"
    )
    partly.deliveries.filter(profile_id=other.oktopost_id).update(status="success")
    orphan = factories.post()
    Delivery.objects.create(post=orphan, profile_id="003-not-mirrored")


@pytest.mark.parametrize("role", ["editor", "viewer"])
@pytest.mark.parametrize(
    "notes", [{}, {"row_error": "Moved <not>", "row_done": ""}, {"row_done": "Moved & done"}]
)
def test_every_row_is_the_templates_row(db, client, role: str, notes: dict) -> None:
    _every_kind_of_row()
    user = make_user(f"row-{role}", role)
    client.force_login(user)
    back = "/posts/?preset=all&q=a b&network=LinkedIn"
    response = client.get("/posts/?preset=all&deleted=1&size=100")
    rows = response.context["page"].rows
    assert len(rows) >= 20
    django = engines["django"]
    reference = django.from_string(
        "{% load queue_rows %}{% for row in rows %}" + REFERENCE + "{% endfor %}"
    )
    ours = django.from_string(
        "{% load queue_rows %}{% for row in rows %}{% queue_row row %}{% endfor %}"
    )
    context = {"rows": rows, "can_write": role == "editor", "queue_back": back, **notes}
    request = response.wsgi_request
    expected = _TOKEN.sub(r"\1X", reference.render(context, request))
    written = _TOKEN.sub(r"\1X", ours.render(context, request))
    assert written == expected
    # Every branch was taken.
    for mark in (
        "data-live",
        'class="row-thumb"',
        "thumb-video",
        "thumb-pdf",
        "stale-mark",
        "link-title",
        "row-outcome",
        "user-name",
        "user-id",
        "Made in oktodash",
        "nothing to count",
        "not sent",
        " deleted",
        '<span class="muted">002999999999999</span>',
        "&lt;",
    ):
        assert mark in written, mark
    if role == "editor":
        assert "post-now-form" in written and "Retry…" in written and "row-cancel" in written


def test_the_page_and_a_single_row_use_it(db, editor_client) -> None:
    post = factories.post(start_at=timezone.now() + timedelta(minutes=5))
    page = editor_client.get("/posts/?preset=all").content.decode()
    row = editor_client.get(
        f"/posts/{post.oktopost_id}/row/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/posts/?preset=all"},
    ).content.decode()
    assert f'<tr id="post-{post.oktopost_id}"' in page
    assert _TOKEN.sub(r"\1X", row).strip() in _TOKEN.sub(r"\1X", page)


@pytest.mark.parametrize("clock_choice", ["24", "12"])
@pytest.mark.parametrize("order", ["dmy", "mdy"])
def test_a_rows_times_are_written_as_clock_fmt_writes_them(clock_choice: str, order: str) -> None:
    from datetime import UTC, datetime

    from core import clock
    from posts.selectors.rows import row_clock

    token = clock.activate(clock.resolve(clock_choice, order, None))
    try:
        for fmt in ("D j M, H:i", "D j M Y, H:i", "H:i", "j F Y"):
            write = row_clock(fmt)
            for day in range(0, 400, 13):
                for hour in (0, 1, 11, 12, 13, 23):
                    value = datetime(2026, 1, 1, hour, 7, tzinfo=UTC) + timedelta(days=day)
                    assert write(value) == clock.fmt(value, fmt), (fmt, value)
    finally:
        clock.deactivate(token)
