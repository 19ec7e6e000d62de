"""A queue row written in Python: `{% queue_row row %}` and `{% counter_cells row %}`.

templates/posts/queue.html#post-row is one `{% queue_row row %}`: the row's markup is
written here in one go, as the template wrote it (byte for byte: tests/test_queue_row_html.py
renders rows of every kind both ways), because at some 50 variable lookups and tests a row
the template was about half the CPU of a queue page or its htmx rows (issue 31).

Whatever a variable of the template rendered is written the way Django renders it: escaped
unless already safe, `None` as "None", a lookup that fails (a relation not mirrored yet) as
nothing. Change the markup here and in the reference template of that test together."""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.template.context import Context
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core.rendering import html_text as _e
from posts.selectors.rows import QueueRow
from posts.templatetags.oktopost_users import oktopost_user

register = template.Library()

_STALE_MARK = mark_safe(
    '<span class="stale-mark" title="Stale">⚠<span class="visually-hidden"> stale</span></span> '
)
_NOT_YET = mark_safe('<span class="muted">not yet</span>')


@register.simple_tag
def counter_cells(row: QueueRow) -> SafeString:
    title = f' title="{_e(row.counters_title)}"' if row.counters_title else ""
    # Every value in it went through _e() (escaped); the rest is this file's markup.
    return mark_safe(  # noqa: S308
        "".join(
            f'<td data-label="{_e(cell.label)}" class="{_e(cell.css)}"{title}>'
            f"{f'{_STALE_MARK if cell.mark else ""}{_e(cell.value)}' if cell.value else _NOT_YET}"
            "</td>"
            for cell in row.counter_cells
        )
    )


def _related(obj: object, name: str) -> object:
    """`obj.name` as a template reads it: a related row that is not there is nothing."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def _item(value: object, key: str) -> object:
    """`{{ value.key }}` on a JSON value: the key, else the attribute, else nothing."""
    try:
        return value[key]  # type: ignore[index]
    except (TypeError, KeyError, IndexError, AttributeError):
        return getattr(value, key, "")


def media_thumb(media: object, kind: str) -> str:
    """templates/posts/media_thumb.html, as `{% include %}` rendered it into a row."""
    try:
        first = media[0]  # type: ignore[index]
    except (TypeError, KeyError, IndexError):
        first = None
    if not first:
        return "\n\n"
    shown = ""
    media_id = _item(first, "id")
    if kind == "image" and media_id:
        src = _e(reverse("attachments:thumbnail", args=[media_id]))
        name = _item(first, "name") or "attached image"
        shown = (
            f'<img class="row-thumb" src="{src}" alt="Image: {_e(name)}" width="24" height="24"'
            ' loading="lazy">\n  '
        )
    elif kind == "video":
        shown = (
            '<span class="row-thumb thumb-video" role="img" aria-label="Video: '
            f'{_e(_item(first, "name"))}">▶</span>\n  '
        )
    elif kind == "pdf":
        shown = (
            '<span class="row-thumb thumb-pdf" role="img" aria-label="PDF: '
            f'{_e(_item(first, "name"))}">PDF</span>'
        )
    return f"\n\n  {shown}\n\n"


def _csrf_input(context: Context) -> str:
    """`{% csrf_token %}` (django.template.defaulttags.CsrfTokenNode)."""
    token = context.get("csrf_token")
    if not token:
        return ""
    if token == "NOTPROVIDED":  # noqa: S105 (Django's marker for "no token", not a secret)
        return ""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


@register.simple_tag(takes_context=True)
def queue_row(context: Context, row: QueueRow) -> SafeString:
    """One `<tr>` of the queue, with the whitespace the template had around it."""
    post = row.post
    can_write = context.get("can_write")
    base = _e(context.get("posts_url", ""))
    pid = _e(post.oktopost_id)
    url = f"{base}{pid}/"
    status_key = _e(row.status_key)
    deleted = post.deleted_at
    is_sent = post.is_sent
    out: list[str] = []
    add = out.append

    add(f'\n            <tr id="post-{pid}" class="status-{status_key}')
    add(" deleted" if deleted else "")
    add('"\n                ')
    if post.is_live:
        add(f'hx-get="{url}row/" hx-trigger="every 30s" hx-swap="outerHTML" data-live')
    add(">\n              ")
    if can_write:
        add('<td class="col-select">')
        if not is_sent and not deleted:
            add(
                f'<input type="checkbox" name="post" value="{pid}" form="bulk-form"'
                f' aria-label="Select post {pid}">'
            )
        add("</td>")
    add(
        f'\n              <td class="col-time"><time datetime="{_e(row.start_iso)}">'
        f"{_e(row.start_label)}</time></td>\n"
        f'              <td class="col-status"><span class="status status-{status_key}">'
        f"{_e(post.status_label)}</span>"
    )
    if deleted and not post.is_cancelled:
        add(' <small class="muted">deleted</small>')
    network = post.network
    add(
        f'</td>\n              <td class="col-network" title="{_e(row.targets_title)}">\n'
        f'                <strong class="network network-{_e(str(network).lower())}">'
        f"{_e(network)}</strong>\n"
        "                \n"
        "                "
    )
    failed_count = row.failed_count
    if failed_count:
        add(f'<small class="delivery-failed failed-count">✗ {failed_count} failed</small>')
    add("\n                ")
    first = row.first_target
    if first:
        add(
            f'<span class="profile-names"><span class="delivery-{_e(first.status or "waiting")}">'
            f"{_e(first.label)}"
        )
        if first.status == "success":
            add(" ✓")
        add("</span>")
        if more := row.more_targets:
            add(f' <small class="muted">+{more}</small>')
        add("</span>")
    add('\n              </td>\n              <td class="col-message">\n                ')
    if post.media_kind:
        add(media_thumb(_item(_related(post, "message"), "media"), post.media_kind))
    add(
        f'\n                <a href="{url}" hx-get="{url}" hx-target="#drawer"'
        f' hx-swap="innerHTML">{_e(row.text_preview)}</a>\n                '
    )
    if row.link_title_preview:
        add(f'<small class="muted link-title"> · 🔗 {_e(row.link_title_preview)}</small>')
    add("\n                ")
    outcome = row.outcome  # None for a post not sent
    if outcome is not None and outcome.failed:
        summary = _e(outcome.summary)
        add(f'<small class="row-outcome delivery-failed" title="{summary}">{summary}</small>')
    add("\n                ")
    if row_error := context.get("row_error"):
        add(f'<p class="form-error row-note" role="alert">{_e(row_error)}</p>')
    elif row_done := context.get("row_done"):
        add(f'<p class="ok-note row-note" role="status">{_e(row_done)}</p>')
    add('\n              </td>\n              <td class="col-campaign">')
    campaign = _related(post, "campaign")
    if campaign:
        add(_e(campaign.name))
    elif post.campaign_id:
        add(f'<span class="muted">{_e(post.campaign_id)}</span>')
    else:
        add('<span class="muted">—</span>')
    add('</td>\n              <td class="col-by">')
    if made_by := row.made_by:
        made = _e(made_by)
        add(f'<span title="Made in oktodash by {made}, sent through the API">{made}</span>')
    else:
        add(oktopost_user(post.created_by))
    add("</td>\n              ")
    if post.status == "error":
        add(
            '\n                <td class="num muted not-sent" colspan="6">'
            "failed: nothing to count</td>\n              "
        )
    elif is_sent:
        add(f"\n                {counter_cells(row)}\n              ")
    else:
        add(
            '\n                <td class="num muted not-sent" colspan="6">not sent</td>'
            "\n              "
        )
    add('\n              <td class="col-actions">\n                <div class="row-actions">\n')
    add("                  ")
    if can_write and not is_sent and not deleted:
        csrf = _csrf_input(context)
        modified = _e(row.modified_iso)
        add(
            "\n"
            '                    <details class="row-move">\n'
            f'                      <summary class="small" aria-label="Move post {pid}">Move'
            "</summary>\n"
            '                      <form class="reschedule-form" method="post"'
            f' action="{url}reschedule/"\n'
            f'                            hx-post="{url}reschedule/" hx-target="#post-{pid}"'
            ' hx-swap="outerHTML">\n'
            f"                        {csrf}\n"
            '                        <input type="hidden" name="from" value="row">\n'
            '                        <input type="hidden" name="expected_modified"'
            f' value="{modified}">\n'
            '                        <input type="datetime-local" name="when"'
            f' value="{_e(row.start_input)}" aria-label="New time for post {pid}">\n'
            '                        <button type="submit" class="small">Move</button>\n'
            "                      </form>\n"
            "                    </details>\n"
            "                    "
        )
        if post.is_stuck:
            request = context.get("request")
            back = _e(request.get_full_path()) if request is not None else ""
            add(
                "\n"
                f'                    <form method="post" action="{url}post-now/"'
                ' class="post-now-form">\n'
                f"                      {csrf}\n"
                '                      <input type="hidden" name="expected_modified"'
                f' value="{modified}">\n'
                f'                      <input type="hidden" name="back" value="{back}">\n'
                '                      <button type="submit" class="small"'
                f' aria-label="Post {pid} now">Post now</button>\n'
                "                    </form>\n"
                "                    "
            )
        back_to = quote(str(context.get("queue_back", "")), safe="")
        add(
            "\n"
            f'                    <a href="{url}cancel/?back={back_to}" class="small row-cancel"'
            f' aria-label="Cancel post {pid}…">Cancel…</a>\n'
            "                  "
        )
    elif can_write and failed_count:
        add(
            "\n"
            f'                    <a href="{url}retry/" class="small"'
            f' aria-label="Retry the failed profiles of post {pid}…">Retry…</a>\n'
            "                  "
        )
    else:
        add(
            "\n"
            f'                    <a href="{url}" hx-get="{url}" hx-target="#drawer"'
            f' hx-swap="innerHTML" class="small" aria-label="Open post {pid}">Open</a>\n'
            "                  "
        )
    add("\n                </div>\n              </td>\n            </tr>\n          ")
    # Every value in it went through _e() (escaped) or is safe HTML of a tag; the rest is
    # this file's markup.
    return mark_safe("".join(out))  # noqa: S308
