"""What a calendar URL asks for: the view, the date, and the queue's own filters.

`/calendar/?view=week|month&date=YYYY-MM-DD&<queue filters>`. Every part is checked on
its own and a bad part becomes a note, as in the queue (posts.queue): a bookmarked or
hand-edited URL always opens a calendar, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from django.http import QueryDict

from posts import queue
from posts.queue import QueueFilters

VIEWS = {"week": "Week", "month": "Month"}
DEFAULT_VIEW = "week"
# Further than this from today is a typo (and Oktopost refuses posts past 5 years).
REACH = timedelta(days=5 * 366)
# The queue's parts that mean nothing on a calendar, which shows its own range.
_QUEUE_ONLY = {"from": "start date", "to": "end date", "sort": "sort", "size": "page size"}


@dataclass(frozen=True)
class Scope:
    view: str
    anchor: date
    today: date
    filters: QueueFilters
    notes: list[str] = field(default_factory=list, compare=False)

    @property
    def first(self) -> date:
        """Monday of the week, or Monday of the week holding the month's 1st."""
        start = self.anchor if self.view == "week" else self.anchor.replace(day=1)
        return start - timedelta(days=start.weekday())

    @property
    def last(self) -> date:
        """The last day shown (inclusive): 7 days, or whole weeks to the month's end."""
        if self.view == "week":
            return self.first + timedelta(days=6)
        end = _month_end(self.anchor)
        return end + timedelta(days=6 - end.weekday())

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def prev(self) -> date:
        if self.view == "week":
            return self.anchor - timedelta(days=7)
        return (self.anchor.replace(day=1) - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        if self.view == "week":
            return self.anchor + timedelta(days=7)
        return _month_end(self.anchor) + timedelta(days=1)

    @property
    def title(self) -> str:
        if self.view == "month":
            return f"{self.anchor:%B %Y}"
        first, last, dash = self.first, self.last, "\N{EN DASH}"
        if first.month == last.month:
            return f"{first.day}{dash}{last.day} {last:%B %Y}"
        if first.year == last.year:
            return f"{first.day} {first:%b} {dash} {last.day} {last:%b %Y}"
        return f"{first.day} {first:%b %Y} {dash} {last.day} {last:%b %Y}"

    def filter_items(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self.filters.items() if k not in _QUEUE_ONLY]

    def query(self, *, view: str | None = None, anchor: date | None = None) -> str:
        """The canonical calendar query: view, date, then the queue's filters."""
        pairs = [("view", view or self.view), ("date", (anchor or self.anchor).isoformat())]
        return urlencode(pairs + self.filter_items())

    def filters_query(self) -> str:
        return urlencode(self.filter_items())

    def day_queue_query(self, day: date) -> str:
        """The queue filtered to one day (what a day links to without JavaScript)."""
        only_day = replace(self.filters, start_from=day, start_to=day, sort="start_at")
        return only_day.query()


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def parse(
    query: QueryDict, *, today: date, profiles: set[str], campaigns: set[str], tags: set[str]
) -> Scope:
    notes: list[str] = []
    view = query.get("view", "").strip() or DEFAULT_VIEW
    if view not in VIEWS:
        notes.append(f"Ignored view “{view[:40]}”: use week or month. Showing this week.")
        view = DEFAULT_VIEW
    anchor = today
    raw = query.get("date", "").strip()
    if raw:
        try:
            anchor = date.fromisoformat(raw)
        except ValueError:
            notes.append(f"Ignored date “{raw[:40]}”: use YYYY-MM-DD. Showing this week.")
            view = DEFAULT_VIEW
        else:
            if abs(anchor - today) > REACH:
                notes.append(
                    f"Ignored date “{raw[:40]}”: more than 5 years away. Showing this week."
                )
                anchor, view = today, DEFAULT_VIEW
    parsed = queue.parse(query, profiles=profiles, campaigns=campaigns, tags=tags)
    notes += parsed.notes
    for name, label in _QUEUE_ONLY.items():
        if query.get(name, "").strip():
            notes.append(f"Ignored {label}: the calendar shows its own dates, in time order.")
    filters = replace(
        parsed.filters,
        start_from=None,
        start_to=None,
        sort=queue.DEFAULT_SORT,
        size=queue.DEFAULT_SIZE,
    )
    if query.get("cursor"):
        notes = [n for n in notes if "page link" not in n]
    return Scope(view=view, anchor=anchor, today=today, filters=filters, notes=notes)
