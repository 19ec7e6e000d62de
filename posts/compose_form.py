"""Help around the new-post form (posts.forms.PostCreateForm): the campaign it starts
with, and, when a send fails, the sum of its errors shown at the button and the field
that takes focus (so the page scrolls to it, with or without JavaScript)."""

from dataclasses import dataclass

from django import forms

from posts.models import Campaign, Message, Submission

# The form's fields in the order the page shows them: the first with an error is focused.
PAGE_ORDER = (
    *("message", "network", "campaign", "text", "link_url", "link_title", "description"),
    *("image_url", "title", "media", "upload", "first_comment_text", "first_comment_media"),
    *("profiles", "when", "status", "workflow", "confirm_duplicate"),
)
LABELS = {
    "message": "Existing message",
    "network": "Network",
    "campaign": "Campaign",
    "text": "Text",
    "link_url": "Link URL",
    "link_title": "Link title",
    "description": "Link description",
    "image_url": "Link image address",
    "title": "Video title",
    "media": "Media",
    "upload": "Media",
    "first_comment_text": "First comment",
    "first_comment_media": "Comment image",
    "profiles": "Profiles",
    "when": "Time",
    "status": "Status",
    "workflow": "Approval",
    "confirm_duplicate": "Already scheduled",
}
# Where a summary line's link leads: the field's own id, or the part of the form that
# holds it where the field is drawn by hand.
ANCHORS = {
    "message": "existing-message",
    "media": "id_file",
    "upload": "id_file",
    "profiles": "id_profiles",
    "first_comment_media": "id_first_comment_media",
}


@dataclass(frozen=True)
class ErrorLine:
    label: str  # "" for an error about the whole form
    message: str
    anchor: str  # the id the line links to, "" for none


def default_campaign(user) -> str:
    """The campaign a new message most likely goes under: the only one there is, else the
    one of the last message this user made here ("" when there is no telling)."""
    ids = list(Campaign.objects.values_list("oktopost_id", flat=True)[:2])
    if len(ids) == 1:
        return ids[0]
    last = (
        Submission.objects.filter(user=user)
        .exclude(message_oktopost_id="")
        .order_by("-created", "-id")
        .values_list("message_oktopost_id", flat=True)
        .first()
    )
    if not last:
        return ""
    campaign = Message.objects.filter(oktopost_id=last).values_list("campaign_id", flat=True)
    return campaign.first() or ""


def first_error(form: forms.Form) -> str:
    """The name of the first field (in page order) with an error, "" if none has one."""
    return next((name for name in PAGE_ORDER if name in form.errors), "")


def mark_errors(form: forms.Form) -> str:
    """Mark the fields in error for assistive technology and put `autofocus` on the first:
    the browser focuses (and scrolls to) it on a page load, htmx after a swap. Returns
    its name."""
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["aria-invalid"] = "true"
    first = first_error(form)
    if first and first not in ANCHORS and first in form.fields:
        form.fields[first].widget.attrs["autofocus"] = True
    return first


def error_lines(form: forms.Form) -> list[ErrorLine]:
    """Every error of a bound form, the whole form's first, then the fields' in page
    order, each linking to where it is."""
    lines = [ErrorLine("", str(e), "") for e in form.non_field_errors()]
    names = [n for n in PAGE_ORDER if n in form.errors]
    names += [n for n in form.errors if n not in names and n != "__all__"]
    for name in names:
        anchor = ANCHORS.get(name, f"id_{name}" if name in PAGE_ORDER else "")
        for message in form.errors[name]:
            lines.append(ErrorLine(LABELS.get(name, ""), str(message), anchor))
    return lines
