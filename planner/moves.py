"""Where a dropped chip lands: pure date arithmetic on local wall-clock times.

A chip dropped on another day keeps its local time of day (09:30 stays 09:30 across a
DST change, which moves the UTC instant by an hour); dropped on an hour of the week
view, it takes that hour and keeps its minutes. A local time that does not exist on the
new day (the hour the clocks skip) is refused with the reason, never shifted silently.
"""

from datetime import date, datetime, time, tzinfo

from core.localtime import BadLocalTime, as_local, local_to_utc


def drop_target(
    start_at: datetime,
    zone: tzinfo,
    *,
    day: date,
    hour: int | None = None,
    at: time | None = None,
) -> datetime:
    """The UTC instant for `start_at` moved to `day` (at `hour`, or at the time `at`),
    in `zone`. Raises BadLocalTime with words for the user."""
    local = as_local(start_at, zone)
    if at is not None:
        wall = at.replace(second=0, microsecond=0)
    elif hour is not None:
        if not 0 <= hour <= 23:
            raise BadLocalTime("Pick an hour between 00 and 23.")
        wall = time(hour, local.minute)
    else:
        wall = time(local.hour, local.minute)
    return local_to_utc(datetime.combine(day, wall), zone)
