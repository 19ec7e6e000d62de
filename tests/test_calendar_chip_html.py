"""A calendar's chips written in Python (`{% day_chips %}`, `{% calendar_chip %}`,
planner/templatetags/calendar_chips.py) are what templates/calendar/day_chips.html and
chip.html wrote, byte for byte, for every kind of chip, day and hour, and every reader.

tests/calendar_day_chips_reference.html is those templates' markup as it was before the
chips moved to Python (issue 31), the chip's include written in place: change the markup
in both places together."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.template import engines
from django.utils import timezone

from tests import factories
from tests.conftest import make_user

REFERENCE = (Path(__file__).parent / "calendar_day_chips_reference.html").read_text()
# A Wednesday in the middle of a month: every post below is on its month's page.
DAY = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)


def _every_kind_of_chip() -> None:
    """Chips of each status, dragged or not, clashing or not, with text to escape, and
    an hour with more posts than it shows."""
    acme = factories.profile(name="Acme <page> & 'co'")
    other = factories.profile(network="Twitter", name="Acme on X")
    msg = factories.message(text='Read <this> & "that" ' + "word " * 12)
    short = factories.message(text="Short & sweet")
    # Two posts to one profile ten minutes apart: a clash on both chips.
    factories.post(msg=msg, profiles=[acme, other], start_at=DAY)
    factories.post(msg=short, profiles=[acme], start_at=DAY + timedelta(minutes=10))
    factories.post(status="draft", msg=short, start_at=DAY + timedelta(hours=5))
    factories.post(status="complete", msg=msg, profiles=[acme], start_at=DAY - timedelta(1))
    factories.post(status="error", network="Twitter", profiles=[other], start_at=DAY - timedelta(2))
    factories.post(status="incomplete", network="Facebook", start_at=DAY + timedelta(days=1))
    factories.post(approval="waiting", approval_step=1, approval_steps=2, start_at=DAY)
    factories.post(deleted_at=DAY, start_at=DAY + timedelta(days=2, hours=3))
    unsynced = factories.post(start_at=DAY + timedelta(days=3))
    unsynced.message_id = "005999999999999"
    unsynced.save()
    for minute in range(0, 60, 4):
        factories.post(msg=short, start_at=DAY + timedelta(days=1, hours=2, minutes=minute))


def _both_ways(response, role: str, **extra) -> tuple[str, str]:
    """Every day (or hour) of the page with chips, by the reference and by the tag."""
    django = engines["django"]
    reference = django.from_string(REFERENCE)
    ours = django.from_string("{% load calendar_chips %}{% day_chips %}")
    base = {
        "can_write": role == "editor",
        "clash_minutes": 30,
        "chip_links": response.context["chip_links"],
        "scope": response.context["scope"],
        **extra,
    }
    expected, written = [], []
    for day in response.context["calendar"].days:
        week = response.context["scope"].view == "week"
        places = [slot for slot in day.slots if slot.chips] if week else [None]
        for place in places:
            if place is None and not day.chips:
                continue
            shown = place or day
            context = {
                **base,
                "day": day,
                "slot": place,
                "chips": shown.chips,
                "more": shown.more,
                "more_capped": shown.more_capped,
                "queue_query": day.queue_query,
            }
            expected.append(reference.render(context))
            written.append(ours.render(context))
    return "".join(expected), "".join(written)


@pytest.mark.parametrize("role", ["editor", "viewer"])
@pytest.mark.parametrize("view", ["week", "month"])
def test_every_day_and_hour_is_the_templates(db, client, role: str, view: str) -> None:
    _every_kind_of_chip()
    client.force_login(make_user(f"chip-{role}", role))
    response = client.get(f"/calendar/?view={view}&date=2026-03-11&deleted=1&network=LinkedIn")
    for extra in ({}, {"expanded": True, "shown": 1}):
        expected, written = _both_ways(response, role, **extra)
        assert written == expected
    # Every branch was taken.
    for mark in (" clash", "chip-clash", "&lt;this&gt;", "chip-draft", "chip-complete", "more"):
        assert mark in written, mark
    assert (re.search(r'id="chips-[\d-]+-h\d+"', written) is not None) is (view == "week")
    assert "data-first-new" in written and "more-rest" in written
    if role == "editor":
        assert 'draggable="true"' in written and 'draggable="false"' in written
    else:
        assert 'draggable="true"' not in written


def test_the_page_and_an_opened_hour_use_it(db, editor_client) -> None:
    _every_kind_of_chip()
    page = editor_client.get("/calendar/?view=week&date=2026-03-11").content.decode()
    assert page.count('<div class="day-chips"') >= 6 and 'class="more"' in page
    opened = editor_client.get("/calendar/day/?view=week&date=2026-03-12&hour=2&shown=3")
    assert opened.status_code == 200
    assert 'id="chips-2026-03-12-h2"' in opened.content.decode()


SLOTS = (Path(__file__).parent / "calendar_week_slots_reference.html").read_text().rstrip("\n")


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_every_hour_of_the_week_is_the_templates(db, client, role: str) -> None:
    """This week (today's column) and the next (every empty hour ahead offers "+"), and
    the week with the posts above; from the pages' own days."""
    _every_kind_of_chip()
    client.force_login(make_user(f"slot-{role}", role))
    django = engines["django"]
    loop = "{% load calendar_chips %}{% for day in calendar.days %}"
    reference = django.from_string(loop + SLOTS + "{% endfor %}")
    ours = django.from_string(loop + "{% week_slots day forloop.counter %}{% endfor %}")
    written = ""
    next_week = (timezone.localdate() + timedelta(days=7)).isoformat()
    for date in ("", f"&date={next_week}", "&date=2026-03-11&network=LinkedIn"):
        response = client.get(f"/calendar/?view=week{date}")
        context = {
            name: response.context[name]
            for name in ("calendar", "can_write", "clash_minutes", "chip_links", "scope")
        }
        page = ours.render(context)
        assert page == reference.render(context)
        written += page
    for mark in ("slot-empty", " today", "chip-clash", 'class="more"'):
        assert mark in written, mark
    assert ('class="slot-new"' in written) is (role == "editor")
    assert ('tabindex="-1"' in written) is (role == "editor")
