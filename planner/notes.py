"""Calendar notes on the calendar: Oktopost's custom events (a launch, a freeze, a
webinar), read from the mirror (`posts.models.CalendarNote`, synced with the catalog) and
shown on each local day they touch, with the part of their span that day.

One query for the visible range, whatever its length. Notes belong to the calendar, not
to posts: the queue's filters do not apply to them, except campaigns (a note of another
campaign is left out; a note of no campaign is for everyone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.db.models import Q

from core.localtime import as_local
from posts.models import CalendarNote

EN_DASH = "\N{EN DASH}"


@dataclass(frozen=True)
class DayNote:
    """A note as one day shows it."""

    oktopost_id: str
    title: str
    description: str
    when: str  # this day's part of the span: "13:00", "09:00-10:30" (an en dash), "from
    # 13:00", "until 14:00", "all day"
    span: str  # the whole span in words, for the note's details
    campaigns: tuple[str, ...]  # names (or ids the mirror cannot name)


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _clock(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _date(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}"


def span_words(start: datetime, end: datetime | None) -> str:
    """The whole span, local: "Mon 13 Jul, 13:00", "Mon 13 Jul, 09:00-10:30", "Mon 13 Jul -
    Tue 14 Jul, all day", or both ends with their times (en dashes, not hyphens)."""
    if end is None:
        return f"{_date(start)}, {_clock(start)}"
    if start.date() == end.date():
        return f"{_date(start)}, {_clock(start)}{EN_DASH}{_clock(end)}"
    if start.time() == time.min and end.time() == time.min:
        last = end - timedelta(days=1)
        if last.date() == start.date():
            return f"{_date(start)}, all day"
        return f"{_date(start)} {EN_DASH} {_date(last)}, all day"
    return f"{_date(start)}, {_clock(start)} {EN_DASH} {_date(end)}, {_clock(end)}"


def day_part(day: date, start: datetime, end: datetime | None, zone: tzinfo) -> str:
    """What of the span falls on `day` (local; the end is not part of the span)."""
    if end is None:
        return _clock(start)
    lo, hi = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
    began_before, goes_on = start < lo, end >= hi
    if began_before:
        return "all day" if goes_on else f"until {_clock(end)}"
    if goes_on:
        return "all day" if start == lo else f"from {_clock(start)}"
    return f"{_clock(start)}{EN_DASH}{_clock(end)}"


def _touches(day: date, start: datetime, end: datetime | None, zone: tzinfo) -> bool:
    lo, hi = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
    if end is None:
        return lo <= start < hi
    return start < hi and end > lo


def notes_by_day(
    days: list[date],
    zone: tzinfo,
    *,
    campaigns: tuple[str, ...] = (),
    campaign_names: dict[str, str] | None = None,
) -> dict[date, list[DayNote]]:
    """The notes touching each of `days` (consecutive local days), in time order."""
    if not days:
        return {}
    lo, hi = _midnight(days[0], zone), _midnight(days[-1] + timedelta(days=1), zone)
    found = CalendarNote.objects.filter(start_at__lt=hi).filter(
        Q(end_at__gt=lo) | Q(end_at__isnull=True, start_at__gte=lo)
    )
    names = campaign_names or {}
    wanted = set(campaigns)
    shown: dict[date, list[DayNote]] = {}
    for note in found.order_by("start_at", "id"):
        if wanted and note.campaign_ids and not wanted & set(note.campaign_ids):
            continue
        start = as_local(note.start_at, zone)
        end = as_local(note.end_at, zone) if note.end_at else None
        span = span_words(start, end)
        for day in days:
            if not _touches(day, start, end, zone):
                continue
            shown.setdefault(day, []).append(
                DayNote(
                    oktopost_id=note.oktopost_id,
                    title=note.title or "(untitled note)",
                    description=note.description,
                    when=day_part(day, start, end, zone),
                    span=span,
                    campaigns=tuple(names.get(c, c) for c in note.campaign_ids),
                )
            )
    return shown
