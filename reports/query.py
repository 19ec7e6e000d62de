"""The stats page's URL: the queue's filters, a range, and what to show.

Filters are parsed by the queue's own parser (`posts.queue.parse`), so a stats view and
a queue view with the same query string select the same posts; the queue's `from`/`to`
(a scheduled-date filter) are the stats page's range instead. Display choices (`by`,
`order`, `counter`) change what is shown, never which posts: a share link fixes the
rest and lets a visitor change only these.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, tzinfo
from urllib.parse import urlencode

from django.http import QueryDict

from core.terms import COUNTER_LABELS
from posts import queue
from reports.ranges import Period, parse_range
from reports.selectors import DIMENSIONS, ORDERS, Scope

# The queue's filter parameters; its sort, size, page and cursor mean nothing here.
FILTER_KEYS = (
    *("preset", "status", "network", "profile", "campaign", "source", "created_by"),
    *("message", "tag", "q", "deleted", "media"),
)
DISPLAY_KEYS = ("by", "order", "counter")
DEFAULT_BY = "network"
DEFAULT_ORDER = "posts"
DEFAULT_COUNTER = "clicks"
TREND_COUNTERS = {**COUNTER_LABELS, "engagement": "Engagement"}


@dataclass(frozen=True)
class Display:
    by: str = DEFAULT_BY
    order: str = DEFAULT_ORDER
    counter: str = DEFAULT_COUNTER

    def items(self) -> list[tuple[str, str]]:
        pairs = []
        if self.by != DEFAULT_BY:
            pairs.append(("by", self.by))
        if self.order != DEFAULT_ORDER:
            pairs.append(("order", self.order))
        if self.counter != DEFAULT_COUNTER:
            pairs.append(("counter", self.counter))
        return pairs


@dataclass(frozen=True)
class StatsQuery:
    scope: Scope
    display: Display = field(default_factory=Display)
    notes: tuple[str, ...] = ()
    # Some filter of the query was dropped: the view is wider than the query asked for.
    dropped: bool = False

    @property
    def filters(self) -> queue.QueueFilters:
        return self.scope.filters

    @property
    def period(self) -> Period:
        return self.scope.period

    def scope_items(self) -> list[tuple[str, str]]:
        return [*self.filters.items(), *self.period.items()]

    def scope_query(self) -> str:
        """What a share link fixes: the filters and the range."""
        return urlencode(self.scope_items())

    def query(self, **changes: str) -> str:
        """The canonical query string of this view, with display choices changed."""
        display = replace(self.display, **changes) if changes else self.display
        return urlencode([*self.scope_items(), *display.items()])

    def display_query(self, **changes: str) -> str:
        display = replace(self.display, **changes) if changes else self.display
        return urlencode(display.items())

    def with_range(self, **range_items: str) -> str:
        """This view's filters and display over another range (the preset links)."""
        items = [*self.filters.items(), *range_items.items(), *self.display.items()]
        return urlencode(items)

    def queue_query(self, **narrow: tuple[str, ...] | str) -> str:
        """The queue showing this view's posts (narrowed, e.g. to one network)."""
        filters = replace(
            self.filters, start_from=self.period.first, start_to=self.period.last, **narrow
        )
        return filters.query()

    def chips(self) -> list[tuple[str, str]]:
        """(label, this view's query without that filter), as on the queue."""
        chips = []
        for label, rest in self.filters.chips():
            chips.append(
                (label, f"{rest}&{urlencode([*self.period.items(), *self.display.items()])}")
            )
        return chips


def _only(query: QueryDict, keys: tuple[str, ...]) -> QueryDict:
    kept = QueryDict(mutable=True)
    for key in keys:
        if key in query:
            kept.setlist(key, query.getlist(key)[:50])
    return kept


def display_parse(query: QueryDict, notes: list[str]) -> Display:
    by = query.get("by", "").strip() or DEFAULT_BY
    if by not in DIMENSIONS:
        notes.append(f"Ignored breakdown “{by[:40]}”: not a known breakdown.")
        by = DEFAULT_BY
    order = query.get("order", "").strip() or DEFAULT_ORDER
    if order not in ORDERS:
        notes.append(f"Ignored order “{order[:40]}”: not a known column.")
        order = DEFAULT_ORDER
    counter = query.get("counter", "").strip() or DEFAULT_COUNTER
    if counter not in TREND_COUNTERS:
        notes.append(f"Ignored counter “{counter[:40]}”: not a known counter.")
        counter = DEFAULT_COUNTER
    return Display(by, order, counter)


def stats_parse(
    query: QueryDict,
    *,
    profiles: set[str],
    campaigns: set[str],
    tags: set[str],
    today: date,
    zone: tzinfo,
    display_from: QueryDict | None = None,
) -> StatsQuery:
    """The view `query` asks for. `display_from`: take the display choices from this
    other query instead (a share link: its scope fixed, the visitor's display)."""
    notes: list[str] = []
    parsed = queue.parse(
        _only(query, FILTER_KEYS), profiles=profiles, campaigns=campaigns, tags=tags
    )
    notes += parsed.notes
    period = parse_range(
        query.get("range", ""),
        query.get("from", ""),
        query.get("to", ""),
        today=today,
        zone=zone,
        notes=notes,
    )
    display = display_parse(display_from if display_from is not None else query, notes)
    return StatsQuery(
        Scope(parsed.filters, period, zone), display, tuple(notes), dropped=bool(parsed.notes)
    )
