"""CSV of exactly what a page shows, streamed row by row in constant memory.

Times are written in the viewer's zone, named in the header. A counter Oktopost has
not reported yet is an empty cell, never 0.

Formula cells (OWASP "CSV Injection"): a spreadsheet runs a cell that starts with `=`,
`+`, `-` or `@` (also after spaces or line breaks, and their full-width forms), so such
a cell gets a leading apostrophe, which spreadsheets show as text. In locales whose list
separator is `;` (most of Europe), a comma file is split on `;` as well, and readers of
tab-separated files split on tabs: each piece after a `;`, a tab or a line break starts
a cell of its own there, so an apostrophe goes after the separator too. Every text cell
is quoted, so readers that honour quotes keep it whole.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta, tzinfo

from core.localtime import as_local
from core.terms import COUNTER_LABELS, COUNTERS, STATS_COUNTERS
from posts.models import Status
from reports.selectors import STATUS_COUNTS, Breakdown

# A formula character, after any whitespace (or NUL) a reader may drop first.
_FORMULA_AHEAD = r"(?=[\s\0]*[=+\-@\uff1d\uff0b\uff0d\uff20])"
# Where a cell starts in some reader: the cell's start, or after `;`, a tab, a line break.
_PIECE_START = re.compile(r"(^|[;\t\r\n])" + _FORMULA_AHEAD)
# Without one of these a cell holds no formula, wherever a reader splits it.
_FORMULA_CHARS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
# OWASP: a cell starting with a tab, carriage return, line feed or NUL is suspect in itself.
_SUSPECT_START = ("\t", "\r", "\n", "\0")
_STATUS = dict(Status.choices)
# A sent post's counter not fetched yet is empty, never 0; which fetch brings each.
_SENT = frozenset((Status.COMPLETE, Status.INCOMPLETE, Status.ERROR))
_FROM_STATS = tuple(name in STATS_COUNTERS for name in COUNTERS)


class _Echo:
    """csv.writer's file: hands each formatted line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def neutralise(value: object) -> object:
    if not isinstance(value, str):
        return value
    # Most cells hold no formula character at all: a set test, not a regex, for those.
    if _FORMULA_CHARS.isdisjoint(value) and not value.startswith(_SUSPECT_START):
        return value
    value = _PIECE_START.sub(r"\1'", value)
    if value.startswith(_SUSPECT_START):
        value = "'" + value
    return value


def lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[bytes]:
    """Every cell of every row neutralised, one line a chunk."""
    return _written(header, ([neutralise(v) for v in row] for row in rows))


def _written(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[bytes]:
    """Rows already neutralised, as UTF-8 lines (bytes: the response would otherwise
    look its charset up again for each of a million lines)."""
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_STRINGS)
    # The byte-order mark tells Excel the file is UTF-8 (other readers skip it).
    yield ("\ufeff" + writer.writerow(header)).encode()
    for row in rows:
        yield writer.writerow(row).encode()


def _when(value: datetime | None, zone: tzinfo) -> str:
    return f"{as_local(value, zone):%Y-%m-%d %H:%M}" if value else ""


class LocalMinutes:
    """The database's UTC text of an instant ("YYYY-MM-DD HH:MM:SS…", as
    `reports.selectors.CSV_FIELDS` reads it) as local "YYYY-MM-DD HH:MM" in `zone`,
    worked out once per UTC minute: an export's million times fall in far fewer minutes.
    A minute is remembered only when the zone's offset is the same, in whole minutes,
    at both its ends (so never across a clock change or a local-mean-time offset with
    seconds); the memory is dropped now and then, so it stays small."""

    KEEP = 20_000

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self.known: dict[str, str] = {}

    def __call__(self, text: str | None) -> str:
        if not text:
            return ""
        minute = text[:16]
        local = self.known.get(minute)
        if local is None:
            start = datetime.fromisoformat(minute).replace(tzinfo=UTC)
            local = _when(start, self.zone)
            end = _local_offset(start + timedelta(seconds=59), self.zone)
            offset = _local_offset(start, self.zone)
            if offset == end and offset % 60 == 0:
                if len(self.known) >= self.KEEP:
                    self.known.clear()
                self.known[minute] = local
            elif text[16:17] == ":":  # seconds matter in this minute: the instant itself
                local = _when(datetime.fromisoformat(text[:19]).replace(tzinfo=UTC), self.zone)
        return local


def _local_offset(moment: datetime, zone: tzinfo) -> float:
    return as_local(moment, zone).utcoffset().total_seconds()


class _Remembered(dict):
    """neutralise() of the few values a column repeats (statuses, networks, names)."""

    def __missing__(self, value: object) -> object:
        if len(self) >= LocalMinutes.KEEP:
            self.clear()
        self[value] = found = neutralise(value)
        return found


POST_HEADER = (
    *("Post", "Scheduled ({zone})", "Status", "Network", "Source", "Creator", "Campaign"),
    *("Message", "Message text", *COUNTER_LABELS.values(), "Engagement"),
    *("Counters as of ({zone})", "Shares and impressions as of ({zone})"),
)


def post_header(zone: tzinfo) -> list[str]:
    return [h.format(zone=zone) for h in POST_HEADER]


def post_csv(rows: Iterable[tuple], *, zone: tzinfo, names: dict[str, str]) -> Iterator[bytes]:
    """The posts' CSV: rows of `reports.selectors.CSV_FIELDS`, header first."""
    return _written(post_header(zone), post_lines(rows, zone=zone, names=names))


def post_lines(
    rows: Iterable[tuple], *, zone: tzinfo, names: dict[str, str]
) -> Iterator[list[object]]:
    """Rows of `reports.selectors.CSV_FIELDS`, as a person reads them, neutralised.
    Counters (numbers or "") and the times written here (digits first) never need it;
    the columns that repeat a few values are neutralised once per value."""
    when = LocalMinutes(zone)
    repeated = _Remembered()
    for (
        post_id,
        start_at,
        status,
        network,
        source,
        created_by,
        campaign_id,
        campaign_name,
        message_id,
        message_text,
        *rest,
    ) in rows:
        counters, counters_at, stats_at = rest[:6], rest[6], rest[7]
        if status in _SENT and not (counters_at and stats_at):
            values: list[object] = [
                value if (stats_at if from_stats else counters_at) else ""
                for value, from_stats in zip(counters, _FROM_STATS, strict=True)
            ]
        else:
            values = counters
        comments, likes, shares = values[2], values[3], values[4]
        engagement = comments + likes + shares if "" not in (comments, likes, shares) else ""
        yield [
            neutralise(post_id),
            when(start_at),
            repeated[_STATUS.get(status, status)],
            repeated[network],
            repeated[source],
            repeated[names.get(created_by, created_by)],
            repeated[campaign_name or campaign_id or ""],
            neutralise(message_id or ""),
            neutralise(message_text or ""),
            *values,
            engagement,
            when(counters_at),
            when(stats_at),
        ]


def breakdown_header(found: Breakdown, zone: tzinfo) -> list[str]:
    return [
        found.label,
        "Id",
        "Posts",
        *(label for _, label in STATUS_COUNTS.values()),
        *COUNTER_LABELS.values(),
        "Engagement",
        f"Oldest counters ({zone})",
        "Sent posts without counters yet",
    ]


def breakdown_lines(found: Breakdown, *, zone: tzinfo) -> Iterator[list[object]]:
    for row in found.rows:
        f = row.figures
        counters = [f.value(c) if f.known(c) else "" for c in COUNTERS]
        yield [
            row.label,
            row.key,
            f.posts,
            *(f.value(k) for k in STATUS_COUNTS),
            *counters,
            f.engagement,
            _when(f.oldest, zone),
            f.unfetched,
        ]
