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
