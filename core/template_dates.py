"""Django's `date` filter, safe at the edges of time.

The built-in filter turns an aware datetime into the user's zone first, which raises
OverflowError for a date like 9999-12-31 east of UTC: one odd post from Oktopost would
make every page that shows it answer 500. This replacement, installed as a template
builtin (settings.TEMPLATES), converts with `core.localtime.as_local` and then formats
exactly as the built-in does, in the reader's convention (core.clock: 24- or 12-hour,
day or month first).
"""

from datetime import datetime

from django import template
from django.template.defaultfilters import date as django_date
from django.utils import timezone

from core import clock
from core.localtime import as_local

register = template.Library()


@register.filter(is_safe=False)
def date(value: object, arg: str | None = None) -> str:
    # Registered without `expects_localtime`, so the engine does not convert the value
    # first; the built-in's own formatting keeps the zone the value already carries.
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = as_local(value, timezone.get_current_timezone())
    return django_date(value, clock.translate(arg) if arg else arg)
