"""Local wall-clock times and UTC instants: the DST rules every layer shares.

Editors type times in their own zone; Oktopost stores UTC. A time that does not exist
(the hour skipped when clocks go forward) is refused with the reason; a time that happens
twice (clocks go back) is taken at its first occurrence and flagged as ambiguous.
"""

from datetime import UTC, datetime, tzinfo


class BadLocalTime(ValueError):
    """A local time we cannot turn into one instant; the message is for the user."""


def parse_local(value: str) -> datetime:
    """A datetime-local field's value ("YYYY-MM-DDTHH:MM"), still naive."""
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadLocalTime("Enter the time as a date and a time, e.g. 2026-12-01 09:30.") from None


def local_to_utc(naive: datetime, zone: tzinfo) -> datetime:
    """A wall-clock time in `zone` as an aware UTC instant, refusing times that do not
    exist there. A time that happens twice is taken at its first occurrence."""
    first = naive.replace(tzinfo=zone, fold=0)
    round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        raise BadLocalTime(
            f"{naive:%H:%M} does not exist on {naive:%d %b %Y} in {zone} "
            "(the clocks skip that hour); pick another time."
        )
    return first.astimezone(UTC)


def is_ambiguous(naive: datetime, zone: tzinfo) -> bool:
    """True when `naive` happens twice in `zone` (the hour repeated when clocks go back)."""
    return (
        naive.replace(tzinfo=zone, fold=0).utcoffset()
        != naive.replace(tzinfo=zone, fold=1).utcoffset()
    )
