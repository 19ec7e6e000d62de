"""The stats page's time range, parsed from the URL, never trusted.

A range is whole local days in the viewer's zone (`range=7d|30d|90d|this-month|
last-month`, or `from=YYYY-MM-DD&to=YYYY-MM-DD`); each bound is that day's local
midnight, so a range across a DST change is exactly the days asked for (a day there is
23 or 25 hours long). Bad parts are dropped or corrected with a note, as on the queue.

Ranges hold complete days only (issue 29): today is not over, so counting it would set
part of a day against the whole day it is compared with ("Clicks ▼ -32 %" at noon) and
make the trend dive at its end. "Last 7 days" is the 7 days up to yesterday, and a range
asked to run into today ends yesterday, with a note. Only a range with no complete day
at all (this month on its 1st, a range of today) keeps today, marked `partial`: the page
then shows today's figures so far and compares nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from core.query import query_date

PRESETS: dict[str, str] = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "this-month": "This month",
    "last-month": "Last month",
}
DEFAULT_PRESET = "30d"
# Longer ranges are typos or questions for a data warehouse (issue 12: "longer than 2 years").
MAX_DAYS = 731


@dataclass(frozen=True)
class Period:
    """Local days `first` to `last`, both included."""

    first: date
    last: date
    preset: str = ""
    # The last day is today, not over yet: figures so far, compared with nothing.
    partial: bool = False

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        span = f"{self.first:%-d %b %Y} to {self.last:%-d %b %Y}"
        return f"{PRESETS[self.preset]} ({span})" if self.preset else span

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """[local midnight of `first`, local midnight after `last`) as instants."""
        lo = datetime.combine(self.first, time.min, tzinfo=zone)
        hi = datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=zone)
        return lo, hi

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]

    def items(self) -> list[tuple[str, str]]:
        if self.preset:
            return [] if self.preset == DEFAULT_PRESET else [("range", self.preset)]
        return [("from", self.first.isoformat()), ("to", self.last.isoformat())]


def preset_period(preset: str, today: date) -> Period:
    """A preset's complete days, up to yesterday."""
    yesterday = today - timedelta(days=1)
    if preset.endswith("d"):
        days = int(preset[:-1])
        return Period(yesterday - timedelta(days=days - 1), yesterday, preset)
    month_start = today.replace(day=1)
    if preset == "this-month":
        if today == month_start:  # the month has no complete day yet
            return Period(today, today, preset, partial=True)
        return Period(month_start, yesterday, preset)
    last_end = month_start - timedelta(days=1)
    return Period(last_end.replace(day=1), last_end, preset)


def _complete_days(first: date, last: date, today: date, notes: list[str]) -> Period:
    """The asked days, ending yesterday: today (and later days) are not over yet."""
    yesterday = today - timedelta(days=1)
    if last <= yesterday:
        return Period(first, last)
    if first <= yesterday:
        notes.append(
            f"Showing complete days only, up to {yesterday:%-d %b %Y}: today is not over, "
            "so it would be compared with whole days."
        )
        return Period(first, yesterday)
    # No complete day at all: today so far (and any later days), compared with nothing.
    return Period(first, last, partial=first <= today)


def dst_changes(period: Period, zone: tzinfo) -> list[date]:
    """The local days of `period` on which the clocks change in `zone`."""
    changed = []
    lo, _ = period.bounds(zone)
    offset = lo.utcoffset()
    for day in period.dates():
        nxt = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        if nxt.astimezone(UTC).astimezone(zone).utcoffset() != offset:
            changed.append(day)
            offset = nxt.astimezone(UTC).astimezone(zone).utcoffset()
    return changed


def parse_range(
    preset: str, raw_from: str, raw_to: str, *, today: date, zone: tzinfo, notes: list[str]
) -> Period:
    """The period the query asks for; a sensible one with a note when it asks badly."""
    first = query_date(raw_from, "start", notes)
    last = query_date(raw_to, "end", notes)
    preset = preset.strip()
    if first or last:
        if preset:
            notes.append("Used the dates given; ignored the preset range.")
        if first and last and first > last:
            notes.append("The range ended before it started: swapped its dates.")
            first, last = last, first
        if first is None:
            first = last - timedelta(days=29)
            notes.append("No start date: showing the 30 days up to the end date.")
        if last is None:
            last = max(first, today - timedelta(days=1))
            notes.append(f"No end date: showing up to {last:%-d %b %Y}.")
        if (last - first).days + 1 > MAX_DAYS:
            first = last - timedelta(days=MAX_DAYS - 1)
            notes.append(f"Ranges are at most 2 years: showing from {first:%-d %b %Y}.")
        period = _complete_days(first, last, today, notes)
    elif preset and preset not in PRESETS:
        notes.append(f"Ignored range “{preset[:40]}”: not a known range.")
        period = preset_period(DEFAULT_PRESET, today)
    else:
        period = preset_period(preset or DEFAULT_PRESET, today)
    for day in dst_changes(period, zone):
        notes.append(
            f"The clocks change on {day:%-d %b %Y} in {zone}: days are local days, "
            "so that one is not 24 hours long."
        )
    return period
