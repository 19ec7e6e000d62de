"""Small lookups the stats templates need (a template cannot call with an argument)."""

from django import template

from core.terms import change_tone

register = template.Library()


@register.filter
def get_link(links: dict, key: str) -> str:
    return links.get(key, "")


@register.filter
def known(figures, counter: str) -> bool:
    return figures.known(counter)


@register.filter
def figure(figures, counter: str) -> int:
    return figures.value(counter)


@register.filter
def num(value: object) -> object:
    """A whole number with thousands separators (12,345); anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    return f"{value:,}"


@register.filter
def tone(delta) -> str:
    """ "good", "bad" or "" for a total's change against the previous period: more
    failures is bad news, more clicks good (core.terms.POLARITY)."""
    return change_tone(delta.key, delta.change)


@register.filter
def short(value: float | None) -> str:
    """A heatmap cell's median in at most four characters: 7, 940, 1.4k, 12k, 3.1M (the
    exact figure is in the cell's title)."""
    if value is None:
        return ""
    for size, unit in ((1_000_000, "M"), (1_000, "k")):
        if value >= size:
            scaled = value / size
            return f"{scaled:.1f}{unit}" if scaled < 9.95 else f"{round(scaled)}{unit}"
    return str(int(value + 0.5))  # half up, as floatformat rounds
