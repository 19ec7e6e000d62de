"""`{% counter_cells row %}`: a sent post's six counter cells in a queue row.

Written here in one go rather than by a template loop: at six cells a row, the loop's
variable lookups were about a fifth of a 50-row page's rendering. The markup is the one
templates/posts/queue.html had (tests/test_ui_fixes.py reads it)."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from posts.selectors.queue import QueueRow

register = template.Library()

_STALE_MARK = mark_safe(
    '<span class="stale-mark" title="Stale">⚠<span class="visually-hidden"> stale</span></span> '
)
_NOT_YET = mark_safe('<span class="muted">not yet</span>')


@register.simple_tag
def counter_cells(row: QueueRow) -> SafeString:
    title = format_html(' title="{}"', row.counters_title) if row.counters_title else ""
    return format_html_join(
        "",
        '<td data-label="{}" class="{}"{}>{}</td>',
        (
            (
                cell.label,
                cell.css,
                title,
                format_html("{}{}", _STALE_MARK if cell.mark else "", cell.value)
                if cell.value
                else _NOT_YET,
            )
            for cell in row.counter_cells
        ),
    )
