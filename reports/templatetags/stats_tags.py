"""Small lookups the stats templates need (a template cannot call with an argument)."""

from django import template
from django.template.defaultfilters import floatformat, pluralize
from django.utils.safestring import SafeString, mark_safe

from core.rendering import html_text as _e
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


@register.simple_tag
def heat_rows(rows: list, part: str) -> SafeString:
    """The heatmap's rows for one half-day table (`part`: the hours' slice, ":12" or
    "12:"), with the whitespace of the template loop they replace. Written in Python: a
    week of 168 cells at a dozen lookups and filters each was the section's whole
    rendering time (issue 31). Byte for byte what the loop wrote, held by
    tests/test_heatmap_html.py against tests/heatmap_rows_reference.html."""
    cut = slice(*[int(x) if x.strip() else None for x in part.split(":")])
    out: list[str] = []
    for row in rows:
        day = _e(row.day)
        out.append(f'\n            <tr><th scope="row">{day}</th>')
        for cell, level, hour, thin in row.cells[cut]:
            mark = " heat-thin" if thin else ""
            if cell.posts:
                posts = f"{_e(cell.posts)} post{pluralize(cell.posts)}"
                doubt = ", too few to trust" if thin else ""
                title = f"median {_e(floatformat(cell.median, 1))} over {posts}{doubt}"
                shown = (
                    f'{_e(short(cell.median))}<span class="visually-hidden"> over {posts}</span>'
                )
            else:
                title, shown = "no data", "·"
            out.append(
                f'<td class="heat-{_e(level)}{mark}" title="{day} {_e(hour)}:00 — {title}">'
                f"{shown}</td>"
            )
        out.append("</tr>\n          ")
    # Every value in it went through _e() (escaped); the rest is this file's markup.
    return mark_safe("".join(out))  # noqa: S308
