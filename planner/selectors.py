"""Reads for the calendar: only the visible days, a few queries whatever the filters.

A day can hold thousands of posts (a big installation, or a wide filter), so a page never
reads every post of its range: it reads each day's first few posts in time order and a
count per day capped at COUNT_CAP, each through the queue's own filters and the
(start_at, id) index. Both are single statements built from one bounded subquery per
day, so a month costs the same handful of queries as a week.

The week reads by the hour instead (issue 29: a day's later posts must not hide behind
"+N more"): a count per local hour and each hour's first PER_HOUR posts, so every hour
that has posts shows them, and an hour holding more says how many and opens in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from core.localtime import as_local
from planner.chips import (
    CHIP_FIELDS,
    Chip,
    chips_build,
    clash_window,
    clashes_mark,
)
from planner.notes import DayNote, notes_by_day
from posts.models import Post, Profile
from posts.queue import QueueFilters
from posts.selectors import (
    post_for_view,
    profiles_by_id,
    queue_choices,
    queue_queryset,
)

# Counting a day stops here: "+96+ more" says enough.
COUNT_CAP = 100
# Chips a month's day shows before "+N more".
PER_DAY = {"week": 12, "month": 4}
# Chips an hour of the week shows before "+N more at 14:00", at most; fewer when many
# hours are busy, so a crowded week draws about WEEK_CHIPS chips (every busy hour at least
# one, and its count), not 3 x 168.
PER_HOUR = 3
WEEK_CHIPS = 200
# What a day expanded by "+N more" shows, at most.
EXPANDED = 60


@dataclass(frozen=True)
class HourSlot:
    hour: int
    chips: list[Chip]
    more: int  # posts of this hour beyond its chips
    new_when: str = ""  # a new post's local time here ("2027-01-05T14:00"), "" if past
    # The day's first empty hour ahead: its one tab stop (the arrows move between them).
    tab_stop: bool = False

    @property
    def more_capped(self) -> bool:
        return self.more + len(self.chips) > COUNT_CAP

    @property
    def label(self) -> str:
        return f"{self.hour:02d}:00"


@dataclass
class Day:
    day: date
    chips: list[Chip] = field(default_factory=list)
    count: int = 0
    in_month: bool = True
    is_today: bool = False
    is_past: bool = False
    queue_query: str = ""  # the queue filtered to this day (set by the view, from its scope)
    notes: list[DayNote] = field(default_factory=list)  # Oktopost's calendar notes that day
    # The week's count per local hour (each capped like the day's); None on the month.
    hour_counts: list[int] | None = None
    # The first local hour a new post may start in: 0 ahead, 24 past, the next on today.
    first_open_hour: int = 0

    @property
    def more(self) -> int:
        """Posts of the day not shown; the week shows its "+N more" per hour instead."""
        if self.hour_counts is not None:
            return 0
        return max(self.count - len(self.chips), 0)

    @property
    def slots(self) -> list[HourSlot]:
        """The week's 24 rows for this day: each hour's chips and how many more it has."""
        counts = self.hour_counts or [0] * 24
        open_empty = [h for h, chips in self.by_hour if not chips and h >= self.first_open_hour]
        return [
            HourSlot(
                hour=hour,
                chips=chips,
                more=max(counts[hour] - len(chips), 0),
                new_when=self.when_at(hour) if hour >= self.first_open_hour else "",
                tab_stop=bool(open_empty) and hour == open_empty[0],
            )
            for hour, chips in self.by_hour
        ]

    def when_at(self, hour: int) -> str:
        return f"{self.day:%Y-%m-%d}T{hour:02d}:00"

    @property
    def new_when(self) -> str:
        """Where "new post on this day" starts: 09:00, or the next hour today."""
        if self.first_open_hour > 23:
            return ""
        return self.when_at(max(9, self.first_open_hour))

    @property
    def more_capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def by_hour(self) -> list[tuple[int, list[Chip]]]:
        """The day's chips in its 24 local hours (the week view's rows)."""
        hours: list[list[Chip]] = [[] for _ in range(24)]
        for chip in self.chips:
            hours[chip.local_hour].append(chip)
        return list(enumerate(hours))

    @property
    def gap(self) -> bool:
        """Nothing planned on a day still ahead: what a planner looks for."""
        return self.count == 0 and not self.is_past

    @property
    def notes_label(self) -> str:
        """The notes' list, named for a screen reader: "2 notes on Mon 13 Jul"."""
        count = len(self.notes)
        return (
            f"{count} note{'s' if count != 1 else ''} on {self.day:%a} {self.day.day} {self.day:%b}"
        )


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """A local day as instants, midnight to midnight (23 or 25 hours at a DST change)."""
    return (
        datetime.combine(day, time.min, tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
    )


# Stand-ins for a day's bounds: the per-day subquery is compiled once with these, then
# each day's bounds take their places among the parameters (compiling the queue's
# filters 42 times was most of a month page's time).
_LO = datetime(1971, 1, 1, 0, 0, 1, tzinfo=UTC)
_HI = datetime(1971, 1, 1, 0, 0, 2, tzinfo=UTC)


def hour_bounds(day: date, hour: int, zone: tzinfo) -> tuple[datetime, datetime]:
    """A local hour as instants. The hour the clocks skip is empty; the hour that happens
    twice holds both (its start is the first, its end the next hour's only instant)."""
    lo = datetime.combine(day, time(hour), tzinfo=zone)
    if hour == 23:
        return lo, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return lo, datetime.combine(day, time(hour + 1), tzinfo=zone)


Bounds = list[tuple[datetime, datetime]]


def _days_bounds(days: list[date], zone: tzinfo) -> Bounds:
    return [day_bounds(day, zone) for day in days]


def _range_template(
    base: QuerySet[Post], limit: int, *, count: bool
) -> tuple[str, list[object], int, int]:
    """A range's bounded subquery (its first `limit` ids in time order, or at most `limit`
    ids to count), compiled once by the ORM with stand-in bounds, so the queue's filters
    apply as is: the SQL, its parameters and where the two bounds are among them."""
    ids = base.filter(start_at__gte=_LO, start_at__lt=_HI)
    ids = ids.order_by() if count else ids.order_by("start_at", "id")
    sql, template = ids.values("id")[:limit].query.sql_with_params()
    adapt = connection.ops.adapt_datetimefield_value
    lo_marks = [n for n, value in enumerate(template) if value == adapt(_LO)]
    hi_marks = [n for n, value in enumerate(template) if value == adapt(_HI)]
    if len(lo_marks) != 1 or len(hi_marks) != 1:
        raise RuntimeError("the day's bounds are not where the calendar expects them")
    return sql, list(template), lo_marks[0], hi_marks[0]


def _per_range_sql(
    base: QuerySet[Post], ranges: Bounds, limit: int, *, count: bool
) -> tuple[list[str], list[object]]:
    """One bounded subquery per range (a day, or an hour), each with its own bounds."""
    sql, template, lo_mark, hi_mark = _range_template(base, limit, count=count)
    adapt = connection.ops.adapt_datetimefield_value
    # Only ORM-compiled SQL and our own words go into the string; values stay params.
    what = "COUNT(*)" if count else "id"
    parts: list[str] = []
    params: list[object] = []
    for n, (lo, hi) in enumerate(ranges):
        day_params = list(template)
        day_params[lo_mark] = adapt(lo)
        day_params[hi_mark] = adapt(hi)
        parts.append(f"SELECT {what} FROM ({sql}) AS day{n}")  # noqa: S608
        params += day_params
    return parts, params


def _over_bounds_sql(
    base: QuerySet[Post], ranges: Bounds, limit: int, *, count: bool
) -> tuple[str, list[object]] | None:
    """PostgreSQL: the range's subquery once, its bounds read from a VALUES list (a
    correlated subquery for the counts, LATERAL for the ids), instead of a subquery per
    range. PostgreSQL plans each subquery of a UNION on its own: for a week's 168 hours,
    planning was 65 ms of a page whose reads took 27 (issue 31). None when the compiled
    SQL's placeholders are not one per parameter (the per-range form is used then)."""
    sql, template, lo_mark, hi_mark = _range_template(base, limit, count=count)
    pieces = sql.split("%s")
    if len(pieces) != len(template) + 1:
        # A literal "%%s" in the SQL (none of the queue's filters writes one): the
        # per-range form, which gives the same answer, is used instead.
        return None
    inner, inner_params = pieces[0], []
    for n, piece in enumerate(pieces[1:]):
        if n == lo_mark:
            inner += "b.lo"
        elif n == hi_mark:
            inner += "b.hi"
        else:
            inner += "%s"
            inner_params.append(template[n])
        inner += piece
    values = ", ".join("(%s, %s::timestamptz, %s::timestamptz)" for _ in ranges)
    bounds: list[object] = []
    for n, (lo, hi) in enumerate(ranges):
        bounds += [n, lo, hi]
    # Only ORM-compiled SQL and our own words go into the string; values stay params.
    if count:
        query = (
            f"SELECT (SELECT COUNT(*) FROM ({inner}) AS r)"  # noqa: S608
            f" FROM (VALUES {values}) AS b(n, lo, hi) ORDER BY b.n"
        )
        return query, inner_params + bounds
    query = (
        f"SELECT r.id FROM (VALUES {values}) AS b(n, lo, hi)"  # noqa: S608
        f" CROSS JOIN LATERAL ({inner}) AS r"
    )
    return query, bounds + inner_params


def range_counts(base: QuerySet[Post], ranges: Bounds) -> list[int]:
    if not ranges:
        return []
    if connection.vendor == "postgresql" and (
        over := _over_bounds_sql(base, ranges, COUNT_CAP + 1, count=True)
    ):
        with connection.cursor() as cursor:
            cursor.execute(*over)
            return [row[0] for row in cursor.fetchall()]
    parts, params = _per_range_sql(base, ranges, COUNT_CAP + 1, count=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"({p})" for p in parts), params)
        return list(cursor.fetchone())


def day_counts(base: QuerySet[Post], days: list[date], zone: tzinfo) -> list[int]:
    return range_counts(base, _days_bounds(days, zone))


def first_posts(base: QuerySet[Post], days: list[date], zone: tzinfo, limit: int) -> list[Post]:
    """Each day's first `limit` posts, with what a chip shows, in one query (and one for
    their deliveries)."""
    return range_posts(base, _days_bounds(days, zone), limit)


def range_posts(base: QuerySet[Post], ranges: Bounds, limit: int) -> list[Post]:
    """Each range's first `limit` posts, with what a chip shows, in one query (and one for
    their deliveries)."""
    if not ranges:
        return []
    over = None
    if connection.vendor == "postgresql":
        over = _over_bounds_sql(base, ranges, limit, count=False)
    if over:
        ids = RawSQL(*over)  # noqa: S611 (ORM-compiled, params kept)
    else:
        parts, params = _per_range_sql(base, ranges, limit, count=False)
        ids = RawSQL(" UNION ALL ".join(parts), params)  # noqa: S611 (ORM-compiled, params kept)
    return list(
        Post.objects.filter(id__in=ids)
        .select_related("message")
        .only(*CHIP_FIELDS)
        .order_by("start_at", "id")
    )


@dataclass
class Calendar:
    days: list[Day]
    profiles: dict[str, Profile]
    choices: dict[str, object]
    clash_minutes: int
    tray: Tray | None = None  # the drafts tray, for editors

    @property
    def weeks(self) -> list[list[Day]]:
        return [self.days[n : n + 7] for n in range(0, len(self.days), 7)]

    @property
    def overflowing(self) -> bool:
        return any(d.more for d in self.days)


def week_density(busy_hours: int) -> int:
    """Chips per hour for a week with this many busy hours."""
    return max(1, min(PER_HOUR, WEEK_CHIPS // max(busy_hours, 1)))


def calendar_read(
    filters: QueueFilters,
    *,
    view: str,
    days: list[date],
    month: int | None,
    today: date,
    now: datetime,
    zone: tzinfo,
    choices: dict[str, object] | None = None,
    with_tray: bool = False,
) -> Calendar:
    choices = choices or queue_choices()
    profiles = choices["profiles"]
    base = queue_queryset(filters, now=now, zone=zone)
    hour_counts: dict[date, list[int]] = {}
    if view == "week":
        # One count per local hour (the day's is their sum), then each busy hour's first
        # PER_HOUR posts: every hour that has posts shows them.
        hours = [hour_bounds(d, h, zone) for d in days for h in range(24)]
        flat = range_counts(base, hours)
        hour_counts = {d: flat[n * 24 : (n + 1) * 24] for n, d in enumerate(days)}
        counts = [sum(hour_counts[d]) for d in days]
        busy = [r for r, c in zip(hours, flat, strict=True) if c]
        posts = range_posts(base, busy, week_density(len(busy)))
    else:
        counts = day_counts(base, days, zone)
        busy_days = [d for d, c in zip(days, counts, strict=True) if c]
        posts = first_posts(base, busy_days, zone, PER_DAY[view])
    chips = chips_build(posts, profiles, zone)
    local_now = as_local(now, zone)
    window = clash_window()
    clashes_mark(chips, window)
    by_day: dict[date, list[Chip]] = {}
    for chip in chips:
        by_day.setdefault(chip.local_day, []).append(chip)
    notes = notes_by_day(
        days, zone, campaigns=filters.campaigns, campaign_names=dict(choices["campaigns"])
    )
    result = [
        Day(
            day=d,
            chips=by_day.get(d, []),
            count=c,
            in_month=month is None or d.month == month,
            is_today=d == today,
            is_past=d < today,
            notes=notes.get(d, []),
            hour_counts=hour_counts.get(d),
            first_open_hour=24 if d < today else local_now.hour + 1 if d == today else 0,
        )
        for d, c in zip(days, counts, strict=True)
    ]
    return Calendar(
        days=result,
        profiles=profiles,
        choices=choices,
        clash_minutes=int(window.total_seconds() // 60),
        tray=drafts_tray(base, zone=zone, profiles=profiles) if with_tray else None,
    )


def day_posts(
    filters: QueueFilters,
    *,
    day: date,
    now: datetime,
    zone: tzinfo,
    hour: int | None = None,
) -> Day:
    """One day (or one local hour of it) expanded in place ("+N more"): its first
    EXPANDED posts and its count (its notes are already in its cell)."""
    base = queue_queryset(filters, now=now, zone=zone)
    bounds = [day_bounds(day, zone) if hour is None else hour_bounds(day, hour, zone)]
    count = range_counts(base, bounds)[0]
    posts = range_posts(base, bounds, EXPANDED) if count else []
    chips = chips_build(posts, profiles_by_id(), zone)
    clashes_mark(chips, clash_window())
    return Day(day=day, chips=chips, count=count)


# Drafts the tray beside the calendar lists, most recently changed first.
TRAY_SIZE = 12
DRAFT_STATUSES = ("draft", "inqueue-draft")


@dataclass(frozen=True)
class Tray:
    chips: list[Chip]
    count: int  # every draft matching the filters, capped at COUNT_CAP + 1

    @property
    def more(self) -> int:
        return max(self.count - len(self.chips), 0)


def drafts_tray(base: QuerySet[Post], *, zone: tzinfo, profiles: dict[str, Profile]) -> Tray:
    """The drafts (never sent by themselves) of `base` (the calendar's filtered posts), to
    be scheduled by dropping one on a day: one query (and one for their deliveries), a
    capped count only when the tray is full."""
    drafts = base.filter(status__in=DRAFT_STATUSES, deleted_at__isnull=True)
    posts = list(
        drafts.order_by("-modified", "-id").select_related("message").only(*CHIP_FIELDS)[:TRAY_SIZE]
    )
    count = len(posts)
    if count == TRAY_SIZE:
        count = len(drafts.order_by().values_list("id", flat=True)[: COUNT_CAP + 1])
    return Tray(chips=chips_build(posts, profiles, zone), count=count)


def chip_post(oktopost_id: str, *, zone: tzinfo) -> Chip:
    """A post as the calendar's drawer shows it, or Http404."""
    return chips_build([post_for_view(oktopost_id)], profiles_by_id(), zone)[0]


def editable_post(oktopost_id: str) -> Post | None:
    """The post to move, if it exists and is not cancelled."""
    return Post.objects.filter(oktopost_id=oktopost_id[:64], deleted_at__isnull=True).first()
