"""A day's (or an hour's) chips written in Python: `{% day_chips %}` and `{% calendar_chip %}`.

They were templates/calendar/day_chips.html, included once a day of the month and once an
hour of the week that has posts, and chip.html, included once a chip: at some 180 chips a
week, in as many hours, the two includes were most of the calendar page's CPU (issue 31).
The markup is the templates', byte for byte (tests/test_calendar_chip_html.py renders
every kind of chip and hour both ways against tests/calendar_day_chips_reference.html):
change the markup here and there together."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.context import Context
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString, mark_safe

from core.rendering import html_text as _e
from planner.chips import Chip
from planner.selectors import Day

register = template.Library()


@register.simple_tag(takes_context=True)
def calendar_chip(context: Context, chip: Chip) -> SafeString:
    return mark_safe(_chip(context, chip))  # noqa: S308 (escaped by _chip)


def _chip(context: Context, chip: Chip) -> str:
    post, row = chip.post, chip.row
    links = context.get("chip_links") or {}
    pid = _e(post.oktopost_id)
    clash = " clash" if chip.clashes else ""
    if context.get("can_write") and chip.can_drag:
        drag = f'draggable="true" data-post="{pid}" data-modified="{_e(row.modified_iso)}"'
    else:
        drag = 'draggable="false"'
    warning = ""
    if chip.clashes:
        warning = (
            ' <span class="chip-clash"><span aria-hidden="true">⚠</span><span'
            ' class="visually-hidden">Clash: same profile within'
            f" {_e(context.get('clash_minutes', ''))} minutes of another post</span></span>"
        )
    # Every value in it went through _e() (escaped); the rest is this file's markup.
    return (
        f'<a class="chip chip-{_e(post.status_key)}{clash}" id="chip-{pid}"'
        f' href="{_e(links.get("detail", ""))}{pid}/"'
        f' hx-get="{_e(links.get("drawer", ""))}{pid}/?{_e(links.get("back", ""))}"'
        f' hx-target="#drawer" hx-swap="innerHTML" {drag} title="{_e(chip.chip_title)}">'
        f'<span class="chip-icon" aria-hidden="true">{_e(chip.status_icon)}</span>'
        f'<span class="visually-hidden">{_e(post.status_label)}:</span>'
        f' <time datetime="{_e(row.start_iso)}">{_e(chip.time_label)}</time>'
        f' <abbr class="chip-net" title="{_e(post.network)}">{_e(chip.network_short)}</abbr>'
        f' <span class="chip-text">{_e(chip.first_words)}</span>{warning}</a>'
    )


@register.simple_tag(takes_context=True)
def day_chips(context: Context, **given: Any) -> SafeString:
    """A day's chips on the month, or an hour's on the week (`slot`), with "+N more"
    opening the rest in place (planner:day). `expanded`: the answer to that, the new
    chips from `shown` on marked for focus. Each value is `given` or the context's."""
    return mark_safe(_day_chips(context, given))  # noqa: S308 (escaped by _day_chips)


@register.simple_tag(takes_context=True)
def week_slots(context: Context, day: Day, column: int) -> SafeString:
    """A day's 24 hours on the week (the template's `{% for slot in day.slots %}`, with
    its whitespace): each hour's chips, or an editor's "+" for a new post in an empty
    hour ahead; column `column` of the grid."""
    ymd = f"{day.day:%Y-%m-%d}"
    today = " today" if day.is_today else ""
    # The "+" of an empty hour ahead, for editors: the address reversed once a day.
    new_post = reverse("posts:new") if context.get("can_write") else ""
    # "Tue 8 Dec", said by each hour's "+N more" and "+": formatted once a day.
    day_label = date_format(day.day, "D j M")
    out: list[str] = []
    for slot in day.slots:
        empty = "" if slot.chips else " slot-empty"
        out.append(
            f'\n          <div class="slot c{_e(column)} r{_e(slot.hour)}{empty}{today}"'
            f' data-drop-date="{ymd}" data-drop-hour="{_e(slot.hour)}">\n            '
        )
        if slot.chips:
            given = {"day": day, "slot": slot, "chips": slot.chips, "more": slot.more}
            given |= {"more_capped": slot.more_capped, "queue_query": day.queue_query}
            given["day_label"] = day_label
            out.append(_day_chips(context, given))
        elif new_post and slot.new_when:
            new = f"{new_post}?when={_e(slot.new_when)}"
            tab = "" if slot.tab_stop else ' tabindex="-1"'
            out.append(
                f'<a class="slot-new" href="{new}"{tab} hx-get="{new}" hx-target="#drawer"'
                ' hx-swap="innerHTML"><span aria-hidden="true">+</span><span'
                f' class="visually-hidden">New post on {_e(day_label)}'
                f" at {_e(slot.label)}</span></a>"
            )
        out.append("\n          </div>\n        ")
    # Every value in it went through _e() (escaped); the rest is this file's markup.
    return mark_safe("".join(out))  # noqa: S308


def _day_chips(context: Context, given: dict[str, Any]) -> str:
    def value(name: str) -> Any:
        return given[name] if name in given else context.get(name)

    day, slot, chips = value("day"), value("slot"), value("chips") or []
    expanded, shown, more = value("expanded"), value("shown"), value("more")
    ymd = f"{day.day:%Y-%m-%d}"
    box = f"chips-{ymd}" + (f"-h{_e(slot.hour)}" if slot else "")
    out = [f'<div class="day-chips" id="{box}">\n  ']
    if slot:
        out.append(f'<span class="visually-hidden">{_e(slot.label)}</span>')
    out.append('\n  <ul class="cal-chips">')
    for n, chip in enumerate(chips):
        first_new = " data-first-new" if expanded and n == shown else ""
        out.append(f"<li{first_new}>{_chip(context, chip)}</li>")
    out.append("</ul>\n  ")
    if more:
        links = context.get("chip_links") or {}
        count = f"{_e(more)}{'+' if value('more_capped') else ''}"
        queue = f"{links.get('queue') or reverse('posts:queue')}?{_e(value('queue_query'))}"
        if expanded:
            out.append(
                f'\n    <p class="more-rest">{count} more: <a href="{queue}">see every post'
                " of this day in the queue</a>.</p>\n  "
            )
        else:
            scope = context.get("scope")
            ask = (
                f"{links.get('day') or reverse('planner:day')}?view={_e(scope.view)}&amp;date={ymd}"
            )
            if slot:
                ask += f"&amp;hour={_e(slot.hour)}"
            ask += f"&amp;shown={len(chips)}"
            if filters := scope.filters_query():
                ask += f"&amp;{_e(filters)}"
            where = f" on {_e(value('day_label') or date_format(day.day, 'D j M'))}"
            if slot:
                where += f" at {_e(slot.label)}"
            out.append(
                f'\n    <a class="more" href="{queue}" hx-get="{ask}" hx-target="#{box}"'
                f' hx-swap="outerHTML">+{count} more<span class="visually-hidden">{where}'
                "</span></a>\n  "
            )
    out.append("\n</div>\n")
    # Every value in it went through _e() (escaped); the rest is this file's markup.
    return "".join(out)
