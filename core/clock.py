"""One way to write dates and times on every page: 24- or 12-hour, day or month first.

Templates and code write formats the way oktodash always has ("j M Y, H:i"); this module
turns them into the reader's convention. The convention is per request (a context
variable): the user's own choice, else what their browser's language says
(Accept-Language), else the site's default (24-hour, day first). Formats machines read
('Y-m-d', 'c', 'Y-m-d\\TH:i') carry no hour or day words and pass unchanged.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import dateformat


@dataclass(frozen=True)
class Convention:
    hour12: bool = False
    month_first: bool = False

    @property
    def time_placeholder(self) -> str:
        return "h:mm AM" if self.hour12 else "HH:MM"

    @property
    def date_placeholder(self) -> str:
        return "mm/dd/yyyy" if self.month_first else "dd/mm/yyyy"


DEFAULT = Convention()
_current: ContextVar[Convention] = ContextVar("clock_convention", default=DEFAULT)

# Regions whose everyday clock is 12-hour, and those that write the month first
# (CLDR's preferred formats for English and the region's main language).
TWELVE_HOUR_REGIONS = frozenset(
    [
        "US",
        "CA",
        "AU",
        "NZ",
        "IN",
        "PH",
        "PK",
        "BD",
        "EG",
        "SA",
        "JO",
        "KW",
        "QA",
        "AE",
        "OM",
        "BH",
        "MY",
        "CO",
        "MX",
        "SV",
        "HN",
        "NI",
    ]
)
MONTH_FIRST_REGIONS = frozenset({"US", "PH", "FM", "MH", "PW", "GU", "AS", "UM", "VI", "PR"})
_TAG = re.compile(r"^\s*([A-Za-z]{1,8})(?:[-_]([A-Za-z]{2}|\d{3}))?")


def from_accept_language(header: str | None) -> Convention:
    """The convention of the browser's first language; a bare "en" reads as en-US."""
    first = (header or "").split(",")[0].split(";")[0]
    match = _TAG.match(first)
    if not match:
        return DEFAULT
    language, region = match.group(1).lower(), (match.group(2) or "").upper()
    if language == "en" and not region:
        region = "US"
    if not region:
        return DEFAULT
    return Convention(
        hour12=region in TWELVE_HOUR_REGIONS, month_first=region in MONTH_FIRST_REGIONS
    )


def resolve(clock: str, date_order: str, accept_language: str | None) -> Convention:
    """A user's choices ("auto", "24"/"12", "dmy"/"mdy") over their browser's language."""
    browser = from_accept_language(accept_language)
    hour12 = browser.hour12 if clock not in ("12", "24") else clock == "12"
    month_first = browser.month_first if date_order not in ("dmy", "mdy") else date_order == "mdy"
    return Convention(hour12=hour12, month_first=month_first)


def activate(convention: Convention) -> object:
    return _current.set(convention)


def deactivate(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def current() -> Convention:
    return _current.get()


# Day-first pieces and their month-first forms, longest first so "D j M Y" is not read
# as "j M" inside it.
_MONTH_FIRST = [
    ("l j F Y", "l, F j, Y"),
    ("D j M Y", "D, M j, Y"),
    ("j F Y", "F j, Y"),
    ("j M Y", "M j, Y"),
    ("D j M", "D, M j"),
    ("l j F", "l, F j"),
    ("j M", "M j"),
    ("j F", "F j"),
]
_TWELVE_HOUR = [("H:i:s", "g:i:s A"), ("H:i", "g:i A")]


def translate(fmt: str, convention: Convention | None = None) -> str:
    """A Django date format in the given (or the current) convention."""
    convention = convention or current()
    if convention == DEFAULT or "\\" in fmt:
        return fmt
    if convention.month_first:
        for day_first, month_first in _MONTH_FIRST:
            if day_first in fmt:
                fmt = fmt.replace(day_first, month_first)
                break
    if convention.hour12:
        for hours24, hours12 in _TWELVE_HOUR:
            fmt = fmt.replace(hours24, hours12)
    return fmt


def fmt(value: date | datetime, format_string: str) -> str:
    """`value` (already in the zone to show) written in the current convention."""
    return dateformat.format(value, translate(format_string))
