"""The new-link form: it only validates. The filters are controls named as the pages'
own query parameters (network, campaign, range, …), read by the pages' own parsers
(sharing.scope), so a link shows exactly what the form showed."""

from __future__ import annotations

import hashlib

from django import forms
from django.http import QueryDict

from sharing.models import ShareLink
from sharing.services import DEFAULT_DAYS, MAX_DAYS, MAX_QUERY

# The form's own fields; every other key of the data is a filter of the page.
OWN_KEYS = frozenset(
    {"csrfmiddlewaretoken", "page", "label", "days", "dates", "seen", "query", "action"}
)


class DateRule:
    FIXED = "fixed"
    ROLL = "roll"
    CHOICES = [
        (FIXED, "Fixed dates: the days it shows now, whenever it is opened"),
        (ROLL, "Roll forward: the same number of days up to the day it is opened"),
    ]


class ShareForm(forms.Form):
    page = forms.ChoiceField(choices=ShareLink.Page.choices, initial=ShareLink.Page.STATS)
    label = forms.CharField(max_length=120, required=False, strip=True)
    days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        error_messages={
            "min_value": f"A link lasts from 1 to {MAX_DAYS} days.",
            "max_value": f"A link lasts from 1 to {MAX_DAYS} days.",
            "invalid": f"A link lasts from 1 to {MAX_DAYS} days: give a whole number.",
            "required": f"A link lasts from 1 to {MAX_DAYS} days.",
        },
    )
    dates = forms.ChoiceField(choices=DateRule.CHOICES, required=False)
    seen = forms.CharField(required=False, max_length=64)

    def clean_days(self) -> int:
        days = self.cleaned_data["days"]
        return DEFAULT_DAYS if days is None else days

    def clean_dates(self) -> str:
        return self.cleaned_data["dates"] or DateRule.FIXED


def page_of(data: QueryDict) -> str:
    page = data.get("page", "")
    return page if page in ShareLink.Page.values else ShareLink.Page.STATS


def filter_query(data: QueryDict) -> str:
    """The filters the form (or a "Share this view" link) asks for, as a query string.

    `query` (a view's own query string, sent by "Share this view" or typed into the
    command) comes first; a leading "?" is the view's, not a parameter's. The form's
    range control wins over its date boxes: they only count for custom dates."""
    pasted = data.get("query", "").strip()
    merged = QueryDict(pasted[1:] if pasted.startswith("?") else pasted, mutable=True)
    for key in data:
        if key not in OWN_KEYS:
            merged.setlist(key, [v for v in data.getlist(key)[:50] if v.strip()] or [""])
    if "range" in data and "query" not in data:
        if data.get("range"):
            merged.pop("from", None)
            merged.pop("to", None)
        else:
            merged.pop("range", None)
    empty = [key for key in merged if merged.getlist(key) == [""]]
    for key in empty:
        merged.pop(key)
    return merged.urlencode()[: MAX_QUERY + 1]


def fingerprint(*, page: str, query: str) -> str:
    """What the preview showed: a link is made only if the form comes back with it, so
    nothing is shared that was not on screen first."""
    return hashlib.sha256(f"{page}\n{query}".encode()).hexdigest()[:32]
