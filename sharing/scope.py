"""What a share link shows, parsed from its stored query by the pages' own parsers.

A link's query is stored in canonical form at creation. When it is opened, it is parsed
again; if a filter of it no longer parses (a campaign or profile that left the mirror),
the page would be wider than what was shared, so the link refuses instead.

Making a link never widens it silently: a parameter the page does not know (`netwrok`,
`?network` from a pasted "?…", a whole pasted URL) and a value it cannot read are
refused in words, not dropped (issue 23, finding 2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils import timezone

from core.localtime import as_local
from posts import queue
from posts.selectors import filter_ids
from reports.review import DISPLAY_KEYS, FILTER_KEYS, StatsQuery, stats_parse

# What each page reads from its address. Display choices (the stats page's `by`, `order`
# and `counter`; the queue's page size and cursor) are known but never stored.
KNOWN_KEYS = {
    "stats": frozenset({*FILTER_KEYS, "range", "from", "to", *DISPLAY_KEYS}),
    # The queue also filters by approval state (issue 26); the stats page does not.
    "queue": frozenset({*FILTER_KEYS, "approval", "from", "to", "sort", "size", "cursor", "page"}),
}
PAGE_WORDS = {"stats": "the stats page", "queue": "the queue", "calendar": "the calendar"}
# The calendar's own keys (planner.scope): which week or month it shows.
CALENDAR_KEYS = frozenset({*FILTER_KEYS, "approval", "view", "date"})


@dataclass(frozen=True)
class Canonical:
    query: str
    problems: tuple[str, ...]


def _ids(choices: dict) -> dict[str, set[str]]:
    """The profiles, campaigns and tags the mirror knows now: a stored query naming one
    that has gone no longer parses to itself, and its link refuses (`still_valid`)."""
    return filter_ids(choices)


def stats_scope(
    query: str, zone: tzinfo, choices: dict, *, display_from: QueryDict | None = None
) -> StatsQuery:
    return stats_parse(
        QueryDict(query),
        **_ids(choices),
        today=as_local(timezone.now(), zone).date(),
        zone=zone,
        display_from=display_from if display_from is not None else QueryDict(),
    )


def queue_scope(query: str, choices: dict, *, cursor: str = "") -> queue.Parsed:
    data = QueryDict(query, mutable=True)
    data.pop("cursor", None)
    if cursor:
        data["cursor"] = cursor[:2000]
    return queue.parse(data, **_ids(choices))


def unknown_keys(page: str, data: QueryDict) -> tuple[str, ...]:
    """Words for every parameter `page` does not read."""
    known = CALENDAR_KEYS if page == "calendar" else KNOWN_KEYS[page]
    problems = []
    for key in dict.fromkeys(data.keys()):
        if key in known:
            continue
        shown = key[:40]
        if "://" in key or key.startswith(("?", "/", "http")):
            problems.append(
                f"“{shown}” looks like part of an address: use the filters below, or paste "
                "only what comes after “?”."
            )
        else:
            problems.append(f"“{shown}” is not something {PAGE_WORDS[page]} can filter by.")
    return tuple(problems)


def calendar_as_queue(query: str, today: date) -> tuple[str, tuple[str, ...]]:
    """A calendar's view as a queue query: its filters, over the days it shows (the
    week, or the whole weeks of the month, as planner.scope draws them), soonest
    first. A shared calendar is read as the list of those posts. Returns the query and
    what in the calendar's address could not be read, in words."""
    data = QueryDict(query.strip().lstrip("?"), mutable=True)
    problems = list(unknown_keys("calendar", data))
    view = data.pop("view", ["week"])[-1].strip() or "week"
    raw = data.pop("date", [""])[-1].strip()
    anchor = today
    if view not in ("week", "month"):
        problems.append(f"“{view[:40]}” is not a calendar view: use week or month.")
    if raw:
        try:
            anchor = date.fromisoformat(raw)
        except ValueError:
            problems.append(f"“{raw[:40]}” is not a date: use YYYY-MM-DD.")
    if view == "month":
        first_of_month = anchor.replace(day=1)
        first = first_of_month - timedelta(days=first_of_month.weekday())
        end = (first_of_month + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        last = end + timedelta(days=6 - end.weekday())
    else:
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
    for key in ("from", "to", "sort", "size", "cursor", "page"):
        data.pop(key, None)
    data["from"], data["to"], data["sort"] = first.isoformat(), last.isoformat(), "start_at"
    return data.urlencode(), tuple(problems)


def canonical(
    page: str, query: str, zone: tzinfo, choices: dict, *, fixed_dates: bool = False
) -> Canonical:
    """The query to store for a new link, and what in it could not be read (any
    problem refuses the link). `fixed_dates`: a stats range preset ("last 7 days") is
    stored as the dates it means today, so the link stops rolling forward."""
    query = query.strip()
    query = query[1:] if query.startswith("?") else query  # "?" starts a query; not a key
    data = QueryDict(query)
    problems = unknown_keys(page, data)
    if page == "stats":
        sq = stats_scope(query, zone, choices)
        # The clocks changing inside the range is information, not a problem.
        problems += tuple(n for n in sq.notes if not n.startswith("The clocks"))
        stored = sq.scope_query()
        if fixed_dates and sq.period.preset:
            first, last = sq.period.first, sq.period.last
            stored = urlencode([*sq.filters.items(), ("from", f"{first}"), ("to", f"{last}")])
        return Canonical(stored, problems)
    data = data.copy()
    for display_only in ("cursor", "page"):
        data.pop(display_only, None)
    parsed = queue.parse(data, **_ids(choices))
    return Canonical(parsed.filters.query(), problems + tuple(parsed.notes))


def still_valid(page: str, query: str, zone: tzinfo, choices: dict) -> bool:
    """True when the stored query still parses to exactly itself."""
    again = canonical(page, query, zone, choices)
    return not again.problems and again.query == query
