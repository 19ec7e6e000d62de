"""Local days and hours in SQL, exact across DST on SQLite and PostgreSQL.

Each row's UTC instant plus the zone's UTC offset at that instant: the offsets of the
range (and the instants the clocks change) come from zoneinfo, written into the query as
a CASE, so SQLite needs no per-row Python function and both databases agree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from django.db.models import BigIntegerField, Case, F, Func, IntegerField, Value, When

from reports.ranges import Period


class EpochSeconds(Func):
    """Seconds since 1970 (UTC) of a datetime column, as an integer, on both databases."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores UTC datetimes as text, "YYYY-MM-DD HH:MM:SS[.ffffff]": the whole
        # seconds, truncated as PostgreSQL's FLOOR does (strftime alone would round the
        # fraction), so an instant falls in the same second, hour and day on both, and in
        # the same hour as the stats rollup's triggers put it (reports/triggers.py).
        # unixepoch() (SQLite 3.38+) reads the same text as strftime('%s') into the same
        # integer, without formatting it as text to be cast back: a tenth of a words
        # page's read at 1M posts.
        if connection.Database.sqlite_version_info >= (3, 38):
            template = "unixepoch(substr(%(expressions)s, 1, 19))"
        else:
            template = "CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER)"
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)"
        return super().as_sql(compiler, connection, template=template, **extra)


def offsets(lo: datetime, hi: datetime, zone: tzinfo) -> list[tuple[datetime, int]]:
    """(from this instant, the zone's UTC offset in seconds), for [lo, hi): one entry,
    plus one per clock change. Found by stepping hours and bisecting each change."""
    start = lo.astimezone(UTC)
    result = [(start, int(start.astimezone(zone).utcoffset().total_seconds()))]
    step = start
    end = hi.astimezone(UTC)
    while step < end:
        nxt = min(step + timedelta(hours=6), end)
        offset = int(nxt.astimezone(zone).utcoffset().total_seconds())
        if offset != result[-1][1]:
            a, b = step, nxt
            while b - a > timedelta(seconds=1):
                mid = a + (b - a) / 2
                if int(mid.astimezone(zone).utcoffset().total_seconds()) == offset:
                    b = mid
                else:
                    a = mid
            result.append((b.replace(microsecond=0), offset))
        step = nxt
    return result


def local_seconds(period: Period, zone: tzinfo, column: str = "start_at") -> Func:
    """`column` as seconds since 1970 on the wall clock of `zone`."""
    lo, hi = period.bounds(zone)
    changes = offsets(lo, hi, zone)
    offset = Value(changes[-1][1])
    if len(changes) > 1:
        whens = [
            When(**{f"{column}__lt": at}, then=Value(before))
            for (at, _), (_, before) in zip(changes[1:], changes, strict=False)
        ]
        offset = Case(*whens, default=Value(changes[-1][1]), output_field=IntegerField())
    return EpochSeconds(F(column)) + offset
