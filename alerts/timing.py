"""Local times for quiet hours, summaries and digests: pure, DST-correct (zoneinfo)."""

from datetime import UTC, date, datetime, time, timedelta, tzinfo


def local_slot(day: date, hour: int, zone: tzinfo) -> datetime:
    """`hour`:00 on `day` in `zone`, as an aware UTC datetime. An hour the clocks skip
    (spring forward) becomes the first real instant after it; an hour that happens twice
    (fall back) is its first occurrence."""
    # fold=0 means the first occurrence, and for a skipped time the offset before the
    # jump, which lands on the instant the clocks jumped to (02:30 -> 03:30).
    return datetime.combine(day, time(hour)).replace(tzinfo=zone, fold=0).astimezone(UTC)


def last_daily_slot(now: datetime, hour: int, zone: tzinfo) -> datetime:
    """The latest `hour`:00 local at or before `now`."""
    today = now.astimezone(zone).date()
    for back in range(3):
        slot = local_slot(today - timedelta(days=back), hour, zone)
        if slot <= now:
            return slot
    raise AssertionError("unreachable")


def last_weekly_slot(now: datetime, weekday: int, hour: int, zone: tzinfo) -> datetime:
    """The latest `weekday` (0 = Monday) at `hour`:00 local at or before `now`."""
    today = now.astimezone(zone).date()
    for back in range(15):
        day = today - timedelta(days=back)
        if day.weekday() == weekday:
            slot = local_slot(day, hour, zone)
            if slot <= now:
                return slot
    raise AssertionError("unreachable")


def quiet_until(now: datetime, start: time | None, end: time | None, zone: tzinfo) -> datetime:
    """When quiet hours end if `now` falls in them (local `start`..`end`, may cross
    midnight), else `now`."""
    if start is None or end is None or start == end:
        return now
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # e.g. 22:00-07:00
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return now
    at = datetime.combine(end_day, end).replace(tzinfo=zone, fold=0).astimezone(UTC)
    return max(at, now)


def next_weekly_slot(after: datetime, weekday: int, hour: int, zone: tzinfo) -> datetime:
    """The first `weekday` (0 = Monday) at `hour`:00 local strictly after `after`."""
    today = after.astimezone(zone).date()
    for ahead in range(15):
        day = today + timedelta(days=ahead)
        if day.weekday() == weekday:
            slot = local_slot(day, hour, zone)
            if slot > after:
                return slot
    raise AssertionError("unreachable")


def _month_day(year: int, month: int, day: int) -> date:
    """`day` of the month, or its last day in a shorter month."""
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


def _months(start: date, step: int) -> list[tuple[int, int]]:
    index = start.year * 12 + start.month - 1
    return [divmod(index + step * n, 12) for n in range(3)]


def next_monthly_slot(after: datetime, day: int, hour: int, zone: tzinfo) -> datetime:
    """The first `day` of a month at `hour`:00 local strictly after `after`."""
    for year, month0 in _months(after.astimezone(zone).date(), 1):
        slot = local_slot(_month_day(year, month0 + 1, day), hour, zone)
        if slot > after:
            return slot
    raise AssertionError("unreachable")


def last_monthly_slot(now: datetime, day: int, hour: int, zone: tzinfo) -> datetime:
    """The latest `day` of a month at `hour`:00 local at or before `now`."""
    for year, month0 in _months(now.astimezone(zone).date(), -1):
        slot = local_slot(_month_day(year, month0 + 1, day), hour, zone)
        if slot <= now:
            return slot
    raise AssertionError("unreachable")


def report_days(sending_day: date, frequency: str) -> tuple[date, date]:
    """The whole local days a report sent on `sending_day` covers: the 7 days before it
    (weekly), or the calendar month before its month (monthly)."""
    if frequency == "weekly":
        return sending_day - timedelta(days=7), sending_day - timedelta(days=1)
    last = sending_day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last
