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
from datetime import datetime, tzinfo

from core.localtime import as_local
from core.terms import COUNTER_LABELS, COUNTERS, STATS_COUNTERS
from posts.models import Status
from reports.selectors import STATUS_COUNTS, Breakdown

# A formula character, after any whitespace (or NUL) a reader may drop first.
_FORMULA_AHEAD = r"(?=[\s\0]*[=+\-@\uff1d\uff0b\uff0d\uff20])"
# Where a cell starts in some reader: the cell's start, or after `;`, a tab, a line break.
_PIECE_START = re.compile(r"(^|[;\t\r\n])" + _FORMULA_AHEAD)
# OWASP: a cell starting with a tab, carriage return, line feed or NUL is suspect in itself.
_SUSPECT_START = ("\t", "\r", "\n", "\0")
_STATUS = dict(Status.choices)


class _Echo:
    """csv.writer's file: hands each formatted line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def neutralise(value: object) -> object:
    if not isinstance(value, str):
        return value
    value = _PIECE_START.sub(r"\1'", value)
    if value.startswith(_SUSPECT_START):
        value = "'" + value
    return value


def lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_STRINGS)
    # The byte-order mark tells Excel the file is UTF-8 (other readers skip it).
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow([neutralise(v) for v in row])


def _when(value: datetime | None, zone: tzinfo) -> str:
    return f"{as_local(value, zone):%Y-%m-%d %H:%M}" if value else ""


POST_HEADER = (
    *("Post", "Scheduled ({zone})", "Status", "Network", "Source", "Creator", "Campaign"),
    *("Message", "Message text", *COUNTER_LABELS.values(), "Engagement"),
    *("Counters as of ({zone})", "Shares and impressions as of ({zone})"),
)


def post_header(zone: tzinfo) -> list[str]:
    return [h.format(zone=zone) for h in POST_HEADER]


def post_lines(
    rows: Iterable[tuple], *, zone: tzinfo, names: dict[str, str]
) -> Iterator[list[object]]:
    """Rows of `reports.selectors.CSV_FIELDS`, as a person reads them."""
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
        sent = status in (Status.COMPLETE, Status.INCOMPLETE, Status.ERROR)
        values: list[object] = []
        for name, value in zip(COUNTERS, counters, strict=True):
            fetched = stats_at if name in STATS_COUNTERS else counters_at
            values.append(value if fetched or not sent else "")
        comments, likes, shares = values[2], values[3], values[4]
        engagement = comments + likes + shares if "" not in (comments, likes, shares) else ""
        yield [
            post_id,
            _when(start_at, zone),
            _STATUS.get(status, status),
            network,
            source,
            names.get(created_by, created_by),
            campaign_name or campaign_id or "",
            message_id or "",
            message_text or "",
            *values,
            engagement,
            _when(counters_at, zone),
            _when(stats_at, zone),
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
