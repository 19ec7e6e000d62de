"""Local wall-clock times and UTC instants: the DST rules every layer shares.

Editors type times in their own zone; Oktopost stores UTC. A time that does not exist
(the hour skipped when clocks go forward) is refused with the reason; a time that happens
twice (clocks go back) is taken at its first occurrence and flagged as ambiguous.
"""

from datetime import UTC, datetime, timedelta, tzinfo

# How far ahead a post may be scheduled: further is a typo, not a plan.
FURTHEST_AHEAD = timedelta(days=5 * 366)


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
    try:
        round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        raise BadLocalTime(f"{naive:%d %b %Y} is too far in the past or ahead.") from None
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


def within_reach(moment: datetime, *, now: datetime) -> None:
    """Refuse an instant more than FURTHEST_AHEAD from now."""
    if moment - now > FURTHEST_AHEAD:
        raise BadLocalTime(f"{moment:%d %b %Y} is more than 5 years ahead; pick a nearer date.")


def as_local(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` in `zone`; at the very edges of what Python holds (a date Oktopost or an
    old mirror row may carry) the UTC moment itself rather than an OverflowError."""
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment.astimezone(UTC)
