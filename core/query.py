"""What every page's URL parser shares (the queue, the stats review, share links).

A URL is read part by part; a part that cannot be read is left out with a note in
words, so a bookmarked or hand-edited address always opens a page, never an error.
"""

from datetime import date

# Dates outside these years are typos, and near the ends of the calendar a day's
# local midnight would not fit in a datetime at all.
YEARS = range(1970, 2200)


def query_date(raw: str, label: str, notes: list[str]) -> date | None:
    """A YYYY-MM-DD value of the URL, or None (with a note unless it was empty)."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw[:40])
    except ValueError:
        notes.append(f"Ignored {label} date “{raw[:40]}”: use YYYY-MM-DD.")
        return None
    if value.year not in YEARS:
        notes.append(f"Ignored {label} date “{raw[:40]}”: out of range.")
        return None
    return value
